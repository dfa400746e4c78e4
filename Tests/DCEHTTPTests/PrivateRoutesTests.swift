import DCEDomain
import DCEHTTP
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// Nothing reaches an account's ledger, a visitor's session, the dashboard or the metrics
/// without the secret that belongs to it.
/// A visitor's session, the dashboard and the metrics open only to whoever holds their own
/// secret: the lease's id, a session id, the admin key.
@Suite struct PrivateRoutesTests {
    @Test(arguments: TestEngine.all)
    func leaseIdsAreRandomAndTagsChangeOnlyThroughTheLeasesOwnId(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: two visitors lease the pool's two numbers
            let (key, _) = try await VisitorNumbersAPITests.pool(client, services, account, numbers: ["+18665550100", "+18665550101"])
            var ids: [Int] = []
            for visitor in ["v-alice", "v-bob"] {
                let body = VisitorNumbersAPITests.retreaverBody(page: "https://shop.example/?gclid=\(visitor)", visitor: visitor)
                let answer = try await client.execute(uri: "/api/v1/numbers?campaign_key=\(key)", method: .post, headers: .json, body: .json(body))
                ids.append(try #require(answer.value["number"]?["id"]?.int))
            }
            // run: a stranger with the public campaign key walks the ids next to Alice's
            let neighbours = [ids[0] - 1, ids[0] + 1, 1, 2].map(String.init).joined(separator: ", ")
            let walked = try await client.execute(uri: "/api/v1/numbers/tag", method: .post, headers: .json,
                                                  body: .json(#"{"tag_values": {"gclid": "stolen"}, "ids": [\#(neighbours)], "campaign_key": "\#(key)"}"#))
            let own = try await client.execute(uri: "/api/v1/numbers/tag", method: .post, headers: .json,
                                               body: .json(#"{"tag_values": {"lead": "hot"}, "ids": [\#(ids[1])], "campaign_key": "\#(key)"}"#))
            // validate: ids are no sequence, and fit a browser's numbers exactly
            for id in ids {
                #expect(id >= 1 << 32 && id < 1 << 53, "\(id)")
            }
            #expect(abs(ids[0] - ids[1]) > 1)
            #expect(walked.status == .ok)
            #expect(walked.value["numbers"]?.array?.isEmpty == true)
            let changed = try #require(own.value["numbers"]?.array?.first)
            #expect(changed["id"]?.int == ids[1])
            #expect(changed["tag_values"]?["lead"] == "hot")
            let leases = try await services.pools.desk.liveLeases(accountID: account.account.id)
            #expect(leases.allSatisfy { $0.tags["gclid"] != "stolen" })
        }
    }

    @Test(arguments: TestEngine.all)
    func theDashboardCookieHoldsASessionThatLogoutEnds(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // run: sign in over plain HTTP, then behind an HTTPS proxy
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let plain = try await client.execute(uri: "/dashboard/login", method: .post, headers: form, body: ByteBuffer(string: "key=\(account.key)"))
            var forwarded = form
            forwarded[HTTPField.Name("X-Forwarded-Proto")!] = "https"
            let proxied = try await client.execute(uri: "/dashboard/login", method: .post, headers: forwarded, body: ByteBuffer(string: "key=\(account.key)"))
            // validate the cookies
            let cookie = try #require(plain.headers[.setCookie])
            let session = String(cookie.split(separator: ";")[0])
            #expect(!cookie.contains(account.key))
            #expect(session.hasPrefix("dce_dashboard_session="))
            #expect(cookie.hasSuffix("; Path=/dashboard; Max-Age=43200; HttpOnly; SameSite=Lax"))
            #expect(try #require(proxied.headers[.setCookie]).hasSuffix("; HttpOnly; SameSite=Lax; Secure"))
            let stored = try await services.database.read { sql in
                try await sql.raw("SELECT id_hash FROM dashboard_sessions").all().map { try $0.decode(column: "id_hash", as: String.self) }
            }
            #expect(stored.count == 2)
            #expect(!stored.contains(String(session.dropFirst("dce_dashboard_session=".count))))

            // A key in the cookie is no session.
            for raw in ["dce_dashboard_session=\(account.key)", "dce_dashboard_key=\(account.key)"] {
                let page = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: raw])
                #expect(page.text.contains("Sign in") && !page.text.contains("Calls per day"), "\(raw)")
            }
            let signedIn = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: session])
            #expect(signedIn.text.contains("Calls per day"))

            // Logout ends the session on the server: the same cookie, replayed, opens nothing.
            let logout = try await client.execute(uri: "/dashboard/logout", method: .post, headers: [.cookie: session])
            #expect(logout.status == .seeOther)
            #expect(logout.headers[.setCookie]?.contains("Max-Age=0") == true)
            let replayed = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: session])
            #expect(replayed.text.contains("Sign in") && !replayed.text.contains("Calls per day"))
        }
    }

    @Test(arguments: TestEngine.all)
    func metricsNeedTheAdminKeyAndNameNoAccount(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: pool traffic, which metrics count per pool
            let (key, _) = try await VisitorNumbersAPITests.pool(client, services, account, numbers: ["+18665550100"])
            _ = try await client.execute(uri: "/api/v1/numbers?campaign_key=\(key)", method: .post, headers: .json,
                                         body: .json(VisitorNumbersAPITests.retreaverBody(page: "https://shop.example/")))
            // run
            let anonymous = try await client.execute(uri: "/metrics", method: .get)
            let customer = try await client.execute(uri: "/metrics", method: .get, headers: .bearer(account.key))
            let admin = try await client.execute(uri: "/metrics", method: .get, headers: .bearer(TestApp.adminKey))
            // validate
            #expect(anonymous.status == .unauthorized)
            #expect(customer.status == .unauthorized)
            #expect(admin.status == .ok)
            #expect(admin.text.contains("dce_pool_leases_total{pool="))
            #expect(!admin.text.contains(account.account.id.rawValue))
            #expect(!admin.text.contains("account="))
            #expect(!admin.text.contains(key))
        }
    }
}

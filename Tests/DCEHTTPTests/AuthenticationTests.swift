import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct AuthenticationTests {
    @Test(arguments: TestEngine.all)
    func noKeyMalformedKeyAndRevokedKeyAre401(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let none = try await client.execute(uri: "/v1/calls", method: .get)
            #expect(none.status == .unauthorized)
            #expect(none.errorCode == "unauthorized")

            let wrong = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer("dce_abc_def"))
            #expect(wrong.status == .unauthorized)

            // Both header forms are accepted.
            let bearer = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(account.key))
            #expect(bearer.status == .ok)
            let xAPIKey = try await client.execute(uri: "/v1/calls", method: .get, headers: [HTTPField.Name("X-API-Key")!: account.key])
            #expect(xAPIKey.status == .ok)

            try await services.accounts.revokeKey(String(account.key.split(separator: "_").prefix(2).joined(separator: "_")))
            let revoked = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(account.key))
            #expect(revoked.status == .unauthorized)
        }
    }

    @Test(arguments: TestEngine.all)
    func anotherAccountsCallIs404(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let other = try await TestAccount.make(services.database, name: "globex")
            let posted = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key),
                                                  body: .json(#"{"idempotency_key": "k", "external_call_id": "c"}"#))
            let callID = try #require(posted.value["call_id"]?.string)
            let mine = try await client.execute(uri: "/v1/calls/\(callID)", method: .get, headers: .bearer(account.key))
            #expect(mine.status == .ok)
            let theirs = try await client.execute(uri: "/v1/calls/\(callID)", method: .get, headers: .bearer(other.key))
            #expect(theirs.status == .notFound)
            #expect(theirs.errorCode == "not_found")
            let list = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(other.key))
            #expect(list.value["data"]?.array?.isEmpty == true)
        }
    }

    @Test(arguments: TestEngine.all)
    func adminRoutesNeedTheAdminKey(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let none = try await client.execute(uri: "/v1/admin/accounts", method: .get)
            #expect(none.status == .unauthorized)
            let customer = try await client.execute(uri: "/v1/admin/accounts", method: .get, headers: .bearer(account.key))
            #expect(customer.status == .unauthorized)

            let admin = HTTPFields.bearer(TestApp.adminKey)
            let created = try await client.execute(uri: "/v1/admin/accounts", method: .post, headers: admin, body: .json(#"{"name": "initech"}"#))
            #expect(created.status == .created)
            let duplicate = try await client.execute(uri: "/v1/admin/accounts", method: .post, headers: admin, body: .json(#"{"name": "initech"}"#))
            #expect(duplicate.status == .conflict)
            #expect(duplicate.errorField == "name")
            let missing = try await client.execute(uri: "/v1/admin/accounts", method: .post, headers: admin, body: .json(#"{}"#))
            #expect(missing.status == .badRequest)
            #expect(missing.errorField == "name")

            let issued = try await client.execute(uri: "/v1/admin/accounts/initech/keys", method: .post, headers: admin, body: .json(#"{"label": "crm"}"#))
            #expect(issued.status == .created)
            let key = try #require(issued.value["key"]?.string)
            let prefix = try #require(issued.value["prefix"]?.string)
            #expect(try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(key)).status == .ok)

            let list = try await client.execute(uri: "/v1/admin/accounts", method: .get, headers: admin)
            #expect(list.value["data"]?.array?.compactMap { $0["name"]?.string }.sorted() == ["acme", "initech"])
            #expect(!list.text.contains(key))

            let revoked = try await client.execute(uri: "/v1/admin/keys/\(prefix)", method: .delete, headers: admin)
            #expect(revoked.status == .ok)
            #expect(revoked.value["key"] == nil)
            #expect(try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(key)).status == .unauthorized)
        }
    }

    @Test(arguments: TestEngine.all)
    func adminRoutesAreClosedWithoutAnAdminKey(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let app = Application(router: try buildRouterWithoutAdmin(database))
            try await app.test(.router) { client in
                let response = try await client.execute(uri: "/v1/admin/accounts", method: .get, headers: .bearer("anything-at-all-0123456789"))
                #expect(response.status == .forbidden)
                #expect(response.errorCode == "admin_disabled")
            }
        }
    }

    func buildRouterWithoutAdmin(_ database: any Database) throws -> Router<AppRequestContext> {
        try buildRouter(AppServices(database: database, adminKey: nil))
    }
}

import DCEHTTP

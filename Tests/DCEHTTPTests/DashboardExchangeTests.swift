@testable import DCEHTTP
import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The dashboard's exchange pages: lists, edits through the same checks as the API, CSRF
/// tokens bound to the session, and accounts kept apart.
@Suite struct DashboardExchangeTests {
    /// A signed-in browser: its cookie and the CSRF token its pages carry.
    struct Browser {
        let sessionID: String
        var headers: HTTPFields { [.cookie: "\(DashboardController.cookieName)=\(sessionID)"] }
        var csrf: String { DashboardCSRF.token(sessionID: sessionID) }

        static func signIn(_ services: AppServices, key: String) async throws -> Browser {
            let session = try #require(try await DashboardSessions(database: services.database).open(key: key))
            return Browser(sessionID: session.id)
        }

        func form(_ fields: [String: String]) -> (HTTPFields, ByteBuffer) {
            var headers = headers
            headers[.contentType] = "application/x-www-form-urlencoded"
            let body = fields.sorted { $0.key < $1.key }.map { name, value in
                "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }.joined(separator: "&")
            return (headers, ByteBuffer(string: body))
        }

        func post(_ client: any TestClientProtocol, _ uri: String, _ fields: [String: String]) async throws -> TestResponse {
            let (headers, body) = form(fields)
            return try await client.execute(uri: uri, method: .post, headers: headers, body: body)
        }
    }

    /// A small exchange: one publisher, one buyer with a target, one campaign routing to it.
    struct Seeded {
        let publisher: Publisher
        let buyer: Buyer
        let target: Target
        let campaign: Campaign

        static func make(_ directory: ExchangeDirectory, accountID: AccountID, prefix: String = "") async throws -> Seeded {
            let publisher = try await directory.create(
                PublisherSpec(name: "\(prefix)AdWise Media", payout: PayoutRule(minimumSeconds: 60, amount: .fixed(Money(cents: 1200)))),
                accountID: accountID)
            let buyer = try await directory.create(
                BuyerSpec(name: "\(prefix)Acme Insurance", conversion: ConversionRule(minimumSeconds: 90, revenue: Money(cents: 3500)),
                          caps: Caps([CapLimit(.routed, per: .day, limit: 40)], concurrency: 5)),
                accountID: accountID)
            let target = try await directory.create(
                TargetSpec(name: "\(prefix)Acme East call center", buyerID: BuyerID(rawValue: buyer.id),
                           destination: .number(try PhoneNumber(parsing: "+18005551001"))),
                accountID: accountID)
            let campaign = try await directory.create(
                CampaignSpec(name: "\(prefix)Auto Insurance", defaultPublisherID: PublisherID(rawValue: publisher.id),
                             routing: [RoutingEntry(targetID: TargetID(rawValue: target.id), priority: 1, weight: 70)]),
                accountID: accountID)
            return Seeded(publisher: publisher, buyer: buyer, target: target, campaign: campaign)
        }
    }

    @Test(arguments: TestEngine.all)
    func listPagesShowEachEntityByNameWithItsSettingsInWords(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup
            let directory = ExchangeDirectory(database: services.database)
            let seeded = try await Seeded.make(directory, accountID: account.account.id)
            let browser = try await Browser.signIn(services, key: account.key)

            // run, validate
            let expected: [(String, [String])] = [
                ("/dashboard/campaigns", [seeded.campaign.spec.name, seeded.campaign.id, "priority 1, weight 70 (100%)", "/dashboard/campaigns/\(seeded.campaign.id)"]),
                ("/dashboard/publishers", [seeded.publisher.spec.name, "$12.00 per call of 60 s or more"]),
                ("/dashboard/buyers", [seeded.buyer.spec.name, "40 routed a day", "5 live at once"]),
                ("/dashboard/targets", [seeded.target.spec.name, seeded.buyer.spec.name, "(800) 555-1001", "always open"]),
            ]
            for (path, texts) in expected {
                let response = try await client.execute(uri: path, method: .get, headers: browser.headers)
                #expect(response.status == .ok, "\(path)")
                for text in texts { #expect(response.text.contains(Self.escaped(text)), "\(path) shows \(text)") }
                #expect(response.text.contains(#"name="csrf" value="\#(browser.csrf)""#), "\(path)")
                #expect(!response.text.contains(account.key), "\(path) never shows the API key")
            }
            let page = try await client.execute(uri: "/dashboard/targets/\(seeded.target.id)", method: .get, headers: browser.headers)
            #expect(page.status == .ok)
            #expect(page.text.contains(Self.escaped(#"{\#n  "name": "Acme East call center",\#n  "buyer_id": "\#(seeded.buyer.id)",\#n  "destination": "+18005551001","#)))
        }
    }

    @Test(arguments: TestEngine.all)
    func anEditWithABadFieldShowsTheErrorNamingItAndChangesNothing(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup
            let directory = ExchangeDirectory(database: services.database)
            let accountID = account.account.id
            let seeded = try await Seeded.make(directory, accountID: accountID)
            let browser = try await Browser.signIn(services, key: account.key)
            let badCap = #"{"name": "Acme", "conversion": {"min_seconds": 90, "revenue": "35.00"}, "caps": {"limits": [{"metric": "routed", "period": "day", "limit": -1}]}}"#
            let unknownTarget = #"{"name": "Auto", "routing": [{"target_id": "tgt_doesnotexist", "priority": 1, "weight": 1}]}"#
            let notJSON = "{ name: Acme"

            // run, validate
            for (path, spec, field) in [
                ("/dashboard/buyers/\(seeded.buyer.id)", badCap, "caps.limits[0].limit"),
                ("/dashboard/campaigns/\(seeded.campaign.id)", unknownTarget, "routing[0].target_id"),
                ("/dashboard/buyers/\(seeded.buyer.id)", notJSON, "spec"),
                ("/dashboard/buyers", badCap, "caps.limits[0].limit"),
            ] {
                let response = try await browser.post(client, path, ["csrf": browser.csrf, "spec": spec])
                #expect(response.status == .badRequest, "\(path) \(field)")
                #expect(response.text.contains(#"<div class="problem"><code>\#(field)</code>"#), "\(path) names \(field)")
                #expect(response.text.contains(Self.escaped(spec)), "\(path) keeps what was typed")
            }
            #expect(try await directory.get(BuyerSpec.self, id: seeded.buyer.id, accountID: accountID) == seeded.buyer)
            #expect(try await directory.get(CampaignSpec.self, id: seeded.campaign.id, accountID: accountID) == seeded.campaign)
            #expect(try await directory.list(BuyerSpec.self, accountID: accountID).count == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func aGoodEditSavesCreatesAndARefusedDeleteShowsWhy(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let directory = ExchangeDirectory(database: services.database)
            let accountID = account.account.id
            let seeded = try await Seeded.make(directory, accountID: accountID)
            let browser = try await Browser.signIn(services, key: account.key)

            var spec = seeded.buyer.spec
            spec.name = "Acme Insurance West"
            let saved = try await browser.post(client, "/dashboard/buyers/\(seeded.buyer.id)", ["csrf": browser.csrf, "spec": DashboardExchangeController.prettyJSON(spec)])
            #expect(saved.status == .seeOther)
            #expect(saved.headers[.location] == "/dashboard/buyers/\(seeded.buyer.id)?saved=1")
            #expect(try await directory.get(BuyerSpec.self, id: seeded.buyer.id, accountID: accountID)?.spec == spec)

            let created = try await browser.post(client, "/dashboard/publishers", ["csrf": browser.csrf, "spec": PublisherSpec.example(firstIDs: [:])])
            #expect(created.status == .seeOther)
            #expect(try await directory.list(PublisherSpec.self, accountID: accountID).map(\.spec.name).sorted() == ["AdWise Media", "New publisher"])

            // The target's buyer is named by the target: refused with the target named.
            let refused = try await browser.post(client, "/dashboard/buyers/\(seeded.buyer.id)/delete", ["csrf": browser.csrf])
            #expect(refused.status == .conflict)
            #expect(refused.text.contains(Self.escaped("Not deleted: \(seeded.target.spec.name) (\(seeded.target.id)) still names it in buyer_id.")))
            #expect(try await directory.get(BuyerSpec.self, id: seeded.buyer.id, accountID: accountID) != nil)

            let deleted = try await browser.post(client, "/dashboard/campaigns/\(seeded.campaign.id)/delete", ["csrf": browser.csrf])
            #expect(deleted.status == .seeOther)
            #expect(try await directory.get(CampaignSpec.self, id: seeded.campaign.id, accountID: accountID) == nil)
        }
    }

    @Test(arguments: TestEngine.all)
    func aPostWithoutTheSessionsCSRFTokenIsForbidden(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup
            let directory = ExchangeDirectory(database: services.database)
            let accountID = account.account.id
            let seeded = try await Seeded.make(directory, accountID: accountID)
            let browser = try await Browser.signIn(services, key: account.key)
            let otherSession = try await Browser.signIn(services, key: account.key)
            var renamed = seeded.publisher.spec
            renamed.name = "Renamed"
            let spec = DashboardExchangeController.prettyJSON(renamed)

            // run, validate
            for token in [nil, "", "00", otherSession.csrf, String(browser.csrf.reversed()), browser.csrf.uppercased() + "0"] {
                var fields = ["spec": spec]
                fields["csrf"] = token
                for path in ["/dashboard/publishers/\(seeded.publisher.id)", "/dashboard/publishers", "/dashboard/publishers/\(seeded.publisher.id)/delete"] {
                    let response = try await browser.post(client, path, fields)
                    #expect(response.status == .forbidden, "\(path) with \(token ?? "no token")")
                }
            }
            let signedOut = try await client.execute(
                uri: "/dashboard/publishers/\(seeded.publisher.id)/delete", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "csrf=\(browser.csrf)"))
            #expect(signedOut.status == .forbidden)
            #expect(try await directory.list(PublisherSpec.self, accountID: accountID) == [seeded.publisher])
        }
    }

    @Test(arguments: TestEngine.all)
    func anotherAccountsEntityIsNotFound(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup
            let directory = ExchangeDirectory(database: services.database)
            let other = try await TestAccount.make(services.database, name: "globex")
            let theirs = try await Seeded.make(directory, accountID: other.account.id, prefix: "Globex ")
            _ = try await Seeded.make(directory, accountID: account.account.id)
            let browser = try await Browser.signIn(services, key: account.key)
            var renamed = theirs.buyer.spec
            renamed.name = "Taken over"

            // run, validate
            for path in ["/dashboard/buyers/\(theirs.buyer.id)", "/dashboard/campaigns/\(theirs.campaign.id)", "/dashboard/buyers/\(theirs.campaign.id)",
                         "/dashboard/targets/tgt_nothing", "/dashboard/calls/call_nothing"] {
                let response = try await client.execute(uri: path, method: .get, headers: browser.headers)
                #expect(response.status == .notFound, "\(path)")
                #expect(!response.text.contains("Globex"), "\(path)")
            }
            let save = try await browser.post(client, "/dashboard/buyers/\(theirs.buyer.id)", ["csrf": browser.csrf, "spec": DashboardExchangeController.prettyJSON(renamed)])
            #expect(save.status == .notFound)
            let delete = try await browser.post(client, "/dashboard/campaigns/\(theirs.campaign.id)/delete", ["csrf": browser.csrf])
            #expect(delete.status == .notFound)
            let list = try await client.execute(uri: "/dashboard/buyers", method: .get, headers: browser.headers)
            #expect(!list.text.contains("Globex"))
            #expect(try await directory.get(BuyerSpec.self, id: theirs.buyer.id, accountID: other.account.id) == theirs.buyer)
            #expect(try await directory.get(CampaignSpec.self, id: theirs.campaign.id, accountID: other.account.id) == theirs.campaign)
        }
    }

    @Test(arguments: TestEngine.all)
    func aCallShowsTheRoutingDecisionStoredUnderItsVendorID(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: a second target that the caller's state filters out
            let directory = ExchangeDirectory(database: services.database)
            let accountID = account.account.id
            let seeded = try await Seeded.make(directory, accountID: accountID)
            let filtered = try await directory.create(
                TargetSpec(name: "West only", buyerID: BuyerID(rawValue: seeded.buyer.id), destination: .sip("sip:west@example.com"),
                           filters: [try RoutingFilter(field: "caller_state", operator: "in", values: ["CA"], path: "filters[0]")]),
                accountID: accountID)
            var campaign = seeded.campaign.spec
            campaign.routing.insert(RoutingEntry(targetID: TargetID(rawValue: filtered.id), priority: 1, weight: 1), at: 0)
            _ = try await directory.replace(campaign, id: seeded.campaign.id, accountID: accountID)
            let desk = RouteDesk(database: services.database, directory: directory, places: services.pools.geo)
            var random = SeededRandom(seed: 7)
            _ = try await desk.route(
                RouteRequest(campaignID: CampaignID(rawValue: seeded.campaign.id), caller: try PhoneNumber(parsing: "+12125550123"),
                             source: .native, externalCallID: "call-1"),
                accountID: accountID, random: &random)
            let posted = try await client.execute(
                uri: "/v1/events", method: .post, headers: .bearer(account.key),
                body: .json(#"{"events": [{"idempotency_key": "k1", "external_call_id": "call-1", "caller_phone": "+12125550123", "status": "completed", "campaign_id": "\#(seeded.campaign.id)"}]}"#))
            #expect(posted.status == .ok)
            let calls = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(account.key))
            let callID = try #require(calls.value["data"]?.array?.first?["id"]?.string)
            let browser = try await Browser.signIn(services, key: account.key)

            // run
            let page = try await client.execute(uri: "/dashboard/calls/\(callID)", method: .get, headers: browser.headers)

            // validate
            #expect(page.status == .ok)
            #expect(page.text.contains("Routing decision"))
            #expect(page.text.contains(#"<span class="result skipped">filter:caller_state</span>"#))
            #expect(page.text.contains(#"<span class="result chosen">chosen</span>"#))
            #expect(page.text.contains(#"<a href="/dashboard/targets/\#(seeded.target.id)">Acme East call center</a>"#))
            let listing = try await client.execute(uri: "/dashboard", method: .get, headers: browser.headers)
            #expect(listing.text.contains(#"href="/dashboard/calls/\#(callID)""#))
            #expect(listing.text.contains(#"<a href="/dashboard/campaigns">Campaigns</a>"#))
            #expect(listing.text.contains("<td>Auto Insurance</td>"))
            #expect(listing.text.contains(#"<option value="\#(seeded.campaign.id)">Auto Insurance</option>"#))
        }
    }

    /// Text as the templates write it into HTML.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

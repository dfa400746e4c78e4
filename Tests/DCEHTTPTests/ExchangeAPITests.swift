import DCEDomain
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `/v1/campaigns`, `/v1/publishers`, `/v1/buyers`, `/v1/targets` on both engines.
@Suite struct ExchangeAPITests {
    /// The ids of a whole exchange made through the API from the fixtures.
    struct Exchange {
        let publisher: String
        let buyers: (String, String)
        let targets: (String, String)
        let campaign: String
    }

    static func post(_ client: any TestClientProtocol, _ path: String, _ body: String, key: String) async throws -> String {
        let response = try await client.execute(uri: path, method: .post, headers: .bearer(key), body: .json(body))
        try #require(response.status == .created, "\(path): \(response.text)")
        return try #require(response.value["id"]?.string)
    }

    static func build(_ client: any TestClientProtocol, key: String) async throws -> Exchange {
        let publisher = try await post(client, "/v1/publishers", ExchangeFixtures.publisher, key: key)
        let home = try await post(client, "/v1/buyers", ExchangeFixtures.homeInsuranceBuyer, key: key)
        let auto = try await post(client, "/v1/buyers", ExchangeFixtures.autoQuotesBuyer, key: key)
        let homeTarget = try await post(client, "/v1/targets", ExchangeFixtures.homeInsuranceTarget(buyer: home), key: key)
        let autoTarget = try await post(client, "/v1/targets", ExchangeFixtures.autoQuotesTarget(buyer: auto), key: key)
        let campaign = try await post(client, "/v1/campaigns", ExchangeFixtures.campaign(publisher: publisher, targets: (homeTarget, autoTarget)), key: key)
        return Exchange(publisher: publisher, buyers: (home, auto), targets: (homeTarget, autoTarget), campaign: campaign)
    }

    /// The answer's spec part, read back as the type the request wrote.
    static func spec<Spec: Decodable>(_ type: Spec.Type, _ response: TestResponse) throws -> Spec {
        try JSONDecoder().decode(Spec.self, from: Data(buffer: response.body))
    }

    static func spec<Spec: Decodable>(_ type: Spec.Type, _ text: String) throws -> Spec {
        try JSONDecoder().decode(Spec.self, from: Data(text.utf8))
    }

    /// `GET path/id` answers the entity under its id, with the spec as written.
    static func expectShown<Spec: Decodable & Equatable>(
        _ client: any TestClientProtocol, _ auth: HTTPFields, _ path: String, _ id: String, as type: Spec.Type, written: String
    ) async throws {
        let shown = try await client.execute(uri: "\(path)/\(id)", method: .get, headers: auth)
        #expect(shown.status == .ok, "\(path): \(shown.text)")
        #expect(shown.value["id"]?.string == id)
        #expect(shown.value["created_at"]?.string != nil && shown.value["updated_at"]?.string != nil)
        #expect(try spec(Spec.self, shown) == spec(Spec.self, written), "\(path) answers another spec: \(shown.text)")
    }

    @Test(arguments: TestEngine.all)
    func everyKindIsCreatedShownListedReplacedAndDeleted(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup
            let auth = HTTPFields.bearer(account.key)
            let exchange = try await Self.build(client, key: account.key)

            // run, validate: each kind answers what was written, under a server-made id
            #expect(exchange.campaign.hasPrefix("cmp_") && exchange.publisher.hasPrefix("pub_"))
            #expect(exchange.buyers.0.hasPrefix("buy_") && exchange.targets.0.hasPrefix("tgt_"))
            try await Self.expectShown(client, auth, "/v1/publishers", exchange.publisher, as: PublisherSpec.self, written: ExchangeFixtures.publisher)
            try await Self.expectShown(client, auth, "/v1/buyers", exchange.buyers.0, as: BuyerSpec.self, written: ExchangeFixtures.homeInsuranceBuyer)
            try await Self.expectShown(client, auth, "/v1/targets", exchange.targets.1, as: TargetSpec.self,
                                       written: ExchangeFixtures.autoQuotesTarget(buyer: exchange.buyers.1))
            try await Self.expectShown(client, auth, "/v1/campaigns", exchange.campaign, as: CampaignSpec.self,
                                       written: ExchangeFixtures.campaign(publisher: exchange.publisher, targets: exchange.targets))

            let buyers = try await client.execute(uri: "/v1/buyers", method: .get, headers: auth)
            #expect(buyers.status == .ok)
            let listed = buyers.value["data"]?.array?.compactMap { $0["name"]?.string }
            #expect(listed == ["Acme Home Insurance", "Best Auto Quotes"])

            // PUT replaces the whole spec: what it leaves out takes its default.
            let renamed = #"{"name": "Acme Home Insurance (East)", "conversion": {"min_seconds": 60, "revenue": "50.00"}}"#
            let replaced = try await client.execute(uri: "/v1/buyers/\(exchange.buyers.0)", method: .put, headers: auth, body: .json(renamed))
            #expect(replaced.status == .ok, "\(replaced.text)")
            #expect(try Self.spec(BuyerSpec.self, replaced) == Self.spec(BuyerSpec.self, renamed))
            #expect(replaced.value["id"]?.string == exchange.buyers.0)
            let campaignRenamed = ExchangeFixtures.campaign(publisher: exchange.publisher, targets: exchange.targets, name: "Home Insurance (all vendors)")
            let campaign = try await client.execute(uri: "/v1/campaigns/\(exchange.campaign)", method: .put, headers: auth, body: .json(campaignRenamed))
            #expect(campaign.status == .ok, "\(campaign.text)")
            #expect(campaign.value["name"] == "Home Insurance (all vendors)")

            // Deleted in the order nothing is left in use; then each is gone.
            let order = [("/v1/campaigns", exchange.campaign), ("/v1/targets", exchange.targets.0), ("/v1/targets", exchange.targets.1),
                         ("/v1/buyers", exchange.buyers.0), ("/v1/buyers", exchange.buyers.1), ("/v1/publishers", exchange.publisher)]
            for (path, id) in order {
                let deleted = try await client.execute(uri: "\(path)/\(id)", method: .delete, headers: auth)
                #expect(deleted.status == .noContent, "\(path)/\(id): \(deleted.text)")
                let gone = try await client.execute(uri: "\(path)/\(id)", method: .get, headers: auth)
                #expect(gone.status == .notFound)
                #expect(gone.errorCode == "not_found")
            }
            for path in ["/v1/campaigns", "/v1/publishers", "/v1/buyers", "/v1/targets"] {
                let empty = try await client.execute(uri: path, method: .get, headers: auth)
                #expect(empty.value["data"] == [], "\(path): \(empty.text)")
            }
        }
    }

    @Test(arguments: TestEngine.all)
    func badSpecsAre400sNamingTheField(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup
            let auth = HTTPFields.bearer(account.key)
            let exchange = try await Self.build(client, key: account.key)
            let buyer = exchange.buyers.0
            let target = exchange.targets.0

            let cases: [(path: String, body: String, field: String)] = [
                ("/v1/campaigns", #"{"name": "c", "routing": [{"target_id": "\#(target)"}, {"target_id": "tgt_00000000000000000000"}]}"#, "routing[1].target_id"),
                ("/v1/campaigns", #"{"name": "c", "default_publisher_id": "pub_00000000000000000000"}"#, "default_publisher_id"),
                ("/v1/targets", #"{"name": "t", "buyer_id": "buy_00000000000000000000", "destination": "+18005550102"}"#, "buyer_id"),
                ("/v1/targets", #"""
                 {"name": "t", "buyer_id": "\#(buyer)", "destination": "+18005550102",
                  "hours": [{"weekday": "monday", "opens": "09:00", "closes": "17:00"}, {"weekday": "monday", "opens": "16:00", "closes": "20:00"}]}
                 """#, "hours[1]"),
                ("/v1/targets", #"""
                 {"name": "t", "buyer_id": "\#(buyer)", "destination": "+18005550102",
                  "hours": [{"weekday": "sunday", "opens": "22:00", "closes": "03:00"}, {"weekday": "monday", "opens": "02:00", "closes": "10:00"}]}
                 """#, "hours[1]"),
                ("/v1/campaigns", #"{"name": "c", "routing": [{"target_id": "\#(target)", "weight": 0}, {"target_id": "\#(exchange.targets.1)", "weight": 0}]}"#,
                 "routing[0].weight"),
                ("/v1/targets", #"""
                 {"name": "t", "buyer_id": "\#(buyer)", "destination": "+18005550102", "filters": [{"field": "caller_state", "operator": "like", "values": ["N%"]}]}
                 """#, "filters[0].operator"),
                ("/v1/buyers", #"{"name": "b", "conversion": {"min_seconds": 90, "revenue": "10.00"}, "caps": {"limits": [{"metric": "routed", "period": "day", "limit": -1}]}}"#,
                 "caps.limits[0].limit"),
                ("/v1/targets", #"{"name": "t", "buyer_id": "\#(buyer)", "destination": "+18005550102", "caps": {"limits": [], "concurrency": -2}}"#, "caps.concurrency"),
                ("/v1/buyers", #"{"name": "b", "time_zone": "America/Nowhere", "conversion": {"min_seconds": 90, "revenue": "10.00"}}"#, "time_zone"),
                ("/v1/targets", #"{"name": "t", "buyer_id": "\#(buyer)", "destination": "+18005550102", "time_zone": "EST5EDT-ish"}"#, "time_zone"),
                ("/v1/publishers", #"{"name": "Lead\u0000Gen", "payout": {"min_seconds": 0, "fixed": "1.00"}}"#, "name"),
                ("/v1/publishers", #"{"name": "p", "payout": {"min_seconds": 0, "fixed": "1.00"}, "external_ids": {"retreaver": ["a\u0000"]}}"#, "external_ids.retreaver[0]"),
                ("/v1/publishers", #"{"name": "p", "payout": {"min_seconds": 0, "revenue_share_percent": 140}}"#, "payout.revenue_share_percent"),
                ("/v1/publishers", #"{"payout": {"min_seconds": 0, "fixed": "1.00"}}"#, "name"),
                ("/v1/targets", #"{"name": "t", "buyer_id": "\#(buyer)", "destination": "call me"}"#, "destination"),
                ("/v1/campaigns", #"{"name": "c", "routing": [{"target_id": "\#(target)", "ring_group": ""}]}"#, "routing[0].ring_group"),
            ]
            for entry in cases {
                let response = try await client.execute(uri: entry.path, method: .post, headers: auth, body: .json(entry.body))
                #expect(response.status == .badRequest, "\(entry.body): \(response.text)")
                #expect(response.errorField == entry.field, "\(entry.body): \(response.text)")
            }

            // A replacement is checked the same way, and a refused one changes nothing.
            let overlapping = #"{"name": "c", "routing": [{"target_id": "\#(target)", "weight": 0}]}"#
            let refused = try await client.execute(uri: "/v1/campaigns/\(exchange.campaign)", method: .put, headers: auth, body: .json(overlapping))
            #expect(refused.status == .badRequest)
            #expect(refused.errorField == "routing[0].weight")
            let kept = try await client.execute(uri: "/v1/campaigns/\(exchange.campaign)", method: .get, headers: auth)
            #expect(kept.value["name"] == "Home Insurance (Retreaver)")

            let malformed = try await client.execute(uri: "/v1/buyers", method: .post, headers: auth, body: .json("{\"name\": "))
            #expect(malformed.status == .badRequest)
            #expect(malformed.errorCode == "malformed_json")
        }
    }

    @Test(arguments: TestEngine.all)
    func anotherAccountsEntitiesAreNotFound(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup
            let exchange = try await Self.build(client, key: account.key)
            let other = try await TestAccount.make(services.database, name: "globex")
            let auth = HTTPFields.bearer(other.key)

            // run, validate
            let entities = [("/v1/campaigns", exchange.campaign), ("/v1/publishers", exchange.publisher),
                            ("/v1/buyers", exchange.buyers.0), ("/v1/targets", exchange.targets.0)]
            for (path, id) in entities {
                let shown = try await client.execute(uri: "\(path)/\(id)", method: .get, headers: auth)
                #expect(shown.status == .notFound, "\(path)")
                let deleted = try await client.execute(uri: "\(path)/\(id)", method: .delete, headers: auth)
                #expect(deleted.status == .notFound, "\(path)")
                let listed = try await client.execute(uri: path, method: .get, headers: auth)
                #expect(listed.value["data"] == [], "\(path)")
            }
            let replaced = try await client.execute(uri: "/v1/publishers/\(exchange.publisher)", method: .put, headers: auth,
                                                    body: .json(ExchangeFixtures.publisher))
            #expect(replaced.status == .notFound)
            // Its buyer cannot be borrowed either: another account's id is unknown here.
            let borrowed = try await client.execute(uri: "/v1/targets", method: .post, headers: auth,
                                                    body: .json(ExchangeFixtures.homeInsuranceTarget(buyer: exchange.buyers.0)))
            #expect(borrowed.status == .badRequest)
            #expect(borrowed.errorField == "buyer_id")
            // Ids of the wrong kind, or not ids at all, name nothing.
            for uri in ["/v1/buyers/\(exchange.targets.0)", "/v1/targets/nothing", "/v1/campaigns/cmp_%00"] {
                let response = try await client.execute(uri: uri, method: .get, headers: .bearer(account.key))
                #expect(response.status == .notFound, "\(uri)")
            }
            // The owner still sees everything.
            let owner = try await client.execute(uri: "/v1/campaigns/\(exchange.campaign)", method: .get, headers: .bearer(account.key))
            #expect(owner.status == .ok)
        }
    }

    @Test(arguments: TestEngine.all)
    func deletingWhatIsInUseIs409NamingTheUser(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup
            let auth = HTTPFields.bearer(account.key)
            let exchange = try await Self.build(client, key: account.key)

            // run, validate: the buyer's target uses it, the campaign uses the target and the publisher
            let buyer = try await client.execute(uri: "/v1/buyers/\(exchange.buyers.0)", method: .delete, headers: auth)
            #expect(buyer.status == .conflict, "\(buyer.text)")
            #expect(buyer.errorCode == "in_use")
            #expect(buyer.text.contains(exchange.targets.0))
            let target = try await client.execute(uri: "/v1/targets/\(exchange.targets.1)", method: .delete, headers: auth)
            #expect(target.status == .conflict)
            #expect(target.text.contains(exchange.campaign))
            let publisher = try await client.execute(uri: "/v1/publishers/\(exchange.publisher)", method: .delete, headers: auth)
            #expect(publisher.status == .conflict)
            let still = try await client.execute(uri: "/v1/buyers/\(exchange.buyers.0)", method: .get, headers: auth)
            #expect(still.status == .ok)

            // A number already in one campaign cannot join another.
            let second = ExchangeFixtures.campaign(publisher: exchange.publisher, targets: exchange.targets, name: "Second")
            let clash = try await client.execute(uri: "/v1/campaigns", method: .post, headers: auth, body: .json(second))
            #expect(clash.status == .conflict, "\(clash.text)")
            #expect(clash.errorCode == "conflict")
        }
    }

    @Test(arguments: [TestEngine.sqlite])
    func everyRouteNeedsAnAPIKey(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, _ in
            for kind in ["campaigns", "publishers", "buyers", "targets"] {
                let requests: [(String, HTTPRequest.Method)] = [("/v1/\(kind)", .get), ("/v1/\(kind)", .post),
                                                                ("/v1/\(kind)/x", .get), ("/v1/\(kind)/x", .put), ("/v1/\(kind)/x", .delete)]
                for (uri, method) in requests {
                    let response = try await client.execute(uri: uri, method: method, headers: .json, body: .json("{}"))
                    #expect(response.status == .unauthorized, "\(method) \(uri)")
                }
                let wrongKey = try await client.execute(uri: "/v1/\(kind)", method: .get, headers: .bearer("dce_live_notakey"))
                #expect(wrongKey.status == .unauthorized)
            }
        }
    }
}

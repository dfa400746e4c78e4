import DCEDomain
import DCEHTTP
import DCEJSON
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `POST /v1/route` and `GET /v1/routes/{id}`, on an exchange set up through the directory.
@Suite struct RouteAPITests {
    struct Setup {
        let campaign: String
        let capped: String
        let backup: String
        let buyer: String
        let publisher: String
    }

    /// A campaign with a number of a publisher's, a target capped at one call a day and a backup.
    static func setUp(_ services: AppServices, account: AccountID) async throws -> Setup {
        let directory = ExchangeDirectory(database: services.database)
        let publisher = try await directory.create(
            PublisherSpec(name: "Affiliate", payout: PayoutRule(minimumSeconds: 60, amount: .fixed(Money(cents: 1_000)))), accountID: account)
        let buyer = try await directory.create(
            BuyerSpec(name: "Acme", conversion: ConversionRule(minimumSeconds: 90, revenue: Money(cents: 4_000))), accountID: account)
        let capped = try await directory.create(
            TargetSpec(name: "East", buyerID: BuyerID(rawValue: buyer.id), destination: .number(try PhoneNumber(parsing: "+12125550101")),
                       filters: [], caps: Caps([CapLimit(.routed, per: .day, limit: 1)]), ringTimeoutSeconds: 20),
            accountID: account)
        let backup = try await directory.create(
            TargetSpec(name: "West", buyerID: BuyerID(rawValue: buyer.id), destination: .sip("sip:west@pbx.example.com")), accountID: account)
        let campaign = try await directory.create(
            CampaignSpec(
                name: "Solar",
                numbers: [CampaignNumber(number: try PhoneNumber(parsing: "+18005550100"), publisherID: PublisherID(rawValue: publisher.id))],
                routing: [RoutingEntry(targetID: TargetID(rawValue: capped.id), priority: 1),
                          RoutingEntry(targetID: TargetID(rawValue: backup.id), priority: 2)],
                fallback: .voicemail),
            accountID: account)
        return Setup(campaign: campaign.id, capped: capped.id, backup: backup.id, buyer: buyer.id, publisher: publisher.id)
    }

    @Test(arguments: TestEngine.all)
    func aCampaignsRingGroupRingsTogetherAndTheAnswerNamesIt(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let setup = try await Self.setUp(services, account: account.account.id)
            let auth = HTTPFields.bearer(account.key)
            let created = try await client.execute(uri: "/v1/campaigns", method: .post, headers: auth, body: .json("""
                {"name": "Floor", "routing": [{"target_id": "\(setup.capped)", "ring_group": "floor"}, {"target_id": "\(setup.backup)", "ring_group": "floor"}]}
                """))
            #expect(created.status == .created, "\(created.text)")
            #expect(created.value["routing"]?.array?.map { $0["ring_group"] } == ["floor", "floor"])
            let campaign = try #require(created.value["id"]?.string)

            let routed = try await client.execute(uri: "/v1/route", method: .post, headers: auth, body: .json("""
                {"campaign_id": "\(campaign)", "caller": "+14155550100"}
                """))

            #expect(routed.status == .ok)
            #expect(Set(routed.value["ringing"]?.array?.compactMap { $0["id"]?.string } ?? []) == [setup.capped, setup.backup], "both, in the order drawn")
            #expect(routed.value["ringing"]?.array?.map { $0["ring_group"] } == ["floor", "floor"])
        }
    }

    @Test(arguments: TestEngine.all)
    func routesACallAndAnswersTheTargetAndTheReasons(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let setup = try await Self.setUp(services, account: account.account.id)
            let auth = HTTPFields.bearer(account.key)
            let first = try await client.execute(uri: "/v1/route", method: .post, headers: auth, body: .json("""
                {"campaign_id": "\(setup.campaign)", "caller": "(415) 555-0100", "dialed": "+18005550100", "tags": {"utm_source": "google"}, "call_id": "CA1"}
                """))
            #expect(first.status == .ok)
            let target: JSONValue = [
                "id": .string(setup.capped), "buyer_id": .string(setup.buyer), "destination": "+12125550101", "ring_timeout_seconds": 20,
            ]
            // publisher_id: the dialled number's publisher
            #expect(first.value.removing("route_id", "considered") == [
                "campaign_id": .string(setup.campaign), "publisher_id": .string(setup.publisher),
                "target": target, "ringing": [target], "fallback": nil, "duplicate": false,
            ])

            // Without campaign_id: the campaign of the dialled number. The capped target is skipped.
            let second = try await client.execute(uri: "/v1/route", method: .post, headers: auth, body: .json("""
                {"caller": "+14155550111", "dialed": "1-800-555-0100"}
                """))
            #expect(second.status == .ok)
            #expect(second.value["campaign_id"]?.string == setup.campaign)
            #expect(second.value["target"]?["destination"] == "sip:west@pbx.example.com")
            #expect(second.value["considered"] == [
                ["target_id": .string(setup.capped), "buyer_id": .string(setup.buyer), "reason": "cap_daily", "held_by": "target"],
                ["target_id": .string(setup.backup), "buyer_id": .string(setup.buyer), "reason": nil],
            ])

            // The same call id answers the stored decision; GET reads it back.
            let again = try await client.execute(uri: "/v1/route", method: .post, headers: auth, body: .json("""
                {"campaign_id": "\(setup.campaign)", "caller": "+14155550100", "call_id": "CA1"}
                """))
            #expect(again.value["route_id"] == first.value["route_id"])
            let routeID = try #require(first.value["route_id"]?.string)
            let shown = try await client.execute(uri: "/v1/routes/\(routeID)", method: .get, headers: auth)
            #expect(shown.status == .ok)
            #expect(shown.value == first.value)
            let missing = try await client.execute(uri: "/v1/routes/rte_nothing", method: .get, headers: auth)
            #expect(missing.status == .notFound)
        }
    }

    @Test(arguments: TestEngine.all)
    func noEligibleTargetAnswersTheFallbackWithItsReason(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let setup = try await Self.setUp(services, account: account.account.id)
            let directory = ExchangeDirectory(database: services.database)
            var spec = try #require(try await directory.get(CampaignSpec.self, id: setup.campaign, accountID: account.account.id)).spec
            spec.routing = [RoutingEntry(targetID: TargetID(rawValue: setup.capped))]
            _ = try await directory.replace(spec, id: setup.campaign, accountID: account.account.id)
            let auth = HTTPFields.bearer(account.key)
            _ = try await client.execute(uri: "/v1/route", method: .post, headers: auth, body: .json(#"{"campaign_id": "\#(setup.campaign)"}"#))
            let refused = try await client.execute(uri: "/v1/route", method: .post, headers: auth, body: .json(#"{"campaign_id": "\#(setup.campaign)"}"#))
            #expect(refused.status == .ok)
            #expect(refused.value["target"] == .null)
            #expect(refused.value["ringing"] == [])
            #expect(refused.value["fallback"] == ["action": "voicemail", "reason": "no_eligible_target"])
        }
    }

    @Test(arguments: TestEngine.all)
    func badInputIsA400NamingTheField(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let setup = try await Self.setUp(services, account: account.account.id)
            let other = try await TestAccount.make(services.database, name: "other")
            let auth = HTTPFields.bearer(account.key)
            let cases: [(String, String)] = [
                (#"{"campaign_id": "\#(setup.campaign)", "caller": "not a number"}"#, "caller"),
                (#"{"campaign_id": "\#(setup.campaign)", "dialed": "12"}"#, "dialed"),
                (#"{"campaign_id": "cmp_unknown"}"#, "campaign_id"),
                (#"{"campaign_id": "tgt_wrongkind"}"#, "campaign_id"),
                (#"{"caller": "+14155550100"}"#, "campaign_id"),
                (#"{"dialed": "+18885550123"}"#, "dialed"),
                (#"{"campaign_id": "\#(setup.campaign)", "tags": {"a": 5}}"#, "tags.a"),
                (#"{"campaign_id": "\#(setup.campaign)", "call_id": ""}"#, "call_id"),
                (#"{"campaign_id": "\#(setup.campaign)", "call_id": "\#(String(repeating: "x", count: 129))"}"#, "call_id"),
                (#"{"campaign_id": 7}"#, "campaign_id"),
            ]
            for (body, field) in cases {
                let response = try await client.execute(uri: "/v1/route", method: .post, headers: auth, body: .json(body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.errorField == field, "\(body)")
            }
            // Another account's campaign, by id or by its number, is not this account's to route.
            let foreign = HTTPFields.bearer(other.key)
            let byID = try await client.execute(uri: "/v1/route", method: .post, headers: foreign, body: .json(#"{"campaign_id": "\#(setup.campaign)"}"#))
            #expect(byID.status == .badRequest)
            #expect(byID.errorField == "campaign_id")
            let byNumber = try await client.execute(uri: "/v1/route", method: .post, headers: foreign, body: .json(#"{"dialed": "+18005550100"}"#))
            #expect(byNumber.errorField == "dialed")
            let malformed = try await client.execute(uri: "/v1/route", method: .post, headers: auth, body: .json("{"))
            #expect(malformed.status == .badRequest)
            let anonymous = try await client.execute(uri: "/v1/route", method: .post, headers: .json, body: .json("{}"))
            #expect(anonymous.status == .unauthorized)
        }
    }
}

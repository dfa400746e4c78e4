import DCEJSON
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Calls one campaign gets through Ringba and through Retreaver land under the dce campaign
/// whose vendor ids they carry, and each shows the vendor's figures beside dce's, the
/// campaign's `figures` choosing which count. The deliveries are the vendor tests' fixtures
/// (Tests/DCEVendorsTests/Fixtures): Ringba's pixel and conversion webhooks as seed 000
/// describes them (query strings with `campaign_id`, `publisher_id`, `call_revenue`,
/// `sale_successful`), Retreaver's `start` and `always` stages (seed 002's webhook stages),
/// and a page of calls as Retreaver's API reference lists them ("Calls", V2, with `revenue`
/// and `payout`).
@Suite struct VendorCallsInTheExchangeTests {
    struct Exchange {
        let campaign: String
        let publisher: String
        let buyer: String
        let target: String
    }

    /// The campaign is Ringba's `camp_123` and Retreaver's `123` and `9872`; its publisher is
    /// Ringba's `pub_456` and Retreaver's `aff-77`; its target is Ringba's `TA48aa0c` and
    /// Retreaver's `tgt-9` and `27449`. The buyer pays 40.00 after 90 s, the publisher earns
    /// 10.00 after 60 s.
    static func exchange(_ client: any TestClientProtocol, key: String, figures: String) async throws -> Exchange {
        let publisher = try await ExchangeAPITests.post(client, "/v1/publishers", #"""
            {"name": "Lead Gen Partners", "payout": {"min_seconds": 60, "fixed": "10.00"},
             "external_ids": {"ringba": ["pub_456"], "retreaver": ["aff-77"]}}
            """#, key: key)
        let buyer = try await ExchangeAPITests.post(client, "/v1/buyers", #"""
            {"name": "Acme Home Insurance", "conversion": {"min_seconds": 90, "revenue": "40.00"}}
            """#, key: key)
        let target = try await ExchangeAPITests.post(client, "/v1/targets", #"""
            {"name": "Acme call centre", "buyer_id": "\#(buyer)", "destination": "+18005550101",
             "external_ids": {"ringba": ["TA48aa0c"], "retreaver": ["tgt-9", "27449"]}}
            """#, key: key)
        let campaign = try await ExchangeAPITests.post(client, "/v1/campaigns", #"""
            {"name": "Home Insurance", "default_publisher_id": "\#(publisher)", "figures": "\#(figures)",
             "routing": [{"target_id": "\#(target)"}],
             "external_ids": {"ringba": ["camp_123"], "retreaver": ["123", "9872"]}}
            """#, key: key)
        return Exchange(campaign: campaign, publisher: publisher, buyer: buyer, target: target)
    }

    static func fixture(_ name: String) throws -> String {
        try ListedCallsWebhookTests.fixture(name)
    }

    /// Ringba's call `RGB-5f1c2e`: incoming (with the target token the account added to its
    /// pixel URL), completed after 180 s, converted at 45.50.
    static func ringbaCall(_ client: any TestClientProtocol, key: String) async throws -> String {
        let ringba = try await TestIntegration.create(client, key: key, vendor: "ringba")
        var callID: String?
        for query in [try fixture("ringba-pixel-incoming.query") + "&target_id=TA48aa0c",
                      try fixture("ringba-pixel-completed.query"), try fixture("ringba-conversion.query")] {
            let response = try await client.execute(uri: ringba.path(query.trimmingCharacters(in: .whitespacesAndNewlines)), method: .get)
            try #require(response.status == .ok, "\(response.text)")
            callID = response.value["results"]?.array?.first?["call_id"]?.string
        }
        return try #require(callID)
    }

    static func shown(_ client: any TestClientProtocol, key: String, id: String) async throws -> JSONValue {
        let response = try await client.execute(uri: "/v1/calls/\(id)", method: .get, headers: .bearer(key))
        try #require(response.status == .ok, "\(response.text)")
        return response.value
    }

    @Test(arguments: TestEngine.all)
    func aRingbaCallAndARetreaverCallOfOneCampaignLandUnderTheOneDceCampaign(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup
            let exchange = try await Self.exchange(client, key: account.key, figures: "dce")
            let retreaver = try await TestIntegration.create(client, key: account.key, vendor: "retreaver")

            // run
            let ringbaCallID = try await Self.ringbaCall(client, key: account.key)
            let started = try await client.execute(
                uri: retreaver.path("stage=start"), method: .post, headers: .form, body: .json(try Self.fixture("retreaver-start.form").trimmingCharacters(in: .whitespacesAndNewlines)))
            let ended = try await client.execute(
                uri: retreaver.path("stage=always"), method: .post, headers: .json, body: .json(try Self.fixture("retreaver-always.json")))
            try #require(started.status == .ok && ended.status == .ok, "\(started.text) \(ended.text)")
            let retreaverCallID = try #require(ended.value["dce_call_id"]?.string)

            // validate: both calls list under the campaign, and each names its dce entities
            let listed = try await client.execute(uri: "/v1/calls?campaign_id=\(exchange.campaign)", method: .get, headers: .bearer(account.key))
            let ids = Set((listed.value["data"]?.array ?? []).compactMap { $0["id"]?.string })
            #expect(ids == [ringbaCallID, retreaverCallID])
            for (id, source, vendorCampaign) in [(ringbaCallID, "ringba", "camp_123"), (retreaverCallID, "retreaver", "123")] {
                let call = try await Self.shown(client, key: account.key, id: id)
                #expect(call["source"]?.string == source)
                #expect(call["campaign_id"]?.string == vendorCampaign, "the call keeps the vendor's own id")
                let view = try #require(call["exchange"])
                #expect(view["campaign"]?["id"]?.string == exchange.campaign, "\(source)")
                #expect(view["campaign"]?["name"] == "Home Insurance")
                #expect(view["publisher"]?["id"]?.string == exchange.publisher, "\(source)")
                #expect(view["target"]?["id"]?.string == exchange.target, "\(source)")
                #expect(view["buyer"]?["id"]?.string == exchange.buyer, "\(source)")
                #expect(view["rules"] == "at_call_time")
            }
        }
    }

    @Test(arguments: TestEngine.all, ["dce", "vendor"])
    func ringbasRevenueAndRetreaversRevenueAndPayoutShowBesideDcesAndTheCampaignChoosesWhichCount(engine: TestEngine, counted: String) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup
            _ = try await Self.exchange(client, key: account.key, figures: counted)
            let retreaver = try await TestIntegration.create(client, key: account.key, vendor: "retreaver")

            // run
            let ringbaCallID = try await Self.ringbaCall(client, key: account.key)
            let page = try await client.execute(
                uri: retreaver.path(""), method: .post, headers: .json, body: .json(try Self.fixture("retreaver-api-v2-calls.json")))
            try #require(page.status == .ok, "\(page.text)")
            let listed = try await client.execute(uri: "/v1/calls?limit=50", method: .get, headers: .bearer(account.key))
            let retreaverCall = (listed.value["data"]?.array ?? []).first { $0["external_call_id"] == "f1abfb78-ab8a-4146-9946-8169fbcc6d6c" }
            let retreaverCallID = try #require(retreaverCall?["id"]?.string, "\(listed.text)")

            // validate: Ringba reported 45.50 for a call dce's rule prices at 40.00 (180 s ≥ 90 s), paying the publisher 10.00
            let ringba = try #require(try await Self.shown(client, key: account.key, id: ringbaCallID)["exchange"]?["figures"])
            #expect(ringba["dce"]?["revenue"] == "40.00")
            #expect(ringba["dce"]?["conversion_rule"] == "connected 180 s ≥ 90 s")
            #expect(ringba["dce"]?["payout"] == "10.00")
            #expect(ringba["vendor"]?["revenue"] == "45.50")
            #expect(ringba["vendor"]?["converted"] == true)
            #expect(ringba["vendor"]?["conversion_rule"] == "reported by the vendor")
            #expect(ringba["counted"]?.string == counted)
            #expect(ringba["revenue"]?.string == (counted == "vendor" ? "45.50" : "40.00"))
            #expect(ringba["payout"]?.string == (counted == "vendor" ? "0.00" : "10.00"))
            #expect(ringba["profit"]?.string == (counted == "vendor" ? "45.50" : "30.00"))

            // Retreaver reported 5.00 revenue and 5.00 payout for a 14 s call dce's rules do not price
            let shownRetreaver = try await Self.shown(client, key: account.key, id: retreaverCallID)
            let reported = try #require(shownRetreaver["exchange"]?["figures"], "\(shownRetreaver.text)")
            #expect(reported["dce"]?["revenue"] == "0.00")
            #expect(reported["dce"]?["converted"] == false)
            #expect(reported["dce"]?["payout"] == "0.00")
            #expect(reported["vendor"]?["revenue"] == "5.00")
            #expect(reported["vendor"]?["payout"] == "5.00")
            #expect(reported["vendor"]?["payable"] == true)
            #expect(reported["counted"]?.string == counted)
            #expect(reported["revenue"]?.string == (counted == "vendor" ? "5.00" : "0.00"))
            #expect(reported["payout"]?.string == (counted == "vendor" ? "5.00" : "0.00"))
        }
    }
}

import DCEDomain
import DCEHTTP
import DCEJSON
import DCEStorage
import DCETestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A call shows what the exchange made of it: its campaign, publisher, buyer and target by
/// name, the routing decision, and its money with the rule behind each figure, priced
/// again whenever its events change and by the rules of the moment it was routed.
@Suite struct CallExchangeViewTests {
    static func event(key: String, call: String, _ fields: String) -> String {
        #"{"idempotency_key": "\#(key)", "external_call_id": "\#(call)", \#(fields)}"#
    }

    /// The figures of a call that dce's own figures count (no vendor figures, no cost, not a
    /// duplicate): dce's figures, the same ones as those that count, and the profit.
    static func countedByDCE(_ dce: JSONValue, profit: JSONValue) -> JSONValue {
        guard case .object(var figures) = dce.removing("conversion_rule", "payout_rule") else { return dce }
        figures.merge(["counted": "dce", "cost": "0.00", "profit": profit, "duplicate": false, "dce": dce]) { _, new in new }
        return .object(figures)
    }

    static let novemberFirst = Timestamp(millisecondsSince1970: 1_793_491_200_000)  // 2026-11-01T00:00:00Z

    /// The buyer Acme, paying 40.00 after 90 s, and its target East, set up on 1 November 2026.
    static func acmeEast(_ directory: ExchangeDirectory, _ accountID: AccountID) async throws
        -> (buyer: ExchangeEntity<BuyerSpec>, target: ExchangeEntity<TargetSpec>) {
        let buyer = try await directory.create(
            BuyerSpec(name: "Acme", conversion: ConversionRule(minimumSeconds: 90, revenue: Money(cents: 4_000))), accountID: accountID, now: novemberFirst)
        let target = try await directory.create(
            TargetSpec(name: "East", buyerID: BuyerID(rawValue: buyer.id), destination: .number(try PhoneNumber(parsing: "+12125550101"))),
            accountID: accountID, now: novemberFirst)
        return (buyer, target)
    }

    static func exchange(of callID: String, _ client: any TestClientProtocol, _ auth: HTTPFields) async throws -> JSONValue {
        let shown = try await client.execute(uri: "/v1/calls/\(callID)", method: .get, headers: auth)
        try #require(shown.status == .ok, "\(shown.text)")
        return try #require(shown.value["exchange"])
    }

    @Test(arguments: TestEngine.all)
    func aRoutedCallIsPricedByTheRulesOfItsRouteAndAgainOnALateDuration(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: the route API's exchange (buyer pays 40.00 after 90 s, publisher earns 10.00 after 60 s)
            let setup = try await RouteAPITests.setUp(services, account: account.account.id)
            let auth = HTTPFields.bearer(account.key)
            let routed = try await client.execute(uri: "/v1/route", method: .post, headers: auth, body: .json("""
                {"campaign_id": "\(setup.campaign)", "caller": "+14155550100", "dialed": "+18005550100", "call_id": "plat-1"}
                """))
            try #require(routed.status == .ok, "\(routed.text)")

            // run: the platform reports the call as ours, completed after 95 s
            let posted = try await client.execute(uri: "/v1/events", method: .post, headers: auth, body: .json(Self.event(key: "e1", call: "plat-1", """
                "caller_phone": "+14155550100", "status": "completed", "duration_seconds": 95, "target_id": "\(setup.capped)"
                """)))
            let callID = try #require(posted.value["call_id"]?.string)

            // validate
            var exchange = try await Self.exchange(of: callID, client, auth)
            #expect(exchange.removing("route", "figures") == [
                "campaign": ["id": .string(setup.campaign), "name": "Solar"],
                "target": ["id": .string(setup.capped), "name": "East"],
                "buyer": ["id": .string(setup.buyer), "name": "Acme"],
                "publisher": ["id": .string(setup.publisher), "name": "Affiliate"],
                "rules": "route",
            ])
            #expect(exchange["route"]?["route_id"] == routed.value["route_id"])
            #expect(exchange["figures"] == Self.countedByDCE([
                "converted": true, "revenue": "40.00", "payable": true, "payout": "10.00",
                "conversion_rule": "connected 95 s ≥ 90 s", "payout_rule": "connected 95 s ≥ 60 s, fixed 10.00",
            ], profit: "30.00"))

            // An operator raises the buyer's price: the call keeps the rules of its route.
            let buyer = try #require(try await services.exchange.get(BuyerSpec.self, id: setup.buyer, accountID: account.account.id))
            var raised = buyer.spec
            raised.conversion.revenue = Money(cents: 9_900)
            _ = try await services.exchange.replace(raised, id: setup.buyer, accountID: account.account.id)

            // A corrected duration arrives later: the call is priced again.
            _ = try await client.execute(uri: "/v1/events", method: .post, headers: auth, body: .json(Self.event(key: "e2", call: "plat-1", """
                "status": "completed", "duration_seconds": 70, "call_ended_at": "2026-12-01T10:05:00Z"
                """)))
            exchange = try await Self.exchange(of: callID, client, auth)
            #expect(exchange["figures"] == Self.countedByDCE([
                "converted": false, "revenue": "0.00", "payable": true, "payout": "10.00",
                "conversion_rule": "connected 70 s < 90 s", "payout_rule": "connected 70 s ≥ 60 s, fixed 10.00",
            ], profit: "-10.00"))
        }
    }

    @Test(arguments: TestEngine.all)
    func aVendorsCampaignIDResolvesToTheCampaignAndListsUnderIt(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: the campaign is known to a platform as "legacy-7"
            let setup = try await RouteAPITests.setUp(services, account: account.account.id)
            let auth = HTTPFields.bearer(account.key)
            let campaign = try #require(try await services.exchange.get(CampaignSpec.self, id: setup.campaign, accountID: account.account.id))
            var spec = campaign.spec
            spec.externalIDs = ExternalIDs(["native": ["legacy-7"]])
            _ = try await services.exchange.replace(spec, id: setup.campaign, accountID: account.account.id)

            // run: two calls reported under the platform's id and under dce's, one under another campaign
            for (key, campaignID) in [("a", "legacy-7"), ("b", setup.campaign), ("c", "someone-else")] {
                let posted = try await client.execute(uri: "/v1/events", method: .post, headers: auth, body: .json(Self.event(key: key, call: "call-\(key)", """
                    "caller_phone": "+1415555010\(key == "a" ? 1 : key == "b" ? 2 : 3)", "status": "completed", "duration_seconds": 30, "campaign_id": "\(campaignID)"
                    """)))
                try #require(posted.status == .ok, "\(posted.text)")
            }

            // validate
            let listed = try await client.execute(uri: "/v1/calls?campaign_id=\(setup.campaign)", method: .get, headers: auth)
            let ids = listed.value["data"]?.array?.compactMap { $0["external_call_id"]?.string }.sorted()
            #expect(ids == ["call-a", "call-b"])
            let first = try #require(listed.value["data"]?[0]?["id"]?.string)
            let exchange = try await Self.exchange(of: first, client, auth)
            #expect(exchange["campaign"]?["id"]?.string == setup.campaign)
            #expect(exchange["rules"] == "at_call_time")
        }
    }

    @Test(arguments: TestEngine.all)
    func aCallDceDidNotRouteIsPricedByTheRulesOfItsTime(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: set up on 1 November, the buyer paying 40.00 after 90 s; on 10 November it asks 120 s for 55.00
            let accountID = account.account.id
            let auth = HTTPFields.bearer(account.key)
            let directory = services.exchange
            let setUpAt = Self.novemberFirst
            let editedAt = Timestamp(millisecondsSince1970: 1_794_268_800_000)  // 2026-11-10T00:00:00Z
            let (buyer, target) = try await Self.acmeEast(directory, accountID)
            let campaign = try await directory.create(
                CampaignSpec(name: "Solar", routing: [RoutingEntry(targetID: TargetID(rawValue: target.id))]), accountID: accountID, now: setUpAt)
            var edited = buyer.spec
            edited.conversion = ConversionRule(minimumSeconds: 120, revenue: Money(cents: 5_500))
            _ = try await directory.replace(edited, id: buyer.id, accountID: accountID, now: editedAt)

            // run: a platform reports two calls of 100 s, one before the edit and one after
            var callIDs: [String] = []
            for (key, started) in [("before", "2026-11-05T10:00:00Z"), ("after", "2026-11-15T10:00:00Z")] {
                let posted = try await client.execute(uri: "/v1/events", method: .post, headers: auth, body: .json(Self.event(key: key, call: "call-\(key)", """
                    "caller_phone": "+14155550100", "status": "completed", "duration_seconds": 100, "call_started_at": "\(started)",
                    "campaign_id": "\(campaign.id)", "target_id": "\(target.id)"
                    """)))
                callIDs.append(try #require(posted.value["call_id"]?.string, "\(posted.text)"))
            }

            // validate: the earlier call keeps the rule of its day, the later one takes the new rule
            let before = try await Self.exchange(of: callIDs[0], client, auth)
            let after = try await Self.exchange(of: callIDs[1], client, auth)
            #expect(before["rules"] == "at_call_time" && after["rules"] == "at_call_time")
            #expect(before["buyer"]?["id"]?.string == buyer.id)
            #expect(before["figures"] == Self.countedByDCE([
                "converted": true, "revenue": "40.00", "payable": false, "payout": "0.00",
                "conversion_rule": "connected 100 s ≥ 90 s", "payout_rule": "no publisher",
            ], profit: "40.00"))
            #expect(after["figures"] == Self.countedByDCE([
                "converted": false, "revenue": "0.00", "payable": false, "payout": "0.00",
                "conversion_rule": "connected 100 s < 120 s", "payout_rule": "no publisher",
            ], profit: "0.00"))
            let firstBuyer = try await directory.revision(BuyerSpec.self, id: buyer.id, at: setUpAt, accountID: accountID)
            let secondBuyer = try await directory.revision(BuyerSpec.self, id: buyer.id, at: editedAt, accountID: accountID)
            let beforeRevisions = try #require(before["revisions"]?.object)
            let afterRevisions = try #require(after["revisions"]?.object)
            #expect(beforeRevisions["buyer"]?.string == firstBuyer?.id)
            #expect(afterRevisions["buyer"]?.string == secondBuyer?.id)
            #expect(firstBuyer?.id != secondBuyer?.id)
            #expect(beforeRevisions["campaign"] == afterRevisions["campaign"])
        }
    }

    @Test(arguments: TestEngine.all)
    func aRepeatCallerOnACallDceDidNotRouteIsADuplicateWithinTheCampaignsWindow(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: duplicates within 7 days neither billed nor paid
            let accountID = account.account.id
            let auth = HTTPFields.bearer(account.key)
            let directory = services.exchange
            let (_, target) = try await Self.acmeEast(directory, accountID)
            let campaign = try await directory.create(
                CampaignSpec(name: "Solar", routing: [RoutingEntry(targetID: TargetID(rawValue: target.id))], duplicateWindowDays: 7,
                             externalIDs: ExternalIDs(["native": ["camp-solar"]])),
                accountID: accountID, now: Self.novemberFirst)

            // run: one caller on 5 November, again on 8 November (under the campaign's vendor id), and on 20 November
            var callIDs: [String] = []
            for (key, started, campaignID) in [("first", "2026-11-05T10:00:00Z", campaign.id), ("again", "2026-11-08T10:00:00Z", "camp-solar"),
                                               ("later", "2026-11-20T10:00:00Z", campaign.id)] {
                let posted = try await client.execute(uri: "/v1/events", method: .post, headers: auth, body: .json(Self.event(key: key, call: "call-\(key)", """
                    "caller_phone": "+14155550100", "status": "completed", "duration_seconds": 100, "call_started_at": "\(started)",
                    "campaign_id": "\(campaignID)", "target_id": "\(target.id)"
                    """)))
                callIDs.append(try #require(posted.value["call_id"]?.string, "\(posted.text)"))
            }

            // validate
            var figures: [JSONValue] = []
            for id in callIDs { figures.append(try #require(try await Self.exchange(of: id, client, auth)["figures"])) }
            #expect(figures.map { $0["duplicate"] } == [false, true, false])
            #expect(figures.map { $0["revenue"] } == ["40.00", "0.00", "40.00"])
            #expect(figures[1]["dce"]?["conversion_rule"] == "duplicate caller within 7 days, not receivable")
        }
    }
}

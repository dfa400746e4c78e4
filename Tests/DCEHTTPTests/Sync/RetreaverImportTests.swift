import DCEDomain
import DCEHTTP
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// A Retreaver integration (unless `import_exchange=false`) imports the account's affiliates,
/// campaigns and targets after its sync, from a fake Retreaver over real HTTP on both
/// engines. The lists are in the shapes of Retreaver's core-api-docs (source/index.html.md):
/// "Get all Affiliates" (`{"affiliate": {"afid", "first_name", "last_name", "company_name"…}}`),
/// "Get all Campaigns" (`{"campaign": {"cid", "name", "record_calls"…}}`) and "Get all
/// Targets" (`{"target": {"id", "number", "tid", "time_zone", "concurrency_cap", "caps"…}}`),
/// 25 a page linked by `Link: <…>; rel="next"`; the call is "V2 - Get recent Calls".
@Suite struct RetreaverImportTests {
    static let window = PullWindow(from: SyncFixture.time("2026-01-05T00:00:00Z"), to: SyncFixture.time("2026-01-06T00:00:00Z"))

    @Test(arguments: TestEngine.all)
    func theImportCreatesEachEntityOnceAndASecondRunChangesNothing(engine: TestEngine) async throws {
        try await FakeRetreaverAccount().with(engine) { setup, run, server in
            // run
            try await run("2026-01-06T00:00:00Z")

            // validate: the publishers, campaigns, the holding buyer and the readable target
            let exchange = setup.services.exchange
            let account = setup.account.account.id
            let publishers = try await exchange.list(PublisherSpec.self, accountID: account)
            #expect(publishers.map(\.spec.name) == ["Acme", "Ned Nickerson"])
            #expect(publishers.map(\.spec.externalIDs) == [ExternalIDs(["retreaver": ["0002"]]), ExternalIDs(["retreaver": ["0003"]])])
            #expect(publishers.allSatisfy { $0.spec.payout == PayoutRule(minimumSeconds: 0, amount: .fixed(.zero)) })
            let campaigns = try await exchange.list(CampaignSpec.self, accountID: account)
            #expect(campaigns.map(\.spec) == [
                CampaignSpec(name: "Solar", figures: .vendor, externalIDs: ExternalIDs(["retreaver": ["0044"]])),
                CampaignSpec(name: "SuperFuntime", figures: .vendor, externalIDs: ExternalIDs(["retreaver": ["111", "9872"]])),
            ])
            let buyers = try await exchange.list(BuyerSpec.self, accountID: account)
            #expect(buyers.map(\.spec.name) == ["Retreaver targets (retreaver)"])
            let targets = try await exchange.list(TargetSpec.self, accountID: account)
            #expect(targets.map(\.spec) == [TargetSpec(
                name: "Jason Cell", buyerID: BuyerID(rawValue: try #require(buyers.first?.id)),
                destination: .number(try PhoneNumber(parsing: "+18668987878")),
                timeZone: try IANATimeZone(identifier: "America/New_York", field: "time_zone"),
                caps: Caps([CapLimit(.routed, per: .total, limit: 100)], concurrency: 3), ringTimeoutSeconds: 15,
                externalIDs: ExternalIDs(["retreaver": ["6588", "jc-1"]]))])
            // The target with a bad number is a dead letter naming it; every page is kept.
            let letters = try await setup.services.ledger.deadLetters(accountID: account)
            #expect(letters.map(\.field) == ["[1].target.number"])
            let paths = try await Stored.requests(setup.services.database).map(\.path)
            #expect(paths.filter { $0.hasSuffix("/campaigns") }.count == 2)
            #expect(paths.filter { $0.hasSuffix("/affiliates") }.count == 1 && paths.filter { $0.hasSuffix("/targets") }.count == 1)
            let asked = await server.requests().filter { $0.path != "/api/v2/calls.json" }
            #expect(asked.allSatisfy { $0.query["api_key"] == "retreaver-key" && $0.query["company_id"] == "1" })

            // run again, a day later, Retreaver unchanged
            let before = (publishers, campaigns, buyers, targets)
            try await run("2026-01-07T00:00:00Z")

            // validate: nothing was written
            #expect(try await exchange.list(PublisherSpec.self, accountID: account) == before.0)
            #expect(try await exchange.list(CampaignSpec.self, accountID: account) == before.1)
            #expect(try await exchange.list(BuyerSpec.self, accountID: account) == before.2)
            #expect(try await exchange.list(TargetSpec.self, accountID: account) == before.3)
        }
    }

    @Test(arguments: TestEngine.all)
    func aNameChangedAtRetreaverIsUpdatedAndAnEditMadeInDceIsKept(engine: TestEngine) async throws {
        let retreaver = FakeRetreaverAccount()
        try await retreaver.with(engine) { setup, run, _ in
            // setup: imported, then the operator renames a publisher and files the target under its own buyer
            try await run("2026-01-06T00:00:00Z")
            let exchange = setup.services.exchange
            let account = setup.account.account.id
            let edited = SyncFixture.time("2026-01-06T06:00:00Z")
            let publisher = try #require(try await exchange.list(PublisherSpec.self, accountID: account).first { $0.spec.name == "Ned Nickerson" })
            var renamed = publisher.spec
            renamed.name = "Ned N. (direct)"
            _ = try await exchange.replace(renamed, id: publisher.id, accountID: account, now: edited)
            let ownBuyer = try await exchange.create(BuyerSpec(name: "Acme Insurance", conversion: ConversionRule(minimumSeconds: 90, revenue: .zero)),
                                                     accountID: account, now: edited)
            var target = try #require(try await exchange.list(TargetSpec.self, accountID: account).first)
            target.spec.buyerID = BuyerID(rawValue: ownBuyer.id)
            _ = try await exchange.replace(target.spec, id: target.id, accountID: account, now: edited)
            // Retreaver renames a campaign and its target later that day.
            retreaver.changed.withLock { $0 = true }

            // run
            try await run("2026-01-07T00:00:00Z")

            // validate
            let campaigns = try await exchange.list(CampaignSpec.self, accountID: account)
            #expect(campaigns.map(\.spec.name) == ["Solar", "SuperFuntime Summer"])
            let renamedCampaign = try #require(campaigns.last)
            let first = try await exchange.revision(CampaignSpec.self, id: renamedCampaign.id, at: SyncFixture.time("2026-01-06T00:00:00Z"), accountID: account)
            #expect(first?.spec.name == "SuperFuntime")
            #expect(try await exchange.list(PublisherSpec.self, accountID: account).map(\.spec.name) == ["Acme", "Ned N. (direct)"])
            let targets = try await exchange.list(TargetSpec.self, accountID: account)
            #expect(targets.map(\.spec.name) == ["Jason Desk"])
            #expect(targets.map(\.spec.buyerID) == [BuyerID(rawValue: ownBuyer.id)])
            #expect(targets.map(\.spec.destination) == [.number(try PhoneNumber(parsing: "+18668987879"))])
        }
    }

    @Test(arguments: TestEngine.all)
    func aCallPulledAfterTheImportLandsUnderTheImportedCampaignAndPublisher(engine: TestEngine) async throws {
        try await FakeRetreaverAccount().with(engine) { setup, run, _ in
            // setup
            try await run("2026-01-06T00:00:00Z")
            let account = setup.account.account.id
            let exchange = setup.services.exchange
            let campaign = try #require(try await exchange.list(CampaignSpec.self, accountID: account).first { $0.spec.name == "SuperFuntime" })
            let publisher = try #require(try await exchange.list(PublisherSpec.self, accountID: account).first { $0.spec.name == "Acme" })
            let target = try #require(try await exchange.list(TargetSpec.self, accountID: account).first)

            // run: the next sync pulls a call naming them by Retreaver's ids
            try await run("2026-01-07T00:00:00Z", calls: true)

            // validate
            let callID = try #require(try await setup.services.database.read { sql in
                try await sql.raw("SELECT c.id AS id FROM calls c JOIN raw_events e ON e.call_id = c.id WHERE e.external_call_id = 'ret-call-1' LIMIT 1")
                    .first()?.decode(column: "id", as: String.self)
            })
            let app = Application(router: try buildRouter(setup.services))
            try await app.test(.router) { client in
                let shown = try await client.execute(uri: "/v1/calls/\(callID)", method: .get, headers: .bearer(setup.account.key))
                try #require(shown.status == .ok, "\(shown.text)")
                let view = try #require(shown.value["exchange"])
                #expect(view["campaign"]?["id"]?.string == campaign.id)
                #expect(view["publisher"]?["id"]?.string == publisher.id)
                #expect(view["target"]?["id"]?.string == target.id)
            }
        }
    }

    @Test(arguments: TestEngine.all)
    func withoutTheSettingNothingIsImported(engine: TestEngine) async throws {
        try await FakeRetreaverAccount(importing: false).with(engine) { setup, run, server in
            // run
            try await run("2026-01-06T00:00:00Z")

            // validate
            #expect(try await setup.services.exchange.list(CampaignSpec.self, accountID: setup.account.account.id).isEmpty)
            #expect(await server.requests().allSatisfy { $0.path == "/api/v2/calls.json" })
        }
    }
}

/// A fake Retreaver account: `api/v2/calls.json` (empty, or one call naming campaign 111 by
/// `cid` and `campaign_id`, affiliate 0002 and target 6588), and the lists of affiliates,
/// campaigns (two pages) and targets, the second target with a number that is none. Once
/// `changed`, campaign 111 and target 6588 carry the names and number Retreaver changed
/// them to, with a later `updated_at`.
final class FakeRetreaverAccount: Sendable {
    let importing: Bool
    let changed = Mutex(false)
    let callsListed = Mutex(false)

    init(importing: Bool = true) { self.importing = importing }

    static let affiliates = """
        [{"affiliate": {"afid": "0002", "first_name": "Nancy", "last_name": "Drew", "company_name": "Acme",
          "updated_at": "2026-01-02T15:56:01Z", "created_at": "2026-01-02T15:56:01Z"}},
         {"affiliate": {"afid": "0003", "first_name": "Ned", "last_name": "Nickerson", "company_name": null,
          "updated_at": "2026-01-02T15:56:01Z", "created_at": "2026-01-02T15:56:01Z"}}]
        """

    func campaigns(page: Int) -> String {
        let renamed = changed.withLock { $0 }
        if page == 2 {
            return """
                [{"campaign": {"cid": "0044", "name": "Solar", "updated_at": "2026-01-02T03:40:24Z", "created_at": "2026-01-01T13:50:21Z",
                  "record_calls": true, "record_seconds": 3600, "dedupe_seconds": 86400, "affiliate_can_pull_number": false}}]
                """
        }
        return """
            [{"campaign": {"id": 9872, "cid": "111", "name": "\(renamed ? "SuperFuntime Summer" : "SuperFuntime")",
              "updated_at": "\(renamed ? "2026-01-06T12:00:00Z" : "2026-01-02T03:40:24Z")", "created_at": "2026-01-01T13:50:21Z",
              "record_calls": true, "record_seconds": 3600, "dedupe_seconds": 86400, "affiliate_can_pull_number": false,
              "greeting": {"message": "Hi There! Press one to continue.", "voice_gender": "Female"},
              "timers": [{"timer": {"id": 195, "seconds": 0, "url": "http://www.example.com/click.track?CID=[campaign_id]"}}],
              "menu_options": [{"menu_option": {"id": 61, "option": "1", "target_cid": null, "target_number": "+18987748833"}}]}}]
            """
    }

    func targets() -> String {
        let renamed = changed.withLock { $0 }
        return """
            [{"target": {"id": 6588, "number": "\(renamed ? "+18668987879" : "+18668987878")", "sip_username": null, "sip_password": null,
              "cid_number_id": 10, "obfuscate_cid": false, "created_at": "2025-08-14T20:46:01.158-04:00",
              "updated_at": "\(renamed ? "2026-01-06T08:02:52.964-04:00" : "2026-01-02T13:02:52.964-04:00")",
              "object_key": "40a9a73f", "tid": "jc-1", "priority": 1, "weight": 1, "timeout_seconds": 15, "timer_offset": 0,
              "send_digits": null, "concurrency_cap": 3, "calls_in_progress": 0, "inband_signals": false,
              "time_zone": "Eastern Time (US & Canada)", "paused": false, "paused_at": null, "name": "\(renamed ? "Jason Desk" : "Jason Cell")",
              "target_group_ids": [1], "target_groups": [{"id": 1, "name": "West Coast", "target_ids": [6588], "concurrency_cap": null}],
              "caps": [{"id": 707900, "filled": 0, "cap": null, "type": "Daily"}, {"id": 707898, "filled": 0, "cap": 100, "type": "Hard"}]}},
             {"target": {"id": 6590, "number": "call me maybe", "tid": null, "name": "Broken", "time_zone": "UTC",
              "updated_at": "2026-01-02T13:02:52Z"}}]
            """
    }

    static let call = """
        [{"call": {"uuid": "ret-call-1", "caller": "+13015236555", "status": "finished", "number": "+18886064349",
          "dialed_number": "+18668987878", "start_time": "2026-01-06T16:52:18.034Z", "forwarded_time": "2026-01-06T16:52:25.423Z",
          "end_time": "2026-01-06T16:52:32.882Z", "cid": "111", "campaign_id": 9872, "afid": "0002", "target_id": 6588,
          "total_duration": 14, "connected": true, "revenue": 5.0, "payout": 5.0}}]
        """

    func handler(base: @escaping @Sendable () -> String) -> @Sendable (FakeRequest) async -> FakeResponse {
        { request in
            guard request.query["api_key"] == "retreaver-key" else { return .json(#"{"error": "Unauthorized"}"#, status: 401) }
            let page = Int(request.query["page"] ?? "1") ?? 1
            switch request.path {
            case "/api/v2/calls.json":
                let listed = request.query["sort_by"] == "created_at" && self.callsListed.withLock { $0 }
                return .json(listed ? Self.call : "[]")
            case "/api/v2/affiliates.json":
                return .json(Self.affiliates)
            case "/api/v2/campaigns.json":
                let link = base() + "api/v2/campaigns.json?api_key=retreaver-key&company_id=1&page=2"
                return .json(self.campaigns(page: page), headers: page == 1 ? ["Link": "<\(link)>; rel=\"next\", <\(link)>; rel=\"last\""] : [:])
            case "/api/v2/targets.json":
                return .json(self.targets())
            default:
                return .json("{}", status: 404)
            }
        }
    }

    /// One sync of the integration at `at` (a fixed clock), over the day before it.
    struct Run: Sendable {
        let account: FakeRetreaverAccount
        let setup: PulledVendorSetup

        @discardableResult
        func callAsFunction(_ at: String, calls: Bool = false) async throws -> SyncReport {
            account.callsListed.withLock { $0 = calls }
            let now = SyncFixture.time(at)
            let engine = SyncEngine(services: setup.services, transport: HTTPPullTransport(), holder: "test", policy: .exact,
                                    sleep: { _ in }, now: { now })
            return try await engine.sync(integrationID: setup.integration.id, window: PullWindow(from: now.subtracting(seconds: 86_400), to: now))
        }
    }

    func with(_ engine: TestEngine, _ body: (PulledVendorSetup, Run, FakeVendorServer) async throws -> Void) async throws {
        let base = BaseURL()
        let server = try await FakeVendorServer.start(handler(base: { base.value }))
        base.value = server.baseURL
        do {
            try await TestDatabases.with(engine) { database in
                var values = ["api_key": "retreaver-key", "company_id": "1"]
                if !importing { values[RetreaverPull.importKey] = "false" }
                let setup = try await PulledVendorSetup.make(database, vendor: RetreaverAdapter(), baseURL: server.baseURL, values: values)
                try await body(setup, Run(account: self, setup: setup), server)
            }
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }
}

import DCEDomain
import DCEHTTP
import DCEJSON
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// Invoca's Transactions API pulled through the sync engine from a local fake that answers
/// as Invoca's developer docs describe (`networks/transactions/<network_id>.json`, a JSON
/// array of rows, `start_after_transaction_id` paging, the `oauth_token` a query
/// parameter), and misbehaves on demand. After each misbehaviour every call is stored once.
@Suite struct InvocaSyncTests {
    static let token = "inv-oauth-secret-77"
    static let window = PullWindow(from: Timestamp(millisecondsSince1970: 1_767_571_200_000),
                                   to: Timestamp(millisecondsSince1970: 1_767_657_600_000))

    /// Transaction `index` of the fake: a call a minute apart from the window's start;
    /// `revenue` in dollars.
    static func transaction(_ index: Int, revenue: String = "12.00", corrects: String? = nil, start: String? = nil) -> String {
        var members: [(String, String)] = [
            ("transaction_id", JSONText.string(String(format: "T%02d", index))),
            ("transaction_type", JSONText.string("Call")),
            ("calling_phone_number", JSONText.string(String(format: "+1415555%04d", index))),
            ("start_time_utc", start ?? String(window.from.millisecondsSince1970 + Int64(index) * 60_000)),
            ("duration", "95"),
            ("advertiser_payin_localized", JSONText.string(revenue)),
            ("call_result_description_detail", JSONText.string("Connected")),
        ]
        if let corrects {
            members.append(("corrects_transaction_id", JSONText.string(corrects)))
            members.append(("corrected_at", JSONText.string(window.to.iso8601)))
        }
        return JSONText.object(members)
    }

    /// Seven calls, the third corrected by the eighth row.
    static let standardRows = (0..<7).map { transaction($0) } + [transaction(7, revenue: "3.50", corrects: "T02")]

    @Test(arguments: TestEngine.all)
    func aBackfillOfSeveralPagesStoresEveryCallOnceAndTheCorrectionAmendsItsCall(engine: TestEngine) async throws {
        try await withInvoca(engine, rows: Self.standardRows) { harness, server in
            // run
            let report = try await harness.engine().sync(integrationID: harness.integration.id, window: Self.window)

            // validate
            #expect(report.pages == 3)
            #expect(report.rows == 8)
            #expect(report.newEvents == 8)
            #expect(try await Stored.count("calls", harness.services.database) == 7)
            #expect(try await Stored.count("raw_events", harness.services.database) == 8)
            let sent = await server.requests()
            #expect(sent.map { $0.query["start_after_transaction_id"] ?? "" } == ["", "T02", "T05"])
            #expect(sent.allSatisfy { $0.query["oauth_token"] == Self.token && $0.query["limit"] == "3" })
            let kept = try await Stored.requests(harness.services.database)
            #expect(kept.allSatisfy { !$0.headers.contains(Self.token) && $0.path == "/sync/invoca/\(harness.integration.id)/transactions" })
            let corrected = try await harness.call(transactionID: "T02")
            #expect(corrected?.fields.revenue == Money(cents: 350))
            #expect(corrected?.eventCount == 2)
        }
    }

    @Test(arguments: TestEngine.all)
    func pullingTheWindowAgainKeepsOnlyThePagesThatChanged(engine: TestEngine) async throws {
        // A scheduled Invoca run reads whole dates, so every run reads the day again.
        let grown = Mutex(false)
        try await withInvoca(engine, rows: Self.standardRows, before: { request in
            grown.withLock { $0 } ? Self.serve(request, rows: Self.standardRows + [Self.transaction(8)], repeatLastRow: false) : nil
        }) { harness, _ in
            // run: the window, then again after one more call arrived (it lands on the last page)
            let first = try await harness.engine().sync(integrationID: harness.integration.id, window: Self.window)
            grown.withLock { $0 = true }
            let again = try await harness.engine().sync(integrationID: harness.integration.id, window: Self.window)

            // validate
            // Nine rows fill three pages of three: a fourth, empty, ends the second run.
            #expect(first.pages == 3 && again.pages == 4)
            #expect(again.newEvents == 1)
            #expect(again.duplicates == 8)
            #expect(try await Stored.requests(harness.services.database).count == 5, "the two unchanged pages are kept once")
            #expect(try await Stored.count("raw_events", harness.services.database) == 9)
            #expect(try await Stored.count("calls", harness.services.database) == 8)
        }
    }

    @Test(arguments: TestEngine.all)
    func errorsSlowAnswersRateLimitsAMalformedRowAndARepeatedPageLeaveEveryCallOnce(engine: TestEngine) async throws {
        let pageTwoTries = Counter()
        var rows = Self.standardRows
        rows[4] = Self.transaction(4, start: JSONText.string("soon"))
        try await withInvoca(engine, rows: rows, repeatLastRow: true, before: { request in
            guard request.query["start_after_transaction_id"] == "T02" else { return nil }
            switch pageTwoTries.next() {
            case 1: return .json(#"{"errors":{"class":"internal"}}"#, status: 500)
            case 2: return .json("{}", status: 429, headers: ["Retry-After": "4"])
            case 3:
                try? await Task.sleep(for: SlowAnswer.delay)
                return nil
            default: return nil
            }
        }) { harness, server in
            // run
            var policy = SyncPolicy.exact
            policy.requestTimeout = SlowAnswer.timeout
            let slept = Recorder<Duration>()
            let report = try await harness.engine(policy: policy, sleep: slept.record).sync(integrationID: harness.integration.id, window: Self.window)
            let again = try await harness.engine().sync(integrationID: harness.integration.id, window: Self.window)

            // validate
            #expect(slept.all == [.milliseconds(500), .seconds(4), .seconds(2)])
            #expect(report.deadLetters == 1)
            #expect(again.newEvents == 0)
            #expect(try await Stored.count("calls", harness.services.database) == 6)
            #expect(try await Stored.count("raw_events", harness.services.database) == 7)
            let letters = try await harness.services.ledger.deadLetters(accountID: harness.account.account.id)
            #expect(letters.first?.field == "[2].start_time_utc")
            #expect(await server.requests().count == 7 + 4)
        }
    }

    @Test(arguments: TestEngine.all)
    func aTransactionSeenByWebhookAndByPullIsOneCallAndOneEvent(engine: TestEngine) async throws {
        try await withInvoca(engine, rows: Self.standardRows) { harness, _ in
            // setup: Invoca pushed the first transaction before the pull
            let app = Application(router: try buildRouter(harness.services))
            try await app.test(.router) { client in
                let pushed = try await client.execute(uri: harness.integration.webhookPath + "?token=whsec", method: .post,
                                                      headers: [.contentType: "application/json"], body: .json(Self.standardRows[0]))
                #expect(pushed.status == .ok, "\(pushed.text)")
            }

            // run
            let report = try await harness.engine().sync(integrationID: harness.integration.id, window: Self.window)

            // validate
            #expect(report.duplicates == 1)
            #expect(try await Stored.count("calls", harness.services.database) == 7)
            #expect(try await Stored.count("raw_events", harness.services.database) == 8)
        }
    }
}

// MARK: - Support

/// Invoca with pages of three rows, so that a few calls span pages.
struct SmallPageInvoca: VendorAdapter {
    var name: String { InvocaAdapter.source.rawValue }

    func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        try InvocaAdapter().decode(delivery, integration: integration)
    }

    var pull: (any PullClient)? { InvocaPull(pageSize: 3) }
}

struct InvocaHarness {
    let services: AppServices
    let account: TestAccount
    let integration: Integration

    func engine(policy: SyncPolicy = .exact, sleep: @escaping @Sendable (Duration) async throws -> Void = { _ in }) -> SyncEngine {
        SyncEngine(services: services, transport: HTTPPullTransport(), holder: "test", policy: policy, sleep: sleep)
    }

    /// The call of an original transaction.
    func call(transactionID: String) async throws -> CallRecord? {
        let id = try await services.database.read { sql in
            try await sql.raw("SELECT call_id FROM call_vendor_ids WHERE source = 'invoca' AND external_call_id = \(bind: transactionID)")
                .first()?.decode(column: "call_id", as: String.self)
        }
        guard let id else { return nil }
        return try await services.ledger.call(CallID(rawValue: id), accountID: account.account.id)
    }
}

extension InvocaSyncTests {
    /// An Invoca integration on `engine` whose credentials point at a fake serving `rows`
    /// (`repeatLastRow`: each page after the first starts again with the row the page
    /// before ended with); `before` may answer a request first.
    func withInvoca(
        _ engine: TestEngine, rows: [String], repeatLastRow: Bool = false,
        before: @escaping @Sendable (FakeRequest) async -> FakeResponse? = { _ in nil },
        _ body: (InvocaHarness, FakeVendorServer) async throws -> Void
    ) async throws {
        let server = try await FakeVendorServer.start { request in
            if let answer = await before(request) { return answer }
            return Self.serve(request, rows: rows, repeatLastRow: repeatLastRow)
        }
        do {
            try await TestDatabases.with(engine) { database in
                let box = try SecretBox(hexKey: String(repeating: "cd", count: 32))
                var services = AppServices(database: database, adminKey: nil, vendors: VendorRegistry.all.map {
                    $0.name == SmallPageInvoca().name ? SmallPageInvoca() : $0
                })
                services.secretBox = box
                let account = try await TestAccount.make(database)
                let integration = try await IntegrationStore(database: database).create(
                    accountID: account.account.id, vendor: "invoca", name: "invoca", fieldMapping: [:], secret: "whsec")
                try await CredentialStore(database: database, box: box).set(StoredCredentials(
                    integrationID: integration.id, accountID: account.account.id, values: ["network_id": "1219", "oauth_token": Self.token],
                    apiBaseURL: server.baseURL, syncIntervalSeconds: 300, updatedAt: .now()))
                try await body(InvocaHarness(services: services, account: account, integration: integration), server)
            }
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    /// Invoca's answer: the rows after `start_after_transaction_id`, `limit` of them.
    static func serve(_ request: FakeRequest, rows: [String], repeatLastRow: Bool) -> FakeResponse {
        guard request.path == "/api/\(InvocaPull.apiVersion)/networks/transactions/1219.json" else { return .json("{}", status: 404) }
        guard request.query["oauth_token"] == token else { return .json(#"{"errors":{"class":"unauthorized"}}"#, status: 401) }
        guard request.query["from"] != nil, request.query["to"] != nil, let limit = request.query["limit"].flatMap(Int.init), limit > 0 else {
            return .json(#"{"errors":{"class":"bad_request"}}"#, status: 400)
        }
        var start = 0
        if let after = request.query["start_after_transaction_id"] {
            guard let index = rows.firstIndex(where: { $0.contains(#""transaction_id":"\#(after)""#) }) else { return .json("[]") }
            start = index + 1
        }
        let page = Array(rows[start..<min(start + limit, rows.count)])
        // The row the page before ended with, again: it does not count towards the page.
        let extra = repeatLastRow && start > 0 ? [rows[start - 1]] : []
        return .json("[" + (extra + page).joined(separator: ",") + "]")
    }
}

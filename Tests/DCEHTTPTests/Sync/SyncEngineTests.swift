import DCEDomain
import DCEHTTP
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import SQLKit
import Synchronization
import Testing

/// The sync engine against a fake vendor over real HTTP, with the toy vendor's client: what
/// it keeps, how it resumes, retries, renews, breaks and shares out work.
@Suite struct SyncEngineTests {
    @Test(arguments: TestEngine.all)
    func everyPageIsKeptVerbatimItsRowsAppendedAndABadRowDeadLettered(engine: TestEngine) async throws {
        try await withToy(engine, pages: [["c1", "c2"], ["c3", "!4"]]) { toy, server in
            // run
            let report = try await toy.engine().sync(integrationID: toy.integration.id, window: ToyPages.window)

            // validate
            #expect(report.pages == 2)
            #expect(report.rows == 4)
            #expect(report.newEvents == 3)
            #expect(report.deadLetters == 1)
            let kept = try await Stored.requests(toy.services.database)
            let path = "/sync/toypull/\(toy.integration.id)/calls"
            // The unreadable row is a dead letter of its page, kept once.
            #expect(kept.map(\.path) == [path, path])
            #expect(kept.allSatisfy { $0.headers.contains("x-dce-pull-url") && !$0.headers.contains("toy-key-123456") })
            #expect(kept.contains { $0.body == ToyPages.page(["c1", "c2"], next: server.baseURL + "calls?page=2") })
            #expect(try await Stored.count("raw_events", toy.services.database) == 3)
            #expect(try await Stored.count("calls", toy.services.database) == 3)
            let letters = try await toy.services.ledger.deadLetters(accountID: toy.account.account.id)
            #expect(letters.map(\.field) == ["rows[1].id"])
            #expect(letters.first?.reason.hasPrefix("row 2 of the page: ") == true)
            let sent = await server.requests()
            #expect(sent.map { $0.headers["authorization"] } == ["Bearer toy-key-123456", "Bearer toy-key-123456"])
            let state = try await toy.state()
            #expect(state?.rowsPulled == 4)
            #expect(state?.nextRequest == nil)
            #expect(state?.runWindow == nil)
            #expect(state?.lastSuccessAt != nil)
            let metrics = toy.services.metrics.render()
            #expect(metrics.contains(#"dce_sync_rows_total{vendor="toypull"} 4"#))
            #expect(metrics.contains(#"dce_sync_pages_total{vendor="toypull"} 2"#))
            #expect(metrics.contains(#"dce_sync_dead_letters_total{vendor="toypull"} 1"#))
        }
    }

    @Test(arguments: TestEngine.all)
    func aRestartResumesFromTheNextRequestAndStoresEachRowOnce(engine: TestEngine) async throws {
        try await withToy(engine, pages: [["c1", "c2"], ["c3", "c4"], ["c5"]]) { toy, server in
            // setup: the first process stops when it is about to ask for the third page
            let stopping = StoppingTransport(base: HTTPPullTransport(), stopAfter: 2)
            let first = SyncEngine(services: toy.services, transport: stopping, holder: "node-a")
            await #expect(throws: CancellationError.self) {
                try await first.sync(integrationID: toy.integration.id, window: ToyPages.window)
            }
            #expect(try await toy.state()?.nextRequest?.url == server.baseURL + "calls?page=3")

            // run
            let report = try await toy.engine(holder: "node-b").sync(integrationID: toy.integration.id, window: ToyPages.window)

            // validate
            #expect(report.pages == 1)
            #expect(report.duplicates == 0)
            #expect(await server.requests().map { $0.query["page"] ?? "1" } == ["1", "2", "3"])
            #expect(try await Stored.count("raw_events", toy.services.database) == 5)
            #expect(try await toy.state()?.rowsPulled == 5)
        }
    }

    @Test(arguments: TestEngine.all)
    func overlappingWindowsAndAPageServedTwiceChangeNothing(engine: TestEngine) async throws {
        try await withToy(engine, pages: [["c1", "c2"], ["c2", "c3"]]) { toy, _ in
            // run
            let first = try await toy.engine().sync(integrationID: toy.integration.id, window: ToyPages.window)
            let again = try await toy.engine().sync(integrationID: toy.integration.id, window: ToyPages.window)

            // validate
            #expect(first.newEvents == 3)
            #expect(first.duplicates == 1)
            #expect(again.newEvents == 0)
            #expect(again.duplicates == 4)
            #expect(try await Stored.count("raw_events", toy.services.database) == 3)
            #expect(try await Stored.count("calls", toy.services.database) == 3)
        }
    }

    @Test(arguments: TestEngine.all)
    func serverErrorsAreRetriedWithExponentialBackoff(engine: TestEngine) async throws {
        let failures = Counter()
        try await withToy(engine, pages: [["c1"]], before: { _ in
            failures.next() <= 3 ? FakeResponse.json(#"{"error":"busy"}"#, status: 503) : nil
        }) { toy, server in
            // run
            let slept = Recorder<Duration>()
            let report = try await toy.engine(sleep: slept.record).sync(integrationID: toy.integration.id, window: ToyPages.window)

            // validate
            #expect(report.rows == 1)
            #expect(slept.all == [.milliseconds(500), .seconds(1), .seconds(2)])
            #expect(await server.requests().count == 4)
        }
    }

    @Test(arguments: TestEngine.all)
    func tooManyRequestsWaitsAsLongAsRetryAfterSays(engine: TestEngine) async throws {
        let failures = Counter()
        try await withToy(engine, pages: [["c1"]], before: { _ in
            failures.next() == 1 ? FakeResponse.json("{}", status: 429, headers: ["Retry-After": "7"]) : nil
        }) { toy, _ in
            let slept = Recorder<Duration>()
            let report = try await toy.engine(sleep: slept.record).sync(integrationID: toy.integration.id, window: ToyPages.window)
            #expect(report.rows == 1)
            #expect(slept.all == [.seconds(7)])
        }
    }

    @Test(arguments: TestEngine.all)
    func aRequestSlowerThanTheTimeoutIsRetried(engine: TestEngine) async throws {
        let calls = Counter()
        try await withToy(engine, pages: [["c1"]], before: { _ in
            if calls.next() == 1 { try? await Task.sleep(for: SlowAnswer.delay) }
            return nil
        }) { toy, server in
            var policy = SyncPolicy.exact
            policy.requestTimeout = SlowAnswer.timeout
            let slept = Recorder<Duration>()
            let report = try await toy.engine(policy: policy, sleep: slept.record).sync(integrationID: toy.integration.id, window: ToyPages.window)
            #expect(report.rows == 1)
            #expect(slept.all == [.milliseconds(500)])
            #expect(await server.requests().count == 2)
        }
    }

    @Test(arguments: TestEngine.all)
    func aTokenRefusedMidBackfillIsRenewedOnceAndTheBackfillGoesOn(engine: TestEngine) async throws {
        let tokens = Counter()
        try await withToy(engine, pages: [["c1"], ["c2"], ["c3"]], values: ["user": "ann", "password": "pw-secret-1"], before: { request in
            if request.path == "/token" { return .json(#"{"token":"t\#(tokens.next())"}"#) }
            // The first token expires after the first page.
            if request.query["page"] != nil, request.headers["authorization"] == "Bearer t1" { return .json("{}", status: 401) }
            return nil
        }) { toy, server in
            let report = try await toy.engine().sync(integrationID: toy.integration.id, window: ToyPages.window)
            #expect(report.rows == 3)
            let sent = await server.requests().map { "\($0.path) \($0.headers["authorization"] ?? "")" }
            #expect(sent == ["/token ", "/calls Bearer t1", "/calls Bearer t1", "/token ", "/calls Bearer t2", "/calls Bearer t2"])
            #expect(try await toy.state()?.token?.value == "t2")
        }
    }

    @Test(arguments: TestEngine.all)
    func theBreakerOpensAfterRepeatedFailuresProbesHalfOpenAndClosesOnSuccess(engine: TestEngine) async throws {
        let refusing = Mutex(true)
        try await withToy(engine, pages: [["c1"]], before: { _ in
            refusing.withLock { $0 } ? FakeResponse.json(#"{"error":"bad filter"}"#, status: 400) : nil
        }) { toy, server in
            let clock = TestClock(Timestamp(millisecondsSince1970: 1_767_657_600_000))
            let engine = toy.engine(now: clock.now)
            for _ in 1...5 {
                await #expect(throws: SyncError.self) { try await engine.sync(integrationID: toy.integration.id, window: nil) }
            }
            var state = try await toy.state()
            #expect(state?.breaker == .open)
            #expect(state?.failures == 5)
            #expect(state?.breakerUntil == clock.now().adding(seconds: 60))
            #expect(state?.lastError?.contains("HTTP 400") == true)
            await #expect(throws: SyncError.breakerOpen(until: clock.now().adding(seconds: 60))) {
                try await engine.sync(integrationID: toy.integration.id, window: nil)
            }
            #expect(await server.requests().count == 5)

            // A failed probe opens it again, for longer.
            clock.advance(seconds: 61)
            await #expect(throws: SyncError.self) { try await engine.sync(integrationID: toy.integration.id, window: nil) }
            state = try await toy.state()
            #expect(state?.breaker == .open)
            #expect(state?.breakerUntil == clock.now().adding(seconds: 120))

            // A successful probe closes it.
            clock.advance(seconds: 121)
            refusing.withLock { $0 = false }
            _ = try await engine.sync(integrationID: toy.integration.id, window: nil)
            state = try await toy.state()
            #expect(state?.breaker == .closed)
            #expect(state?.failures == 0)
            #expect(state?.lastError == nil)
            #expect(state?.syncedTo == clock.now())
        }
    }

    @Test(arguments: TestEngine.all)
    func twoEnginesWithDifferentHoldersNeverRunOneIntegrationAtOnce(engine: TestEngine) async throws {
        let gate = Gate()
        try await withToy(engine, pages: [["c1"]], before: { _ in
            await gate.passing()
            return nil
        }) { toy, server in
            // setup: node A is in the middle of a run
            let nodeA = toy.engine(holder: "node-a")
            let running = Task { try await nodeA.sync(integrationID: toy.integration.id, window: nil) }
            while await server.requests().isEmpty { try await Task.sleep(for: .milliseconds(20)) }

            // run
            let nodeB = toy.engine(holder: "node-b")
            await #expect(throws: SyncError.busy(toy.integration.id)) {
                try await nodeB.sync(integrationID: toy.integration.id, window: nil)
            }
            await nodeB.runDue()
            #expect(await server.requests().count == 1)
            await gate.open()
            let report = try await running.value

            // validate: once A is done, B may run it
            #expect(report.rows == 1)
            _ = try await nodeB.sync(integrationID: toy.integration.id, window: ToyPages.window)
            #expect(await server.requests().count == 2)
        }
    }

    @Test(arguments: TestEngine.all)
    func theSchedulerRunsAnIntegrationWhenItIsDue(engine: TestEngine) async throws {
        try await withToy(engine, pages: [["c1"]]) { toy, server in
            let clock = TestClock(Timestamp(millisecondsSince1970: 1_767_657_600_000))
            let engine = toy.engine(now: clock.now)
            await engine.runDue()
            #expect(await server.requests().count == 1)
            #expect(try await toy.state()?.nextRunAt == clock.now().adding(seconds: 60))
            await engine.runDue()
            #expect(await server.requests().count == 1)
            clock.advance(seconds: 60)
            await engine.runDue()
            #expect(await server.requests().count == 2)
            let state = try await toy.state()
            #expect(state?.syncedTo == clock.now())
            // The second run started the overlap before the cursor.
            let second = await server.requests()[1]
            #expect(second.query["from"] == String(clock.now().adding(seconds: -60 - 600).millisecondsSince1970))
        }
    }
}

// MARK: - Support

extension SyncEngineTests {
    /// A toy integration on `engine` whose credentials point at a fake serving `pages`;
    /// `before` may answer a request first (an error, a token).
    func withToy(
        _ engine: TestEngine, pages: [[String]], values: [String: String] = ["api_key": "toy-key-123456"],
        before: @escaping @Sendable (FakeRequest) async -> FakeResponse? = { _ in nil },
        _ body: (ToyHarness, FakeVendorServer) async throws -> Void
    ) async throws {
        let base = Mutex("")
        let serve = ToyPages.handler(pages, base: { base.withLock { $0 } })
        let server = try await FakeVendorServer.start { request in
            if let answer = await before(request) { return answer }
            return await serve(request)
        }
        base.withLock { $0 = server.baseURL }
        do {
            try await TestDatabases.with(engine) { database in
                let setup = try await ToySetup.make(database, baseURL: server.baseURL, values: values)
                try await body(ToyHarness(setup: setup), server)
            }
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }
}

struct ToyHarness {
    let setup: ToySetup
    var services: AppServices { setup.services }
    var account: TestAccount { setup.account }
    var integration: Integration { setup.integration }

    func engine(
        holder: String = "test", policy: SyncPolicy = .exact, sleep: @escaping @Sendable (Duration) async throws -> Void = { _ in },
        now: @escaping @Sendable () -> Timestamp = { .now() }
    ) -> SyncEngine {
        SyncEngine(services: services, transport: HTTPPullTransport(), holder: holder, policy: policy, sleep: sleep, now: now)
    }

    func state() async throws -> SyncState? {
        try await SyncStateStore(database: services.database, box: services.secretBox).state(integrationID: integration.id)
    }
}

extension SyncPolicy {
    /// The standard policy without jitter, so that delays are exact.
    static var exact: SyncPolicy {
        var policy = SyncPolicy.standard
        policy.jitter = { $0 }
        return policy
    }
}

/// What the ledger kept, read back with SQL.
enum Stored {
    struct Request: Sendable { var path: String; var headers: String; var body: String }

    static func requests(_ database: any Database) async throws -> [Request] {
        try await database.read { sql in
            try await sql.raw("SELECT path, headers, body FROM inbound_requests ORDER BY received_at, id").all().map {
                Request(path: try $0.decode(column: "path", as: String.self), headers: try $0.decode(column: "headers", as: String.self),
                        body: String(decoding: try $0.decode(column: "body", as: Data.self), as: UTF8.self))
            }
        }
    }

    static func count(_ table: String, _ database: any Database) async throws -> Int {
        try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}

/// A transport that stops the process (cancels) instead of sending request `stopAfter + 1`.
struct StoppingTransport: PullTransport {
    let base: any PullTransport
    let stopAfter: Int
    private let sent = Counter()

    init(base: any PullTransport, stopAfter: Int) {
        self.base = base
        self.stopAfter = stopAfter
    }

    func send(_ request: PullRequest, timeout: Duration) async throws -> PullResponse {
        guard sent.next() <= stopAfter else { throw CancellationError() }
        return try await base.send(request, timeout: timeout)
    }
}

final class Counter: Sendable {
    private let value = Mutex(0)
    /// 1, 2, 3, …
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}

final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    var all: [Value] { values.withLock { $0 } }
    var record: @Sendable (Value) async throws -> Void { { value in self.values.withLock { $0.append(value) } } }
}

final class TestClock: Sendable {
    private let current: Mutex<Timestamp>
    init(_ start: Timestamp) { current = Mutex(start) }
    var now: @Sendable () -> Timestamp { { self.current.withLock { $0 } } }
    func advance(seconds: Int64) { current.withLock { $0 = $0.adding(seconds: seconds) } }
}

/// Holds requests until opened.
actor Gate {
    private var isOpen = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func passing() async {
        if isOpen { return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func open() {
        isOpen = true
        for continuation in waiting { continuation.resume() }
        waiting = []
    }
}

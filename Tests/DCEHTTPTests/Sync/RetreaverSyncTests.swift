import DCEDomain
import DCEHTTP
import DCEJSON
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Retreaver's calls.json pulled through the sync engine from a fake Retreaver over real
/// HTTP, on both engines: pages of `{"call": {…}}` as Retreaver's core-api-docs show them
/// ("V2 - Get recent Calls"), linked by `Link: <…>; rel="next"` with the API key in the URL
/// as Retreaver writes it, and Retreaver's misbehaviours. After each, every call is stored
/// exactly once.
@Suite struct RetreaverSyncTests {
    static let window = PullWindow(from: SyncFixture.time("2026-01-05T00:00:00Z"), to: SyncFixture.time("2026-01-06T00:00:00Z"))

    @Test(arguments: TestEngine.all)
    func aBackfillFollowsTheLinksThenTheUpdatedCallsAndLandsEveryCallOnce(engine: TestEngine) async throws {
        let retreaver = FakeRetreaver(calls: 7)
        try await retreaver.with(engine) { setup, server in
            // run
            let report = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate: created pages of 3, 3 and 1, then the page of calls updated in the window
            #expect(report.pages == 4)
            #expect(report.rows == 8 && report.newEvents == 8 && report.deadLetters == 0)
            #expect(try await Stored.count("calls", setup.services.database) == 7)
            let asked = await server.requests()
            #expect(asked.map { $0.query["page"] ?? "1" } == ["1", "2", "3", "1"])
            #expect(asked.map { $0.query["sort_by"] } == ["created_at", "created_at", "created_at", "updated_at"])
            #expect(asked.allSatisfy { $0.query["api_key"] == "retreaver-key" && $0.query["company_id"] == "1" })
            let kept = try await Stored.requests(setup.services.database)
            #expect(kept.count == 4)
            #expect(!kept.contains { $0.headers.contains("retreaver-key") })
            let call = try #require(try await setup.call("ret-1"))
            #expect(call.tags["utm_source"] == "google")
            #expect(call.callerPhone == PhoneNumber.e164("+14155550001"))
            // The update read from the second part of the window folded into the call.
            #expect(call.converted == true)
            #expect(call.revenue == Money(cents: 2500))
        }
    }

    @Test(arguments: TestEngine.all)
    func serverErrorsThrottlingAndASlowAnswerAreRetriedAndEachCallStoredOnce(engine: TestEngine) async throws {
        let retreaver = FakeRetreaver(calls: 7) { number in
            switch number {
            case 2: .json("<h1>We're sorry, but something went wrong.</h1>", status: 500)
            case 3: .json(#"{"error": "rate limited"}"#, status: 429, headers: ["Retry-After": "1"])
            case 5: .slow
            default: nil
            }
        }
        try await retreaver.with(engine) { setup, _ in
            var policy = SyncPolicy.exact
            policy.requestTimeout = SlowAnswer.timeout
            // run
            let report = try await setup.engine(policy: policy).sync(integrationID: setup.integration.id, window: Self.window)

            // validate
            #expect(report.newEvents == 8 && report.duplicates == 0)
            #expect(try await Stored.count("calls", setup.services.database) == 7)
        }
    }

    @Test(arguments: TestEngine.all)
    func aMalformedCallIsADeadLetterAndTheRestLand(engine: TestEngine) async throws {
        let retreaver = FakeRetreaver(calls: 5, malformed: [4])
        try await retreaver.with(engine) { setup, _ in
            // run
            let report = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate
            #expect(report.deadLetters == 1)
            #expect(try await Stored.count("calls", setup.services.database) == 4)
            let letters = try await setup.services.ledger.deadLetters(accountID: setup.account.account.id)
            #expect(letters.map(\.field) == ["[1].call.start_time"])
        }
    }

    @Test(arguments: TestEngine.all)
    func aPageServedTwiceChangesNothing(engine: TestEngine) async throws {
        let retreaver = FakeRetreaver(calls: 7, repeatPage: 2)
        try await retreaver.with(engine) { setup, server in
            // run
            let report = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate
            #expect(await server.requests().count == 5)
            #expect(report.duplicates == 3 && report.newEvents == 8)
            #expect(try await Stored.count("calls", setup.services.database) == 7)
        }
    }

    @Test(arguments: TestEngine.all)
    func aCallSeenByWebhookAndByPullIsOneCall(engine: TestEngine) async throws {
        let retreaver = FakeRetreaver(calls: 2)
        try await retreaver.with(engine) { setup, _ in
            // setup: Retreaver's start webhook for the first call
            let app = Application(router: try buildRouter(setup.services))
            try await app.test(.router) { client in
                let body = #"{"id": "ret-0", "caller_number": "+14155550000", "dialed_number": "+18668987878", "created_at": "2026-01-05T00:00:00Z"}"#
                let response = try await client.execute(
                    uri: "/webhooks/retreaver/\(setup.integration.id)?token=whsec&stage=start", method: .post,
                    headers: [.contentType: "application/json"], body: .json(body))
                #expect(response.status == .ok)
            }

            // run
            _ = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate
            #expect(try await Stored.count("calls", setup.services.database) == 2)
            let call = try #require(try await setup.call("ret-0"))
            #expect(call.status == .completed)
        }
    }
}

/// A fake Retreaver: `GET api/v2/calls.json`, three calls a page, the next page in a `Link`
/// header that carries the API key as Retreaver writes it; `sort_by=updated_at` lists call 1
/// again, converted since.
struct FakeRetreaver: Sendable {
    let calls: Int
    var malformed: Set<Int> = []
    /// A page whose next link serves it once more before going on.
    var repeatPage: Int?
    var misbehave: @Sendable (Int) -> FakeRingba.Misbehaviour? = { _ in nil }

    static let perPage = 3

    init(calls: Int, malformed: Set<Int> = [], repeatPage: Int? = nil,
         misbehave: @escaping @Sendable (Int) -> FakeRingba.Misbehaviour? = { _ in nil }) {
        self.calls = calls
        self.malformed = malformed
        self.repeatPage = repeatPage
        self.misbehave = misbehave
    }

    /// Call `index` as Retreaver's v2 lists it.
    func call(_ index: Int, converted: Bool = false) -> String {
        let started = RetreaverSyncTests.window.from.adding(seconds: Int64(index) * 60)
        var call: [String: JSONValue] = [
            "uuid": .string("ret-\(index)"), "caller": .string("+1415555" + String(format: "%04d", index)),
            "number": .string("+18668987878"), "dialed_number": .string("+16477159443"),
            "start_time": .string(malformed.contains(index) ? "soon" : started.iso8601),
            "end_time": .string(started.adding(seconds: 45).iso8601), "total_duration": .integer(45),
            "status": .string("finished"), "connected": .bool(true), "cid": .string("1"),
            "tags": .object(["utm_source": .string("google")]),
        ]
        if converted {
            call["converted"] = .bool(true)
            call["revenue"] = .number("25.0")
        }
        return JSONValue.object(["call": .object(call)]).text
    }

    func handler(_ tally: Tally, base: @escaping @Sendable () -> String) -> @Sendable (FakeRequest) async -> FakeResponse {
        { request in
            guard request.method == "GET", request.path == "/api/v2/calls.json" else { return .json("{}", status: 404) }
            let number = tally.next("calls")
            guard request.query["api_key"] == "retreaver-key" else { return .json(#"{"error": "Unauthorized"}"#, status: 401) }
            switch misbehave(number) {
            case .json(let text, let status, let headers)?: return .json(text, status: status, headers: headers)
            case .slow?: try? await Task.sleep(for: SlowAnswer.delay)
            case nil: break
            }
            if request.query["sort_by"] == "updated_at" { return .json("[" + call(1, converted: true) + "]") }
            let page = Int(request.query["page"] ?? "1") ?? 1
            let first = (page - 1) * Self.perPage
            let rows = (first..<min(calls, first + Self.perPage)).map { call($0) }
            var headers: [String: String] = [:]
            let link = base() + "api/v2/calls.json?api_key=retreaver-key&company_id=1&sort_by=created_at&order=asc"
            if page == repeatPage, request.query["again"] == nil {
                headers["Link"] = "<\(link)&page=\(page)&again=1>; rel=\"next\""
            } else if first + Self.perPage < calls {
                headers["Link"] = "<\(link)&page=\(page + 1)>; rel=\"next\", <\(link)&page=99>; rel=\"last\""
            }
            return .json("[" + rows.joined(separator: ",") + "]", headers: headers)
        }
    }

    func with(_ engine: TestEngine, _ body: (PulledVendorSetup, FakeVendorServer) async throws -> Void) async throws {
        let base = BaseURL()
        let server = try await FakeVendorServer.start(handler(Tally(), base: { base.value }))
        base.value = server.baseURL
        do {
            try await TestDatabases.with(engine) { database in
                // The calls alone: importing the account's exchange is RetreaverImportTests'.
                let setup = try await PulledVendorSetup.make(database, vendor: RetreaverAdapter(), baseURL: server.baseURL,
                                                             values: ["api_key": "retreaver-key", "company_id": "1", RetreaverPull.importKey: "false"])
                try await body(setup, server)
            }
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }
}

/// A fake's own address, known once it listens.
final class BaseURL: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""

    var value: String {
        get { lock.withLock { text } }
        set { lock.withLock { text = newValue } }
    }
}

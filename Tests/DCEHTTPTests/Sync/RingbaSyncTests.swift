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

/// Ringba's call log pulled through the sync engine from a fake Ringba over real HTTP, on
/// both engines: pages in the shape of Ringba's "Get Call Log" answer (its v2 API
/// collection), the password grant's token answer, and Ringba's misbehaviours. After each,
/// every call is stored exactly once.
@Suite struct RingbaSyncTests {
    static let window = PullWindow(from: SyncFixture.time("2026-01-05T00:00:00Z"), to: SyncFixture.time("2026-01-06T00:00:00Z"))

    @Test(arguments: TestEngine.all)
    func aBackfillOfSeveralPagesLandsEveryCallOnce(engine: TestEngine) async throws {
        let ringba = FakeRingba(calls: 7)
        try await ringba.with(engine) { setup, server in
            // run
            let report = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate: pages of 3, 3 and a short 1, each followed by its calls' detail
            #expect(report.pages == 6)
            #expect(report.rows == 7 && report.newEvents == 7 && report.deadLetters == 0)
            #expect(try await Stored.count("calls", setup.services.database) == 7)
            let asked = await server.requests().filter { $0.path == "/RA1/calllogs" }
            #expect(asked.map { FakeRingba.body($0)["offset"]?.exactInteger } == [0, 3, 6])
            #expect(asked.allSatisfy { $0.headers["authorization"] == "Token ringba-api-token" })
            let call = try #require(try await setup.call("RGB-2"))
            #expect(call.callerPhone == PhoneNumber.e164("+14155550002"))
            #expect(call.status == .completed)
            #expect(call.durationSeconds == 62)
        }
    }

    @Test(arguments: TestEngine.all)
    func serverErrorsThrottlingAndASlowAnswerAreRetriedAndEachCallStoredOnce(engine: TestEngine) async throws {
        let ringba = FakeRingba(calls: 7) { number in
            switch number {
            case 2: .json(#"{"message": "An error has occurred."}"#, status: 500)
            case 3: .json(#"{"message": "Too many requests"}"#, status: 429, headers: ["Retry-After": "2"])
            case 5: .slow
            default: nil
            }
        }
        try await ringba.with(engine) { setup, _ in
            let slept = Mutex<[Duration]>([])
            var policy = SyncPolicy.standard
            policy.jitter = { $0 }
            policy.requestTimeout = SlowAnswer.timeout
            // run
            let report = try await setup.engine(policy: policy, sleep: { duration in slept.withLock { $0.append(duration) } })
                .sync(integrationID: setup.integration.id, window: Self.window)

            // validate
            #expect(report.newEvents == 7 && report.duplicates == 0)
            #expect(slept.withLock { $0 }.contains(.seconds(2)))
            #expect(try await Stored.count("calls", setup.services.database) == 7)
        }
    }

    @Test(arguments: TestEngine.all)
    func aTokenRevokedMidBackfillIsRenewedWithItsRefreshToken(engine: TestEngine) async throws {
        let ringba = FakeRingba(calls: 7, revokeAfter: 2)
        try await ringba.with(engine, values: ["account_id": "RA1", "email": "ops@example.com", "password": "hunter2hunter2"]) { setup, server in
            // run
            let report = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate
            #expect(report.newEvents == 7)
            #expect(try await Stored.count("calls", setup.services.database) == 7)
            let grants = await server.requests().filter { $0.path == "/token" }.map { FakeRequest.form($0.body)["grant_type"] }
            #expect(grants == ["password", "refresh_token"])
            let bearers = await server.requests().filter { $0.path == "/RA1/calllogs" }.map { $0.headers["authorization"] ?? "" }
            #expect(bearers == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-1", "Bearer tok-2"])
            // The renewed token is kept sealed for the next run, never its text.
            #expect(try await setup.state()?.token?.value == "tok-2")
            let kept = try await Stored.requests(setup.services.database)
            #expect(!kept.contains { $0.headers.contains("tok-") || $0.body.contains("hunter2") })
        }
    }

    @Test(arguments: TestEngine.all)
    func aMalformedRowIsADeadLetterAndTheRestLand(engine: TestEngine) async throws {
        let ringba = FakeRingba(calls: 5, malformed: [3])
        try await ringba.with(engine) { setup, _ in
            // run
            let report = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate
            #expect(report.newEvents == 4 && report.deadLetters == 1)
            #expect(try await Stored.count("calls", setup.services.database) == 4)
            let letters = try await setup.services.ledger.deadLetters(accountID: setup.account.account.id)
            #expect(letters.map(\.field) == ["report.records[0].callDt"])
        }
    }

    @Test(arguments: TestEngine.all)
    func theSameReportServedAgainChangesNothing(engine: TestEngine) async throws {
        let ringba = FakeRingba(calls: 4)
        try await ringba.with(engine) { setup, _ in
            // run
            let first = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            let again = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate
            #expect(first.newEvents == 4)
            #expect(again.newEvents == 0 && again.duplicates == 4)
            #expect(try await Stored.count("calls", setup.services.database) == 4)
            #expect(try await Stored.count("raw_events", setup.services.database) == 4)
        }
    }

    @Test(arguments: TestEngine.all)
    func aCallSeenByWebhookAndByPullIsOneCall(engine: TestEngine) async throws {
        let ringba = FakeRingba(calls: 2)
        try await ringba.with(engine) { setup, _ in
            // setup: Ringba's conversion webhook for the first call
            let app = Application(router: try buildRouter(setup.services))
            try await app.test(.router) { client in
                let uri = "/webhooks/ringba/\(setup.integration.id)?token=whsec&call_id=RGB-0&call_revenue=12.50&sale_successful=yes"
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .ok)
            }

            // run
            _ = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate
            #expect(try await Stored.count("calls", setup.services.database) == 2)
            let call = try #require(try await setup.call("RGB-0"))
            #expect(call.revenue == Money(cents: 1250))
            #expect(call.callerPhone == PhoneNumber.e164("+14155550000"))
        }
    }
}

/// A fake Ringba: `POST token` (the password and refresh grants), `POST RA1/calllogs`
/// over `calls` rows a minute apart, `offset`/`size` as Ringba pages them, and
/// `POST RA1/calllogs/detail` for the calls its `InboundCallIds` names.
struct FakeRingba: Sendable {
    enum Misbehaviour: Sendable {
        case json(String, status: Int, headers: [String: String] = [:])
        case slow
    }

    let calls: Int
    var revokeAfter: Int?
    var malformed: Set<Int> = []
    /// What the nth call-log request (1-based) gets instead of its page.
    var misbehave: @Sendable (Int) -> Misbehaviour? = { _ in nil }
    /// Whether the detail of a call holds its row with `events` and `message-tags`; when
    /// not, Ringba has no detail of the calls asked for (an empty report).
    var detailed: Bool
    /// What the nth detail request (1-based) gets instead of its answer.
    var misbehaveDetail: @Sendable (Int) -> Misbehaviour?

    init(calls: Int, revokeAfter: Int? = nil, malformed: Set<Int> = [], detailed: Bool = false,
         misbehaveDetail: @escaping @Sendable (Int) -> Misbehaviour? = { _ in nil },
         misbehave: @escaping @Sendable (Int) -> Misbehaviour? = { _ in nil }) {
        self.calls = calls
        self.revokeAfter = revokeAfter
        self.malformed = malformed
        self.detailed = detailed
        self.misbehaveDetail = misbehaveDetail
        self.misbehave = misbehave
    }

    static func body(_ request: FakeRequest) -> [String: JSONValue] {
        JSONValue.parse(bytes: request.body)?.object ?? [:]
    }

    /// Row `index` as Ringba's report writes it.
    func row(_ index: Int) -> String {
        JSONValue.object(columns(index)).text
    }

    func columns(_ index: Int) -> [String: JSONValue] {
        let started = RingbaSyncTests.window.from.adding(seconds: Int64(index) * 60)
        let callDt: JSONValue = malformed.contains(index) ? .string("yesterday") : .integer(started.millisecondsSince1970)
        return [
            "inboundCallId": .string("RGB-\(index)"), "callDt": callDt,
            "inboundPhoneNumber": .string("+1415555" + String(format: "%04d", index)), "number": .string("+18884143472"),
            "targetNumber": .string("+16317918378"), "callLengthInSeconds": .integer(60 + index),
            "callConnectionDt": .integer(started.millisecondsSince1970 + 2000),
            "callCompletedDt": .integer(started.millisecondsSince1970 + Int64(60 + index) * 1000),
            "campaignName": .string("API Test"), "isLive": .bool(false), "hasConnected": .bool(true),
        ]
    }

    /// Call `index` as Ringba's detail writes it (the "Get Details About Specific Calls"
    /// answer of its v2 collection): the row with its `events` and `message-tags`. Calls
    /// with an even index converted for $12.50 and paid out $3.
    func detailRow(_ index: Int) -> String {
        let started = RingbaSyncTests.window.from.adding(seconds: Int64(index) * 60).millisecondsSince1970
        let ended = started + Int64(60 + index) * 1000
        func stamp(_ millis: Int64) -> JSONValue { .string(Timestamp(millisecondsSince1970: millis).iso8601) }
        let target: [String: JSONValue] = ["targetNumber": .string("+16317918378"), "targetId": .string("TA1"), "targetName": .string("Ringba Test Target")]
        var events: [JSONValue] = [
            .object(target.merging(["name": .string("TargetDialed"), "dtStamp": stamp(started + 1000)]) { $1 }),
            .object(target.merging(["name": .string("ConnectedCall"), "callConnectionDt": .integer(started + 2000),
                                    "dtStamp": stamp(started + 2000), "timeToConnect": .integer(1)]) { $1 }),
            .object(["name": .string("CompletedCall"), "callLengthInSeconds": .integer(60 + index), "callCompletedDt": .integer(ended),
                     "recordingUrl": .string(""), "dtStamp": stamp(ended)]),
        ]
        if index.isMultiple(of: 2) {
            events.append(.object(target.merging(["name": .string("ConvertedCall"), "conversionAmount": .number("12.5"),
                                                  "payoutAmount": .integer(3), "dtStamp": stamp(ended + 10)]) { $1 }))
            events.append(.object(["name": .string("PayoutCall"), "payoutAmount": .integer(3), "dtStamp": stamp(ended + 20)]))
        }
        events.append(.object(["name": .string("EndCallSource"), "source": .string("Caller"), "dtStamp": stamp(ended + 20)]))
        events.append(.object(["name": .string("CallRecordingMigrated"), "recordingUrl": .string("https://media.ringba.test/RGB-\(index)"),
                               "dtStamp": stamp(ended + 1000)]))
        var row = columns(index)
        row["events"] = .array(events)
        row["message-tags"] = .array([.object(["name": .string("State"), "source": .string("Call"), "type": .string("InboundNumber"),
                                               "value": .string("CA")])])
        return JSONValue.object(row).text
    }

    static func answer(_ misbehaviour: Misbehaviour?) async -> FakeResponse? {
        switch misbehaviour {
        case .json(let text, let status, let headers)?: return .json(text, status: status, headers: headers)
        case .slow?: try? await Task.sleep(for: SlowAnswer.delay)
        case nil: break
        }
        return nil
    }

    func handler(_ state: Tally) -> @Sendable (FakeRequest) async -> FakeResponse {
        { request in
            if request.path == "/token" {
                let issued = state.next("token")
                return .json(#"{"access_token": "tok-\#(issued)", "token_type": "bearer", "expires_in": 3599, "refresh_token": "refresh-\#(issued)", "userName": "ops@example.com"}"#)
            }
            if request.method == "POST", request.path == "/RA1/calllogs/detail" {
                let number = state.next("detail")
                let authorization = request.headers["authorization"] ?? ""
                guard authorization == "Token ringba-api-token" || authorization.hasPrefix("Bearer tok-") else {
                    return .json(#"{"message": "Authorization has been denied for this request."}"#, status: 401)
                }
                if let answer = await Self.answer(misbehaveDetail(number)) { return answer }
                guard case .array(let ids)? = Self.body(request)["InboundCallIds"] else {
                    return .json(#"{"message": "The request is invalid."}"#, status: 400)
                }
                let known = detailed ? ids.compactMap { $0.string.flatMap { Int($0.dropFirst("RGB-".count)) } }.filter { (0..<calls).contains($0) } : []
                return .json(#"{"isSuccessful": true, "transactionId": "TR2", "report": {"records": [\#(known.map(detailRow).joined(separator: ","))]}}"#)
            }
            guard request.method == "POST", request.path == "/RA1/calllogs" else { return .json("{}", status: 404) }
            let number = state.next("calllogs")
            let authorization = request.headers["authorization"] ?? ""
            if authorization == "Bearer tok-1", let revokeAfter, number > revokeAfter {
                return .json(#"{"message": "Authorization has been denied for this request."}"#, status: 401)
            }
            guard authorization == "Token ringba-api-token" || authorization.hasPrefix("Bearer tok-") else {
                return .json(#"{"message": "Authorization has been denied for this request."}"#, status: 401)
            }
            if let answer = await Self.answer(misbehave(number)) { return answer }
            let body = Self.body(request)
            let offset = Int(body["offset"]?.exactInteger ?? 0)
            let size = Int(body["size"]?.exactInteger ?? 1000)
            let rows = (offset..<min(calls, offset + size)).map(row)
            return .json(#"{"isSuccessful": true, "transactionId": "TR1", "report": {"partialResult": false, "records": [\#(rows.joined(separator: ","))]}}"#)
        }
    }

    func with(
        _ engine: TestEngine, values: [String: String] = ["account_id": "RA1", "api_token": "ringba-api-token"],
        _ body: (PulledVendorSetup, FakeVendorServer) async throws -> Void
    ) async throws {
        let server = try await FakeVendorServer.start(handler(Tally()))
        do {
            try await TestDatabases.with(engine) { database in
                let setup = try await PulledVendorSetup.make(database, vendor: SmallPageRingba(), baseURL: server.baseURL, values: values)
                try await body(setup, server)
            }
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }
}

/// Ringba with pages of 3 rows, so that paging shows in a few calls; everything else is
/// Ringba's own adapter.
struct SmallPageRingba: VendorAdapter {
    let base = RingbaAdapter()
    var name: String { base.name }
    var acceptsGET: Bool { base.acceptsGET }
    var mappableNames: Set<String> { base.mappableNames }
    func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        try base.decode(delivery, integration: integration)
    }
    var pull: (any PullClient)? { RingbaPull(pageSize: 3) }
}

/// An account with one integration of `vendor` (in place of the registered one of that
/// name) whose API credentials point at a fake.
struct PulledVendorSetup {
    let services: AppServices
    let account: TestAccount
    let integration: Integration

    static func make(_ database: any Database, vendor: any VendorAdapter, baseURL: String, values: [String: String]) async throws -> PulledVendorSetup {
        let box = try SecretBox(hexKey: ToySetup.secretKey)
        var services = AppServices(database: database, adminKey: nil,
                                   vendors: VendorRegistry.all.filter { $0.name != vendor.name } + [vendor])
        services.secretBox = box
        let account = try await TestAccount.make(database)
        let integration = try await IntegrationStore(database: database).create(
            accountID: account.account.id, vendor: vendor.name, name: vendor.name, fieldMapping: [:], secret: "whsec")
        try await CredentialStore(database: database, box: box).set(StoredCredentials(
            integrationID: integration.id, accountID: account.account.id, values: values, apiBaseURL: baseURL,
            syncIntervalSeconds: 600, updatedAt: .now()))
        return PulledVendorSetup(services: services, account: account, integration: integration)
    }

    func engine(policy: SyncPolicy = .exact, sleep: @escaping @Sendable (Duration) async throws -> Void = { _ in }) -> SyncEngine {
        SyncEngine(services: services, transport: HTTPPullTransport(), holder: "test", policy: policy, sleep: sleep)
    }

    func state() async throws -> SyncState? {
        try await SyncStateStore(database: services.database, box: services.secretBox).state(integrationID: integration.id)
    }

    /// The folded call of a vendor call id.
    func call(_ externalID: String) async throws -> CallFields? {
        let found = try await services.database.read { sql in
            try await sql.raw("SELECT c.id AS id FROM calls c JOIN raw_events e ON e.call_id = c.id WHERE e.external_call_id = \(bind: externalID) LIMIT 1")
                .first()?.decode(column: "id", as: String.self)
        }
        guard let id = found else { return nil }
        return try await services.ledger.call(CallID(rawValue: id), accountID: account.account.id)?.fields
    }
}

/// Requests counted by kind, for a fake that misbehaves on the nth.
final class Tally: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// 1, 2, 3, … per kind.
    func next(_ kind: String) -> Int {
        counts.withLock { $0[kind, default: 0] += 1; return $0[kind, default: 0] }
    }
}

extension FakeRequest {
    /// A form body's fields.
    static func form(_ body: [UInt8]) -> [String: String] {
        FlatFields.form(String(decoding: body, as: UTF8.self)).values
    }
}

enum SyncFixture {
    static func time(_ iso: String) -> Timestamp { Timestamp(parsing: iso) ?? .now() }
}

extension PhoneNumber {
    static func e164(_ text: String) -> PhoneNumber? { try? PhoneNumber(parsing: text) }
}

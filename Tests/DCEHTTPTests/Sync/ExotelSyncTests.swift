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

/// Exotel's Bulk Call Details API pulled through the sync engine from a local fake that
/// answers as developer.exotel.com describes ("Call Details API (v1)": `Calls.json` with
/// `Metadata.NextPageUri` and its `After` cursor, the single call's `{"Call": {…}}` with
/// `details=true`, HTTP Basic authentication), and misbehaves on demand. After each
/// misbehaviour every call is stored once.
@Suite struct ExotelSyncTests {
    static let key = "exo-key-1"
    static let token = "exo-token-secret-9"
    static let window = PullWindow(from: Timestamp(millisecondsSince1970: 1_767_571_200_000),
                                   to: Timestamp(millisecondsSince1970: 1_767_657_600_000))

    /// `2026-01-05 05:30:00`: a moment as Exotel writes it, in India's time.
    static func local(_ time: Timestamp) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Kolkata")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: time.date)
    }

    /// A finished call of the list, started `minute` minutes into the window (or at `start`).
    static func call(_ sid: String, minute: Int64 = 0, at start: Timestamp? = nil, status: String = "completed", duration: String = "\"42\"",
                     details: Bool = false) -> String {
        let start = start ?? window.from.adding(seconds: minute * 60)
        var members: [(String, String)] = [
            ("Sid", JSONText.string(sid)), ("ParentCallSid", "null"), ("AccountSid", JSONText.string("exoacct1")),
            ("DateCreated", JSONText.string(local(start))), ("DateUpdated", JSONText.string(local(start.adding(seconds: 60)))),
            ("To", JSONText.string("09876543210")), ("From", JSONText.string("08012345678")), ("PhoneNumberSid", JSONText.string("02248905010")),
            ("Status", JSONText.string(status)), ("StartTime", JSONText.string(local(start))),
            ("EndTime", JSONText.string(local(start.adding(seconds: 50)))), ("Duration", duration), ("Price", JSONText.string("1.500")),
            ("Direction", JSONText.string("inbound")), ("RecordingUrl", "null"),
        ]
        if details { members.append(("Details", #"{"ConversationDuration":31,"Leg1Status":"completed","Leg2Status":"completed"}"#)) }
        return JSONText.object(members)
    }

    static let standardPages = [
        [call("c0", minute: 0), call("c1", minute: 1)],
        [call("c2", minute: 2), call("c3", minute: 3)],
        [call("c4", minute: 4)],
    ]

    @Test(arguments: TestEngine.all)
    func aBackfillOfSeveralPagesStoresEveryCallOnce(engine: TestEngine) async throws {
        try await withExotel(engine, pages: Self.standardPages) { harness, server in
            // run
            let report = try await harness.engine().sync(integrationID: harness.integration.id, window: Self.window)

            // validate
            #expect(report.pages == 3)
            #expect(report.newEvents == 5)
            #expect(try await Stored.count("calls", harness.services.database) == 5)
            let sent = await server.requests()
            #expect(sent.map { $0.query["After"] ?? "" } == ["", "p2", "p3"])
            let basic = "Basic " + Data("\(Self.key):\(Self.token)".utf8).base64EncodedString()
            #expect(sent.allSatisfy { $0.headers["authorization"] == basic && $0.query["DateCreated"] != nil && $0.query["SortBy"] == "DateCreated:asc" })
            let kept = try await Stored.requests(harness.services.database)
            #expect(kept.allSatisfy { !$0.headers.contains(Self.token) && $0.path == "/sync/exotel/\(harness.integration.id)/calls" })
            let c3 = try #require(try await harness.call("c3"))
            #expect(c3.fields.status == .completed)
            #expect(c3.fields.durationSeconds == 42)
        }
    }

    @Test(arguments: TestEngine.all)
    func errorsRateLimitsAMalformedRowAndRowsServedTwiceLeaveEveryCallOnce(engine: TestEngine) async throws {
        let tries = Counter()
        var pages = Self.standardPages
        pages[1] = [pages[0][1], Self.call("c2", minute: 2, duration: "\"a while\""), Self.call("c3", minute: 3)]
        try await withExotel(engine, pages: pages, before: { request in
            guard request.query["After"] == "p2" else { return nil }
            switch tries.next() {
            case 1: return .json(#"{"RestException":{"Status":500}}"#, status: 500)
            case 2: return .json("{}", status: 429, headers: ["Retry-After": "3"])
            default: return nil
            }
        }) { harness, server in
            // run
            let slept = Recorder<Duration>()
            let report = try await harness.engine(sleep: slept.record).sync(integrationID: harness.integration.id, window: Self.window)
            let again = try await harness.engine().sync(integrationID: harness.integration.id, window: Self.window)

            // validate
            #expect(slept.all == [.milliseconds(500), .seconds(3)])
            #expect(report.deadLetters == 1)
            #expect(report.duplicates == 1)
            #expect(again.newEvents == 0)
            #expect(try await Stored.count("calls", harness.services.database) == 4)
            #expect(try await Stored.count("raw_events", harness.services.database) == 4)
            let letters = try await harness.services.ledger.deadLetters(accountID: harness.account.account.id)
            #expect(letters.first?.field == "Calls[1].Duration")
            #expect(await server.requests().count == 5 + 3)
        }
    }

    @Test(arguments: TestEngine.all)
    func aCallSeenByWebhookAndByPullIsOneCall(engine: TestEngine) async throws {
        try await withExotel(engine, pages: Self.standardPages) { harness, _ in
            // setup: Exotel's terminal callback of c0 came before the pull
            let start = Self.window.from
            let form = "CallSid=c0&EventType=terminal&Status=completed&From=08012345678&To=09876543210"
                + "&StartTime=\(Self.formEncoded(Self.local(start)))&DateUpdated=\(Self.formEncoded(Self.local(start.adding(seconds: 60))))"
            try await harness.deliver(form)

            // run
            let report = try await harness.engine().sync(integrationID: harness.integration.id, window: Self.window)

            // validate
            #expect(report.newEvents == 5)
            #expect(try await Stored.count("calls", harness.services.database) == 5)
            let c0 = try #require(try await harness.call("c0"))
            #expect(c0.eventCount == 2)
            #expect(c0.fields.durationSeconds == 42)
        }
    }

    @Test(arguments: TestEngine.all)
    func aCallWhoseFinalCallbackNeverCameIsCompletedFromItsOwnDetails(engine: TestEngine) async throws {
        let now = Self.window.to
        let started = now.adding(seconds: -3 * 3600)
        let details = Self.call("late1", at: started, details: true)
        try await withExotel(engine, pages: [[]], single: ["late1": details]) { harness, server in
            // setup: only the answered callback came, three hours ago
            let form = "CallSid=late1&EventType=answered&Status=in-progress&From=08012345678&To=09876543210"
                + "&StartTime=\(Self.formEncoded(Self.local(started)))&DateUpdated=\(Self.formEncoded(Self.local(started.adding(seconds: 5))))"
            try await harness.deliver(form)
            #expect(try await harness.call("late1")?.fields.status == .answered)

            // run: a scheduled run of the last 90 minutes
            let window = PullWindow(from: now.adding(seconds: -90 * 60), to: now)
            _ = try await harness.engine(now: { now }).sync(integrationID: harness.integration.id, window: window)

            // validate
            let call = try #require(try await harness.call("late1"))
            #expect(call.fields.status == .completed)
            #expect(call.fields.durationSeconds == 31)
            #expect(try await Stored.count("calls", harness.services.database) == 1)
            let asked = await server.requests().filter { $0.path.contains("/Calls/") }
            #expect(asked.map(\.path) == ["/v1/Accounts/exoacct1/Calls/late1.json"])
            #expect(asked.first?.query["details"] == "true")

            // A later run whose window no longer covers the call's deadline asks nothing more.
            let later = PullWindow(from: now, to: now.adding(seconds: 600))
            _ = try await harness.engine(now: { later.to }).sync(integrationID: harness.integration.id, window: later)
            #expect(await server.requests().filter { $0.path.contains("/Calls/") }.count == 1)
        }
    }

    static func formEncoded(_ text: String) -> String {
        text.replacingOccurrences(of: " ", with: "+").replacingOccurrences(of: ":", with: "%3A")
    }
}

// MARK: - Support

struct ExotelHarness {
    let services: AppServices
    let account: TestAccount
    let integration: Integration

    func engine(now: @escaping @Sendable () -> Timestamp = { .now() }, sleep: @escaping @Sendable (Duration) async throws -> Void = { _ in }) -> SyncEngine {
        SyncEngine(services: services, transport: HTTPPullTransport(), holder: "test", policy: .exact, sleep: sleep, now: now)
    }

    func call(_ sid: String) async throws -> CallRecord? {
        let id = try await services.database.read { sql in
            try await sql.raw("SELECT call_id FROM call_vendor_ids WHERE source = 'exotel' AND external_call_id = \(bind: sid)")
                .first()?.decode(column: "call_id", as: String.self)
        }
        guard let id else { return nil }
        return try await services.ledger.call(CallID(rawValue: id), accountID: account.account.id)
    }

    /// A status callback through dce's webhook route.
    func deliver(_ form: String) async throws {
        let app = Application(router: try buildRouter(services))
        try await app.test(.router) { client in
            let answer = try await client.execute(uri: integration.webhookPath + "?token=whsec", method: .post,
                                                  headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form))
            #expect(answer.status == .ok, "\(answer.text)")
        }
    }
}

extension ExotelSyncTests {
    /// An Exotel integration on `engine` whose credentials point at a fake serving the call
    /// list `pages` (cursors `p2`, `p3`, …) and the single calls `single`; `before` may
    /// answer a request first.
    func withExotel(
        _ engine: TestEngine, pages: [[String]], single: [String: String] = [:],
        before: @escaping @Sendable (FakeRequest) async -> FakeResponse? = { _ in nil },
        _ body: (ExotelHarness, FakeVendorServer) async throws -> Void
    ) async throws {
        let server = try await FakeVendorServer.start { request in
            if let answer = await before(request) { return answer }
            return Self.serve(request, pages: pages, single: single)
        }
        do {
            try await TestDatabases.with(engine) { database in
                let box = try SecretBox(hexKey: String(repeating: "ef", count: 32))
                var services = AppServices(database: database, adminKey: nil)
                services.secretBox = box
                let account = try await TestAccount.make(database)
                let integration = try await IntegrationStore(database: database).create(
                    accountID: account.account.id, vendor: "exotel", name: "exotel", fieldMapping: [:], secret: "whsec")
                try await CredentialStore(database: database, box: box).set(StoredCredentials(
                    integrationID: integration.id, accountID: account.account.id,
                    values: ["account_sid": "exoacct1", "api_key": Self.key, "api_token": Self.token],
                    apiBaseURL: server.baseURL, syncIntervalSeconds: 600, updatedAt: .now()))
                try await body(ExotelHarness(services: services, account: account, integration: integration), server)
            }
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    /// Exotel's answers: the list's page of the `After` cursor, or one call.
    static func serve(_ request: FakeRequest, pages: [[String]], single: [String: String]) -> FakeResponse {
        let basic = "Basic " + Data("\(key):\(token)".utf8).base64EncodedString()
        guard request.headers["authorization"] == basic else { return .json(#"{"RestException":{"Status":401}}"#, status: 401) }
        let prefix = "/v1/Accounts/exoacct1/"
        if request.path == prefix + "Calls.json" {
            let number = request.query["After"].flatMap { Int($0.dropFirst()) } ?? 1
            guard request.query["DateCreated"] != nil, (1...max(pages.count, 1)).contains(number) else { return .json("{}", status: 400) }
            let next = number < pages.count ? JSONText.string(prefix + "Calls.json?PageSize=100&After=p\(number + 1)") : "null"
            let calls = pages.isEmpty ? [] : pages[number - 1]
            return .json(#"{"Metadata":{"Total":\#(calls.count),"PageSize":100,"FirstPageUri":"\#(prefix)Calls.json","PrevPageUri":null,"NextPageUri":\#(next)},"Calls":[\#(calls.joined(separator: ","))]}"#)
        }
        if request.path.hasPrefix(prefix + "Calls/"), request.path.hasSuffix(".json") {
            let sid = String(request.path.dropFirst((prefix + "Calls/").count).dropLast(".json".count))
            guard let call = single[sid] else { return .json(#"{"RestException":{"Status":404}}"#, status: 404) }
            return .json(#"{"Call":\#(call)}"#)
        }
        return .json("{}", status: 404)
    }
}

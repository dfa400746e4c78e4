import DCEDomain
import DCEHTTP
import DCEJSON
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// RingCentral pulled through the sync engine from a fake RingCentral over real HTTP, on
/// both engines: the JWT bearer grant and refresh (RingCentral's "JWT authorization flow"),
/// the Detailed call log paged by `navigation.nextPage` ("Understanding the call log data
/// format"), recordings by `contentUri` ("Call Recordings"), the account's phone numbers
/// and labels and the webhook subscription (seed 001). After each misbehaviour every call
/// is stored exactly once.
@Suite struct RingCentralSyncTests {
    static let window = PullWindow(from: SyncFixture.time("2026-01-05T00:00:00Z"), to: SyncFixture.time("2026-01-06T00:00:00Z"))

    @Test(arguments: TestEngine.all)
    func aBackfillOfSeveralPagesLandsEveryCallOnceWithItsRecording(engine: TestEngine) async throws {
        let rc = FakeRingCentral(calls: 7, recorded: [1, 4])
        try await rc.with(engine) { setup, server in
            // run
            let report = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate: pages of 3, 3 and 1, each call once
            #expect(report.rows == 7 && report.newEvents == 7 && report.deadLetters == 0)
            #expect(try await Stored.count("calls", setup.services.database) == 7)
            let asked = await server.requests().filter { $0.path == FakeRingCentral.callLog }
            #expect(asked.map { $0.query["page"] } == ["1", "2", "3"])
            #expect(asked.allSatisfy { $0.headers["authorization"] == "Bearer tok-1" && $0.query["view"] == "Detailed" })
            #expect(asked.first?.query["dateFrom"] == "2026-01-05T00:00:00.000Z" && asked.first?.query["dateTo"] == "2026-01-06T00:00:00.000Z")
            let grants = await server.requests().filter { $0.path == "/restapi/oauth/token" }
            #expect(grants.map { FakeRequest.form($0.body)["grant_type"] } == ["urn:ietf:params:oauth:grant-type:jwt-bearer"])
            #expect(grants.first?.headers["authorization"] == "Basic " + Data("rc-client:rc-secret".utf8).base64EncodedString())
            let call = try #require(try await setup.call("S-2"))
            #expect(call.callerPhone == PhoneNumber.e164("+14155550002") && call.status == .completed && call.durationSeconds == 62)

            // Each recording downloaded with the bearer token and served to the account.
            let downloads = await server.requests().filter { $0.path.hasSuffix("/content") }
            #expect(downloads.count == 2 && downloads.allSatisfy { $0.headers["authorization"] == "Bearer tok-1" })
            try await setup.expectRecording("S-1", bytes: FakeRingCentral.audio("R-1"))
            try await setup.expectRecording("S-4", bytes: FakeRingCentral.audio("R-4"))
            try await setup.expectRecording("S-0", bytes: nil)
            // The audio is never kept as a page; the call log's pages are.
            let kept = try await Stored.requests(setup.services.database)
            #expect(kept.filter { $0.path.hasSuffix("/call-log") }.count == 3)
            #expect(!kept.contains { $0.path.hasSuffix("/recording") || $0.headers.contains("tok-") })
        }
    }

    @Test(arguments: TestEngine.all)
    func serverErrorsThrottlingAndASlowAnswerAreRetriedAndEachCallStoredOnce(engine: TestEngine) async throws {
        let rc = FakeRingCentral(calls: 7) { number in
            switch number {
            case 1: .json(#"{"errorCode": "CMN-201", "message": "Service temporary unavailable"}"#, status: 503)
            case 2: .json(#"{"errorCode": "CMN-301", "message": "Request rate exceeded"}"#, status: 429, headers: ["Retry-After": "2"])
            case 4: .slow
            default: nil
            }
        }
        try await rc.with(engine) { setup, _ in
            let slept = Mutex<[Duration]>([])
            var policy = SyncPolicy.exact
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
    func aTokenExpiringMidBackfillIsRenewedWithTheRefreshToken(engine: TestEngine) async throws {
        let rc = FakeRingCentral(calls: 7, revokeAfter: 1)
        try await rc.with(engine) { setup, server in
            // run
            let report = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            // validate
            #expect(report.newEvents == 7)
            #expect(try await Stored.count("calls", setup.services.database) == 7)
            let grants = await server.requests().filter { $0.path == "/restapi/oauth/token" }.map { FakeRequest.form($0.body) }
            #expect(grants.map { $0["grant_type"] } == ["urn:ietf:params:oauth:grant-type:jwt-bearer", "refresh_token"])
            #expect(grants.last?["refresh_token"] == "refresh-1")
            #expect(try await setup.state()?.token?.value == "tok-2")
        }
    }

    @Test(arguments: TestEngine.all)
    func aMalformedRecordIsADeadLetterAndTheRestLand(engine: TestEngine) async throws {
        let rc = FakeRingCentral(calls: 5, malformed: [4])
        try await rc.with(engine) { setup, _ in
            let report = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            #expect(report.newEvents == 4 && report.deadLetters == 1)
            #expect(try await Stored.count("calls", setup.services.database) == 4)
            let letters = try await setup.services.ledger.deadLetters(accountID: setup.account.account.id)
            #expect(letters.map(\.field) == ["records[1].startTime"])
        }
    }

    @Test(arguments: TestEngine.all)
    func theSameCallLogServedAgainChangesNothing(engine: TestEngine) async throws {
        let rc = FakeRingCentral(calls: 4, recorded: [0])
        try await rc.with(engine) { setup, server in
            let first = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            let again = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            #expect(first.newEvents == 4)
            #expect(again.newEvents == 0 && again.duplicates == 4)
            #expect(try await Stored.count("calls", setup.services.database) == 4)
            #expect(try await Stored.count("call_recordings", setup.services.database) == 1)
            #expect(await server.requests().filter { $0.path.hasSuffix("/content") }.count == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func aCallSeenByWebhookAndByPullIsOneCall(engine: TestEngine) async throws {
        let rc = FakeRingCentral(calls: 2)
        try await rc.with(engine) { setup, _ in
            // setup: the telephony-session notification of the first call, as RingCentral delivers it
            let notification = #"{"uuid": "1", "event": "/restapi/v1.0/account/~/telephony/sessions", "timestamp": "2026-01-05T00:00:03Z","#
                + #" "body": {"sequence": 4, "sessionId": "S-0", "telephonySessionId": "TS-0", "eventTime": "2026-01-05T00:00:03Z","#
                + #" "parties": [{"id": "p-0", "direction": "Inbound", "status": {"code": "Answered"}, "from": {"phoneNumber": "+14155550000"},"#
                + #" "to": {"phoneNumber": "+18774443333"}, "uiCallInfo": {"primary": {"type": "InDIDLabel", "value": "+14155550100"}}}]}}"#
            let app = Application(router: try buildRouter(setup.services))
            let token = try #require(HTTPField.Name("Verification-Token"))
            try await app.test(.router) { client in
                let response = try await client.execute(uri: "/webhooks/ringcentral/\(setup.integration.id)", method: .post,
                                                        headers: [.contentType: "application/json", token: "whsec"],
                                                        body: .json(notification))
                #expect(response.status == .ok)
            }
            // run
            _ = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            // validate
            #expect(try await Stored.count("calls", setup.services.database) == 2)
            let call = try #require(try await setup.call("S-0"))
            #expect(call.status == .completed && call.durationSeconds == 60)
            #expect(call.tags["ringcentral_label"] == "+14155550100")
        }
    }

    @Test(arguments: TestEngine.all)
    func aRecordingThatFailsIsNotLinkedAndIsFetchedOnTheNextRun(engine: TestEngine) async throws {
        let rc = FakeRingCentral(calls: 2, recorded: [1], failedDownloads: 5)
        try await rc.with(engine) { setup, server in
            // run: every try of the download fails
            _ = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            try await setup.expectRecording("S-1", bytes: nil)
            let pending = try await Recordings(database: setup.services.database).pending(integrationID: setup.integration.id, limit: 5)
            #expect(pending.count == 1 && pending.first?.lastError?.contains("HTTP 500") == true)
            // run again: it downloads
            _ = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            try await setup.expectRecording("S-1", bytes: FakeRingCentral.audio("R-1"))
            #expect(await server.requests().filter { $0.path.hasSuffix("/content") }.count == 6)
        }
    }

    @Test(arguments: TestEngine.all)
    func aRecordingCutOffHalfWayIsNeitherKeptNorLinkedAndIsFetchedWholeOnTheNextRun(engine: TestEngine) async throws {
        var rc = FakeRingCentral(calls: 2, recorded: [1])
        rc.cutDownloads = 5
        try await rc.with(engine) { setup, server in
            // run: every try of the download stops half-way
            _ = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            try await setup.expectRecording("S-1", bytes: nil)
            let pending = try await Recordings(database: setup.services.database).pending(integrationID: setup.integration.id, limit: 5)
            #expect(pending.count == 1 && pending.first?.lastError != nil)
            // No partial file is left in the folder.
            let folder = setup.services.recordingsDirectory
            let files = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).filter { !$0.hasSuffix("/") }
            #expect(files.allSatisfy { path in
                var directory: ObjCBool = false
                return FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &directory) && directory.boolValue
            })
            // run again: it arrives whole
            _ = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            try await setup.expectRecording("S-1", bytes: FakeRingCentral.audio("R-1"))
            #expect(await server.requests().filter { $0.path.hasSuffix("/content") }.count == 6)
        }
    }

    @Test(arguments: TestEngine.all)
    func theSubscriptionIsCreatedForTheIntegrationsWebhookThenRenewedBeforeItExpires(engine: TestEngine) async throws {
        let rc = FakeRingCentral(calls: 1, subscriptionSeconds: 3600)
        try await rc.with(engine, publicURL: "https://dce.example.com") { setup, server in
            // run
            _ = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            // validate: created with the seed's filters, delivering to dce with the integration's secret
            let created = try #require(await server.requests().first { $0.path == "/restapi/v1.0/subscription" })
            let body = try #require(JSONValue.parse(bytes: created.body))
            #expect(body["eventFilters"] == .array(RingCentralAccountAPI.eventFilters.map(JSONValue.string)))
            #expect(body["deliveryMode"] == .object(["transportType": .string("WebHook"), "verificationToken": .string("whsec"),
                                                     "address": .string("https://dce.example.com/webhooks/ringcentral/\(setup.integration.id)")]))
            // An hour left is under the day's margin: the next run renews it.
            _ = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            let paths = await server.requests().map(\.path).filter { $0.contains("/subscription") }
            #expect(paths == ["/restapi/v1.0/subscription", "/restapi/v1.0/subscription/sub-1/renew"])
            #expect(try await VendorSubscriptions(database: setup.services.database).subscription(integrationID: setup.integration.id)?.subscriptionID == "sub-1")
        }
    }

    @Test(arguments: TestEngine.all)
    func theAccountsNumbersAreImportedWithTheirLabelsAndDCEsLabelsAreSetAtRingCentral(engine: TestEngine) async throws {
        let rc = FakeRingCentral(calls: 1)
        try await rc.with(engine) { setup, server in
            // setup: dce labels one of the numbers with another destination
            let inventory = NumberInventory(database: setup.services.database)
            let accountID = setup.account.account.id
            _ = try await inventory.add(TrackingNumber(number: try PhoneNumber(parsing: "+18774443334"), label: "+14155550199"), accountID: accountID)
            // run
            _ = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            // validate
            #expect(try await inventory.number(try PhoneNumber(parsing: "+18774443333"), accountID: accountID)?.number.label == "+14155550100")
            #expect(try await inventory.number(try PhoneNumber(parsing: "+18774443335"), accountID: accountID)?.number.label == nil)
            let put = try #require(await server.requests().first { $0.method == "PUT" })
            #expect(put.path == "/restapi/v1.0/account/~/phone-number/1002")
            #expect(JSONValue.parse(bytes: put.body) == .object(["label": .string("+14155550199")]))
        }
    }
}

extension PulledVendorSetup {
    /// `GET /v1/calls/{id}/recording` of the call of `session`: the bytes, or a 404 when nil.
    func expectRecording(_ session: String, bytes: [UInt8]?) async throws {
        let id = try await services.database.read { sql in
            try await sql.raw("SELECT call_id FROM call_vendor_ids WHERE external_call_id = \(bind: session)").first()?.decode(column: "call_id", as: String.self)
        }
        let callID = try #require(id)
        let app = Application(router: try buildRouter(services))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/v1/calls/\(callID)/recording", method: .get, headers: .bearer(account.key))
            if let bytes {
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "audio/mpeg")
                #expect(Array(buffer: response.body) == bytes)
            } else {
                #expect(response.status == .notFound)
            }
        }
    }
}

/// A fake RingCentral: the token endpoint, the call log over `calls` records a minute apart
/// in pages of 3, recordings, phone numbers and subscriptions.
struct FakeRingCentral: Sendable {
    enum Misbehaviour: Sendable {
        case json(String, status: Int, headers: [String: String] = [:])
        case slow
    }

    static let callLog = "/restapi/v1.0/account/~/call-log"
    let calls: Int
    var recorded: Set<Int> = []
    var revokeAfter: Int?
    var malformed: Set<Int> = []
    var failedDownloads = 0
    /// Downloads that stop half-way, the connection dropped, after the failed ones.
    var cutDownloads = 0
    var subscriptionSeconds = 604_800
    var misbehave: @Sendable (Int) -> Misbehaviour? = { _ in nil }

    init(calls: Int, recorded: Set<Int> = [], revokeAfter: Int? = nil, malformed: Set<Int> = [], failedDownloads: Int = 0,
         subscriptionSeconds: Int = 604_800, misbehave: @escaping @Sendable (Int) -> Misbehaviour? = { _ in nil }) {
        self.calls = calls
        self.recorded = recorded
        self.revokeAfter = revokeAfter
        self.malformed = malformed
        self.failedDownloads = failedDownloads
        self.subscriptionSeconds = subscriptionSeconds
        self.misbehave = misbehave
    }

    static func audio(_ id: String) -> [UInt8] { Array("ID3-audio-of-\(id)".utf8) }

    /// Record `index` as the Detailed call log writes it.
    func record(_ index: Int, base: String) -> String {
        let started = RingCentralSyncTests.window.from.adding(seconds: Int64(index) * 60)
        var members: [String: JSONValue] = [
            "id": .string("CL-\(index)"), "sessionId": .string("S-\(index)"), "telephonySessionId": .string("TS-\(index)"),
            "startTime": .string(malformed.contains(index) ? "yesterday" : started.iso8601), "duration": .integer(60 + index),
            "type": .string("Voice"), "direction": .string("Inbound"), "action": .string("Phone Call"), "result": .string("Accepted"),
            "from": .object(["phoneNumber": .string("+1415555" + String(format: "%04d", index))]),
            "to": .object(["phoneNumber": .string("+18774443333"), "name": .string("Sales")]),
            "legs": .array([]),
        ]
        if recorded.contains(index) {
            members["recording"] = .object([
                "id": .string("R-\(index)"), "type": .string("Automatic"),
                "contentUri": .string("\(base)restapi/v1.0/account/~/recording/R-\(index)/content"),
            ])
        }
        return JSONValue.object(members).text
    }

    func handler(_ tally: Tally, base: FakeAddress) -> @Sendable (FakeRequest) async -> FakeResponse {
        { request in
            if request.path == "/restapi/oauth/token" {
                let issued = tally.next("token")
                return .json(#"{"access_token": "tok-\#(issued)", "token_type": "bearer", "expires_in": 3600, "refresh_token": "refresh-\#(issued)", "refresh_token_expires_in": 604800}"#)
            }
            let authorization = request.headers["authorization"] ?? ""
            guard authorization.hasPrefix("Bearer tok-") else {
                return .json(#"{"errorCode": "AGW-401", "message": "Authorization header is not specified"}"#, status: 401)
            }
            let host = base.url.withLock { $0 }
            switch (request.method, request.path) {
            case ("GET", Self.callLog):
                let number = tally.next("call-log")
                if authorization == "Bearer tok-1", let revokeAfter, number > revokeAfter {
                    return .json(#"{"errorCode": "TokenInvalid", "message": "Access token expired"}"#, status: 401)
                }
                switch misbehave(number) {
                case .json(let text, let status, let headers)?: return .json(text, status: status, headers: headers)
                case .slow?: try? await Task.sleep(for: SlowAnswer.delay)
                case nil: break
                }
                let page = Int(request.query["page"] ?? "1") ?? 1
                let rows = ((page - 1) * 3..<min(calls, page * 3)).map { record($0, base: host) }
                let query = "view=Detailed&dateFrom=\(request.query["dateFrom"] ?? "")&dateTo=\(request.query["dateTo"] ?? "")&perPage=3"
                let next = page * 3 < calls
                    ? #", "navigation": {"nextPage": {"uri": "https://platform.ringcentral.com/restapi/v1.0/account/~/call-log?\#(query)&page=\#(page + 1)"}}"#
                    : #", "navigation": {}"#
                return .json(#"{"records": [\#(rows.joined(separator: ","))], "paging": {"page": \#(page), "perPage": 3}\#(next)}"#)
            case ("GET", let path) where path.hasSuffix("/content"):
                let download = tally.next("download")
                if download <= failedDownloads { return .json(#"{"errorCode": "CMN-500"}"#, status: 500) }
                let id = path.split(separator: "/").dropLast().last.map(String.init) ?? ""
                var answer = FakeResponse(status: 200, headers: ["Content-Type": "audio/mpeg"], body: Self.audio(id))
                if download <= failedDownloads + cutDownloads { answer.cutAfter = answer.body.count / 2 }
                return answer
            case ("GET", "/restapi/v1.0/account/~/phone-number"):
                return .json(#"{"records": [{"id": 1001, "phoneNumber": "+18774443333", "paymentType": "TollFree", "usageType": "CompanyNumber", "label": "+14155550100"},"#
                    + #" {"id": 1002, "phoneNumber": "+18774443334", "paymentType": "TollFree", "usageType": "CompanyNumber", "label": "old"},"#
                    + #" {"id": 1003, "phoneNumber": "+18774443335", "paymentType": "TollFree", "usageType": "CompanyNumber"}], "navigation": {}}"#)
            case ("PUT", let path) where path.hasPrefix("/restapi/v1.0/account/~/phone-number/"):
                return .json(#"{"id": 1002}"#)
            case ("POST", "/restapi/v1.0/subscription"), ("POST", "/restapi/v1.0/subscription/sub-1/renew"):
                return .json(#"{"id": "sub-1", "status": "Active", "expiresIn": \#(subscriptionSeconds)}"#)
            default:
                return .json(#"{"errorCode": "CMN-102"}"#, status: 404)
            }
        }
    }

    func with(_ engine: TestEngine, publicURL: String? = nil, _ body: (PulledVendorSetup, FakeVendorServer) async throws -> Void) async throws {
        let base = FakeAddress()
        let server = try await FakeVendorServer.start(handler(Tally(), base: base))
        base.url.withLock { $0 = server.baseURL }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dce-recordings-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try await TestDatabases.with(engine) { database in
                var setup = try await PulledVendorSetup.make(database, vendor: RingCentralAdapter(), baseURL: server.baseURL,
                                                             values: ["client_id": "rc-client", "client_secret": "rc-secret", "jwt": "rc-jwt"])
                var services = setup.services
                services.recordingsDirectory = folder.path
                services.publicURL = publicURL
                setup = PulledVendorSetup(services: services, account: setup.account, integration: setup.integration)
                try await body(setup, server)
            }
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }
}

/// The fake's own address, known once it listens, for the links it writes.
final class FakeAddress: Sendable {
    let url = Mutex("")
}

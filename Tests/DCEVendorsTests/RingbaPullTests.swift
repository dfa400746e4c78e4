import DCEDomain
import DCEJSON
import DCEVendors
import Foundation
import Testing

/// A vendor's API as a list of answers, recording what was sent.
actor RecordingTransport: PullTransport {
    private var answers: [PullResponse]
    private(set) var sent: [PullRequest] = []

    init(_ answers: [PullResponse]) { self.answers = answers }

    func send(_ request: PullRequest, timeout: Duration) async throws -> PullResponse {
        sent.append(request)
        guard !answers.isEmpty else { return PullResponse(status: 599, body: []) }
        return answers.removeFirst()
    }

    static func json(_ text: String, status: Int = 200) -> PullResponse {
        PullResponse(status: status, headers: ["content-type": "application/json"], body: Array(text.utf8))
    }
}

/// Ringba's call-log pull. Answers are in the shapes of Ringba's published v2 API collection
/// (ringba_v2_postman_collection.json, as kept by diablomedia/ringba-php-sdk): "Get Call Log"
/// (`ringba-calllogs-report.json`, exactly) and "Get User Authentication Bearer Token"
/// (`token`, below, its fields with shorter token values); seed 000's `callLog.data` shape is
/// `ringba-seed-calllog.json`.
@Suite struct RingbaPullTests {
    let client = RingbaPull()
    static let window = PullWindow(from: Fixture.time("2021-02-01T08:00:00Z"), to: Fixture.time("2021-02-04T08:00:00Z"))
    static let tokenKeys = PullCredentials(values: ["account_id": "RA123", "api_token": "secret-token"], apiBaseURL: "https://ringba.test/v2/")
    static let passwordKeys = PullCredentials(
        values: ["account_id": "RA123", "email": "ringba.api.user@gmail.com", "password": "p&ss=word"], apiBaseURL: "https://ringba.test/v2"
    )

    static let token = """
    {"access_token": "0VH31LtRMFtHowoXf2IpXgcEvZMK", "token_type": "bearer", "expires_in": 3599,
     "refresh_token": "tHt5ISkNZO_8apbiN1RdtTWHik7U", "userName": "ringba.api.user@gmail.com",
     ".issued": "Mon, 01 Feb 2021 18:25:55 GMT", ".expires": "Mon, 01 Feb 2021 19:25:55 GMT"}
    """

    static func body(_ request: PullRequest) throws -> [String: JSONValue] {
        try #require(JSONValue.parse(bytes: request.body ?? [])?.object)
    }

    static func page(_ text: String) -> PullResponse { RecordingTransport.json(text) }

    func read(_ text: String, request: PullRequest? = nil) throws -> PulledPage {
        try client.read(Self.page(text), of: request ?? client.firstRequest(window: Self.window, credentials: Self.tokenKeys),
                        window: Self.window, credentials: Self.tokenKeys, integration: integration)
    }

    @Test func theFirstRequestAsksForTheWindowsReportWithoutACredential() throws {
        let request = client.firstRequest(window: Self.window, credentials: Self.tokenKeys)
        #expect(request.method == "POST")
        #expect(request.url == "https://ringba.test/v2/RA123/calllogs")
        #expect(request.endpoint == "calllogs")
        #expect(request.headers["content-type"] == "application/json")
        let body = try Self.body(request)
        #expect(body["reportStart"] == .string("2021-02-01T08:00:00.000Z"))
        #expect(body["reportEnd"] == .string("2021-02-04T08:00:00.000Z"))
        #expect(body["startDate"] == .string("2021-02-01"))
        #expect(body["endDate"] == .string("2021-02-04"))
        #expect(body["offset"] == .integer(0))
        #expect(body["size"] == .integer(1000))
        #expect(body["orderByColumns"] == .array([.object(["column": .string("callDt"), "direction": .string("asc")])]))
        guard case .array(let columns)? = body["valueColumns"] else { Issue.record("no valueColumns"); return }
        let names = Set(columns.compactMap { $0["column"]?.string })
        #expect(names.isSuperset(of: ["inboundCallId", "callDt", "inboundPhoneNumber", "number", "targetNumber", "callLengthInSeconds",
                                       "callConnectionDt", "callCompletedDt", "campaignId", "publisherId", "conversionAmount",
                                       "payoutAmount", "hasConverted", "recordingUrl", "isLive", "hasConnected", "endCallSource"]))
        #expect(body["filters"] == nil)
        let sent = request.url + String(decoding: request.body ?? [], as: UTF8.self) + request.headers.values.joined()
        #expect(!sent.contains("secret-token"))
    }

    @Test func aCampaignNarrowsTheReportWithRingbasFilterShape() throws {
        let keys = PullCredentials(values: Self.tokenKeys.values.merging(["campaign_id": "CA74"]) { $1 }, apiBaseURL: "https://ringba.test/v2/")
        let body = try Self.body(client.firstRequest(window: Self.window, credentials: keys))
        #expect(body["filters"] == .array([.object(["anyConditionToMatch": .array([.object([
            "column": .string("campaignId"), "value": .string("CA74"), "isNegativeMatch": .bool(false), "comparisonType": .string("EQUALS"),
        ])])])]))
    }

    @Test func anAPITokenOrABearerTokenAuthorizes() {
        let request = client.firstRequest(window: Self.window, credentials: Self.tokenKeys)
        #expect(client.authorize(request, credentials: Self.tokenKeys, token: nil).headers["authorization"] == "Token secret-token")
        let bearer = client.authorize(request, credentials: Self.passwordKeys, token: AccessToken(value: "abc"))
        #expect(bearer.headers["authorization"] == "Bearer abc")
        #expect(bearer.url == request.url && bearer.body == request.body)
    }

    @Test func aShortPageIsTheLastAndEachRowIsItsCallsEvent() throws {
        let page = try read(Fixture.text("ringba-calllogs-report.json"))
        // Only its calls' detail follows it: no page after.
        #expect(page.next?.url == "https://ringba.test/v2/RA123/calllogs/detail")
        #expect(page.rows.count == 3)
        let events = try page.rows.map { try $0.outcome.get() }
        #expect(events.map(\.count) == [1, 1, 1])
        let first = try #require(events.first?.first)
        // The webhook's mapping, the webhook's call id: one call whichever way it came.
        let viaWebhook = try RingbaCallLogTests.rows("ringba-calllogs-report.json")[0]
        #expect(first.event.fields == viaWebhook.event.fields)
        #expect(first.event.externalCallID == "v21GxftEiw9_xebLSYKj4db9Wh5E3xSYcgYfGP6Z4rreg7TK7YdU5wFw")
        #expect(first.event.source == RingbaAdapter.source)
        #expect(first.event.idempotencyKey == PulledRowKey.make(
            RingbaAdapter.source, integration: "int_test", callID: first.event.externalCallID, row: page.rows[0].payload))
        #expect(first.payload == page.rows[0].payload)
    }

    @Test func aFullPageAsksForTheNextOffset() throws {
        let small = RingbaPull(pageSize: 2)
        let first = small.firstRequest(window: Self.window, credentials: Self.tokenKeys)
        let full = #"{"isSuccessful": true, "report": {"records": [{"inboundCallId": "a"}, {"inboundCallId": "b"}]}}"#
        let page = try small.read(Self.page(full), of: first, window: Self.window, credentials: Self.tokenKeys, integration: integration)
        // The page's calls' detail comes between.
        let detail = try #require(page.next)
        let next = try #require(try small.read(Self.page(#"{"report": {"records": []}}"#), of: detail,
                                               window: Self.window, credentials: Self.tokenKeys, integration: integration).next)
        #expect(next.url == first.url)
        var expected = try Self.body(first)
        expected["offset"] = .integer(2)
        #expect(try Self.body(next) == expected)
        let last = try small.read(Self.page(#"{"report": {"records": [{"inboundCallId": "c"}]}}"#), of: next,
                                  window: Self.window, credentials: Self.tokenKeys, integration: integration)
        #expect(last.next?.url == "https://ringba.test/v2/RA123/calllogs/detail")
        #expect(RingbaPull(pageSize: 5000).pageSize == 1000)
    }

    @Test func theSeedsShapeReadsToo() throws {
        let page = try read(Fixture.text("ringba-seed-calllog.json"))
        let event = try #require(try page.rows.first?.outcome.get().first)
        #expect(event.event.fields.durationSeconds == 180)
        #expect(event.event.fields.campaignID == "camp_123")
    }

    @Test func aRowThatCannotBeReadIsADeadLetterNamingItsField() throws {
        let page = try read(#"{"report": {"records": [{"inboundCallId": "a"}, 7, {"inboundCallId": "b", "callDt": "yesterday"}]}}"#)
        #expect(page.rows.count == 3)
        #expect((try? page.rows[0].outcome.get()) != nil)
        #expect(failure(page.rows[1])?.field == "report.records[1]")
        #expect(failure(page.rows[2])?.field == "report.records[2].callDt")
        #expect(page.rows[2].payload == #"{"callDt":"yesterday","inboundCallId":"b"}"#)
    }

    func failure(_ row: PulledRow) -> VendorError? {
        if case .failure(let error) = row.outcome { return error }
        return nil
    }

    @Test func aPageNotInRingbasShapeThrows() {
        for body in [#"{"records": "none"}"#, "[]", "not json", #"{"isSuccessful": false, "message": "bad report"}"#] {
            #expect(throws: VendorError.self, "\(body)") { try read(body) }
        }
    }

    @Test func anAPITokenNeedsNoSignIn() async throws {
        let transport = RecordingTransport([])
        #expect(try await client.signIn(Self.tokenKeys, current: nil, now: Fixture.receivedAt, transport: transport) == nil)
        #expect(await transport.sent.isEmpty)
    }

    @Test func theEmailAndPasswordSignInWithThePasswordGrant() async throws {
        let transport = RecordingTransport([RecordingTransport.json(Self.token)])
        let token = try await client.signIn(Self.passwordKeys, current: nil, now: Fixture.receivedAt, transport: transport)
        #expect(token == AccessToken(value: "0VH31LtRMFtHowoXf2IpXgcEvZMK", refreshToken: "tHt5ISkNZO_8apbiN1RdtTWHik7U",
                                     expiresAt: Fixture.receivedAt.adding(seconds: 3599)))
        let sent = try #require(await transport.sent.first)
        #expect(sent.method == "POST" && sent.url == "https://ringba.test/v2/token")
        #expect(sent.headers["content-type"] == "application/x-www-form-urlencoded")
        #expect(String(decoding: sent.body ?? [], as: UTF8.self)
            == "grant_type=password&username=ringba.api.user%40gmail.com&password=p%26ss%3Dword")
    }

    @Test func aTokenIsRenewedWithItsRefreshTokenElseThePassword() async throws {
        let current = AccessToken(value: "old", refreshToken: "R1", expiresAt: Fixture.receivedAt)
        let renewed = RecordingTransport([RecordingTransport.json(Self.token)])
        _ = try await client.signIn(Self.passwordKeys, current: current, now: Fixture.receivedAt, transport: renewed)
        #expect(await renewed.sent.map { String(decoding: $0.body ?? [], as: UTF8.self) }
            == ["grant_type=refresh_token&refresh_token=R1&user_name=ringba.api.user%40gmail.com"])

        let refused = RecordingTransport([RecordingTransport.json(#"{"error": "invalid_grant"}"#, status: 400), RecordingTransport.json(Self.token)])
        let token = try await client.signIn(Self.passwordKeys, current: current, now: Fixture.receivedAt, transport: refused)
        #expect(token?.value == "0VH31LtRMFtHowoXf2IpXgcEvZMK")
        #expect(await refused.sent.count == 2)
    }

    @Test func onlyAnExpiresDateStillSetsTheExpiry() async throws {
        let answer = #"{"access_token": "T", ".expires": "Mon, 01 Feb 2021 19:25:55 GMT"}"#
        let token = try await client.signIn(Self.passwordKeys, current: nil, now: Fixture.receivedAt, transport: RecordingTransport([RecordingTransport.json(answer)]))
        #expect(token?.expiresAt == Fixture.time("2021-02-01T19:25:55Z"))
    }

    @Test func aRefusedPasswordIsASignInErrorAndAnOutageIsNot() async throws {
        let wrong = RecordingTransport([RecordingTransport.json(#"{"error": "invalid_grant", "error_description": "The user name or password is incorrect."}"#, status: 400)])
        let refusal = await #expect(throws: PullSignInError.self) {
            try await client.signIn(Self.passwordKeys, current: nil, now: Fixture.receivedAt, transport: wrong)
        }
        #expect(refusal?.message == "The user name or password is incorrect.")
        #expect(!(refusal?.description.contains("p&ss=word") ?? true))

        let down = RecordingTransport([RecordingTransport.json("{}", status: 503)])
        let outage = await #expect(throws: VendorError.self) {
            try await client.signIn(Self.passwordKeys, current: nil, now: Fixture.receivedAt, transport: down)
        }
        #expect(outage?.code == "sign_in_unavailable")

        let absurd = RecordingTransport([RecordingTransport.json(#"{"access_token": "T", "expires_in": -5}"#)])
        await #expect(throws: VendorError.self) {
            try await client.signIn(Self.passwordKeys, current: nil, now: Fixture.receivedAt, transport: absurd)
        }
    }

    @Test func anEndpointThatWantsTheSeedsJSONIsAskedThatWay() async throws {
        let transport = RecordingTransport([RecordingTransport.json(#"{"message": "unsupported media type"}"#, status: 415), RecordingTransport.json(Self.token)])
        let token = try await client.signIn(Self.passwordKeys, current: nil, now: Fixture.receivedAt, transport: transport)
        #expect(token?.value == "0VH31LtRMFtHowoXf2IpXgcEvZMK")
        let seed = try #require(await transport.sent.last)
        #expect(seed.headers["content-type"] == "application/json")
        #expect(JSONValue.parse(bytes: seed.body ?? []) == .object([
            "email": .string("ringba.api.user@gmail.com"), "password": .string("p&ss=word"), "accountId": .string("RA123"),
        ]))
    }

    @Test func theAdapterPullsWithThisClient() {
        #expect(RingbaAdapter().pull is RingbaPull)
        #expect(RingbaAdapter().pull?.keys.problems(["email": "e", "password": "p"]).missing == ["account_id"])
    }
}

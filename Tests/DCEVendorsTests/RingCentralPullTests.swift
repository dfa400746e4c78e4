import DCEDomain
import DCEVendors
import Foundation
import Testing

/// Response bodies in the shapes of RingCentral's developer guide: "Understanding the call
/// log data format" (the Detailed record with its `legs`), "Call Recordings" (the
/// `recording` metadata with its `contentUri`), the call log's `paging`/`navigation`
/// (RingCentral's call-log list example), and "JWT authorization flow" / "Refreshing access
/// tokens" for `POST /restapi/oauth/token`. Session ids match the telephony-session
/// notification fixture, so the same call is keyed the same by webhook and by pull.
@Suite struct RingCentralPullTests {
    let client = RingCentralPull()
    let credentials = PullCredentials(values: ["client_id": "app-id", "client_secret": "app-secret", "jwt": "eyJ.user.jwt"], apiBaseURL: "https://rc.example/")
    let window = PullWindow(from: Fixture.time("2024-01-15T00:00:00Z"), to: Fixture.time("2024-01-16T00:00:00Z"))

    func page(_ name: String) throws -> PullResponse {
        PullResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(try Fixture.text(name).utf8))
    }

    @Test func theAdapterPullsWithTheJWTKeys() throws {
        let pull = try #require(RingCentralAdapter().pull)
        #expect(pull.keys.problems(["client_id": "a", "client_secret": "b", "jwt": "c"]).missing.isEmpty)
        #expect(pull.keys.problems(["client_id": "a", "jwt": "c"]).missing == ["client_secret"])
        #expect(pull.keys.problems(["client_id": "a", "client_secret": "b", "jwt": "c", "password": "d"]).unknown == ["password"])
        #expect(pull.defaultBaseURL == "https://platform.ringcentral.com/")
    }

    @Test func theFirstRequestAsksForTheDetailedCallLogOfTheWindowWithoutCredentials() {
        let request = client.firstRequest(window: window, credentials: credentials)
        #expect(request.method == "GET")
        #expect(request.url == "https://rc.example/restapi/v1.0/account/~/call-log?view=Detailed&type=Voice"
            + "&dateFrom=2024-01-15T00:00:00.000Z&dateTo=2024-01-16T00:00:00.000Z&perPage=1000&page=1")
        #expect(request.headers.isEmpty && request.body == nil)
        #expect(request.endpoint == "call-log")
        for secret in ["app-id", "app-secret", "eyJ.user.jwt"] { #expect(!request.url.contains(secret)) }
    }

    @Test func authorizeAddsTheAccessTokenAsABearerToken() {
        let request = client.firstRequest(window: window, credentials: credentials)
        let authorized = client.authorize(request, credentials: credentials, token: AccessToken(value: "U0pDMDFQMDFQQVMw"))
        #expect(authorized.headers["Authorization"] == "Bearer U0pDMDFQMDFQQVMw")
        #expect(authorized.url == request.url)
    }

    @Test func aDetailedRecordMapsEveryField() throws {
        let read = try client.read(try page("ringcentral-call-log-detailed-page1.json"), of: client.firstRequest(window: window, credentials: credentials),
                                   window: window, credentials: credentials, integration: integration)
        #expect(read.rows.count == 2)
        let event = try #require(try read.rows[0].outcome.get().first)
        #expect(event.event.source == RingCentralAdapter.source)
        // The key the telephony-session notification of this call has (its sessionId).
        #expect(event.event.externalCallID == "4503991004")
        #expect(event.event.idempotencyKey == PulledRowKey.make(RingCentralAdapter.source, integration: "int_test", callID: "4503991004", row: read.rows[0].payload))
        #expect(event.event.occurredAt == Fixture.time("2024-01-15T10:01:03.335Z"))
        #expect(event.event.type == "ringcentral.call_log.accepted")
        #expect(event.event.fields == CallFields(
            callerPhone: Fixture.phone("+13055551212"), trackingNumber: Fixture.phone("+18774443333"), durationSeconds: 54,
            callStartedAt: Fixture.time("2024-01-15T10:00:00Z"), callEndedAt: Fixture.time("2024-01-15T10:00:54Z"), status: .completed,
            tags: try Tags(validating: [
                "ringcentral_session_id": "4503991004",
                "ringcentral_telephony_session_id": "s-a0d7c4b2d2f2a2e54a1eed5e2c1fb2",
                "ringcentral_party_id": "p-a0d7c4b2d2f2a2e54a1eed5e2c1fb2-2",
                "ringcentral_call_log_id": "IXtVRs-3B7A_PfE",
                "ringcentral_recording_id": "7212841004",
                "ringcentral_recording_uri": "https://media.ringcentral.com/restapi/v1.0/account/37439510/recording/7212841004/content",
                "direction": "inbound",
            ])
        ))
        #expect(event.payload == read.rows[0].payload)

        let missed = try #require(try read.rows[1].outcome.get().first)
        #expect(missed.event.fields.status == .noAnswer)
        #expect(missed.event.fields.callEndedAt == Fixture.time("2024-01-15T11:30:21Z"))
    }

    @Test func theWebhookAndTheCallLogKeyACallAlike() throws {
        let webhook = try RingCentralMapping.decode(try Fixture.body("ringcentral-telephony-session.json", contentType: "application/json"), integration: integration)
        let read = try client.read(try page("ringcentral-call-log-detailed-page1.json"), of: client.firstRequest(window: window, credentials: credentials),
                                   window: window, credentials: credentials, integration: integration)
        #expect(try read.rows[0].outcome.get().first?.event.externalCallID == webhook.first?.event.externalCallID)
    }

    @Test func anOutboundCallFromAnExtensionIsOutbound() throws {
        let read = try client.read(try page("ringcentral-call-log-detailed-page2.json"), of: client.firstRequest(window: window, credentials: credentials),
                                   window: window, credentials: credentials, integration: integration)
        let event = try #require(try read.rows[0].outcome.get().first)
        #expect(event.event.fields.tags["direction"] == "outbound")
        #expect(event.event.fields.status == .completed)
        #expect(event.event.fields.callerPhone == Fixture.phone("+18774443333"))
    }

    @Test func pagingFollowsNextPageOnTheIntegrationsAPIRootToTheEnd() throws {
        let first = client.firstRequest(window: window, credentials: credentials)
        let one = try client.read(try page("ringcentral-call-log-detailed-page1.json"), of: first, window: window, credentials: credentials, integration: integration)
        let next = try #require(one.next)
        #expect(next.url == "https://rc.example/restapi/v1.0/account/37439510/call-log?view=Detailed&type=Voice"
            + "&dateFrom=2024-01-15T00:00:00.000Z&dateTo=2024-01-16T00:00:00.000Z&page=2&perPage=2")
        #expect(next.headers.isEmpty && next.endpoint == "call-log")
        let two = try client.read(try page("ringcentral-call-log-detailed-page2.json"), of: next, window: window, credentials: credentials, integration: integration)
        #expect(two.next == nil)
        #expect(two.rows.count == 1)
    }

    @Test func aMalformedRecordIsAFailedRowNamingItsField() throws {
        let body = #"{"records": [{"id": "a", "sessionId": "1", "startTime": "yesterday", "result": "Accepted"},"#
            + #" {"id": "b", "sessionId": "2", "startTime": "2024-01-15T10:00:00Z", "duration": -4},"#
            + #" {"id": "c", "sessionId": "3", "startTime": "2024-01-15T10:00:00Z", "from": "+13055551212"},"#
            + #" {"id": "d", "sessionId": "4", "startTime": "2024-01-15T10:00:00Z", "result": "Accepted"}], "navigation": {}}"#
        let read = try client.read(PullResponse(status: 200, body: Array(body.utf8)), of: client.firstRequest(window: window, credentials: credentials),
                                   window: window, credentials: credentials, integration: integration)
        #expect(read.rows.count == 4)
        #expect(read.next == nil)
        func field(_ row: PulledRow) -> String? {
            if case .failure(let error) = row.outcome { error.field } else { nil }
        }
        #expect(field(read.rows[0]) == "records[0].startTime")
        #expect(field(read.rows[1]) == "records[1].duration")
        #expect(field(read.rows[2]) == "records[2].from")
        #expect(field(read.rows[3]) == nil)
        #expect(read.rows[0].payload.contains("yesterday"))
    }

    @Test func aPageNotInTheDocumentedShapeThrows() {
        let request = client.firstRequest(window: window, credentials: credentials)
        for (body, field) in [("[]", nil), (#"{"errorCode": "CMN-102"}"#, "records"), (#"{"records": {}}"#, "records"),
                              (#"{"records": [], "navigation": {"nextPage": {"uri": "https://evil.example/steal"}}}"#, "navigation.nextPage.uri")] as [(String, String?)] {
            #expect(throws: VendorError.self) {
                try client.read(PullResponse(status: 200, body: Array(body.utf8)), of: request, window: window, credentials: credentials, integration: integration)
            }
            do {
                _ = try client.read(PullResponse(status: 200, body: Array(body.utf8)), of: request, window: window, credentials: credentials, integration: integration)
            } catch {
                #expect(error.field == field)
            }
        }
    }

    @Test func aNextPageThatIsThisPageAgainThrowsInsteadOfLooping() throws {
        let request = PullRequest(url: "https://rc.example/restapi/v1.0/account/~/call-log?page=2", endpoint: "call-log")
        let body = #"{"records": [], "navigation": {"nextPage": {"uri": "https://platform.ringcentral.com/restapi/v1.0/account/~/call-log?page=2"}}}"#
        #expect(throws: VendorError.self) {
            try client.read(PullResponse(status: 200, body: Array(body.utf8)), of: request, window: window, credentials: credentials, integration: integration)
        }
    }

    @Test func signInUsesTheJWTGrantWithBasicAuthentication() async throws {
        let transport = RingCentralScriptedTransport { _ in
            PullResponse(status: 200, body: Array(#"{"access_token": "U1BCMDFUMDRKV1MwMXxzLFSvXdw5PHMsVLEn_MrtcyxUsw", "token_type": "bearer", "expires_in": 3600, "refresh_token": "U1BCMDFUMDRKV1MwMXxzLFL4ec6A0XMqfoHnxpW8nu1Wsw", "refresh_token_expires_in": 604800, "scope": "ReadCallLog ReadCallRecording", "owner_id": "256440016"}"#.utf8))
        }
        let now = Fixture.time("2024-01-15T10:00:00Z")
        let token = try await client.signIn(credentials, current: nil, now: now, transport: transport)
        #expect(token == AccessToken(value: "U1BCMDFUMDRKV1MwMXxzLFSvXdw5PHMsVLEn_MrtcyxUsw", refreshToken: "U1BCMDFUMDRKV1MwMXxzLFL4ec6A0XMqfoHnxpW8nu1Wsw",
                                     expiresAt: Fixture.time("2024-01-15T11:00:00Z")))
        let sent = try #require(await transport.sent.first)
        #expect(sent.method == "POST" && sent.url == "https://rc.example/restapi/oauth/token")
        #expect(sent.headers["Authorization"] == "Basic " + Data("app-id:app-secret".utf8).base64EncodedString())
        #expect(String(decoding: sent.body ?? [], as: UTF8.self) == "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=eyJ.user.jwt")
    }

    @Test func signInRenewsWithTheRefreshTokenAndFallsBackToTheJWTWhenItIsRefused() async throws {
        let transport = RingCentralScriptedTransport { request in
            let form = String(decoding: request.body ?? [], as: UTF8.self)
            if form.hasPrefix("grant_type=refresh_token&refresh_token=old-refresh") {
                return PullResponse(status: 400, body: Array(#"{"error": "invalid_grant", "error_description": "Token not found"}"#.utf8))
            }
            return PullResponse(status: 200, body: Array(#"{"access_token": "fresh", "expires_in": 3600, "refresh_token": "new-refresh"}"#.utf8))
        }
        let now = Fixture.time("2024-01-15T10:00:00Z")
        let token = try await client.signIn(credentials, current: AccessToken(value: "stale", refreshToken: "old-refresh"), now: now, transport: transport)
        #expect(token?.value == "fresh")
        let grants = await transport.sent.map { String(decoding: $0.body ?? [], as: UTF8.self) }
        #expect(grants == ["grant_type=refresh_token&refresh_token=old-refresh", "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=eyJ.user.jwt"])
    }

    @Test func refusedKeysAreASignInErrorAndAnOutageIsNot() async throws {
        let refused = RingCentralScriptedTransport { _ in
            PullResponse(status: 400, body: Array(#"{"error": "invalid_client", "error_description": "Invalid client: app-id"}"#.utf8))
        }
        await #expect(throws: PullSignInError(status: 400, message: "invalid_client: Invalid client: app-id")) {
            try await client.signIn(credentials, current: nil, now: .now(), transport: refused)
        }
        let down = RingCentralScriptedTransport { _ in PullResponse(status: 503, headers: ["Retry-After": "7"], body: []) }
        await #expect(throws: RingCentralOAuth.TokenUnavailable(status: 503, retryAfter: "7")) {
            try await client.signIn(credentials, current: nil, now: .now(), transport: down)
        }
        let odd = RingCentralScriptedTransport { _ in PullResponse(status: 200, body: Array(#"{"access_token": "x", "expires_in": -5}"#.utf8)) }
        await #expect(throws: VendorError.self) { try await client.signIn(credentials, current: nil, now: .now(), transport: odd) }
    }
}

/// A transport answering from a closure, keeping what was sent.
actor RingCentralScriptedTransport: PullTransport {
    let answer: @Sendable (PullRequest) -> PullResponse
    var sent: [PullRequest] = []

    init(_ answer: @escaping @Sendable (PullRequest) -> PullResponse) { self.answer = answer }

    func send(_ request: PullRequest, timeout: Duration) async throws -> PullResponse {
        sent.append(request)
        return answer(request)
    }
}

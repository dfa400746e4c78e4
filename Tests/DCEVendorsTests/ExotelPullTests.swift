import DCEDomain
@testable import DCEVendors
import Foundation
import Testing

/// Exotel's call details as developer.exotel.com publishes them ("Call Details API (v1)":
/// the single call's `{"Call": {…}}` with `details=true`, and "Bulk Call Details":
/// `GET /v1/Accounts/<sid>/Calls.json` filtered by `DateCreated=gte:…;lte:…`, `PageSize` at
/// most 100, `SortBy=DateCreated:asc`, pages by the `After` cursor of `Metadata.NextPageUri`,
/// HTTP Basic authentication with the API key and token).
@Suite struct ExotelPullTests {
    let client = ExotelPull()
    let credentials = PullCredentials(values: ["account_sid": "exoacct1", "api_key": "key1", "api_token": "tok/secret"],
                                      apiBaseURL: "https://api.exotel.com/")
    let window = PullWindow(from: Fixture.time("2024-01-15T00:00:00Z"), to: Fixture.time("2024-01-15T12:00:00Z"))

    static func query(_ url: String) -> [String: String] {
        Dictionary((URLComponents(string: url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    }

    /// The call of the docs' single call example, as a list row.
    static func call(_ sid: String, status: String = "completed", duration: String = "\"17\"") -> String {
        #"{"Sid":"\#(sid)","ParentCallSid":null,"DateCreated":"2024-01-15 10:48:33","DateUpdated":"2024-01-15 10:53:33","AccountSid":"exoacct1","To":"09876543210","From":"08012345678","PhoneNumberSid":"02248905010","Status":"\#(status)","StartTime":"2024-01-15 10:48:33","EndTime":"2024-01-15 10:49:50","Duration":\#(duration),"Price":"1.500","Direction":"inbound","AnsweredBy":null,"RecordingUrl":"https://s3-ap-southeast-1.amazonaws.com/recordings/\#(sid).mp3","Uri":"/v1/Accounts/exoacct1/Calls/\#(sid).json"}"#
    }

    static func page(_ calls: [String], next: String?) -> PullResponse {
        let nextURI = next.map { "\"\($0)\"" } ?? "null"
        let body = #"{"Metadata":{"Total":\#(calls.count),"PageSize":100,"FirstPageUri":"/v1/Accounts/exoacct1/Calls.json?PageSize=100","PrevPageUri":null,"NextPageUri":\#(nextURI)},"Calls":[\#(calls.joined(separator: ","))]}"#
        return PullResponse(status: 200, headers: ["content-type": "application/json"], body: Array(body.utf8))
    }

    @Test func theFirstRequestListsTheWindowInIndiasTimeWithAMarginAndCarriesNoCredential() {
        let request = client.firstRequest(window: window, credentials: credentials)
        #expect(request.url.hasPrefix("https://api.exotel.com/v1/Accounts/exoacct1/Calls.json?"))
        #expect(Self.query(request.url) == [
            "DateCreated": "gte:2024-01-15 02:30:00;lte:2024-01-15 20:30:00", "SortBy": "DateCreated:asc", "PageSize": "100",
        ])
        #expect(!request.url.contains("secret") && request.headers["authorization"] == nil && request.body == nil)
        #expect(request.endpoint == "calls")
    }

    @Test func authorizeUsesBasicAuthenticationWithTheKeyAndToken() {
        let request = client.authorize(client.firstRequest(window: window, credentials: credentials), credentials: credentials, token: nil)
        #expect(request.headers["authorization"] == "Basic " + Data("key1:tok/secret".utf8).base64EncodedString())
        #expect(!request.url.contains("secret"))
    }

    @Test func theSubdomainChoosesTheClusterUnlessTheAccountGaveABaseURL() {
        var values = credentials.values
        values["subdomain"] = "@api.in.exotel.com"
        let mumbai = client.firstRequest(window: window, credentials: PullCredentials(values: values, apiBaseURL: client.defaultBaseURL))
        #expect(mumbai.url.hasPrefix("https://api.in.exotel.com/v1/Accounts/exoacct1/Calls.json?"))
        let local = client.firstRequest(window: window, credentials: PullCredentials(values: values, apiBaseURL: "http://127.0.0.1:9000/"))
        #expect(local.url.hasPrefix("http://127.0.0.1:9000/v1/Accounts/exoacct1/"))
        values["subdomain"] = "evil.example/x?@"
        let refused = client.firstRequest(window: window, credentials: PullCredentials(values: values, apiBaseURL: client.defaultBaseURL))
        #expect(refused.url.hasPrefix("https://api.exotel.com/"))
        let problems = client.keys.problems(["account_sid": "a", "api_key": "k", "api_token": "t"])
        #expect(problems.unknown.isEmpty && problems.missing.isEmpty)
        #expect(ExotelAdapter().pull is ExotelPull)
    }

    @Test func aRowReadsAsItsTerminalStatusCallbackWouldWithAKeyOfItsOwn() throws {
        let request = client.firstRequest(window: window, credentials: credentials)
        let row = Self.call("80bfbec2d78bbbf10fb851f4fa165211")
        let page = try client.read(Self.page([row], next: nil), of: request, window: window, credentials: credentials, integration: integration)
        #expect(page.next == nil)
        let pulled = try #require(try page.rows[0].outcome.get().first)
        let callback = "CallSid=80bfbec2d78bbbf10fb851f4fa165211&EventType=terminal&Status=completed&DateCreated=2024-01-15+10%3A48%3A33"
            + "&DateUpdated=2024-01-15+10%3A53%3A33&To=09876543210&From=08012345678&PhoneNumberSid=02248905010"
            + "&StartTime=2024-01-15+10%3A48%3A33&EndTime=2024-01-15+10%3A49%3A50&ConversationDuration=17&Direction=inbound"
            + "&RecordingUrl=https%3A%2F%2Fs3-ap-southeast-1.amazonaws.com%2Frecordings%2F80bfbec2d78bbbf10fb851f4fa165211.mp3"
        let hooked = try #require(try ExotelStatusCallback.decode(
            VendorDelivery(method: "POST", query: [:], contentType: "application/x-www-form-urlencoded", body: Array(callback.utf8), receivedAt: Fixture.receivedAt),
            integration: integration).first)
        #expect(pulled.event.fields == hooked.event.fields)
        #expect(pulled.event.externalCallID == hooked.event.externalCallID && pulled.event.source == ExotelAdapter.source)
        #expect(pulled.event.occurredAt == Fixture.time("2024-01-15T05:23:33Z"))
        #expect(pulled.event.idempotencyKey == PulledRowKey.make(ExotelAdapter.source, integration: "int_test", callID: "80bfbec2d78bbbf10fb851f4fa165211", row: page.rows[0].payload))
        #expect(pulled.payload == page.rows[0].payload)
    }

    @Test func aCallNotOverYetSaysNothing() throws {
        let page = try client.read(Self.page([Self.call("c1", status: "in-progress")], next: nil), of: client.firstRequest(window: window, credentials: credentials),
                                   window: window, credentials: credentials, integration: integration)
        #expect((try page.rows[0].outcome.get()).isEmpty)
    }

    @Test func pagesFollowTheNextPageCursorKeepingTheFilters() throws {
        let first = client.firstRequest(window: window, credentials: credentials)
        let calls = (0..<100).map { Self.call("c\($0)") }
        let page = try client.read(Self.page(calls, next: "/v1/Accounts/exoacct1/Calls.json?PageSize=100&After=cursor%2B1"), of: first,
                                   window: window, credentials: credentials, integration: integration)
        #expect(page.rows.count == 100)
        let next = try #require(page.next)
        #expect(next.url.hasPrefix("https://api.exotel.com/v1/Accounts/exoacct1/Calls.json?"))
        #expect(Self.query(next.url) == [
            "DateCreated": "gte:2024-01-15 02:30:00;lte:2024-01-15 20:30:00", "SortBy": "DateCreated:asc", "PageSize": "100", "After": "cursor+1",
        ])
        // Another host in NextPageUri is never where the credentials go.
        let elsewhere = try client.read(Self.page(calls, next: "https://evil.example/v1/Accounts/exoacct1/Calls.json?After=c2"), of: next,
                                        window: window, credentials: credentials, integration: integration)
        #expect(try #require(elsewhere.next).url.hasPrefix("https://api.exotel.com/v1/Accounts/exoacct1/Calls.json?"))
        #expect(Self.query(try #require(elsewhere.next).url)["After"] == "c2")
        let last = try client.read(Self.page([Self.call("c100")], next: ""), of: next, window: window, credentials: credentials, integration: integration)
        #expect(last.next == nil)
    }

    @Test func aWindowLongerThanAMonthIsListedAMonthAtATime() throws {
        let long = PullWindow(from: Fixture.time("2024-01-01T00:00:00Z"), to: Fixture.time("2024-03-01T00:00:00Z"))
        let first = client.firstRequest(window: long, credentials: credentials)
        #expect(Self.query(first.url)["DateCreated"] == "gte:2024-01-01 02:30:00;lte:2024-01-29 08:30:00")
        let second = try #require(try client.read(Self.page([], next: nil), of: first, window: long, credentials: credentials, integration: integration).next)
        #expect(Self.query(second.url)["DateCreated"] == "gte:2024-01-29 02:30:00;lte:2024-02-26 08:30:00")
        let third = try #require(try client.read(Self.page([], next: nil), of: second, window: long, credentials: credentials, integration: integration).next)
        #expect(Self.query(third.url)["DateCreated"] == "gte:2024-02-26 02:30:00;lte:2024-03-01 08:30:00")
        #expect(try client.read(Self.page([], next: nil), of: third, window: long, credentials: credentials, integration: integration).next == nil)
    }

    @Test func aMalformedRowFailsAloneNamingItsFieldAsTheListNamesIt() throws {
        let rows = [Self.call("ok"), Self.call("bad", duration: "\"-4 minutes\""), #"{"Status":"completed"}"#, "[]", Self.call("odd", status: "exploded")]
        let page = try client.read(Self.page(rows, next: nil), of: client.firstRequest(window: window, credentials: credentials), window: window,
                                   credentials: credentials, integration: integration)
        #expect((try? page.rows[0].outcome.get().count) == 1)
        #expect(exotelFailure(page.rows[1])?.field == "Calls[1].Duration")
        #expect(exotelFailure(page.rows[2])?.field == "Calls[2].Sid")
        #expect(exotelFailure(page.rows[3])?.field == "Calls[3]")
        #expect(exotelFailure(page.rows[4])?.field == "Calls[4].Status")
    }

    @Test func aPageNotInTheDocumentedShapeThrows() {
        let request = client.firstRequest(window: window, credentials: credentials)
        for body in [#"{"RestException":{"Status":401}}"#, "[]", "<TwilioResponse/>", #"{"Calls":{}}"#] {
            #expect(throws: VendorError.self) {
                try client.read(PullResponse(status: 200, body: Array(body.utf8)), of: request, window: window, credentials: credentials, integration: integration)
            }
        }
        let looping = Self.page([Self.call("c1")], next: "/v1/Accounts/exoacct1/Calls.json?After=same")
        let repeated = client.firstRequest(window: window, credentials: credentials)
        #expect(throws: VendorError.self) {
            let next = try #require(try client.read(looping, of: repeated, window: window, credentials: credentials, integration: integration).next)
            _ = try client.read(looping, of: next, window: window, credentials: credentials, integration: integration)
        }
    }

    @Test func oneCallsDetailsReadAsItsRow() throws {
        let request = client.callDetails(callSid: "b6cfaf5f5cef3ca0fc937749ef96d245", credentials: credentials)
        #expect(request.url == "https://api.exotel.com/v1/Accounts/exoacct1/Calls/b6cfaf5f5cef3ca0fc937749ef96d245.json?details=true")
        let body = #"{"Call":{"Sid":"b6cfaf5f5cef3ca0fc937749ef96d245","ParentCallSid":null,"DateCreated":"2017-03-03 10:48:33","DateUpdated":"2017-03-03 10:53:33","AccountSid":"exoacct1","To":"0XXXXX38847","From":"08012345678","PhoneNumberSid":"02248905010","Status":"completed","StartTime":"2017-03-03 10:48:33","EndTime":"2017-03-03 10:49:50","Duration":"17","Price":"1.500","Direction":"outbound-api","AnsweredBy":null,"RecordingUrl":"https://s3-ap-southeast-1.amazonaws.com/recording.mp3","Details":{"ConversationDuration":8,"Leg1Status":"completed","Leg2Status":"completed","Legs":[{"Leg":{"Id":1,"OnCallDuration":21}},{"Leg":{"Id":2,"OnCallDuration":8}}]}}}"#
        let row = try ExotelPull.readCall(PullResponse(status: 200, body: Array(body.utf8)), receivedAt: Fixture.receivedAt, integration: integration)
        // The docs' masked `To` cannot be read: named as the call resource names it.
        #expect(exotelFailure(row)?.field == "Call.To")
        let readable = body.replacingOccurrences(of: "0XXXXX38847", with: "09876538847")
        let event = try #require(try ExotelPull.readCall(PullResponse(status: 200, body: Array(readable.utf8)), receivedAt: Fixture.receivedAt,
                                                         integration: integration).outcome.get().first)
        #expect(event.event.fields.durationSeconds == 8 && event.event.fields.status == .completed)
        #expect(event.event.fields.destinationNumber == Fixture.phone("+919876538847"))
        #expect(throws: VendorError.self) {
            try ExotelPull.readCall(PullResponse(status: 200, body: Array(#"{"Calls":[]}"#.utf8)), receivedAt: Fixture.receivedAt, integration: integration)
        }
    }
}

/// Why a pulled row could not be read, or nil when it was.
private func exotelFailure(_ row: PulledRow) -> VendorError? {
    if case .failure(let error) = row.outcome { return error }
    return nil
}

import DCEDomain
import DCEJSON
import DCEVendors
import Foundation
import Testing

/// Ringba's call detail in the pull: `POST /v2/{accountId}/calllogs/detail` with
/// `{"InboundCallIds": […]}`, the request of "Get Details About Specific Calls" in Ringba's
/// published v2 collection (ringba_v2_postman_collection.json, as kept by
/// diablomedia/ringba-php-sdk, and its GetCallLogsApi reference); its answer
/// `ringba-calllogs-detail.json` is that collection's "Get Details About Single Call", exactly.
@Suite struct RingbaCallDetailTests {
    static let keys = RingbaPullTests.tokenKeys
    static let window = RingbaPullTests.window

    static func read(_ client: RingbaPull, _ text: String, of request: PullRequest) throws -> PulledPage {
        try client.read(RingbaPullTests.page(text), of: request, window: window, credentials: keys, integration: integration)
    }

    static func detail(of ids: [String], following: String? = nil) -> PullRequest {
        PullRequest(method: "POST", url: "https://ringba.test/v2/RA123/calllogs/detail" + (following.map { "#" + $0 } ?? ""),
                    headers: ["content-type": "application/json", "accept": "application/json"],
                    body: Array(JSONValue.object(["InboundCallIds": .array(ids.map { .string($0) })]).text.utf8),
                    endpoint: "calllogs-detail")
    }

    @Test func aPagesCallsDetailComesNextInRingbasPublishedShapeThenTheFollowingPage() throws {
        // setup
        let client = RingbaPull(pageSize: 3)
        let first = client.firstRequest(window: Self.window, credentials: Self.keys)
        let full = #"{"report": {"records": [{"inboundCallId": "a"}, {"inboundCallId": "b", "callDt": "yesterday"}, {"inboundCallId": "a"}]}}"#

        // run
        let page = try Self.read(client, full, of: first)
        let detail = try #require(page.next)
        let following = try Self.read(client, #"{"isSuccessful": true, "report": {"records": []}}"#, of: detail).next

        // validate: the calls read, each once; the page after it named where HTTP does not send it
        #expect(detail == Self.detail(of: ["a"], following: "offset=3&size=3"))
        #expect(String(decoding: detail.body ?? [], as: UTF8.self) == #"{"InboundCallIds":["a"]}"#)
        var expected = try RingbaPullTests.body(first)
        expected["offset"] = .integer(3)
        #expect(following?.url == first.url && following?.endpoint == "calllogs")
        #expect(try following.map(RingbaPullTests.body) == expected)
        #expect(client.authorize(detail, credentials: Self.keys, token: nil).headers["authorization"] == "Token secret-token")
    }

    @Test func aPageWithoutCallsToDetailGoesStraightOn() throws {
        let client = RingbaPull(pageSize: 1)
        let first = client.firstRequest(window: Self.window, credentials: Self.keys)
        let page = try Self.read(client, #"{"report": {"records": [{"inboundCallId": "a", "callDt": "yesterday"}]}}"#, of: first)
        #expect(page.next?.endpoint == "calllogs")
        #expect(try Self.read(client, #"{"report": {"records": []}}"#, of: first).next == nil)
    }

    @Test func theDetailOfACallIsItsSnapshotAndItsStagesAsItsPixelsKeyThem() throws {
        // run
        let page = try Self.read(RingbaPull(), Fixture.text("ringba-calllogs-detail.json"), of: Self.detail(of: ["v21G"]))

        // validate
        #expect(page.next == nil)
        let events = try #require(try page.rows.first?.outcome.get())
        let call = "v21GxftEiw9_xebLSYKj4db9Wh5E3xSYcgYfGP6Z4rreg7TK7YdU5wFw"
        // The row as the call log reads it, keyed by what it says.
        var snapshot = try RingbaCallLogTests.firstRow()
        snapshot.callerState = "CA"
        #expect(events.first?.event.fields == snapshot)
        #expect(events.first?.event.idempotencyKey == PulledRowKey.make(RingbaAdapter.source, integration: "int_test", callID: call,
                                                                          row: page.rows[0].payload))
        func stage(_ name: String, at time: Timestamp, _ fields: CallFields) -> CallEvent {
            CallEvent(source: RingbaAdapter.source, externalCallID: call,
                      idempotencyKey: IdempotencyKey.make(RingbaAdapter.source, integration: "int_test", callID: call, stage: name),
                      occurredAt: time, type: "ringba.\(name)", fields: fields)
        }
        let connected = Timestamp(millisecondsSince1970: 1_612_219_720_840)
        let completed = Timestamp(millisecondsSince1970: 1_612_219_731_658)
        #expect(events.dropFirst().map(\.event) == [
            stage("connected", at: connected, CallFields(
                destinationNumber: Fixture.phone("+16317918378"), callAnsweredAt: connected, status: .answered,
                targetID: "TA2f6961e921ef4b92b7304dd76db8336f")),
            stage("completed", at: completed, CallFields(durationSeconds: 12, callEndedAt: completed, status: .completed)),
            stage("conversion", at: Fixture.time("2021-02-01T22:48:51.6745531Z"),
                  CallFields(revenue: Money(cents: 0), payout: Money(cents: 0), converted: true)),
            stage("payout", at: Fixture.time("2021-02-01T22:48:51.6901622Z"), CallFields(payout: Money(cents: 0))),
            stage("recording", at: Fixture.time("2021-02-01T22:48:52.7140912Z"), CallFields(recordingURL: RingbaCallLogTests.recording)),
        ])
        // Each stage keeps the event as Ringba sent it.
        #expect(events[1].payload.contains(#""name":"ConnectedCall""#))
        // The same stage from the pixel is the same event: a conversion counts once.
        let pixel = try RingbaWebhook.decode(VendorDelivery(
            method: "GET", query: ["call_id": call, "event": "Converted", "call_revenue": "12.50"], contentType: nil, body: [],
            receivedAt: Fixture.receivedAt), integration: integration)
        #expect(pixel.map(\.event.idempotencyKey) == [events[3].event.idempotencyKey])
    }

    @Test func anEventThatCannotBeReadMakesItsRowADeadLetterNamingIt() throws {
        let row = #"{"inboundCallId": "a", "events": [{"name": "TargetDialed"}, {"name": "ConvertedCall", "conversionAmount": "lots"}]}"#
        let page = try Self.read(RingbaPull(), #"{"report": {"records": [\#(row)]}}"#, of: Self.detail(of: ["a"]))
        guard case .failure(let error) = page.rows.first?.outcome else { Issue.record("the row was read"); return }
        #expect(error.field == "report.records[0].events[1].conversionAmount")
    }

    @Test(arguments: ["offset=-1&size=3", "offset=3&size=0", "offset=3&size=1001", "offset=x&size=3", "size=3"])
    func aFollowingPageOutOfRangeIsRefusedNamingIt(fragment: String) {
        let error = #expect(throws: VendorError.self) {
            try Self.read(RingbaPull(), #"{"report": {"records": []}}"#, of: Self.detail(of: ["a"], following: fragment))
        }
        #expect(["offset", "size"].contains(error?.field))
    }

    @Test func aDetailNotInRingbasShapeThrows() {
        for body in ["not json", #"{"isSuccessful": false, "message": "bad ids"}"#, #"{"report": {}}"#] {
            #expect(throws: VendorError.self, "\(body)") { try Self.read(RingbaPull(), body, of: Self.detail(of: ["a"])) }
        }
    }
}

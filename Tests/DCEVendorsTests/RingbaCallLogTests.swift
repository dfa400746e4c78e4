import DCEJSON
import DCEDomain
import DCEVendors
import Foundation
import Testing

/// Ringba call-log rows posted to the Ringba webhook. Fixtures:
/// - `ringba-calllogs-report.json`: the example answer of "Get Call Log"
///   (`POST /v2/{accountId}/calllogs`) in Ringba's published API collection
///   (ringba_v2_postman_collection.json, as kept by diablomedia/ringba-php-sdk), exactly;
/// - `ringba-calllogs-detail.json`: that collection's "Get Details About Single Call" answer
///   (`POST /v2/{accountId}/calllogs/detail`), with `events` and `message-tags`, exactly;
/// - `ringba-seed-calllog.json`: seed 000's "Call Data Structure" example, its comments removed;
/// - `ringba-api-samples-calllog.json`: the `result.callLog.data[]` shape that
///   Ringba/ringba-api-samples' CallLogService reads (`columns[]` of name/formattedValue,
///   `events[]` of name/columns, `tags[]` of tagType/tagName/tagValue), with the first
///   report row's values.
@Suite struct RingbaCallLogTests {
    static func rows(_ fixture: String) throws -> [VendorEvent] {
        try RingbaWebhook.decode(try Fixture.body(fixture, contentType: "application/json"), integration: integration)
    }

    static let recording = "https://media.ringba.com/recording-public?v=v1&k=LU5ED4SMpth%2fx2tROaHGshZuKP%2bFCzw7oEXBmE9T2aXTSqdpJZ4e9mEpfwYK%2bO%2brSnSrb0MO4zTt2gX9LKFPQXjigBhs1QS2sK0iwYHqxs7St9wuzt6BczZa%2bBzq6LVZ4TQTSgnhVnTU9bvz17PT7Zwh70Xyi1ZmEbXlNRFl8MslZRg869bJEVl6XGbwyrWi9%2b8ZHICQ2fcDh7m4GxPRKEB6zV3bSmLzXuNwBtT6bBEaCRivU%2fu3wMCYtW%2bYfe8RBjvcvqLgeaHalOAJijr52Kgsh94%3d"

    /// The report's first row, column by column (the seed's mapping matrix with the API's names).
    static func firstRow() throws -> CallFields {
        CallFields(
            callerPhone: Fixture.phone("+16613804706"),      // inboundPhoneNumber (callerId)
            trackingNumber: Fixture.phone("+18884143472"),   // number (inboundNumber)
            destinationNumber: Fixture.phone("+16317918378"), // targetNumber
            durationSeconds: 12,                              // callLengthInSeconds (callLength)
            callStartedAt: Timestamp(millisecondsSince1970: 1_612_219_718_965),  // callDt (callDateTime)
            callAnsweredAt: Timestamp(millisecondsSince1970: 1_612_219_720_840), // callConnectionDt
            callEndedAt: Timestamp(millisecondsSince1970: 1_612_219_731_658),    // callCompletedDt
            status: .completed,                               // isLive false, hasConnected true
            campaignID: "CA74c0b7f1f3824246b73e72a9238b4bfc", publisherID: "AFbd21c4a3274c4382aa98919d5149baf3",
            targetID: "TA2f6961e921ef4b92b7304dd76db8336f",
            revenue: Money(cents: 0), payout: Money(cents: 0), // conversionAmount, payoutAmount
            converted: true,                                  // hasConverted
            recordingURL: recording,
            tags: try Tags(validating: [
                "ringba_campaignName": "API Test", "ringba_publisherName": "You", "ringba_targetName": "Ringba Test Target",
                "ringba_endCallSource": "Caller", "ringba_hasPayout": "true", "ringba_connectedCallLengthInSeconds": "10",
                "ringba_timeToConnectInSeconds": "2",
            ])
        )
    }

    @Test func aPageOfTheAPIsRowsIsOneEventPerCall() throws {
        let events = try Self.rows("ringba-calllogs-report.json")
        #expect(events.map(\.event.externalCallID) == [
            "v21GxftEiw9_xebLSYKj4db9Wh5E3xSYcgYfGP6Z4rreg7TK7YdU5wFw",
            "v2147G0eMkK4nw_BU3SAcXiDHM4reCssygiNWj_2dEJ78LxV4pFrCWWw",
            "v2YHKrf7eZPPPJ06nrZS4cdrhZWLN1OVXpcQkH9zG6qHKFQqzjiWc0Gw",
        ])
        #expect(Set(events.map(\.event.idempotencyKey)).count == 3)
        let first = events[0].event
        #expect(first.type == "ringba.calllog")
        #expect(first.occurredAt == Timestamp(millisecondsSince1970: 1_612_219_731_658))
        #expect(first.idempotencyKey.hasPrefix("ringba:int_test:v21GxftEiw9_xebLSYKj4db9Wh5E3xSYcgYfGP6Z4rreg7TK7YdU5wFw:snapshot-"))
        let expected = try Self.firstRow()
        #expect(first.fields == expected)
        #expect(events[2].event.fields.trackingNumber == Fixture.phone("+18334013665"))
    }

    @Test func aDetailedRowReadsItsEventsAndMessageTags() throws {
        let events = try Self.rows("ringba-calllogs-detail.json")
        var expected = try Self.firstRow()
        expected.callerState = "CA" // message-tags InboundNumber:State
        #expect(events.count == 1)
        #expect(events[0].event.fields == expected)
    }

    @Test func theSeedsRowWithColumnsEventsAndTags() throws {
        let events = try Self.rows("ringba-seed-calllog.json")
        let event = try #require(events.first)
        // The seed's example numbers are placeholders, no phone numbers: kept as sent.
        #expect(event.event.fields == CallFields(
            durationSeconds: 180,
            callStartedAt: Fixture.time("2025-01-24T10:30:00Z"), callEndedAt: Fixture.time("2025-01-24T10:33:00Z"),
            status: .completed, campaignID: "camp_123", publisherID: "pub_456", callerState: "CA",
            tags: try Tags(validating: [
                "ringba_callerId": "+1234567890", "ringba_inboundNumber": "+0987654321", "ringba_targetNumber": "+1112223333",
            ])
        ))
        // No id in the row: named by caller, number and time, the same when pulled again.
        #expect(event.event.externalCallID.hasPrefix("calllog-"))
        #expect(try Self.rows("ringba-seed-calllog.json")[0].event == event.event)
    }

    @Test func theRowsRingbasSampleProgramReads() throws {
        let event = try #require(try Self.rows("ringba-api-samples-calllog.json").first)
        #expect(event.event.externalCallID == "v21GxftEiw9_xebLSYKj4db9Wh5E3xSYcgYfGP6Z4rreg7TK7YdU5wFw")
        #expect(event.event.fields == CallFields(
            callerPhone: Fixture.phone("+16613804706"), trackingNumber: Fixture.phone("+18884143472"),
            destinationNumber: Fixture.phone("+16317918378"), durationSeconds: 12,
            callStartedAt: Timestamp(millisecondsSince1970: 1_612_219_718_965),
            status: .completed, campaignID: "CA74c0b7f1f3824246b73e72a9238b4bfc",
            publisherID: "AFbd21c4a3274c4382aa98919d5149baf3", callerState: "CA"
        ))
    }

    @Test func oneRowAloneAndARowThatChanged() throws {
        let report = try JSONValue.parse(bytes: Array(Fixture.text("ringba-calllogs-report.json").utf8))
        guard case .object(let document)? = report, case .object(let body)? = document["report"],
              case .array(let records)? = body["records"] else { Issue.record("no records"); return }
        let single = JSONText.value(records[0])
        let alone = try RingbaWebhook.decode(
            VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(single.utf8), receivedAt: Fixture.receivedAt),
            integration: integration
        )
        let fromPage = try Self.rows("ringba-calllogs-report.json")[0]
        #expect(alone == [fromPage])
        // The same call listed while still live: another fact about the same call.
        let live = single.replacingOccurrences(of: #""isLive":false"#, with: #""isLive":true"#)
            .replacingOccurrences(of: #""callCompletedDt":1612219731658,"#, with: "")
        let earlier = try #require(try RingbaWebhook.decode(
            VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(live.utf8), receivedAt: Fixture.receivedAt),
            integration: integration
        ).first)
        #expect(earlier.event.externalCallID == fromPage.event.externalCallID)
        #expect(earlier.event.idempotencyKey != fromPage.event.idempotencyKey)
        #expect(earlier.event.fields.status == .answered)
        #expect(CallMerge.fold([fromPage.event, earlier.event]).status == .completed)
    }

    @Test func aBadColumnIsNamedByItsRow() throws {
        let body = #"{"report": {"records": [{"inboundCallId": "a"}, {"inboundCallId": "b", "callDt": "yesterday"}]}}"#
        let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(body.utf8), receivedAt: Fixture.receivedAt)
        let error = #expect(throws: VendorError.self) { try RingbaWebhook.decode(delivery, integration: integration) }
        #expect(error?.field == "report.records[1].callDt")
        let seedShape = #"{"callLog": {"data": [{"Columns": {"callLength": "long"}}]}}"#
        let seed = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(seedShape.utf8), receivedAt: Fixture.receivedAt)
        let seedError = #expect(throws: VendorError.self) { try RingbaWebhook.decode(seed, integration: integration) }
        #expect(seedError?.field == "callLog.data[0].Columns.callLength")
    }

    @Test func aConversionWebhookAsJSONIsStillAConversion() throws {
        let body = #"{"call_id": "RGB-9", "call_revenue": "12.50", "sale_successful": "yes"}"#
        let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(body.utf8), receivedAt: Fixture.receivedAt)
        let event = try #require(try RingbaWebhook.decode(delivery, integration: integration).first)
        #expect(event.event.type == "ringba.conversion")
        #expect(event.event.fields.revenue == Money(cents: 1250))
    }
}

import DCEDomain
import DCEVendors
import Foundation
import Testing

/// Retreaver's own call object, from Retreaver's public API reference
/// (retreaver/core-api-docs, source/index.html.md, "Calls"): `retreaver-api-v1-calls.json` is
/// "V1 - Get recent Calls", `retreaver-api-v2-calls.json` "V2 - Get recent Calls",
/// `retreaver-api-v2-call.json` "V2 - Get a specific Call", each exactly as published.
/// The reference shows V3 and V4 only as their differences from V2: `retreaver-api-v3-call.json`
/// is the V2 call with V3's `number` object, `retreaver-api-v4-call.json` that with V4's
/// `campaign` object in place of `campaign_id`.
@Suite struct RetreaverCallTests {
    static func listed(_ fixture: String, query: [String: String] = [:]) throws -> [VendorEvent] {
        try RetreaverWebhook.decode(try Fixture.body(fixture, contentType: "application/json", query: query), integration: integration)
    }

    /// "V2 - Get a specific Call", field by field.
    static func v2Call() throws -> CallFields { CallFields(
        callerPhone: Fixture.phone("+13015236555"),
        trackingNumber: Fixture.phone("+18886064349"),          // number
        destinationNumber: Fixture.phone("+16477159443"),       // dialed_number
        durationSeconds: 43,                                     // total_duration
        callStartedAt: Fixture.time("2024-11-04T16:46:10.400Z"), // start_time
        callAnsweredAt: nil,                                     // forwarded_time null, connected false
        callEndedAt: Fixture.time("2024-11-04T16:46:54.037Z"),   // end_time
        status: .canceled,                                       // finished, not connected, hung_up_by caller
        campaignID: "9872",                                      // campaign_id
        publisherID: nil, targetID: nil,                         // afid, target_id null
        callerState: "NC",
        revenue: nil, payout: nil,                               // null
        converted: false,
        tags: try Tags(validating: [
            "geo": "301,us,us-28379,us-nc",
            "request_id": "0192f811-d35d-85a4-7722-b3e39a2b3b6e,0192f812-0a4b-ab38-b471-e8332fac7ceb",
            "robodial_blacklist": "0", "status": "success",
            "retreaver_payable": "false", "retreaver_receivable": "false", "retreaver_duplicate": "false",
            "retreaver_payable_duplicate": "false", "retreaver_receivable_duplicate": "false", "retreaver_repeat": "true",
            "retreaver_hung_up_by": "caller", "retreaver_dialed_call_duration": "0", "retreaver_ivr_duration": "26",
            "retreaver_hold_duration": "17", "retreaver_caller_city": "Rockingham", "retreaver_caller_zip": "28379",
            "retreaver_caller_country": "US", "retreaver_campaign_name": "Retreaver Main - Sales & Support",
            "retreaver_connected": "false",
        ])
    ) }

    @Test func v2CallWithItsWrapperMapsEveryField() throws {
        let events = try Self.listed("retreaver-api-v2-call.json")
        let event = try #require(events.first)
        #expect(events.count == 1)
        #expect(event.event.externalCallID == "94079290-93f3-4527-9e78-88653aaf3c49")
        #expect(event.event.type == "retreaver.call")
        #expect(event.event.occurredAt == Fixture.time("2024-11-04T16:46:54.037Z"))
        let expected = try Self.v2Call()
        #expect(event.event.fields == expected)
    }

    @Test func v3NumberObjectAndV4CampaignObject() throws {
        var v3 = try Self.v2Call()
        v3.tags = v3.tags.merging(try Tags(validating: ["retreaver_number_name": "Publisher Joe Number"]))
        #expect(try Self.listed("retreaver-api-v3-call.json").first?.event.fields == v3)
        var v4 = v3
        v4.campaignID = "12345"
        #expect(try Self.listed("retreaver-api-v4-call.json").first?.event.fields == v4)
    }

    @Test func v1PageWithoutANumberReadsDialedNumberAsTheTrackingNumber() throws {
        let events = try Self.listed("retreaver-api-v1-calls.json")
        #expect(events.map(\.event.externalCallID) == ["addcf985-017e-4962-be34-cf5d55e74afc", "8ae0aa38-0173-4e62-5342-cf5d55e74afe"])
        #expect(events[0].event.fields == CallFields(
            callerPhone: Fixture.phone("+17195220377"), trackingNumber: Fixture.phone("+18668987878"),
            durationSeconds: 204, callStartedAt: Fixture.time("2012-04-29T12:29:40Z"),
            callAnsweredAt: Fixture.time("2012-04-29T12:29:51Z"), callEndedAt: Fixture.time("2012-04-29T12:32:46Z"),
            status: .completed, campaignID: "0003", publisherID: "03994", callerState: "CO",
            recordingURL: "http://callpixels.com/recordings/87d43a5f5c88041687f9fd1bb6a58d6f/call_17192096019_1342303189.mp3",
            tags: try Tags(validating: [
                "retreaver_dialed_call_duration": "193", "retreaver_caller_city": "COLORADO SPRINGS",
                "retreaver_caller_zip": "80920", "retreaver_caller_country": "US",
            ])
        ))
        #expect(events[1].event.fields.callerPhone == Fixture.phone("+14166686981"))
        #expect(events[1].event.fields.durationSeconds == 40)
    }

    @Test func v2PageOfAConnectedConvertedCall() throws {
        let events = try Self.listed("retreaver-api-v2-calls.json")
        #expect(events.count == 2)
        let sold = events[0].event.fields
        #expect(sold.status == .completed)
        #expect(sold.callAnsweredAt == Fixture.time("2024-11-04T16:52:25.423Z"))
        #expect(sold.revenue == Money(cents: 500) && sold.payout == Money(cents: 500) && sold.converted == true)
        #expect(sold.targetID == "27449" && sold.campaignID == "9872")
        #expect(sold.trackingNumber == Fixture.phone("+18886064349") && sold.destinationNumber == Fixture.phone("+12263399112"))
        #expect(events[1].event.fields.status == .canceled)
    }

    @Test func aCallObjectWithAStageIsThatStagesEvent() throws {
        let event = try #require(try Self.listed("retreaver-api-v2-call.json", query: ["stage": "always"]).first)
        #expect(event.event.idempotencyKey == "retreaver:int_test:94079290-93f3-4527-9e78-88653aaf3c49:always")
        #expect(event.event.fields.status == .canceled)
    }

    @Test func aListedCallSentAgainHasTheSameKeyAndAChangedOneANewKey() throws {
        let first = try Self.listed("retreaver-api-v2-call.json")[0]
        let again = try Self.listed("retreaver-api-v2-call.json")[0]
        #expect(first.event.idempotencyKey == again.event.idempotencyKey)
        let changed = try Fixture.text("retreaver-api-v2-call.json").replacingOccurrences(of: #""converted": false"#, with: #""converted": true"#)
        let later = try RetreaverWebhook.decode(
            VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(changed.utf8), receivedAt: Fixture.receivedAt),
            integration: integration
        )[0]
        #expect(later.event.idempotencyKey != first.event.idempotencyKey)
        #expect(later.event.externalCallID == first.event.externalCallID)
    }

    @Test func anUnknownStatusIsNeverRefused() throws {
        let body = #"{"call": {"uuid": "u-1", "status": "transferring", "end_time": "2024-11-04T16:46:54Z"}}"#
        let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(body.utf8), receivedAt: Fixture.receivedAt)
        let event = try #require(try RetreaverWebhook.decode(delivery, integration: integration).first)
        #expect(event.event.fields.status == .completed)
        #expect(event.event.fields.tags["retreaver_status"] == "transferring")
    }

    @Test func aBadFieldInAPageIsNamedByItsPlace() throws {
        let body = #"[{"call": {"uuid": "u-1"}}, {"call": {"uuid": "u-2", "revenue": "lots"}}]"#
        let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(body.utf8), receivedAt: Fixture.receivedAt)
        let error = #expect(throws: VendorError.self) { try RetreaverWebhook.decode(delivery, integration: integration) }
        #expect(error?.field == "[1].call.revenue")
        let noID = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(#"[{"call": {"caller": "+13015236555"}}]"#.utf8), receivedAt: Fixture.receivedAt)
        let missing = #expect(throws: VendorError.self) { try RetreaverWebhook.decode(noID, integration: integration) }
        #expect(missing?.field == "[0].call.id" && missing?.code == "missing_field")
    }
}

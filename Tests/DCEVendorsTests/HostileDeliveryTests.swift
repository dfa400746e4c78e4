import DCEDomain
import DCEVendors
import Foundation
import PropertyBased
import Testing

/// Each vendor's numbers and times are range-checked where the decoder reads them, and a
/// refusal names the parameter: the inputs here once trapped the process.
@Suite struct HostileDeliveryTests {
    static func get(_ query: String) -> VendorDelivery {
        VendorDelivery(method: "GET", query: FlatFields.form(query).values, contentType: nil, body: [], receivedAt: Fixture.receivedAt)
    }

    static func post(_ body: String, contentType: String, query: String = "") -> VendorDelivery {
        VendorDelivery(method: "POST", query: FlatFields.form(query).values, contentType: contentType, body: Array(body.utf8), receivedAt: Fixture.receivedAt)
    }

    static func refusal(_ vendor: some VendorAdapter, _ delivery: VendorDelivery) -> VendorError? {
        do {
            _ = try vendor.decode(delivery, integration: integration)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("call_id=R1&call_length=9223372036854775807", "call_length"),
        ("call_id=R1&call_length=31622400", "call_length"),
        ("call_id=R1&call_length=-1", "call_length"),
        ("call_id=R1&call_date_time=-9300000000000000", "call_date_time"),
        ("call_id=R1&call_date_time=-9223372036854775808", "call_date_time"),
        ("call_id=R1&call_date_time=99999999999999999999", "call_date_time"),
        ("call_id=R1&call_date_time=-0001-01-01T00:00:00Z", "call_date_time"),
        ("call_id=R1&call_date_time=99999-01-01T00:00:00Z", "call_date_time"),
        ("call_id=R1&call_revenue=1e19", "call_revenue"),
        ("call_id=R1&payout=10000000000", "payout"),
    ])
    func ringbaRefusesOutOfRangeNumbersNamingThem(query: String, field: String) {
        #expect(Self.refusal(.ringba, Self.get(query))?.field == field)
    }

    @Test(arguments: [
        (#"{"id": "T1", "created_at": 9223372036854775807}"#, "created_at"),
        (#"{"id": "T1", "created_at": -9300000000000000}"#, "created_at"),
        (#"{"id": "T1", "answered_at": "2201-01-01T00:00:00Z"}"#, "answered_at"),
        (#"{"id": "T1", "duration": 1e300}"#, "duration"),
        (#"{"id": "T1", "revenue": 1e19}"#, "revenue"),
    ])
    func retreaverRefusesOutOfRangeNumbersNamingThem(body: String, field: String) {
        #expect(Self.refusal(.retreaver, Self.post(body, contentType: "application/json", query: "stage=start"))?.field == field)
    }

    @Test(arguments: [
        ("CallSid=E1&Status=completed&ConversationDuration=9223372036854775807", "ConversationDuration"),
        ("CallSid=E1&Status=completed&DateUpdated=-9300000000000000", "DateUpdated"),
        ("CallSid=E1&Status=completed&DateUpdated=0001-01-01+00%3A00%3A00", "DateUpdated"),
        ("CallSid=E1&Status=completed&StartTime=2999-01-01+00%3A00%3A00", "StartTime"),
    ])
    func exotelRefusesOutOfRangeNumbersNamingThem(form: String, field: String) {
        #expect(Self.refusal(.exotel, Self.post(form, contentType: "application/x-www-form-urlencoded"))?.field == field)
    }

    @Test(arguments: [
        (#"{"transaction_id": "I1", "duration": 9223372036854775807, "start_time_utc": 1705400000}"#, "duration"),
        (#"{"transaction_id": "I1", "start_time_utc": -9300000000000000}"#, "start_time_utc"),
        (#"{"transaction_id": "I1", "advertiser_payin": 1e19}"#, "advertiser_payin"),
        (#"{"transaction_id": "I1", "corrects_transaction_id": "I0", "corrected_at": "99999-01-01"}"#, "corrected_at"),
        (#"[{"transaction_id": "I1", "duration": -5}]"#, "[0].duration"),
    ])
    func invocaRefusesOutOfRangeNumbersNamingThem(body: String, field: String) {
        #expect(Self.refusal(.invoca, Self.post(body, contentType: "application/json"))?.field == field)
    }

    @Test func invocaRefusesMoreThanAHundredCustomDataEntries() throws {
        let entries = (0..<10_000).map { "\"k\($0)\": \"v\"" }.joined(separator: ",")
        let refusal = Self.refusal(.invoca, Self.post(#"{"transaction_id": "I1", "custom_data": {\#(entries)}}"#, contentType: "application/json"))
        #expect(refusal?.field == "custom_data")
        #expect(refusal?.code == "too_many_tags")
        let hundred = (0..<100).map { "\"k\($0)\": \"v\"" }.joined(separator: ",")
        #expect(Self.refusal(.invoca, Self.post(#"{"transaction_id": "I1", "custom_data": {\#(hundred)}}"#, contentType: "application/json")) == nil)
    }

    @Test(arguments: [
        (#"{"body": {"sessionId": "S1", "eventTime": "99999-01-01T00:00:00Z", "parties": [{"status": {"code": "Setup"}}]}}"#, "body.eventTime"),
        (#"{"timestamp": "1800-01-01T00:00:00Z", "body": {"sessionId": "S1", "parties": [{"status": {"code": "Setup"}}]}}"#, "timestamp"),
        (#"{"body": {"activeCalls": [{"sessionId": "S1", "telephonyStatus": "Ringing", "startTime": "-2024-01-01"}]}}"#, "body.activeCalls[0].startTime"),
    ])
    func ringCentralRefusesUnreadableTimesNamingThem(body: String, field: String) {
        #expect(Self.refusal(.ringcentral, Self.post(body, contentType: "application/json"))?.field == field)
    }

    @Test func theLargestAcceptedValuesStillDecode() throws {
        let ringba = try RingbaAdapter().decode(Self.get("call_id=R1&call_length=31622399&call_date_time=7289654399&call_revenue=999999999.99"), integration: integration)
        #expect(ringba[0].event.fields.durationSeconds == 31_622_399)
        #expect(ringba[0].event.fields.callStartedAt == Timestamp(millisecondsSince1970: 7_289_654_399_000))
        #expect(ringba[0].event.fields.revenue == Money(cents: 99_999_999_999))
        let invoca = try InvocaAdapter().decode(Self.post(#"{"transaction_id": "I1", "duration": 31622399, "start_time_utc": 7289654399999}"#, contentType: "application/json"), integration: integration)
        #expect(invoca[0].event.fields.callEndedAt == Timestamp(millisecondsSince1970: 7_289_654_399_999).adding(seconds: 31_622_399))
    }

    @Test(arguments: ["-9223372036854775808", "9223372036854775807", "-1"])
    func standardWebhooksRefuseAnyTimestampOutsideTheToleranceBeforeTheSignature(timestamp: String) {
        #expect(throws: StandardWebhooks.Failure.timestampOutOfTolerance) {
            try StandardWebhooks.verify(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id: "m1", timestamp: timestamp,
                                        signatures: "v1,bm9ldHUM=", body: [], now: Date(timeIntervalSince1970: 1_705_400_000))
        }
    }
}

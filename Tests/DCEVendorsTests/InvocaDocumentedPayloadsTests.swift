import DCEDomain
@testable import DCEVendors
import Testing

/// Invoca transactions as Invoca's developer docs publish them (github.com/Invoca/developer-docs,
/// `source/api_documentation/transactions_api/`), mapped field by field:
/// - `invoca-marketing-data-custom-data.json`: the first example response of "Marketing
///   Data & Signal Parameters" (`include_columns=…,custom_data`);
/// - `invoca-marketing-data-columns.json`: its third example (`$invoca_custom_columns`
///   with `$invoca_custom_source_columns`);
/// - `invoca-network-transaction.json`: one row of the network page's field tables
///   (general, RingPool and AdWords, signal, Enhanced Caller Profile), with example values.
@Suite struct InvocaDocumentedPayloadsTests {
    static func decode(_ name: String) throws -> [VendorEvent] {
        try InvocaTransaction.decode(try Fixture.body(name, contentType: "application/json"), integration: integration)
    }

    static func decode(json: String) throws(VendorError) -> [VendorEvent] {
        let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(json.utf8), receivedAt: Fixture.receivedAt)
        return try InvocaTransaction.decode(delivery, integration: integration)
    }

    @Test func customDataArrayKeepsEveryMarketingValueAndSignalAsTags() throws {
        let events = try Self.decode("invoca-marketing-data-custom-data.json")
        #expect(events.count == 2)
        let first = Fixture.time("2019-01-24T13:43:15Z")
        #expect(events[0].event.externalCallID == "FE7F3A51-11111111")
        #expect(events[0].event.occurredAt == first)
        #expect(events[0].event.fields == CallFields(callStartedAt: first, tags: try Tags(validating: [
            "Quote": "true", "utm_medium": "Search", "gclid": "198ab9a93f8c7348",
            "invoca_transaction_id": "FE7F3A51-11111111",
        ])))
        let second = Fixture.time("2019-01-24T13:43:16Z")
        #expect(events[1].event.fields == CallFields(callStartedAt: second, tags: try Tags(validating: [
            "Purchase Made": "true", "utm_medium": "Email", "invoca_transaction_id": "E9C4063A-22222222",
        ])))
    }

    @Test func marketingDataColumnsAndTheirSourcesAreTagsAndNullsAreLeftOut() throws {
        let events = try Self.decode("invoca-marketing-data-columns.json")
        #expect(events[0].event.fields == CallFields(callStartedAt: Fixture.time("2019-01-24T13:43:15Z"), tags: try Tags(validating: [
            "Quote": "1", "Quote.source": "Expression", "utm_medium": "Search", "utm_medium.source": "DynamicAttribution",
            "gclid": "198ab9a93f8c7348", "gclid.source": "DynamicAttribution", "invoca_transaction_id": "FE7F3A51-11111111",
        ])))
        #expect(events[1].event.fields.tags == (try Tags(validating: [
            "Purchase Made": "1", "Purchase Made.source": "AI", "utm_medium": "Email", "utm_medium.source": "VirtualLine",
            "invoca_transaction_id": "E9C4063A-22222222",
        ])))
    }

    @Test func aNetworkRowMapsEveryFieldAndKeepsPoolParametersAndSignalsAsTags() throws {
        let event = try #require(try Self.decode("invoca-network-transaction.json").first)
        let start = Fixture.time("2019-01-24T13:43:15Z")
        #expect(event.event.externalCallID == "9F8E7D6C-44444444")
        #expect(event.event.idempotencyKey == "invoca:int_test:transaction:A1B2C3D4-33333333")
        #expect(event.event.occurredAt == start)
        #expect(event.event.fields == CallFields(
            callerPhone: Fixture.phone("+18055550142"), destinationNumber: Fixture.phone("+18005550199"),
            durationSeconds: 312, callStartedAt: start, callEndedAt: start.adding(seconds: 312), status: .completed,
            campaignID: "home-services", publisherID: "aff-77", callerState: "CA",
            revenue: Money(cents: 6000), payout: Money(cents: 3500), converted: true,
            tags: try Tags(validating: [
                // dce's own
                "invoca_transaction_id": "A1B2C3D4-33333333", "invoca_complete_call_id": "9F8E7D6C-44444444",
                "invoca_transaction_type": "Call", "invoca_call_result": "Connected", "invoca_campaign_name": "Home Services",
                "invoca_city": "Santa Barbara", "invoca_region": "CA", "invoca_mobile": "Mobile",
                "invoca_connect_duration": "290", "invoca_virtual_line_id": "pn-1201",
                // the signal, and the visit's RingPool and search parameters
                "Appointment Booked": "true",
                "utm_source": "google", "utm_campaign": "spring-hvac",
                "dynamic_number_pool_id": "77", "dynamic_number_pool_pool_type": "Custom",
                "dynamic_number_pool_referrer_search_keywords": "ac repair near me",
                "dynamic_number_pool_referrer_search_type": "Paid",
            ])
        ))
    }

    /// Every example of the docs' time formats: the Transactions API's columns and the
    /// "Timestamp Formats" of the Signal and Call Ingestion APIs.
    @Test(arguments: [
        ("start_time_local", #""2019-01-24 06:43:15 -07:00""#, "2019-01-24T13:43:15Z"),
        ("start_time_utc", "1548337395000", "2019-01-24T13:43:15Z"),
        ("start_time_utc", #""1548337395000""#, "2019-01-24T13:43:15Z"),
        ("start_time_xml", #""2019-01-24T06:43:15-07:00""#, "2019-01-24T13:43:15Z"),
        ("start_time_network_timezone", #""2019-01-24 08:43:15 -05:00""#, "2019-01-24T13:43:15Z"),
        ("start_time_network_timezone_xml", #""2019-01-24T08:43:15-05:00""#, "2019-01-24T13:43:15Z"),
        ("call_start_time", #""1460404800""#, "2016-04-11T20:00:00Z"),
        ("call_start_time", #""1460404800000""#, "2016-04-11T20:00:00Z"),
        ("call_start_time", #""20160411130000000""#, "2016-04-11T13:00:00Z"),
        ("call_start_time", #""2016/04/11T23:00:00.000+03:00""#, "2016-04-11T20:00:00Z"),
        ("call_start_time", #""2016/04/11T13:00:00.000-07:00""#, "2016-04-11T20:00:00Z"),
        ("call_start_time", #""2016/04/11T20:00:00.000Z""#, "2016-04-11T20:00:00Z"),
        ("call_start_time", #""2016/04/11T13:00:00-07:00""#, "2016-04-11T20:00:00Z"),
        ("call_start_time", #""2016-08-08 11:03:31 -0700""#, "2016-08-08T18:03:31Z"),
        ("call_start_time", #""2016/04/11 01:00:00.000 PM""#, "2016-04-11T13:00:00Z"),
        ("call_start_time", #""2016/04/11 13:00:00 PM""#, "2016-04-11T13:00:00Z"),
        ("call_start_time", #""2016/04/11 12:30:00 AM""#, "2016-04-11T00:30:00Z"),
    ])
    func everyDocumentedTimeFormatIsRead(field: String, value: String, expected: String) throws {
        let event = try #require(try Self.decode(json: #"{"transaction_id": "T-1", "\#(field)": \#(value)}"#).first)
        #expect(event.event.fields.callStartedAt == Fixture.time(expected))
    }

    @Test func theUnambiguousStartTimeWinsAndCorrectedAtTakesInvocasLocalForm() throws {
        let both = try #require(try Self.decode(json: #"{"transaction_id": "T-1", "start_time_local": "2019-01-24 06:43:15 -07:00", "start_time_utc": 1548337400000}"#).first)
        #expect(both.event.fields.callStartedAt == Timestamp(millisecondsSince1970: 1_548_337_400_000))
        let correction = try #require(try Self.decode(json: #"{"transaction_id": "T-2", "corrects_transaction_id": "T-1", "corrected_at": "2024-01-17 09:00:00 -07:00"}"#).first)
        #expect(correction.event.occurredAt == Fixture.time("2024-01-17T16:00:00Z"))
        let bad = #expect(throws: VendorError.self) { try Self.decode(json: #"{"transaction_id": "T-1", "start_time_local": "yesterday"}"#) }
        #expect(bad?.field == "start_time_local")
    }

    @Test func tagsPastOneHundredAreRefusedNamingCustomDataAndLongTextIsCut() throws {
        func entries(_ count: Int) -> String {
            (0..<count).map { #"{"name": "field_\#($0)", "data_type": "Short Text", "source": "Api", "value": "v"}"# }.joined(separator: ",")
        }
        // 100 of the delivery's own, and dce's transaction id tag.
        let full = try #require(try Self.decode(json: #"{"transaction_id": "T-1", "custom_data": [\#(entries(100))]}"#).first)
        #expect(full.event.fields.tags.count == 101)
        let over = #expect(throws: VendorError.self) { try Self.decode(json: #"{"transaction_id": "T-1", "custom_data": [\#(entries(101))]}"#) }
        #expect(over?.field == "custom_data")
        #expect(over?.code == "too_many_tags")
        let rows = #expect(throws: VendorError.self) { try Self.decode(json: #"[{"transaction_id": "T-1", "custom_data": [\#(entries(101))]}]"#) }
        #expect(rows?.field == "[0].custom_data")
        // Invoca's Long Text holds 10,000 characters; a tag holds 4096.
        let long = String(repeating: "x", count: 10_000)
        let cut = try #require(try Self.decode(json: #"{"transaction_id": "T-1", "custom_data": [{"name": "transcript_summary", "data_type": "Long Text", "value": "\#(long)"}]}"#).first)
        #expect(cut.event.fields.tags["transcript_summary"]?.count == Tags.maximumValueLength)
    }

    @Test func theIsoTextOfInvocasFormsIsWhatTimestampReads() {
        #expect(InvocaTime.isoText(Array("2019-01-24 06:43:15 -07:00".utf8)) == "2019-01-24 06:43:15-07:00")
        #expect(InvocaTime.isoText(Array("2016/04/11 01:00:00.000 PM".utf8)) == "2016-04-11 13:00:00.000")
        #expect(InvocaTime.isoText(Array("2016/04/11 25:00:00 PM".utf8)) == nil)
    }
}

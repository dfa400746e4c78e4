import DCEDomain
import DCEVendors
import Testing

/// Fixtures from Exotel's StatusCallback reference (developer.exotel.com): the default
/// parameters plus those sent for the `terminal` and `answered` event subscriptions.
@Suite struct ExotelStatusCallbackTests {
    /// Exotel's times are India time: 14:30:45 IST is 09:00:45 UTC.
    static func ist(_ text: String) -> Timestamp { Fixture.time(text.replacingOccurrences(of: " ", with: "T") + "+05:30") }

    @Test func terminalCallbackMapsEveryField() throws {
        let delivery = try Fixture.body("exotel-terminal.form", contentType: "application/x-www-form-urlencoded")
        let event = try #require(try ExotelStatusCallback.decode(delivery, integration: integration).first)
        #expect(event.event.externalCallID == "80bfbec2d78bbbf10fb851f4fa165211")
        #expect(event.event.idempotencyKey == "exotel:int_test:80bfbec2d78bbbf10fb851f4fa165211:terminal:completed")
        #expect(event.event.occurredAt == Self.ist("2024-01-15 14:30:45"))
        #expect(event.event.fields == CallFields(
            callerPhone: Fixture.phone("+918012345678"), trackingNumber: Fixture.phone("+912248905010"),
            destinationNumber: Fixture.phone("+919876543210"), durationSeconds: 180,
            callStartedAt: Self.ist("2024-01-15 14:27:01"), callEndedAt: Self.ist("2024-01-15 14:30:44"),
            status: .completed, recordingURL: "https://s3-ap-southeast-1.amazonaws.com/recordings/abc123.mp3",
            tags: try Tags(validating: [
                "exotel_direction": "inbound", "exotel_custom_field": "campaign-42",
                "exotel_legs": #"[{"Number":"09876543210","Status":"completed"}]"#, "exotel_phone_number_sid": "02248905010",
            ])
        ))
    }

    @Test func answeredCallbackMarksTheAnswer() throws {
        let delivery = try Fixture.body("exotel-answered.form", contentType: "application/x-www-form-urlencoded")
        let event = try #require(try ExotelStatusCallback.decode(delivery, integration: integration).first)
        #expect(event.event.idempotencyKey == "exotel:int_test:80bfbec2d78bbbf10fb851f4fa165211:answered")
        #expect(event.event.fields.status == .answered)
        #expect(event.event.fields.callAnsweredAt == Self.ist("2024-01-15 14:27:10"))
        #expect(event.event.fields.callStartedAt == Self.ist("2024-01-15 14:27:01"))
    }

    @Test func statusTableAndBadStatus() throws {
        for (text, status) in [("completed", CallStatus.completed), ("failed", .failed), ("busy", .busy), ("no-answer", .noAnswer)] {
            let body = "CallSid=c1&Status=\(text)&DateUpdated=2024-01-15+14%3A30%3A45"
            let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/x-www-form-urlencoded", body: Array(body.utf8), receivedAt: Fixture.receivedAt)
            #expect(try ExotelStatusCallback.decode(delivery, integration: integration)[0].event.fields.status == status)
        }
        let bad = VendorDelivery(method: "POST", query: [:], contentType: "application/x-www-form-urlencoded", body: Array("CallSid=c1&Status=melted".utf8), receivedAt: Fixture.receivedAt)
        let error1 = #expect(throws: VendorError.self) { try ExotelStatusCallback.decode(bad, integration: integration) }
        #expect(error1?.field == "Status")
        let noSid = VendorDelivery(method: "POST", query: [:], contentType: "application/x-www-form-urlencoded", body: Array("Status=busy".utf8), receivedAt: Fixture.receivedAt)
        #expect(throws: VendorError.missing("CallSid")) { try ExotelStatusCallback.decode(noSid, integration: integration) }
    }
}

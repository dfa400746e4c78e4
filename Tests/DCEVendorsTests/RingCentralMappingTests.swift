import DCEDomain
import DCEVendors
import Testing

/// Fixtures: seed 001's `Notify_CallSession` example (with the `sessionId` and
/// `recordingId` the seed says to keep), and RingCentral's telephony-session and presence
/// (`detailedTelephonyState=true`) notification shapes from its webhook reference.
@Suite struct RingCentralMappingTests {
    @Test func seedNotifyCallSessionMapsEveryField() throws {
        let delivery = try Fixture.body("ringcentral-notify-callsession.json", contentType: "application/json")
        let events = try RingCentralMapping.decode(delivery, integration: integration)
        let event = try #require(events.first)
        #expect(events.count == 1)
        #expect(event.event.externalCallID == "Y3MxNzI2MjI1NTU2NjgwNTgwMkAxMC4xMy4xMjEuMTE1")
        #expect(event.event.idempotencyKey == "ringcentral:int_test:Y3MxNzI2MjI1NTU2NjgwNTgwMkAxMC4xMy4xMjEuMTE1:party0:disconnected")
        #expect(event.attributionLabel == "+14155550100")
        #expect(event.event.fields == CallFields(
            callerPhone: Fixture.phone("+13055551212"), trackingNumber: Fixture.phone("+18774443333"),
            callEndedAt: Fixture.receivedAt, status: .noAnswer,
            tags: try Tags(validating: [
                "ringcentral_session_id": "Y3MxNzI2MjI1NTU2NjgwNTgwMkAxMC4xMy4xMjEuMTE1",
                "ringcentral_recording_id": "rec-20240115-1",
                "ringcentral_label": "+14155550100",
                "direction": "inbound",
            ])
        ))
    }

    @Test func telephonySessionNotificationMapsEveryField() throws {
        let delivery = try Fixture.body("ringcentral-telephony-session.json", contentType: "application/json")
        let event = try #require(try RingCentralMapping.decode(delivery, integration: integration).first)
        #expect(event.event.externalCallID == "4503991004")
        #expect(event.event.idempotencyKey == "ringcentral:int_test:4503991004:p-a0d7c4b2d2f2a2e54a1eed5e2c1fb2-2:answered:7")
        #expect(event.event.occurredAt == Fixture.time("2024-01-15T10:00:05.387Z"))
        #expect(event.attributionLabel == nil)
        #expect(event.event.fields == CallFields(
            callerPhone: Fixture.phone("+13055551212"), trackingNumber: Fixture.phone("+18774443333"),
            callAnsweredAt: Fixture.time("2024-01-15T10:00:05.387Z"), status: .answered,
            tags: try Tags(validating: [
                "ringcentral_session_id": "4503991004",
                "ringcentral_telephony_session_id": "s-a0d7c4b2d2f2a2e54a1eed5e2c1fb2",
                "ringcentral_recording_id": "7212841004",
                "ringcentral_party_id": "p-a0d7c4b2d2f2a2e54a1eed5e2c1fb2-2",
                "direction": "inbound",
            ])
        ))
    }

    @Test func presenceWithDetailedTelephonyStateMapsEveryField() throws {
        let delivery = try Fixture.body("ringcentral-presence.json", contentType: "application/json")
        let event = try #require(try RingCentralMapping.decode(delivery, integration: integration).first)
        #expect(event.event.externalCallID == "4503991004")
        #expect(event.event.idempotencyKey == "ringcentral:int_test:4503991004:presence:ringing:3")
        #expect(event.event.fields == CallFields(
            callerPhone: Fixture.phone("+13055551212"), trackingNumber: Fixture.phone("+18774443333"),
            callStartedAt: Fixture.time("2024-01-15T10:00:00.000Z"), status: .ringing,
            tags: try Tags(validating: [
                "ringcentral_session_id": "4503991004",
                "ringcentral_telephony_session_id": "s-a0d7c4b2d2f2a2e54a1eed5e2c1fb2",
                "ringcentral_party_id": "p-a0d7c4b2d2f2a2e54a1eed5e2c1fb2-2",
                "direction": "inbound",
            ])
        ))
    }

    @Test func anUnknownStatusOrAMissingSessionIsNoRefusal() throws {
        let text = try Fixture.text("ringcentral-telephony-session.json")
        let unknown = VendorDelivery(method: "POST", query: [:], contentType: "application/json",
                                     body: Array(text.replacingOccurrences(of: "\"Answered\"", with: "\"Teleported\"").utf8), receivedAt: Fixture.receivedAt)
        // A status RingCentral adds later makes the call known, its state unknown until one dce reads.
        let teleported = try #require(try RingCentralMapping.decode(unknown, integration: integration).first)
        #expect(teleported.event.fields.status == .unknown)
        #expect(teleported.event.fields.tags.values["ringcentral_status"] == "Teleported")
        let noSession = VendorDelivery(method: "POST", query: [:], contentType: "application/json",
                                       body: Array(#"{"event": "Notify_CallSession", "body": {"parties": [{"state": {"name": "Setup"}}]}}"#.utf8), receivedAt: Fixture.receivedAt)
        let keyed = try #require(try RingCentralMapping.decode(noSession, integration: integration).first)
        #expect(keyed.event.externalCallID.hasPrefix("sha256-"))
        #expect(keyed.event.fields.status == .ringing)
    }

    @Test func aMemberOfTheWrongTypeIsNamed() throws {
        func field(_ json: String) -> String? {
            let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(json.utf8), receivedAt: Fixture.receivedAt)
            let error = #expect(throws: VendorError.self) { try RingCentralMapping.decode(delivery, integration: integration) }
            return error?.field
        }
        #expect(field(#"{"body": {"sessionId": "s1", "parties": [{"from": "+13055551212", "status": {"code": "Setup"}}]}}"#) == "body.parties[0].from")
        #expect(field(#"{"body": {"sessionId": "s1", "sequence": "seven", "parties": [{"status": {"code": "Setup"}}]}}"#) == "body.sequence")
        #expect(field(#"{"body": {"sessionId": "s1", "parties": [{"status": {"code": "Setup"}}, 7]}}"#) == "body.parties[1]")
        #expect(field(#"{"body": {"sessionId": "s1", "parties": [{"status": {"code": "Setup"}, "missedCall": 1}]}}"#) == "body.parties[0].missedCall")
        #expect(field(#"{"body": []}"#) == "body")
    }

    @Test func idsSentAsNumbersAndFlagsSentAsTextAreRead() throws {
        let json = #"{"body": {"sessionId": "s1", "sequence": 4, "recordingId": 7212841004, "parties": [{"id": "p1", "status": {"code": "Disconnected"}, "missedCall": "true", "from": {"phoneNumber": "+13055551212"}, "to": {"phoneNumber": "+18774443333"}}]}}"#
        let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(json.utf8), receivedAt: Fixture.receivedAt)
        let event = try #require(try RingCentralMapping.decode(delivery, integration: integration).first)
        #expect(event.event.fields.status == .noAnswer)
        #expect(event.event.fields.tags.values["ringcentral_recording_id"] == "7212841004")
        #expect(event.event.idempotencyKey.hasSuffix(":p1:disconnected:4"))
    }
}

import DCEDomain
import DCEVendors
import Testing

/// RingCentral's own published events, mapped field by field. Fixtures and where they come
/// from:
/// - `ringcentral-account-telephony-sessions.json`: the example of RingCentral's developer
///   guide "Account Telephony Sessions Event" (ringcentral-api-docs,
///   code-samples/events/account-telephony-sessions.json), an extension-to-extension call
///   (`103` → `102`) with the envelope inside `pn_apns`.
/// - `ringcentral-detailed-presence-with-sip.json`: "Detailed Extension Presence Event with
///   SIP" (code-samples/events/detailed-extension-presence-with-sip.json): `to` `4591`,
///   `from`/`to` `66666`.
/// - `ringcentral-detailed-presence.json`: "Detailed Extension Presence Event"
///   (code-samples/events/detailed-extension-presence.json).
/// - `ringcentral-extension-presence.json`: "Extension Presence Event"
///   (code-samples/events/extension-presence.json), no call in it.
/// - `ringcentral-telephony-session-event.json`: the guide's "Telephony Session
///   Notifications" sample (code-samples/voice/telephony-session-event.json).
/// - `ringcentral-csn-*.jsonl`: the recorded call streams the same guide links to
///   (github.com/dibyenduroy/csn-data: RingCentral-RingCentral.txt,
///   PSTN-RingCentral-DataStreams, RingCentral-PSTN.txt, the last cut to three
///   notifications), one notification per line, turned from Python's notation into JSON.
/// - `ringcentral-seed-notify-callsession.json`: seed 001's `Notify_CallSession` example
///   exactly as written (no `sessionId`).
@Suite struct RingCentralPublishedEventsTests {
    static func decode(_ name: String) throws -> [VendorEvent] {
        try RingCentralMapping.decode(try Fixture.body(name, contentType: "application/json"), integration: integration)
    }

    static func decode(text: String) throws -> [VendorEvent] {
        let delivery = VendorDelivery(method: "POST", query: [:], contentType: "application/json", body: Array(text.utf8), receivedAt: Fixture.receivedAt)
        return try RingCentralMapping.decode(delivery, integration: integration)
    }

    static func stream(_ name: String) throws -> [VendorEvent] {
        try Fixture.text(name).split(separator: "\n").flatMap { line in try decode(text: String(line)) }
    }

    @Test func accountTelephonySessionBetweenExtensionsIsAnInternalCall() throws {
        let events = try Self.decode("ringcentral-account-telephony-sessions.json")
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.event.externalCallID == "402936341008")
        #expect(event.event.idempotencyKey == "ringcentral:int_test:402936341008:cs171841903434018384-2:proceeding:5")
        #expect(event.event.occurredAt == Fixture.time("2018-06-05T00:14:50.147Z"))
        #expect(event.event.type == "ringcentral.proceeding")
        #expect(event.event.fields == CallFields(
            callStartedAt: Fixture.time("2018-06-05T00:14:50.147Z"), status: .ringing,
            tags: try Tags(validating: [
                "ringcentral_session_id": "402936341008",
                "ringcentral_telephony_session_id": "Y3MxNzE4NDE5MDM0MzQwMTgzODRAMTAuNjIuMjUuMTEx",
                "ringcentral_party_id": "cs171841903434018384-2",
                "from_extension": "103",
                "to_extension": "102",
                "direction": "internal",
            ])
        ))
    }

    @Test func detailedPresenceWithExtensionNumbersKeepsThemAsExtensions() throws {
        let events = try Self.decode("ringcentral-detailed-presence-with-sip.json")
        #expect(events.count == 2)
        let toExtension = try #require(events.first)
        #expect(toExtension.event.externalCallID == "118139132021")
        #expect(toExtension.event.idempotencyKey == "ringcentral:int_test:118139132021:presence:onhold:2013")
        #expect(toExtension.event.occurredAt == Fixture.time("2019-07-09T16:17:38.286Z"))
        #expect(toExtension.event.fields == CallFields(
            callerPhone: Fixture.phone("+16508370072"),
            callStartedAt: Fixture.time("2019-07-09T16:17:27.975Z"), status: .inProgress,
            tags: try Tags(validating: [
                "ringcentral_session_id": "118139132021",
                "ringcentral_telephony_session_id": "s-9cdb248614c94aa7ba68135f6c07b808",
                "ringcentral_party_id": "p-9cdb248614c94aa7ba68135f6c07b808-1",
                "to_extension": "4591",
                "direction": "internal",
            ])
        ))
        let betweenExtensions = events[1]
        #expect(betweenExtensions.event.externalCallID == "118139217021")
        #expect(betweenExtensions.event.fields == CallFields(
            callStartedAt: Fixture.time("2019-07-09T16:17:37.705Z"), status: .ringing,
            tags: try Tags(validating: [
                "ringcentral_session_id": "118139217021",
                "ringcentral_telephony_session_id": "s-e1e9696d863742758a18654dcc22a2fd",
                "ringcentral_party_id": "p-e1e9696d863742758a18654dcc22a2fd-2",
                "from_extension": "66666",
                "to_extension": "66666",
                "direction": "internal",
            ])
        ))
    }

    @Test func detailedPresenceTellsInboundFromOutbound() throws {
        let events = try Self.decode("ringcentral-detailed-presence.json")
        #expect(events.count == 2)
        let time = Fixture.time("2016-02-18T09:37:24.597Z")
        #expect(events.map(\.event.fields) == [
            CallFields(
                callerPhone: Fixture.phone("+18775380038"), trackingNumber: Fixture.phone("+18445810019"),
                callStartedAt: Fixture.time("2016-02-18T09:37:24.322Z"), callAnsweredAt: time, status: .answered,
                tags: try Tags(validating: [
                    "ringcentral_session_id": "17133704004",
                    "ringcentral_telephony_session_id": "Y3MxNjk4ODA5MTYxMzUyOTU5OUAxMC4zMi40NS44NA",
                    "ringcentral_party_id": "cs171843418296416309-2",
                    "direction": "inbound",
                ])
            ),
            CallFields(
                callerPhone: Fixture.phone("+18776480025"), trackingNumber: Fixture.phone("+18445654321"),
                callStartedAt: Fixture.time("2016-02-18T09:37:24.322Z"), callEndedAt: time, status: .completed,
                tags: try Tags(validating: [
                    "ringcentral_session_id": "17133804005",
                    "ringcentral_telephony_session_id": "Y3MxNjytruODA5MTYxMzUyOTU5OUAxMC4zMi40NS44NA",
                    "ringcentral_party_id": "cs671843418296416309-2",
                    "direction": "outbound",
                ])
            ),
        ])
    }

    @Test func aPresenceChangeWithoutACallIsAcknowledgedWithNoEvent() throws {
        #expect(try Self.decode("ringcentral-extension-presence.json").isEmpty)
        #expect(try Self.decode(text: #"{"body": {"parties": []}}"#).isEmpty)
    }

    @Test func telephonySessionGuideSampleIsAnInboundCall() throws {
        let event = try #require(try Self.decode("ringcentral-telephony-session-event.json").first)
        #expect(event.event.externalCallID == "425008160016")
        #expect(event.event.idempotencyKey == "ringcentral:int_test:425008160016:p-a6abd24ca6774373a8120a3390d3cbe8-2:setup:3")
        #expect(event.event.fields == CallFields(
            callerPhone: Fixture.phone("+14083388064"), trackingNumber: Fixture.phone("+19043014558"),
            callStartedAt: Fixture.time("2020-06-14T19:27:18.340Z"), status: .ringing,
            tags: try Tags(validating: [
                "ringcentral_session_id": "425008160016",
                "ringcentral_telephony_session_id": "s-a6abd24ca6774373a8120a3390d3cbe8",
                "ringcentral_party_id": "p-a6abd24ca6774373a8120a3390d3cbe8-2",
                "direction": "inbound",
            ])
        ))
    }

    @Test func recordedCallBetweenExtensionsIsOneInternalCall() throws {
        let events = try Self.stream("ringcentral-csn-ringcentral-to-ringcentral.jsonl")
        #expect(events.count == 9)
        #expect(Set(events.map(\.event.externalCallID)) == ["429182360016"])
        #expect(Set(events.map(\.event.idempotencyKey)).count == 9)
        #expect(events.allSatisfy { $0.event.fields.tags.values["direction"] == "internal" })
        #expect(events.allSatisfy { $0.event.fields.tags.values["to_extension"] == "11101" && $0.event.fields.trackingNumber == nil })
        // The calling extension's own leg shows its direct number; the called one's shows
        // the caller's extension number.
        let callerLeg = events.filter { $0.event.fields.tags.values["ringcentral_party_id"] == "p-f9badb80011344259059d6894a30ace2-1" }
        #expect(callerLeg.count == 5)
        #expect(callerLeg.allSatisfy { $0.event.fields.callerPhone == Fixture.phone("+17203861294") && $0.event.fields.tags.values["from_extension"] == nil })
        let calledLeg = events.filter { $0.event.fields.tags.values["ringcentral_party_id"] == "p-f9badb80011344259059d6894a30ace2-2" }
        #expect(calledLeg.count == 4)
        #expect(calledLeg.allSatisfy { $0.event.fields.callerPhone == nil && $0.event.fields.tags.values["from_extension"] == "11104" })
        #expect(events.map(\.event.fields.status) == [.ringing, .ringing, .answered, .ringing, .answered, .inProgress, .answered, .completed, .completed])
    }

    @Test func recordedOutsideCallsTakeTheAccountsDirection() throws {
        // The outside caller's own leg reports itself Outbound; for the account the call is inbound.
        let inbound = try Self.stream("ringcentral-csn-pstn-to-ringcentral.jsonl")
        #expect(inbound.count == 11)
        #expect(Set(inbound.map(\.event.externalCallID)) == ["429180487016"])
        #expect(inbound.allSatisfy { $0.event.fields.tags.values["direction"] == "inbound" })
        #expect(inbound.allSatisfy { $0.event.fields.callerPhone == Fixture.phone("+14083388064") && $0.event.fields.trackingNumber == Fixture.phone("+18003151571") })
        let outbound = try Self.stream("ringcentral-csn-ringcentral-to-pstn.jsonl")
        #expect(outbound.count == 3)
        #expect(outbound.allSatisfy { $0.event.fields.tags.values["direction"] == "outbound" })
        #expect(outbound.allSatisfy { $0.event.fields.callerPhone == Fixture.phone("+18003151571") && $0.event.fields.trackingNumber == Fixture.phone("+14083388064") })
    }

    @Test func seedNotifyCallSessionWithoutASessionIdIsKeyedByItsContent() throws {
        let events = try Self.decode("ringcentral-seed-notify-callsession.json")
        let event = try #require(events.first)
        #expect(events.count == 1)
        #expect(event.event.externalCallID.hasPrefix("sha256-"))
        #expect(event.event.externalCallID.count == "sha256-".count + 32)
        #expect(event.event.idempotencyKey == "ringcentral:int_test:\(event.event.externalCallID):party0:disconnected")
        #expect(event.attributionLabel == "+14155550100")
        #expect(event.event.fields == CallFields(
            callerPhone: Fixture.phone("+13055551212"), trackingNumber: Fixture.phone("+18774443333"),
            callEndedAt: Fixture.receivedAt, status: .noAnswer,
            tags: try Tags(validating: ["ringcentral_label": "+14155550100", "direction": "inbound"])
        ))
        // The same delivery again (however it is spaced) is the same event; another is another.
        let text = try Fixture.text("ringcentral-seed-notify-callsession.json")
        let respaced = try #require(try Self.decode(text: text.filter { !$0.isWhitespace || $0 == " " }.replacingOccurrences(of: "  ", with: "")).first)
        #expect(respaced.event.idempotencyKey == event.event.idempotencyKey)
        let answered = try #require(try Self.decode(text: text.replacingOccurrences(of: "\"Disconnected\"", with: "\"Answered\"")).first)
        #expect(answered.event.externalCallID != event.event.externalCallID)
        #expect(answered.event.idempotencyKey != event.event.idempotencyKey)
    }

    @Test func aCallIsKeyedByWhatItHas() throws {
        func key(_ body: String) throws -> String? { try Self.decode(text: body).first?.event.externalCallID }
        let party = #"{"id": "p-1", "status": {"code": "Setup"}}"#
        #expect(try key(#"{"body": {"sessionId": "S", "telephonySessionId": "T", "parties": [\#(party)]}}"#) == "S")
        #expect(try key(#"{"body": {"telephonySessionId": "T", "parties": [\#(party)]}}"#) == "T")
        #expect(try key(#"{"body": {"parties": [\#(party)]}}"#) == "p-1")
        #expect(try key(#"{"body": {"activeCalls": [{"id": "C-1", "telephonyStatus": "Ringing"}]}}"#) == "C-1")
        #expect(try key(#"{"body": {"activeCalls": [{"partyId": "P-2", "telephonyStatus": "Ringing"}]}}"#) == "P-2")
        #expect(try key(#"{"body": {"activeCalls": [{"telephonyStatus": "Ringing", "from": "103"}]}}"#)?.hasPrefix("sha256-") == true)
    }

    @Test(arguments: [
        ("4591", RingCentralNumber.extensionNumber("4591")),
        ("103", .extensionNumber("103")),
        (" 66666 ", .extensionNumber("66666")),
        ("*801", .extensionNumber("*801")),
        ("+16508370072", .phone(Fixture.phone("+16508370072"))),
        ("(650) 837-0072", .phone(Fixture.phone("+16508370072"))),
    ])
    func numbersAreExtensionsOrPhoneNumbers(text: String, expected: RingCentralNumber) throws {
        #expect(RingCentralNumber(text) == expected)
    }

    /// A withheld caller id or a SIP address is no reason to refuse a delivery: it is kept as sent.
    @Test func aNumberThatIsNeitherIsKeptAsSent() throws {
        #expect(RingCentralNumber("") == nil)
        #expect(RingCentralNumber(nil) == nil)
        for text in ["+4591", "45-91", "anonymous", "Restricted", "sip:1001@sip.ringcentral.com"] {
            #expect(RingCentralNumber(text) == .other(text), "\(text)")
        }
    }
}

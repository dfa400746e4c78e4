import DCEDomain
import DCEVendors
import Testing

/// The pure parts of the voice webhook: the TwiML dce answers, Telnyx's signature, and
/// how a carrier's callbacks become call events.
@Suite struct CarrierVoiceTests {
    static let number = try! PhoneNumber(parsing: "+12025550101")

    @Test func aDialIsOneDocumentWithTheNumbersStatusCallbacks() {
        let document = TwiML.dial(
            [TwiML.Leg(.number(Self.number), statusCallback: "https://dce.test/voice/cmp_1/status?route=rte_1&target=tgt_1"),
             TwiML.Leg(.sip("sip:agent@pbx.example.com"), statusCallback: "https://dce.test/s")],
            timeoutSeconds: 25, action: "https://dce.test/voice/cmp_1/dial?route=rte_1&attempt=1"
        )
        #expect(document == """
            <?xml version="1.0" encoding="UTF-8"?><Response><Dial action="https://dce.test/voice/cmp_1/dial?route=rte_1&amp;attempt=1" \
            method="POST" timeout="25"><Number statusCallback="https://dce.test/voice/cmp_1/status?route=rte_1&amp;target=tgt_1" \
            statusCallbackEvent="initiated ringing answered completed" statusCallbackMethod="POST">+12025550101</Number>\
            <Sip statusCallback="https://dce.test/s" statusCallbackEvent="initiated ringing answered completed" \
            statusCallbackMethod="POST">sip:agent@pbx.example.com</Sip></Dial></Response>
            """)
    }

    @Test func atMostTenDestinationsRingAtOnce() {
        let legs = Array(repeating: TwiML.Leg(.number(Self.number), statusCallback: "s"), count: 12)
        #expect(TwiML.dial(legs, timeoutSeconds: 30, action: "a").components(separatedBy: "<Number ").count == 11)
    }

    @Test func fallbacksAreANumberVoicemailOrHangUp() {
        #expect(TwiML.fallback(.hangUp, action: "a", statusCallback: "s", recordingCallback: "r") == #"<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>"#)
        let voicemail = TwiML.fallback(.voicemail, action: "a", statusCallback: "s", recordingCallback: "r")
        #expect(voicemail.contains("<Say>") && voicemail.contains(#"recordingStatusCallback="r""#))
        #expect(TwiML.fallback(.number(Self.number), action: "a", statusCallback: "s", recordingCallback: "r").contains(">+12025550101</Number></Dial>"))
    }

    @Test func markupInAValueIsEscaped() {
        let document = TwiML.dial([TwiML.Leg(.number(Self.number), statusCallback: "x\"><Hangup/>&'\u{1}")], timeoutSeconds: 30, action: "a")
        #expect(document.contains(#"statusCallback="x&quot;&gt;&lt;Hangup/&gt;&amp;&apos;""#))
        #expect(!document.contains("<Hangup/>"))
    }

    @Test func telnyxSignaturesVerifyOnlyForTheirBodyKeyAndTime() throws {
        let signer = TelnyxSignature.Signer()
        let key = try #require(TelnyxSignature.publicKey(base64: signer.publicKeyBase64))
        let body = Array("CallSid=v3%3A1&From=%2B12125550123".utf8)
        let now = Timestamp(millisecondsSince1970: 1_760_000_000_000)
        let signature = try signer.signature(body: body, timestamp: 1_760_000_000)
        #expect(throws: Never.self) { try TelnyxSignature.verify(signature: signature, timestamp: "1760000000", body: body, publicKey: key, now: now) }
        #expect(throws: TelnyxSignature.Failure.self) { try TelnyxSignature.verify(signature: signature, timestamp: "1760000000", body: body + [0x20], publicKey: key, now: now) }
        #expect(throws: TelnyxSignature.Failure.self) { try TelnyxSignature.verify(signature: signature, timestamp: "1760000001", body: body, publicKey: key, now: now) }
        #expect(throws: TelnyxSignature.Failure.self) { try TelnyxSignature.verify(signature: signature, timestamp: "1760000000", body: body, publicKey: key, now: now.adding(seconds: 301)) }
        #expect(throws: TelnyxSignature.Failure.self) { try TelnyxSignature.verify(signature: "bm90", timestamp: "1760000000", body: body, publicKey: key, now: now) }
        #expect(throws: TelnyxSignature.Failure.self) { try TelnyxSignature.verify(signature: signature, timestamp: "99999999999999999999", body: body, publicKey: key, now: now) }
        #expect(throws: TelnyxSignature.Failure.self) { try TelnyxSignature.verify(signature: nil, timestamp: "1760000000", body: body, publicKey: key, now: now) }
        #expect(TelnyxSignature.publicKey(base64: "bm90IGEga2V5") == nil)
    }

    @Test func aDialledLegsStatusFoldsIntoTheCallersCall() throws {
        let form = "CallSid=CA2&ParentCallSid=CA1&CallStatus=completed&CallDuration=95&To=%2B12025550101&RecordingUrl=https%3A%2F%2Fr.example%2F1"
        let callback = try CarrierCallback.read(body: Array(form.utf8), contentType: "application/x-www-form-urlencoded")
        #expect(callback.parameters.count == 6)
        let at = Timestamp(millisecondsSince1970: 1_000)
        let event = try callback.statusEvent(targetID: "tgt_1", receivedAt: at)
        #expect(event.externalCallID == "CA1")
        #expect(event.idempotencyKey == "carrier:CA2:status:completed")
        #expect(event.source == CarrierCallback.source)
        #expect(event.fields == CallFields(
            destinationNumber: Self.number, durationSeconds: 95, callEndedAt: at, status: .completed, targetID: "tgt_1", recordingURL: "https://r.example/1"
        ))
        let initiated = try CarrierCallback.read(body: Array("CallSid=CA2&CallStatus=initiated".utf8), contentType: nil)
        #expect(try initiated.statusEvent(targetID: nil, receivedAt: at).fields.status == .ringing)
    }

    @Test func telnyxMayPostJSON() throws {
        let json = #"{"CallSid":"v3:abc","From":"+12125550123","To":"+18005550100","CallStatus":"ringing","SequenceNumber":0}"#
        let callback = try CarrierCallback.read(body: Array(json.utf8), contentType: "application/json")
        #expect(try callback.callSid() == "v3:abc")
        #expect(try callback.dialed()?.e164 == "+18005550100")
        #expect(throws: VendorError.self) { try CarrierCallback.read(body: Array("[1]".utf8), contentType: "application/json") }
        #expect(throws: VendorError.self) { try CarrierCallback.read(body: Array("From=x".utf8), contentType: nil).callSid() }
    }
}

import DCEJSON
import DCEDomain

/// One request from a carrier's voice webhook (Twilio, SignalWire, Telnyx TeXML): the
/// call's fields as the carrier names them, and the form parameters as they arrived, which
/// Twilio's signature covers. Telnyx may post a flat JSON object instead of a form.
public struct CarrierCallback: Sendable {
    /// The source the ledger keeps these requests' events under.
    public static let source = Source(rawValue: "carrier")

    public let fields: FlatFields
    public let parameters: [TwilioSignature.Parameter]

    public init(fields: FlatFields, parameters: [TwilioSignature.Parameter]) {
        self.fields = fields
        self.parameters = parameters
    }

    /// Reads a form or, when the content type says so, a JSON object.
    public static func read(body: [UInt8], contentType: String?) throws(VendorError) -> CarrierCallback {
        if let contentType, contentType.lowercased().contains("json") {
            guard case .object(let object)? = JSONValue.parse(bytes: body) else {
                throw VendorError(field: nil, message: "the body is not a JSON object", code: "malformed_json")
            }
            return CarrierCallback(fields: FlatFields.json(object), parameters: [])
        }
        let text = String(decoding: body, as: UTF8.self)
        var parameters: [TwilioSignature.Parameter] = []
        for pair in text.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = FlatFields.decode(Substring(parts[0]))
            let value = parts.count > 1 ? FlatFields.decode(Substring(parts[1])) : ""
            parameters.append(TwilioSignature.Parameter(name, value))
        }
        return CarrierCallback(fields: FlatFields.form(text), parameters: parameters)
    }

    /// The carrier's id for this leg.
    public func callSid() throws(VendorError) -> String {
        let sid = try fields.required("CallSid")
        guard sid.utf8.count <= 255 else { throw .invalid("CallSid", "longer than 255 characters") }
        return sid
    }

    /// The caller's leg: a dialled leg's status callback names its parent.
    public func callerLegSid() throws(VendorError) -> String {
        if let parent = fields.text("ParentCallSid"), parent.utf8.count <= 255 { return parent }
        return try callSid()
    }

    /// Who called; a withheld caller (`anonymous`) is no number and no reason to refuse.
    public var caller: PhoneNumber? { fields.callerID("From").phone }

    public func dialed() throws(VendorError) -> PhoneNumber? { try fields.phone("To") }

    /// How a `<Dial>` ended, from its `action` request.
    public var dialStatus: CallStatus? { fields.text("DialCallStatus").flatMap(CallStatus.init(parsing:)) }

    /// The `ringing` event of a new call: who called, the number, and where dce routed it.
    public func ringingEvent(campaignID: String, publisherID: String?, targetID: String?, tags: Tags, receivedAt: Timestamp) throws(VendorError) -> CallEvent {
        let sid = try callSid()
        var fields = CallFields(
            callerPhone: caller, trackingNumber: try dialed(), callStartedAt: receivedAt, status: .ringing,
            campaignID: campaignID, publisherID: publisherID, targetID: targetID, tags: tags
        )
        if fields.callerPhone == nil, let kept = self.fields.callerID("From").kept["caller_id"] ?? nil {
            var values = fields.tags.values
            values["caller_id"] = kept
            fields.tags = (try? Tags(validating: values)) ?? fields.tags
        }
        return CallEvent(
            source: Self.source, externalCallID: sid, idempotencyKey: "carrier:\(sid):ringing",
            occurredAt: receivedAt, type: "ringing", fields: fields
        )
    }

    /// A status callback of a dialled leg (`CallStatus`, `CallDuration`, `RecordingUrl`),
    /// folded into the caller's call. Each status of each leg is one event, so a retried
    /// callback changes nothing.
    public func statusEvent(targetID: String?, receivedAt: Timestamp) throws(VendorError) -> CallEvent {
        let leg = try callSid()
        let call = try callerLegSid()
        let word = fields.text("CallStatus")
        var status = word.flatMap(CallStatus.init(parsing:))
        if word?.lowercased() == "initiated" { status = .ringing }
        var fields = CallFields(status: status, targetID: targetID)
        fields.durationSeconds = try self.fields.seconds("CallDuration")
        if let recording = self.fields.text("RecordingUrl") {
            guard recording.utf8.count <= 2048 else { throw .invalid("RecordingUrl", "longer than 2048 characters") }
            fields.recordingURL = recording
        }
        if status == .inProgress || status == .answered { fields.callAnsweredAt = receivedAt }
        if status?.isFinal == true { fields.callEndedAt = receivedAt }
        if case .number(let number)? = try? RouteDestination(parsing: self.fields.text("To") ?? "", field: "To") {
            fields.destinationNumber = number
        }
        let what = self.fields.text("RecordingSid").map { "recording:\($0.prefix(64))" } ?? "status:\((word ?? "none").prefix(32))"
        return CallEvent(
            source: Self.source, externalCallID: call, idempotencyKey: "carrier:\(leg.prefix(128)):\(what)",
            occurredAt: receivedAt, type: "status", fields: fields
        )
    }

    /// The `action` request of a `<Dial>` or `<Record>`: how the attempt ended, kept with
    /// the call as tags (the dialled leg's own callbacks carry its status).
    public func dialEvent(attempt: Int, receivedAt: Timestamp) throws(VendorError) -> CallEvent {
        let sid = try callSid()
        var tags: [String: String] = [:]
        if let status = fields.text("DialCallStatus") { tags["dial_call_status"] = String(status.prefix(64)) }
        if let seconds = try fields.seconds("DialCallDuration") { tags["dial_call_duration"] = String(seconds) }
        var callFields = CallFields(tags: (try? Tags(validating: tags)) ?? Tags())
        if let recording = fields.text("RecordingUrl"), recording.utf8.count <= 2048 { callFields.recordingURL = recording }
        return CallEvent(
            source: Self.source, externalCallID: sid, idempotencyKey: "carrier:\(sid):dial:\(attempt)",
            occurredAt: receivedAt, type: "dial", fields: callFields
        )
    }
}

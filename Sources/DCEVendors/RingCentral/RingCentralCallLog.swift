import DCEJSON
import DCEDomain

/// One record of RingCentral's call log (`GET /restapi/v1.0/account/~/call-log?view=Detailed`,
/// "Understanding the call log data format" in RingCentral's developer guide): a whole call
/// as the account's record of it, with its legs and its recording's metadata. Names mirror
/// RingCentral's JSON; read strictly, a member of the wrong type refused with its path.
public struct RingCentralCallLogRecord: Sendable {
    public var id: String?
    public var sessionId: String?
    public var telephonySessionId: String?
    public var partyId: String?
    public var startTime: String?
    public var duration: Int?
    public var type: String?
    public var direction: String?
    public var action: String?
    public var result: String?
    public var reason: String?
    public var from: Endpoint?
    public var to: Endpoint?
    public var lastModifiedTime: String?
    public var recording: Recording?
    public var legs: [Leg]
    /// The record as sent, stored with its event.
    public var raw: JSONValue

    public struct Endpoint: Sendable {
        public var phoneNumber: String?
        public var extensionNumber: String?
        public var extensionId: String?
        public var name: String?

        var anyNumber: String? { phoneNumber ?? extensionNumber }
        /// An end the call log names as one of the account's extensions.
        var isOurs: Bool { extensionId != nil || extensionNumber != nil }
    }

    public struct Recording: Sendable {
        public var id: String?
        public var type: String?
        public var contentUri: String?
    }

    /// A leg of the call: only what the record itself may lack is read from it (the
    /// recording of a call recorded on one leg, the extension that took it).
    public struct Leg: Sendable {
        public var recording: Recording?
        public var extensionId: String?
    }
}

extension RingCentralCallLogRecord {
    init(_ json: JSONMembers, raw: JSONValue) throws(VendorError) {
        id = try json.text("id")
        sessionId = try json.text("sessionId")
        telephonySessionId = try json.text("telephonySessionId")
        partyId = try json.text("partyId")
        startTime = try json.string("startTime")
        duration = try json.integer("duration")
        type = try json.string("type")
        direction = try json.string("direction")
        action = try json.string("action")
        result = try json.string("result")
        reason = try json.string("reason")
        from = try json.object("from").map { members throws(VendorError) in try Endpoint(members) }
        to = try json.object("to").map { members throws(VendorError) in try Endpoint(members) }
        lastModifiedTime = try json.string("lastModifiedTime")
        recording = try json.object("recording").map { members throws(VendorError) in try Recording(members) }
        legs = try (json.objects("legs") ?? []).map { object throws(VendorError) in
            Leg(
                recording: try object.members.object("recording").map { members throws(VendorError) in try Recording(members) },
                extensionId: try object.members.object("extension")?.text("id")
            )
        }
        self.raw = raw
    }
}

extension RingCentralCallLogRecord.Endpoint {
    init(_ json: JSONMembers) throws(VendorError) {
        phoneNumber = try json.string("phoneNumber")
        extensionNumber = try json.text("extensionNumber")
        extensionId = try json.text("extensionId")
        name = try json.string("name")
    }
}

extension RingCentralCallLogRecord.Recording {
    init(_ json: JSONMembers) throws(VendorError) {
        id = try json.text("id")
        type = try json.string("type")
        contentUri = try json.string("contentUri")
    }
}

extension RingCentralMapping {
    /// Call-log `result` values → dce status. The call log lists calls that are over
    /// (or, for an active call, `In Progress`).
    public static let callLogResultTable: [String: CallStatus] = [
        "accepted": .completed, "call connected": .completed, "in progress": .inProgress,
        "missed": .noAnswer, "no answer": .noAnswer, "voicemail": .noAnswer, "hang up": .noAnswer,
        "abandoned": .noAnswer, "declined": .noAnswer, "rejected": .noAnswer,
        "busy": .busy, "call failed": .failed, "call failure": .failed, "internal error": .failed,
        "wrong number": .failed, "ip phone offline": .failed, "restricted country": .failed,
        "not allowed": .failed, "blocked": .failed, "stopped": .canceled,
    ]

    /// One call-log record → its call event. The call is keyed as its telephony-session
    /// notifications are (`callKey`), so a call seen by webhook and by the call log is one
    /// call; the event's key is the record's digest, so a record pulled again is a
    /// duplicate and a record RingCentral changed since is a new fact about the call.
    public static func callLogEvent(_ record: RingCentralCallLogRecord, path: String, integration: IntegrationProfile) throws(VendorError) -> VendorEvent {
        let callKey = Self.callKey(session: record.sessionId, telephonySession: record.telephonySessionId)
            ?? record.id ?? contentKey(record.raw)
        let started = try Self.time(record.startTime, field: "\(path).startTime")
        let duration: Int?
        do { duration = try record.duration.map { value throws(CallDuration.ParseError) in try CallDuration.seconds(value) } } catch {
            throw .invalid("\(path).duration", error.description)
        }
        let resultName = record.result ?? "unknown"
        let status = callLogResultTable[resultName.lowercased()] ?? .unknown

        var call = CallFields(status: status)
        let from = RingCentralNumber(record.from?.anyNumber)
        let to = RingCentralNumber(record.to?.anyNumber)
        call.callerPhone = from?.phone
        call.trackingNumber = to?.phone
        call.callStartedAt = started
        call.durationSeconds = duration
        if status.isFinal, let started, let duration { call.callEndedAt = started.adding(seconds: Int64(duration)) }
        // The account's call log is the account's own view: its direction is the account's.
        let direction = RingCentralDirection.decide(
            callerIsOurs: record.from?.isOurs == true || from?.extensionNumber != nil,
            calleeIsOurs: record.to?.isOurs == true || to?.extensionNumber != nil,
            party: record.direction, partyIsOurs: true
        )
        let recording = record.recording ?? record.legs.lazy.compactMap(\.recording).first
        call.tags = Tags().adding([
            "ringcentral_session_id": record.sessionId,
            "ringcentral_telephony_session_id": record.telephonySessionId,
            "ringcentral_party_id": record.partyId,
            "ringcentral_call_log_id": record.id,
            "ringcentral_recording_id": recording?.id,
            "ringcentral_recording_uri": recording?.contentUri,
            "from_extension": from?.extensionNumber,
            "to_extension": to?.extensionNumber,
            "from_caller_id": from?.other,
            "to_caller_id": to?.other,
            "ringcentral_result": callLogResultTable[resultName.lowercased()] == nil ? resultName : nil,
            "direction": direction?.rawValue,
        ])
        let payload = JSONBody.text(record.raw)
        let occurred = try Self.time(record.lastModifiedTime, field: "\(path).lastModifiedTime") ?? call.callEndedAt ?? started
        guard let occurred else { throw .missing("\(path).startTime") }
        let event = CallEvent(
            source: RingCentralAdapter.source, externalCallID: callKey,
            idempotencyKey: PulledRowKey.make(RingCentralAdapter.source, integration: integration.id, callID: callKey, row: payload),
            occurredAt: occurred, type: "ringcentral.call_log.\(resultName.lowercased().split(separator: " ").joined(separator: "_"))",
            fields: call
        )
        return VendorEvent(event: event, payload: payload)
    }
}

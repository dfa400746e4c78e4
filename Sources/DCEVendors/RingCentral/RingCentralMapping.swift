import DCEJSON
import Crypto
import DCEDomain
import Foundation

/// RingCentral notifications → call events.
///
/// The caller is the party's `from`, the called tracking number (CTN) its `to`. The
/// campaign is decided later, against the account's number inventory, from the label
/// RingCentral sends in `uiCallInfo.primary.value` (the standard destination number) or
/// the CTN's own label; the event carries that label. `sessionId` and `recordingId` are
/// kept on the call as tags for the recording download.
///
/// Extension numbers (calls between users of the account) are kept as the tags
/// `from_extension`/`to_extension`, never as phone numbers, and every call carries its
/// `direction` for the account (`RingCentralDirection`). A delivery is keyed by the
/// session it names, else its telephony session, else its party or call id, else a hash
/// of what it carries, so that it is never refused for want of an id. A notification that
/// reports no call (a presence change without `activeCalls`) is acknowledged with none.
public enum RingCentralMapping {
    /// Telephony-session party status codes (and the seed's `state.name`) → dce status.
    public static let partyStatusTable: [String: CallStatus] = [
        "setup": .ringing, "proceeding": .ringing, "answered": .answered, "hold": .inProgress,
        "parked": .inProgress, "disconnected": .completed, "gone": .completed,
        "voicemail": .noAnswer, "vmscreening": .noAnswer, "voicemailscreening": .noAnswer, "faxreceive": .completed,
    ]

    /// Presence `telephonyStatus` values → dce status.
    public static let presenceStatusTable: [String: CallStatus] = [
        "ringing": .ringing, "callconnected": .answered, "onhold": .inProgress,
        "parkedcall": .inProgress, "nocall": .completed,
    ]

    public static func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        let notification = try RingCentralNotification(body: delivery.body)
        guard let body = notification.body else { throw .missing("body") }
        let envelopeTime = try Self.time(notification.timestamp, field: "timestamp") ?? delivery.receivedAt

        if let calls = body.activeCalls {
            var events: [VendorEvent] = []
            for (index, call) in calls.enumerated() {
                events.append(try presenceEvent(call, index: index, body: body, time: envelopeTime, integration: integration))
            }
            return events
        }
        // A presence or status change with no call in it: acknowledged, nothing to record.
        guard let parties = body.parties, !parties.isEmpty else { return [] }
        // The caller's leg: inbound parties when the session names directions.
        let inbound = parties.enumerated().filter { $0.element.direction == nil || $0.element.direction?.lowercased() == "inbound" }
        let chosen = inbound.isEmpty ? Array(parties.enumerated()) : inbound
        let time = try Self.time(body.eventTime, field: "body.eventTime") ?? envelopeTime
        var events: [VendorEvent] = []
        for (index, party) in chosen {
            events.append(try partyEvent(party, index: index, body: body, time: time, integration: integration))
        }
        return events
    }

    static func partyEvent(
        _ party: RingCentralNotification.Party, index: Int, body: RingCentralNotification.Body,
        time: Timestamp, integration: IntegrationProfile
    ) throws(VendorError) -> VendorEvent {
        let path = "body.parties[\(index)]"
        let legacySession = body.sessionId ?? party.sessionId
        let callKey = callKey(session: legacySession, telephonySession: body.telephonySessionId) ?? party.id ?? contentKey(body.raw)
        // A status RingCentral adds later, or none, still makes the call known: its state
        // is unknown until a status dce reads arrives, and the name is kept as a tag.
        let statusName = party.status?.code ?? party.state?.name ?? "unknown"
        var status = partyStatusTable[statusName.lowercased()] ?? .unknown
        let missed = party.missedCall ?? party.state?.missedCall ?? false
        if missed, status == .completed { status = .noAnswer }

        var call = CallFields(status: status)
        let from = RingCentralNumber(party.from?.anyNumber)
        let to = RingCentralNumber(party.to?.anyNumber)
        call.callerPhone = from?.phone
        call.trackingNumber = to?.phone
        let direction = RingCentralDirection.decide(
            callerIsOurs: party.from?.isOurs == true || from?.extensionNumber != nil,
            calleeIsOurs: party.to?.isOurs == true || to?.extensionNumber != nil,
            party: party.direction, partyIsOurs: party.extensionId != nil
        )
        switch status {
        case .ringing: call.callStartedAt = time
        case .answered: call.callAnsweredAt = time
        case .completed, .noAnswer: call.callEndedAt = time
        default: break
        }
        let recordingID = party.recordings?.first?.id ?? party.recordingId ?? body.recordingId
        let label = party.uiCallInfo?.primary?.value
        call.tags = Tags().adding([
            "ringcentral_session_id": legacySession,
            "ringcentral_telephony_session_id": body.telephonySessionId,
            "ringcentral_recording_id": recordingID,
            "ringcentral_party_id": party.id,
            "ringcentral_label": label,
            "from_extension": from?.extensionNumber,
            "to_extension": to?.extensionNumber,
            "from_caller_id": from?.other,
            "to_caller_id": to?.other,
            "ringcentral_status": partyStatusTable[statusName.lowercased()] == nil ? statusName : nil,
            "direction": direction?.rawValue,
        ])
        let stage = [party.id ?? "party\(index)", statusName.lowercased(), body.sequence.map(String.init)].compactMap { $0 }.joined(separator: ":")
        let event = CallEvent(
            source: RingCentralAdapter.source, externalCallID: callKey,
            idempotencyKey: IdempotencyKey.make(RingCentralAdapter.source, integration: integration.id, callID: callKey, stage: stage),
            occurredAt: time, type: "ringcentral.\(statusName.lowercased())", fields: call
        )
        return VendorEvent(event: event, payload: JSONBody.text(party.raw), attributionLabel: label)
    }

    static func presenceEvent(
        _ active: RingCentralNotification.ActiveCall, index: Int, body: RingCentralNotification.Body,
        time: Timestamp, integration: IntegrationProfile
    ) throws(VendorError) -> VendorEvent {
        let path = "body.activeCalls[\(index)]"
        let callKey = callKey(session: active.sessionId, telephonySession: active.telephonySessionId)
            ?? active.id ?? active.partyId ?? contentKey(active.raw)
        let statusName = active.telephonyStatus ?? body.telephonyStatus ?? "unknown"
        var status = presenceStatusTable[statusName.lowercased()] ?? .unknown
        if active.missedCall == true, status == .completed { status = .noAnswer }
        var call = CallFields(status: status)
        let from = RingCentralNumber(active.from)
        let to = RingCentralNumber(active.to)
        call.callerPhone = from?.phone
        call.trackingNumber = to?.phone
        // A presence event is the monitored extension's own: it placed an outbound call
        // and received an inbound one.
        let ownDirection = active.direction?.lowercased()
        let direction = RingCentralDirection.decide(
            callerIsOurs: ownDirection == "outbound" || from?.extensionNumber != nil,
            calleeIsOurs: ownDirection == "inbound" || to?.extensionNumber != nil,
            party: active.direction, partyIsOurs: true
        )
        call.callStartedAt = try Self.time(active.startTime, field: "\(path).startTime")
        switch status {
        case .answered: call.callAnsweredAt = time
        case .completed, .noAnswer: call.callEndedAt = time
        default: break
        }
        call.tags = Tags().adding([
            "ringcentral_session_id": active.sessionId,
            "ringcentral_telephony_session_id": active.telephonySessionId,
            "ringcentral_recording_id": active.recordingId,
            "ringcentral_party_id": active.partyId,
            "from_extension": from?.extensionNumber,
            "to_extension": to?.extensionNumber,
            "from_caller_id": from?.other,
            "to_caller_id": to?.other,
            "ringcentral_status": presenceStatusTable[statusName.lowercased()] == nil ? statusName : nil,
            "direction": direction?.rawValue,
        ])
        let stage = ["presence", statusName.lowercased(), body.sequence.map(String.init)].compactMap { $0 }.joined(separator: ":")
        let event = CallEvent(
            source: RingCentralAdapter.source, externalCallID: callKey,
            idempotencyKey: IdempotencyKey.make(RingCentralAdapter.source, integration: integration.id, callID: callKey, stage: stage),
            occurredAt: time, type: "ringcentral.presence.\(statusName.lowercased())", fields: call
        )
        return VendorEvent(event: event, payload: JSONBody.text(active.raw))
    }

    /// A call's key from the sessions RingCentral names, the same in a notification and in
    /// the call log: the session id, else the telephony session id.
    static func callKey(session: String?, telephonySession: String?) -> String? {
        session ?? telephonySession
    }

    /// A time RingCentral sent: absent is nil, anything unreadable or outside the years
    /// 1970 to 2200 is refused, naming where it was.
    static func time(_ text: String?, field: String) throws(VendorError) -> Timestamp? {
        guard let text, !text.isEmpty else { return nil }
        do { return try Timestamp.parse(text) } catch { throw .invalid(field, error.description) }
    }

    /// The call key of a delivery that names no session, party or call: a hash of the
    /// part that reports the call, keys sorted, so that a retry of the same delivery is
    /// the same call and event, and a different delivery a different one.
    static func contentKey(_ value: JSONValue) -> String {
        let digest = SHA256.hash(data: Array(value.text.utf8))
        return "sha256-" + digest.prefix(16).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

extension RingCentralNotification.Endpoint {
    /// An end RingCentral names as one of the account's extensions.
    var isOurs: Bool { extensionId != nil || mailboxId != nil }
}

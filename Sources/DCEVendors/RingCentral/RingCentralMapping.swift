import DCEDomain
import Foundation

/// RingCentral notifications → call events.
///
/// The caller is the party's `from`, the called tracking number (CTN) its `to`. The
/// campaign is decided later, against the account's number inventory, from the label
/// RingCentral sends in `uiCallInfo.primary.value` (the standard destination number) or
/// the CTN's own label; the event carries that label. `sessionId` and `recordingId` are
/// kept on the call as tags for the recording download.
public enum RingCentralMapping {
    /// Telephony-session party status codes (and the seed's `state.name`) → dce status.
    public static let partyStatusTable: [String: CallStatus] = [
        "setup": .ringing, "proceeding": .ringing, "answered": .answered, "hold": .inProgress,
        "parked": .inProgress, "disconnected": .completed, "gone": .completed,
        "voicemail": .noAnswer, "faxreceive": .completed,
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
        guard let parties = body.parties, !parties.isEmpty else {
            throw VendorError(field: "body.parties", message: "body.parties or body.activeCalls is required", code: "missing_field")
        }
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
        guard let sessionID = body.sessionId ?? party.sessionId ?? body.telephonySessionId else {
            throw VendorError(field: "body.sessionId", message: "body.sessionId (or telephonySessionId) is required to tell calls apart", code: "missing_field")
        }
        guard let statusName = party.status?.code ?? party.state?.name else {
            throw VendorError(field: "\(path).status.code", message: "\(path).status.code is required", code: "missing_field")
        }
        guard var status = partyStatusTable[statusName.lowercased()] else {
            throw .invalid("\(path).status.code", "'\(statusName)' is not a RingCentral party status (\(partyStatusTable.keys.sorted().joined(separator: ", ")))")
        }
        let missed = party.missedCall ?? party.state?.missedCall ?? false
        if missed, status == .completed { status = .noAnswer }

        var call = CallFields(status: status)
        call.callerPhone = try phone(party.from?.anyNumber, field: "\(path).from.phoneNumber")
        call.trackingNumber = try phone(party.to?.anyNumber, field: "\(path).to.phoneNumber")
        switch status {
        case .ringing: call.callStartedAt = time
        case .answered: call.callAnsweredAt = time
        case .completed, .noAnswer: call.callEndedAt = time
        default: break
        }
        let recordingID = party.recordings?.first?.id ?? party.recordingId ?? body.recordingId
        let label = party.uiCallInfo?.primary?.value
        call.tags = Tags().adding([
            "ringcentral_session_id": sessionID,
            "ringcentral_telephony_session_id": body.telephonySessionId,
            "ringcentral_recording_id": recordingID,
            "ringcentral_party_id": party.id,
            "ringcentral_label": label,
        ])
        let stage = [party.id ?? "party\(index)", statusName.lowercased(), body.sequence.map(String.init)].compactMap { $0 }.joined(separator: ":")
        let event = CallEvent(
            source: .ringcentral, externalCallID: sessionID,
            idempotencyKey: IdempotencyKey.make(.ringcentral, integration: integration.id, callID: sessionID, stage: stage),
            occurredAt: time, type: "ringcentral.\(statusName.lowercased())", fields: call
        )
        return VendorEvent(event: event, payload: JSONBody.text(party.raw), attributionLabel: label)
    }

    static func presenceEvent(
        _ active: RingCentralNotification.ActiveCall, index: Int, body: RingCentralNotification.Body,
        time: Timestamp, integration: IntegrationProfile
    ) throws(VendorError) -> VendorEvent {
        let path = "body.activeCalls[\(index)]"
        guard let sessionID = active.sessionId ?? active.telephonySessionId else {
            throw VendorError(field: "\(path).sessionId", message: "\(path).sessionId is required to tell calls apart", code: "missing_field")
        }
        guard let statusName = active.telephonyStatus ?? body.telephonyStatus else {
            throw VendorError(field: "\(path).telephonyStatus", message: "\(path).telephonyStatus is required", code: "missing_field")
        }
        guard var status = presenceStatusTable[statusName.lowercased()] else {
            throw .invalid("\(path).telephonyStatus", "'\(statusName)' is not a RingCentral telephony status (\(presenceStatusTable.keys.sorted().joined(separator: ", ")))")
        }
        if active.missedCall == true, status == .completed { status = .noAnswer }
        var call = CallFields(status: status)
        call.callerPhone = try phone(active.from, field: "\(path).from")
        call.trackingNumber = try phone(active.to, field: "\(path).to")
        call.callStartedAt = try Self.time(active.startTime, field: "\(path).startTime")
        switch status {
        case .answered: call.callAnsweredAt = time
        case .completed, .noAnswer: call.callEndedAt = time
        default: break
        }
        call.tags = Tags().adding([
            "ringcentral_session_id": sessionID,
            "ringcentral_telephony_session_id": active.telephonySessionId,
            "ringcentral_recording_id": active.recordingId,
            "ringcentral_party_id": active.partyId,
        ])
        let stage = ["presence", statusName.lowercased(), body.sequence.map(String.init)].compactMap { $0 }.joined(separator: ":")
        let event = CallEvent(
            source: .ringcentral, externalCallID: sessionID,
            idempotencyKey: IdempotencyKey.make(.ringcentral, integration: integration.id, callID: sessionID, stage: stage),
            occurredAt: time, type: "ringcentral.presence.\(statusName.lowercased())", fields: call
        )
        return VendorEvent(event: event, payload: JSONBody.text(active.raw))
    }

    /// A time RingCentral sent: absent is nil, anything unreadable or outside the years
    /// 1970 to 2200 is refused, naming where it was.
    static func time(_ text: String?, field: String) throws(VendorError) -> Timestamp? {
        guard let text, !text.isEmpty else { return nil }
        do { return try Timestamp.parse(text) } catch { throw .invalid(field, error.description) }
    }

    static func phone(_ text: String?, field: String) throws(VendorError) -> PhoneNumber? {
        guard let text, !text.isEmpty else { return nil }
        do { return try PhoneNumber(parsing: text) } catch { throw .invalid(field, error.description) }
    }
}

import DCEDomain
import Foundation

/// Retreaver's webhooks (seed 002): JSON or form bodies for the stages start, selected,
/// answered, timer, postback and always. The stage comes from the `stage` parameter of
/// the webhook URL the account configured in Retreaver (or a `stage` body field).
public enum RetreaverWebhook {
    /// Retreaver's names, as in the seed's field-mapping table.
    public enum Field: String, CaseIterable {
        case id
        case callUUID = "call_uuid"
        case callerNumber = "caller_number"
        case dialedNumber = "dialed_number"
        case targetNumber = "target_number"
        case campaignID = "campaign_id"
        case affiliateID = "affiliate_id"
        case targetID = "target_id"
        case duration
        case status
        case createdAt = "created_at"
        case answeredAt = "answered_at"
        case endedAt = "ended_at"
        case recordingURL = "recording_url"
        case revenue
        case payout
        case converted
        case callerState = "caller_state"
        case stage
        case tags
    }

    public enum Stage: String, CaseIterable, Sendable {
        case start, selected, answered, timer, postback, always

        /// The status a stage implies when the delivery does not say.
        var impliedStatus: CallStatus? {
            switch self {
            case .start, .selected: .ringing
            case .answered, .timer: .answered
            case .postback: nil
            case .always: .completed
            }
        }
    }

    /// Retreaver's `status` values (the seed's `mapStatus`) and dce's status for each.
    public static let statusTable: [String: CallStatus] = [
        "completed": .completed, "no-answer": .noAnswer, "no_answer": .noAnswer, "busy": .busy,
        "failed": .failed, "canceled": .canceled, "cancelled": .canceled, "ringing": .ringing,
        "in-progress": .inProgress, "in_progress": .inProgress, "answered": .answered,
    ]

    public static func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        let fields: FlatFields
        if delivery.method == "GET" || delivery.body.isEmpty {
            fields = FlatFields(delivery.query)
        } else if delivery.bodyIsJSON {
            fields = FlatFields.json(try JSONBody.object(delivery.body), tagsKey: integration.parameter(Field.tags.rawValue))
        } else {
            fields = FlatFields.form(delivery.bodyText)
        }
        func name(_ field: Field) -> String { integration.parameter(field.rawValue) }

        let stageText = delivery.query[name(.stage)] ?? fields.text(name(.stage))
        guard let stageText else {
            throw VendorError(field: name(.stage), message: "'stage' is required: add ?stage=start|selected|answered|timer|postback|always to the webhook URL", code: "missing_field")
        }
        guard let stage = Stage(rawValue: stageText.lowercased()) else {
            throw .invalid(name(.stage), "'\(stageText)' is not a Retreaver stage (start, selected, answered, timer, postback, always)")
        }
        guard let callID = fields.text(name(.id), name(.callUUID)) else { throw .missing(name(.id)) }
        guard callID.count <= 255 else { throw .invalid(name(.id), "must be at most 255 characters") }

        var call = CallFields()
        call.tags = try fields.validatedTags(field: name(.tags))
        call.callerPhone = try fields.phone(name(.callerNumber))
        call.trackingNumber = try fields.phone(name(.dialedNumber))
        call.destinationNumber = try fields.phone(name(.targetNumber))
        call.campaignID = fields.text(name(.campaignID))
        call.publisherID = fields.text(name(.affiliateID))
        call.targetID = fields.text(name(.targetID))
        call.durationSeconds = try fields.seconds(name(.duration))
        call.callStartedAt = try fields.timestamp(name(.createdAt))
        call.callAnsweredAt = try fields.timestamp(name(.answeredAt))
        call.callEndedAt = try fields.timestamp(name(.endedAt))
        call.recordingURL = fields.text(name(.recordingURL))
        call.revenue = try fields.money(name(.revenue))
        call.payout = try fields.money(name(.payout))
        call.converted = try fields.flag(name(.converted))
        call.callerState = fields.text(name(.callerState))
        if let status = fields.text(name(.status)) {
            guard let mapped = statusTable[status.lowercased()] else {
                throw .invalid(name(.status), "'\(status)' is not a Retreaver call status (completed, no-answer, busy, failed, canceled)")
            }
            call.status = mapped
        } else {
            call.status = stage.impliedStatus
        }

        // Stages are ordered by what they report, so an `always` that arrives before its
        // `start` still lands after it.
        let occurredAt: Timestamp = switch stage {
        case .start: call.callStartedAt ?? delivery.receivedAt
        case .selected: (call.callStartedAt ?? delivery.receivedAt).adding(milliseconds: 1)
        case .answered, .timer: call.callAnsweredAt ?? (call.callStartedAt?.adding(milliseconds: 2) ?? delivery.receivedAt)
        case .postback: delivery.receivedAt
        case .always: call.callEndedAt ?? delivery.receivedAt
        }
        var stored = fields.values
        if !fields.tags.isEmpty { stored["tags"] = JSONBody.text(fields.tags) }
        let event = CallEvent(
            source: .retreaver, externalCallID: callID,
            idempotencyKey: IdempotencyKey.make(.retreaver, integration: integration.id, callID: callID, stage: stage.rawValue),
            occurredAt: occurredAt, type: "retreaver.\(stage.rawValue)", fields: call
        )
        return [VendorEvent(event: event, payload: JSONBody.text(stored))]
    }

    /// The answer Retreaver applies as tags to its call: dce's call id and status, and
    /// whether dce had already seen this delivery.
    public static func responseTags(callID: String, status: CallStatus, duplicate: Bool) -> [String: String] {
        ["dce_call_id": callID, "dce_status": status.rawValue, "dce_duplicate": duplicate ? "true" : "false"]
    }
}

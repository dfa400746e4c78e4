import DCEDomain
import Foundation

/// Retreaver's webhooks (seed 002): JSON or form bodies for the stages start, selected,
/// answered, timer, postback and always. The stage comes from the `stage` parameter of
/// the webhook URL the account configured in Retreaver (or a `stage` body field); a
/// delivery without one carries calls as Retreaver's API lists them (`RetreaverCall`).
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

    /// Retreaver's `status` values (the seed's `mapStatus`) and dce's status for each;
    /// `finished` and statuses not listed are read by `RetreaverCall.map`.
    public static let statusTable: [String: CallStatus] = [
        "completed": .completed, "no-answer": .noAnswer, "no_answer": .noAnswer, "busy": .busy,
        "failed": .failed, "canceled": .canceled, "cancelled": .canceled, "ringing": .ringing,
        "in-progress": .inProgress, "in_progress": .inProgress, "answered": .answered,
    ]

    /// Reads a delivery: form fields, a query string, or JSON that is one call object, a
    /// `{"call": {…}}` as Retreaver's API writes it, or a page of them (`calls.json`). With
    /// a stage each call is that stage's event; without one, each is the call as Retreaver
    /// lists it (`RetreaverCall.snapshotEvent`).
    public static func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        let tagsKey = integration.parameter(Field.tags.rawValue)
        var calls: [(fields: FlatFields, path: String)] = []
        if delivery.method == "GET" || delivery.body.isEmpty {
            calls = [(FlatFields(delivery.query), "")]
        } else if delivery.bodyIsJSON {
            for (object, path) in try RetreaverCall.objects(in: try JSONBody.parse(delivery.body)) {
                calls.append((RetreaverCall.flatten(object, tagsKey: tagsKey), path))
            }
        } else {
            calls = [(FlatFields.form(delivery.bodyText), "")]
        }
        var events: [VendorEvent] = []
        for (fields, path) in calls {
            do throws(VendorError) {
                events.append(try event(fields, delivery: delivery, integration: integration))
            } catch {
                throw CallSnapshot.locate(error, at: path)
            }
        }
        return events
    }

    /// A page of call objects posted as JSON (`calls.json`'s array), each read on its own;
    /// nil for any other delivery.
    static func pageRows(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [PulledRow]? {
        guard delivery.method != "GET", delivery.bodyIsJSON, JSONBody.isArray(delivery.body),
              case .array(let page) = try JSONBody.parse(delivery.body) else { return nil }
        guard !page.isEmpty else { throw VendorError(field: nil, message: "the page holds no calls", code: "missing_field") }
        let tagsKey = integration.parameter(Field.tags.rawValue)
        return page.enumerated().map { index, item in
            let outcome: Result<[VendorEvent], VendorError>
            do throws(VendorError) {
                let (object, path) = try RetreaverCall.unwrap(item, path: "[\(index)]")
                do throws(VendorError) {
                    outcome = .success([try event(RetreaverCall.flatten(object, tagsKey: tagsKey), delivery: delivery, integration: integration)])
                } catch {
                    throw CallSnapshot.locate(error, at: path)
                }
            } catch {
                outcome = .failure(error)
            }
            return PulledRow(payload: JSONBody.text(item), outcome: outcome)
        }
    }

    /// One call's event: its stage's, or without a stage the call as Retreaver lists it.
    static func event(_ fields: FlatFields, delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> VendorEvent {
        let stageName = integration.parameter(Field.stage.rawValue)
        guard let stageText = delivery.query[stageName] ?? fields.text(stageName) else {
            return try RetreaverCall.snapshotEvent(fields, integration: integration, receivedAt: delivery.receivedAt)
        }
        guard let stage = Stage(rawValue: stageText.lowercased()) else {
            throw .invalid(stageName, "'\(stageText)' is not a Retreaver stage (start, selected, answered, timer, postback, always)")
        }
        return try stageEvent(fields, stage: stage, integration: integration, receivedAt: delivery.receivedAt)
    }

    static func stageEvent(
        _ fields: FlatFields, stage: Stage, integration: IntegrationProfile, receivedAt: Timestamp
    ) throws(VendorError) -> VendorEvent {
        let (callID, call) = try RetreaverCall.map(fields, stage: stage, integration: integration)
        // Stages are ordered by what they report, so an `always` that arrives before its
        // `start` still lands after it.
        let occurredAt: Timestamp = switch stage {
        case .start: call.callStartedAt ?? receivedAt
        case .selected: (call.callStartedAt ?? receivedAt).adding(milliseconds: 1)
        case .answered, .timer: call.callAnsweredAt ?? (call.callStartedAt?.adding(milliseconds: 2) ?? receivedAt)
        case .postback: receivedAt
        case .always: call.callEndedAt ?? receivedAt
        }
        let event = CallEvent(
            source: RetreaverAdapter.source, externalCallID: callID,
            idempotencyKey: IdempotencyKey.make(RetreaverAdapter.source, integration: integration.id, callID: callID, stage: stage.rawValue),
            occurredAt: occurredAt, type: "retreaver.\(stage.rawValue)", fields: call
        )
        return VendorEvent(event: event, payload: RetreaverCall.payload(fields))
    }

    /// The answer Retreaver applies as tags to its call: dce's call id and status, and
    /// whether dce had already seen this delivery.
    public static func responseTags(callID: String, status: CallStatus, duplicate: Bool) -> [String: String] {
        ["dce_call_id": callID, "dce_status": status.rawValue, "dce_duplicate": duplicate ? "true" : "false"]
    }
}

import DCEDomain

/// A detailed call-log row's `events[]` (Ringba's "Get Details About Specific Calls",
/// `POST /v2/{accountId}/calllogs/detail`) as the call's stages. Each stage is keyed as
/// Ringba's pixel of that stage is (`RingbaWebhook`), so a call pulled from Ringba has the
/// timeline a call fed by its pixels has, and a stage reported both ways is one event.
enum RingbaCallTimeline {
    /// The pixel stages a call-log event reports.
    enum Stage: String {
        case connected, completed, conversion, payout, recording
    }

    /// Ringba's event names (lowercased) and the stage each reports; the other events
    /// (`CallPlanDetail`, `TargetDialed`, `EndCallSource`, …) stay in the row as sent.
    static let stages: [String: Stage] = [
        "connectedcall": .connected, "completedcall": .completed, "convertedcall": .conversion,
        "payoutcall": .payout, "callrecordingmigrated": .recording,
    ]

    /// The stage events of a row's `timeline`, whose snapshot `RingbaCallLog.event` read as
    /// `call`. The first event of each stage counts, as the first pixel of a stage does.
    static func events(_ timeline: [RingbaCallLog.Row.Event], call: CallEvent, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        var events: [VendorEvent] = []
        var seen: Set<Stage> = []
        for event in timeline {
            guard let stage = stages[event.name.lowercased()], seen.insert(stage).inserted else { continue }
            let read: (fields: CallFields, at: Timestamp?)
            do throws(VendorError) { read = try fields(stage, FlatFields(event.members), call: call.fields) } catch {
                throw CallSnapshot.locate(error, at: event.path)
            }
            events.append(VendorEvent(
                event: CallEvent(
                    source: RingbaAdapter.source, externalCallID: call.externalCallID,
                    idempotencyKey: IdempotencyKey.make(RingbaAdapter.source, integration: integration.id,
                                                        callID: call.externalCallID, stage: stage.rawValue),
                    occurredAt: read.at ?? call.occurredAt, type: "ringba.\(stage.rawValue)", fields: read.fields
                ),
                payload: event.text
            ))
        }
        return events
    }

    /// What one event says about its call, and when (nil: the event has no time of its own).
    static func fields(_ stage: Stage, _ values: FlatFields, call: CallFields) throws(VendorError) -> (fields: CallFields, at: Timestamp?) {
        var fields = CallFields()
        let stamped = try values.timestamp("dtStamp")
        switch stage {
        case .connected:
            fields.callAnsweredAt = try values.timestamp("callConnectionDt") ?? stamped
            // A target that is no phone number is kept by the row's snapshot as sent.
            fields.destinationNumber = (try? values.phone("targetNumber")) ?? nil
            fields.targetID = values.text("targetId")
            fields.status = .answered
            return (fields, fields.callAnsweredAt)
        case .completed:
            fields.callEndedAt = try values.timestamp("callCompletedDt") ?? stamped
            fields.durationSeconds = try values.seconds("callLengthInSeconds")
            fields.recordingURL = values.text("recordingUrl")
            // The row says how the call ended (unanswered, abandoned); a completed call otherwise.
            fields.status = call.status?.isFinal == true ? call.status : .completed
            return (fields, fields.callEndedAt)
        case .conversion:
            fields.converted = true
            fields.revenue = try values.money("conversionAmount")
            fields.payout = try values.money("payoutAmount")
        case .payout:
            fields.payout = try values.money("payoutAmount")
        case .recording:
            fields.recordingURL = values.text("recordingUrl")
        }
        return (fields, stamped)
    }
}

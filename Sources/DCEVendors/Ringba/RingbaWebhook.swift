import DCEJSON
import DCEDomain

/// Ringba's webhooks (seed 000): GET or POST with query parameters (or a form body).
///
/// The conversion webhook carries `call_id`, `call_revenue`, `sale_successful=yes` (Ringba
/// also sends its own misspelling `sale_sucesful`), `caller_id`, `inbound_number` and
/// `call_length`. The Call Token and Revenue Token names are the account's to choose in
/// Ringba, so they come from the integration's field mapping (`call_id` → `callUUID`).
/// Pixel events arrive the same way with an `event` parameter. A JSON body of call-log rows
/// (one, or a page as Ringba's API answers) is read by `RingbaCallLog`.
public enum RingbaWebhook {
    /// dce's names for Ringba's parameters; the integration's field mapping may rename each.
    public enum Parameter: String, CaseIterable {
        case callID = "call_id"
        case callRevenue = "call_revenue"
        case saleSuccessful = "sale_successful"
        case callerID = "caller_id"
        case inboundNumber = "inbound_number"
        case callLength = "call_length"
        case event
        case targetNumber = "target_number"
        case callDateTime = "call_date_time"
        case callStatus = "call_status"
        case campaignID = "campaign_id"
        case publisherID = "publisher_id"
        case targetID = "target_id"
        case callerState = "caller_state"
        case payout
        case recordingURL = "recording_url"
    }

    /// Ringba's own misspelling of `sale_successful`, accepted as the same parameter.
    static let misspelledSale = "sale_sucesful"

    /// The pixel events and what each says about the call's status.
    public static let pixelEvents: [String: CallStatus?] = [
        "incoming": .ringing,
        "connected": .answered,
        "completed": .completed,
        "converted": nil,
        "payout": nil,
        "finalized": nil,
        "recording": nil,
    ]

    /// Ringba's `callStatus` values and how they map (the call-log column of the seed).
    public static let statusTable: [String: CallStatus] = [
        "completed": .completed, "answered": .answered, "connected": .answered, "ringing": .ringing,
        "in_progress": .inProgress, "no_answer": .noAnswer, "busy": .busy, "failed": .failed,
        "canceled": .canceled, "cancelled": .canceled, "abandoned": .canceled,
    ]

    public static func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        var values = delivery.query
        if delivery.method == "POST", !delivery.body.isEmpty {
            let body: FlatFields
            if delivery.bodyIsJSON {
                let document = try JSONBody.parse(delivery.body)
                // Call-log rows, one or a page, as Ringba's API lists them: many calls per delivery.
                if let rows = RingbaCallLog.rows(in: document) { return try callLogEvents(rows, delivery: delivery, integration: integration) }
                guard case .object(let object) = document else {
                    throw VendorError(field: nil, message: "the body must be a JSON object or call-log rows", code: "malformed_json")
                }
                body = FlatFields.json(object)
            } else {
                body = FlatFields.form(delivery.bodyText)
            }
            // A form or JSON body adds to the query string; the query string wins a clash.
            values.merge(body.values) { query, _ in query }
        }
        let fields = FlatFields(values)
        func name(_ parameter: Parameter) -> String { integration.parameter(parameter.rawValue) }

        let callID = try fields.required(name(.callID))
        guard callID.count <= 255 else { throw .invalid(name(.callID), "must be at most 255 characters") }
        var call = CallFields()
        let caller = fields.callerID(name(.callerID))
        call.callerPhone = caller.phone
        call.tags = call.tags.adding(caller.kept)
        call.trackingNumber = try fields.phone(name(.inboundNumber))
        call.destinationNumber = try fields.phone(name(.targetNumber))
        call.durationSeconds = try fields.seconds(name(.callLength))
        call.callStartedAt = try fields.timestamp(name(.callDateTime))
        call.campaignID = fields.text(name(.campaignID))
        call.publisherID = fields.text(name(.publisherID))
        call.targetID = fields.text(name(.targetID))
        call.callerState = fields.text(name(.callerState))
        call.payout = try fields.money(name(.payout))
        call.recordingURL = fields.text(name(.recordingURL))
        if let status = fields.text(name(.callStatus)) {
            guard let mapped = statusTable[status.lowercased().replacingOccurrences(of: "-", with: "_")] else {
                throw .invalid(name(.callStatus), "'\(status)' is not a Ringba call status (\(statusTable.keys.sorted().joined(separator: ", ")))")
            }
            call.status = mapped
        }
        let revenue = try fields.money(name(.callRevenue))
        let saleName = name(.saleSuccessful)
        var sale = try fields.flag(saleName)
        if sale == nil, integration.fieldMapping[Parameter.saleSuccessful.rawValue] == nil {
            sale = try fields.flag(misspelledSale)
        }

        let stage: String
        if let event = fields.text(name(.event)) {
            let key = event.lowercased()
            guard let status = pixelEvents[key] else {
                throw .invalid(name(.event), "'\(event)' is not a Ringba pixel event (Incoming, Connected, Completed, Converted, Payout, Finalized, Recording)")
            }
            if let status { call.status = call.status.map { $0.isFinal ? $0 : status } ?? status }
            switch key {
            case "converted":
                stage = "conversion"
                call.converted = sale ?? true
                call.revenue = revenue
            case "incoming":
                stage = key
                call.callStartedAt = call.callStartedAt ?? delivery.receivedAt
            case "connected":
                stage = key
                call.callAnsweredAt = delivery.receivedAt
            case "completed":
                stage = key
                call.callEndedAt = delivery.receivedAt
            default:
                stage = key
            }
        } else if let sale {
            // One conversion per call id: the second is a duplicate and changes nothing.
            stage = sale ? "conversion" : "no-sale"
            call.converted = sale
            call.revenue = sale ? revenue : nil
        } else if revenue != nil {
            stage = "conversion"
            call.converted = true
            call.revenue = revenue
        } else {
            stage = "call"
        }
        let event = CallEvent(
            source: RingbaAdapter.source, externalCallID: callID,
            idempotencyKey: IdempotencyKey.make(RingbaAdapter.source, integration: integration.id, callID: callID, stage: stage),
            occurredAt: stage == "incoming" || stage == "call" ? (call.callStartedAt ?? delivery.receivedAt) : delivery.receivedAt,
            type: "ringba.\(stage)", fields: call
        )
        return [VendorEvent(event: event, payload: Self.payload(values))]
    }

    /// The rows of a call log posted as JSON, each read on its own; nil for any other
    /// delivery (a pixel, or the conversion webhook's fields).
    static func callLogRows(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [PulledRow]? {
        guard delivery.method == "POST", !delivery.body.isEmpty, delivery.bodyIsJSON,
              let rows = RingbaCallLog.rows(in: try JSONBody.parse(delivery.body)) else { return nil }
        guard !rows.isEmpty else { throw VendorError(field: nil, message: "the call log holds no rows", code: "missing_field") }
        return rows.map { row, path in
            let outcome: Result<[VendorEvent], VendorError>
            do throws(VendorError) {
                outcome = .success([try RingbaCallLog.event(row, integration: integration, receivedAt: delivery.receivedAt)])
            } catch {
                outcome = .failure(CallSnapshot.locate(error, at: path))
            }
            return PulledRow(payload: JSONBody.text(row), outcome: outcome)
        }
    }

    static func callLogEvents(
        _ rows: [(row: JSONValue, path: String)], delivery: VendorDelivery, integration: IntegrationProfile
    ) throws(VendorError) -> [VendorEvent] {
        guard !rows.isEmpty else { throw VendorError(field: nil, message: "the call log holds no rows", code: "missing_field") }
        var events: [VendorEvent] = []
        for (row, path) in rows {
            do throws(VendorError) {
                events.append(try RingbaCallLog.event(row, integration: integration, receivedAt: delivery.receivedAt))
            } catch {
                throw CallSnapshot.locate(error, at: path)
            }
        }
        return events
    }

    /// The parameters as a JSON object, the form they are stored in next to the event.
    static func payload(_ values: [String: String]) -> String { JSONBody.text(values) }
}

import DCEJSON
import DCEDomain
import Foundation

/// Invoca call transactions pushed as JSON, with the rows of Invoca's Transactions API
/// (developer docs, "Transactions API" field table): one row object, an array of rows,
/// or `{"transactions": [...]}`.
///
/// A correction is a new row whose `corrects_transaction_id` names the original; its
/// values replace the original's. Both rows are kept; the correction is ordered after the
/// original, so the call shows the corrected values, and revenue is replaced, never added.
public enum InvocaTransaction {
    public enum Field: String, CaseIterable, Sendable {
        case transactionID = "transaction_id"
        case correctsTransactionID = "corrects_transaction_id"
        case correctedAt = "corrected_at"
        case completeCallID = "complete_call_id"
        case transactionType = "transaction_type"
        case callingPhoneNumber = "calling_phone_number"
        case destinationPhoneNumber = "destination_phone_number"
        case startTimeUTC = "start_time_utc"
        case startTimeXML = "start_time_xml"
        case startTimeLocal = "start_time_local"
        case startTimeNetworkTimezoneXML = "start_time_network_timezone_xml"
        case startTimeNetworkTimezone = "start_time_network_timezone"
        /// The Signal API's name for the call's start (Invoca developer docs, "Signal API").
        case callStartTime = "call_start_time"
        case duration
        case connectDuration = "connect_duration"
        case advertiserCampaignIDFromNetwork = "advertiser_campaign_id_from_network"
        case advertiserCampaignID = "advertiser_campaign_id"
        case advertiserCampaignName = "advertiser_campaign_name"
        case affiliateIDFromNetwork = "affiliate_id_from_network"
        case affiliateID = "affiliate_id"
        case affiliateName = "affiliate_name"
        case advertiserPayinLocalized = "advertiser_payin_localized"
        case advertiserPayin = "advertiser_payin"
        case affiliatePayoutLocalized = "affiliate_payout_localized"
        case affiliatePayout = "affiliate_payout"
        case callResultDescriptionDetail = "call_result_description_detail"
        case recording
        case region
        case city
        case mobile
        case virtualLineID = "virtual_line_id"
        /// Not an Invoca column: the promo (tracking) number, when the account's export or
        /// custom data carries it; rename it with the field mapping.
        case trackingNumber = "tracking_number"
    }

    /// `call_result_description_detail` → dce status. Other results are kept as a tag
    /// and leave the status unknown.
    public static let statusTable: [String: CallStatus] = [
        "connected": .completed, "completed": .completed, "transferred": .completed, "qualified": .completed,
        "sale": .completed, "busy": .busy, "no answer": .noAnswer, "unanswered": .noAnswer,
        "hung up": .canceled, "caller hung up": .canceled, "abandoned": .canceled, "ivr hang up": .canceled,
        "blocked": .failed, "failed": .failed, "error": .failed,
    ]

    public static func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        let document = try JSONBody.parse(delivery.body)
        let rows: [JSONValue]
        let prefix: String
        if case .array(let array) = document {
            rows = array
            prefix = ""
        } else if case .object(let object) = document, case .array(let array)? = object["transactions"] {
            rows = array
            prefix = "transactions"
        } else if case .object = document {
            rows = [document]
            prefix = ""
        } else {
            throw VendorError(field: nil, message: "the body must be a transaction object or an array of them", code: "malformed_json")
        }
        guard !rows.isEmpty else { throw VendorError(field: prefix.isEmpty ? nil : prefix, message: "no transactions in the body", code: "missing_field") }
        guard rows.count <= 1000 else { throw VendorError(field: prefix.isEmpty ? nil : prefix, message: "\(rows.count) transactions in one delivery; at most 1000 are allowed", code: "batch_too_large") }
        var events: [VendorEvent] = []
        for (index, row) in rows.enumerated() {
            // A lone object is the body itself; rows of an array are named by index.
            let path = if case .object = document, prefix.isEmpty { "" } else { "\(prefix)[\(index)]" }
            guard case .object(let object) = row else {
                throw VendorError(field: path, message: "\(path) must be a JSON object")
            }
            do {
                events.append(try event(FlatFields.json(object, tagsKey: "custom_data"), object: object, raw: row, delivery: delivery, integration: integration))
            } catch {
                let field = [path, error.field].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ".")
                throw VendorError(field: field, message: path.isEmpty ? error.message : "\(path): \(error.message)", code: error.code)
            }
        }
        return events
    }

    /// Where a row's start time is read from, in this order.
    static let startTimes: [Field] = [.startTimeUTC, .startTimeXML, .startTimeLocal, .startTimeNetworkTimezoneXML, .startTimeNetworkTimezone, .callStartTime]

    static func event(_ fields: FlatFields, object: [String: JSONValue], raw: JSONValue, delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> VendorEvent {
        func name(_ field: Field) -> String { integration.parameter(field.rawValue) }
        let transactionID = try fields.required(name(.transactionID))
        let corrects = fields.text(name(.correctsTransactionID))
        let completeCallID = fields.text(name(.completeCallID))

        var call = CallFields()
        let caller = fields.callerID(name(.callingPhoneNumber))
        call.callerPhone = caller.phone
        call.destinationNumber = try fields.phone(name(.destinationPhoneNumber))
        call.trackingNumber = try fields.phone(name(.trackingNumber))
        // The first start time the row carries, the unambiguous forms first.
        for field in startTimes where fields.text(name(field)) != nil {
            call.callStartedAt = try fields.invocaTime(name(field))
            break
        }
        call.durationSeconds = try fields.seconds(name(.duration))
        call.campaignID = fields.text(name(.advertiserCampaignIDFromNetwork), name(.advertiserCampaignID))
        call.publisherID = fields.text(name(.affiliateIDFromNetwork), name(.affiliateID))
        if fields.text(name(.advertiserPayinLocalized)) != nil {
            call.revenue = try fields.money(name(.advertiserPayinLocalized))
        } else {
            call.revenue = try fields.money(name(.advertiserPayin))
        }
        if fields.text(name(.affiliatePayoutLocalized)) != nil {
            call.payout = try fields.money(name(.affiliatePayoutLocalized))
        } else {
            call.payout = try fields.money(name(.affiliatePayout))
        }
        if let revenue = call.revenue { call.converted = revenue > .zero }
        let result = fields.text(name(.callResultDescriptionDetail))
        if let result { call.status = statusTable[result.lowercased()] ?? .unknown }
        if let start = call.callStartedAt, let duration = call.durationSeconds { call.callEndedAt = start.adding(seconds: Int64(duration)) }
        call.recordingURL = fields.text(name(.recording))
        if let region = fields.text(name(.region)), region.count == 2 { call.callerState = region.uppercased() }
        // A column the integration's field mapping reads into the call is not marketing data.
        let marketing = InvocaMarketingData.read(object.filter { !integration.fieldMapping.values.contains($0.key) })
        let own: [String: String?] = [
            "invoca_transaction_id": transactionID,
            "invoca_complete_call_id": completeCallID,
            "invoca_transaction_type": fields.text(name(.transactionType)),
            "invoca_call_result": result,
            "invoca_campaign_name": fields.text(name(.advertiserCampaignName)),
            "invoca_affiliate_name": fields.text(name(.affiliateName)),
            "invoca_city": fields.text(name(.city)),
            "invoca_region": fields.text(name(.region)),
            "invoca_mobile": fields.text(name(.mobile)),
            "invoca_connect_duration": fields.text(name(.connectDuration)),
            "invoca_virtual_line_id": fields.text(name(.virtualLineID)),
            "invoca_corrects_transaction_id": corrects,
        ]
        // The delivery's tags are limited as every vendor's are; dce's own few come on top.
        guard marketing.count <= Tags.maximumPerWrite else {
            throw VendorError(field: "custom_data", message: Tags.ValidationError.tooMany(count: marketing.count).description, code: "too_many_tags")
        }
        do { call.tags = try Tags(validating: marketing.tags).adding(own).adding(caller.kept) } catch {
            throw VendorError(field: "custom_data", message: error.description, code: "too_many_tags")
        }
        // Originals are ordered by the call's start; a correction by when it was made,
        // which is always after the original it replaces.
        let occurredAt: Timestamp
        if corrects != nil {
            let correctedAt = try fields.invocaTime(name(.correctedAt))
            occurredAt = max(correctedAt ?? delivery.receivedAt, (call.callStartedAt ?? delivery.receivedAt).adding(seconds: 1))
        } else {
            occurredAt = call.callStartedAt ?? delivery.receivedAt
        }
        let callID = completeCallID ?? corrects ?? transactionID
        let event = CallEvent(
            source: InvocaAdapter.source, externalCallID: callID,
            idempotencyKey: transactionKey(integration: integration.id, transactionID: transactionID),
            occurredAt: occurredAt, type: corrects == nil ? "invoca.transaction" : "invoca.correction", fields: call
        )
        return VendorEvent(
            event: event, payload: JSONBody.text(raw),
            correctedKey: completeCallID == nil ? corrects.map { transactionKey(integration: integration.id, transactionID: $0) } : nil
        )
    }

    /// Transactions are unique in Invoca, so a transaction id is its own event.
    public static func transactionKey(integration: String, transactionID: String) -> String {
        "invoca:\(integration):transaction:\(transactionID)"
    }
}

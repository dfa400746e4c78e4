import DCEJSON
import DCEDomain

/// Retreaver's call object, as its API lists calls (`GET /api/v1…v4/calls.json`, each item
/// wrapped as `{"call": {…}}`, Retreaver's core-api-docs "Calls"), read together with the
/// names of the seed's mapping table (seed 002). `map` is a pure function from one call
/// object to dce's fields, for the webhook and for a pull of `calls.json` alike.
///
/// Retreaver's own names beside the seed's: `uuid` (`id`), `caller` (`caller_number`),
/// `number`, the tracking number (from v3 an object `{number, name}`), `start_time`,
/// `forwarded_time`, `end_time` (`created_at`, `answered_at`, `ended_at`), `total_duration`
/// (`duration`), `campaign_id` (from v4 an object `campaign: {id, name}`), `cid`, `afid`,
/// `tid`. With `number` present, `dialed_number` is the number Retreaver dialed to reach
/// the target (v2's example: it is the one in `target_name`); without it (v1, the seed) it
/// is the tracking number.
public enum RetreaverCall {
    /// Retreaver's own `status` values beside the seed's (`RetreaverWebhook.statusTable`).
    /// `finished` is read with `connected` (see `finishedStatus`); any other status keeps
    /// the stage's, or says whether the call has ended, and is kept as a tag.
    static let ownStatuses: Set<String> = ["finished"]

    /// Retreaver's attributes kept as tags (prefixed `retreaver_`) where dce has no field.
    static let keptAttributes = [
        "payable", "receivable", "duplicate", "payable_duplicate", "receivable_duplicate", "repeat",
        "hung_up_by", "dialed_call_duration", "ivr_duration", "hold_duration", "caller_city", "caller_zip",
        "caller_country", "sid", "campaign_name", "number_name", "affiliate_name", "target_name", "connected",
    ]

    /// The call objects of a JSON document: one object, `{"call": {…}}`, or a page
    /// (`[{"call": {…}}, …]`) of either, each with its place in the document for errors.
    static func objects(in document: JSONValue) throws(VendorError) -> [(object: [String: JSONValue], path: String)] {
        if case .array(let page) = document {
            var objects: [(object: [String: JSONValue], path: String)] = []
            for (index, item) in page.enumerated() { objects.append(try unwrap(item, path: "[\(index)]")) }
            guard !objects.isEmpty else { throw VendorError(field: nil, message: "the page holds no calls", code: "missing_field") }
            return objects
        }
        return [try unwrap(document, path: "")]
    }

    /// One call object, bare or as `{"call": {…}}`, with its place in the document.
    static func unwrap(_ value: JSONValue, path: String) throws(VendorError) -> (object: [String: JSONValue], path: String) {
        guard case .object(var object) = value else {
            throw VendorError(field: path.isEmpty ? nil : path, message: "\(path.isEmpty ? "the body" : path) must be a call object")
        }
        var place = path
        if object.count == 1, case .object(let call)? = object["call"] {
            object = call
            place = path.isEmpty ? "call" : path + ".call"
        }
        return (object, place)
    }

    /// A call object's members as flat fields: the nested `number` (v3) and `campaign` (v4)
    /// objects become `number`, `number_name`, `campaign_id` and `campaign_name`.
    static func flatten(_ object: [String: JSONValue], tagsKey: String) -> FlatFields {
        let flat = FlatFields.json(object, tagsKey: tagsKey)
        var values = flat.values
        func member(_ nested: [String: JSONValue], _ key: String) -> String? { nested[key].flatMap(FlatFields.scalarText) }
        if case .object(let number)? = object["number"] {
            values["number"] = member(number, "number")
            values["number_name"] = member(number, "name")
        }
        if case .object(let campaign)? = object["campaign"] {
            values["campaign_id"] = values["campaign_id"] ?? member(campaign, "id")
            values["campaign_name"] = values["campaign_name"] ?? member(campaign, "name")
        }
        return FlatFields(values, tags: flat.tags, tagCount: flat.tagCount)
    }

    /// The call id and dce's fields of one call object. `stage` is the webhook stage the
    /// delivery reports, nil for a call as Retreaver lists it.
    public static func map(
        _ fields: FlatFields, stage: RetreaverWebhook.Stage?, integration: IntegrationProfile
    ) throws(VendorError) -> (callID: String, fields: CallFields) {
        typealias Field = RetreaverWebhook.Field
        func name(_ field: Field) -> String { integration.parameter(field.rawValue) }
        /// The first of `names` the delivery carries, so that an error names what was sent.
        func present(_ names: String...) -> String { names.first { fields.text($0) != nil } ?? names[0] }

        let idName = present(name(.id), "uuid", name(.callUUID))
        guard let callID = fields.text(idName) else {
            throw VendorError(field: name(.id), message: "'\(name(.id))' (Retreaver's 'uuid') is required", code: "missing_field")
        }
        guard callID.count <= 255 else { throw .invalid(idName, "must be at most 255 characters") }

        var call = CallFields()
        call.tags = try fields.validatedTags(field: name(.tags))
        let caller = fields.callerID(present(name(.callerNumber), "caller"))
        call.callerPhone = caller.phone
        call.tags = call.tags.adding(caller.kept)
        if fields.text("number") != nil {
            call.trackingNumber = try fields.phone("number")
            call.destinationNumber = try fields.phone(present(name(.targetNumber), name(.dialedNumber)))
        } else {
            call.trackingNumber = try fields.phone(name(.dialedNumber))
            call.destinationNumber = try fields.phone(name(.targetNumber))
        }
        call.campaignID = fields.text(name(.campaignID), "cid", "system_campaign_id")
        call.publisherID = fields.text(name(.affiliateID), "afid", "system_affiliate_id")
        call.targetID = fields.text(name(.targetID), "tid", "system_target_id")
        call.durationSeconds = try fields.seconds(present("total_duration", name(.duration)))
        call.callStartedAt = try fields.timestamp(present("start_time", name(.createdAt)))
        call.callEndedAt = try fields.timestamp(present("end_time", name(.endedAt)))
        var connected = try fields.flag("connected")
        if connected == nil, let dialed = try fields.seconds("dialed_call_duration") { connected = dialed > 0 }
        if fields.text(name(.answeredAt)) != nil {
            call.callAnsweredAt = try fields.timestamp(name(.answeredAt))
        } else if connected == true {
            // Forwarded to the target that then answered.
            call.callAnsweredAt = try fields.timestamp("forwarded_time")
        }
        call.recordingURL = fields.text(name(.recordingURL))
        call.revenue = try fields.money(name(.revenue))
        call.payout = try fields.money(name(.payout))
        call.converted = try fields.flag(name(.converted))
        call.callerState = fields.text(name(.callerState))

        var kept: [String: String?] = [:]
        for attribute in keptAttributes { kept["retreaver_" + attribute] = fields.text(attribute) }
        if let status = fields.text(name(.status)) {
            let key = status.lowercased()
            if key == "finished" {
                call.status = finishedStatus(connected: connected, hungUpBy: fields.text("hung_up_by"))
            } else if let mapped = RetreaverWebhook.statusTable[key] {
                call.status = mapped
            } else {
                // A status Retreaver adds later still records the call.
                call.status = stage?.impliedStatus ?? (call.callEndedAt == nil ? .unknown : .completed)
                kept["retreaver_status"] = status
            }
        } else {
            call.status = stage?.impliedStatus ?? (stage == nil && call.callEndedAt != nil ? .completed : nil)
        }
        call.tags = call.tags.adding(kept)
        return (callID, call)
    }

    /// A finished call reached a target when `connected`; one that did not was abandoned
    /// when the caller hung up (on hold or in the IVR), and otherwise went unanswered.
    static func finishedStatus(connected: Bool?, hungUpBy: String?) -> CallStatus {
        guard connected == false else { return .completed }
        return hungUpBy?.lowercased() == "caller" ? .canceled : .noAnswer
    }

    /// The event of a call as Retreaver lists it (no stage): keyed by what it says, and
    /// placed at the latest time it reports.
    public static func snapshotEvent(
        _ fields: FlatFields, integration: IntegrationProfile, receivedAt: Timestamp
    ) throws(VendorError) -> VendorEvent {
        let (callID, call) = try map(fields, stage: nil, integration: integration)
        let stored = payload(fields)
        let stage = CallSnapshot.stage(stored)
        let event = CallEvent(
            source: RetreaverAdapter.source, externalCallID: callID,
            idempotencyKey: IdempotencyKey.make(RetreaverAdapter.source, integration: integration.id, callID: callID, stage: stage),
            occurredAt: call.callEndedAt ?? call.callAnsweredAt ?? call.callStartedAt ?? receivedAt,
            type: "retreaver.call", fields: call
        )
        return VendorEvent(event: event, payload: stored)
    }

    /// The fields as they are stored beside their event, tags as one JSON object.
    static func payload(_ fields: FlatFields) -> String {
        var stored = fields.values
        if !fields.tags.isEmpty { stored["tags"] = JSONBody.text(fields.tags) }
        return JSONBody.text(stored)
    }
}

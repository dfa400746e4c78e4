import DCEJSON
import DCEDomain
import Foundation

/// Ringba's call-log rows, posted to the Ringba webhook one at a time or a page at once.
/// `event(_:…)` is a pure function from one row to a call event, for the webhook and for a
/// pull of the call log alike. Three shapes of row are read:
///
/// - `report.records[]`, as `POST /v2/{accountId}/calllogs` answers (Ringba's API
///   reference, "Get Call Log" and "Get Details About Specific Calls"): flat columns
///   (`inboundCallId`, `callDt`, `inboundPhoneNumber` the caller, `number` the tracking
///   number, …) with optional `events[]` and `message-tags[]`;
/// - `callLog.data[]` of seed 000: `Columns` and `Tags` objects and `Events[]`;
/// - `callLog.data[]` of Ringba/ringba-api-samples: `columns[]` of `{name, original}`,
///   `events[]` of `{name, columns}` and `tags[]` of `{tagType, tagName, tagValue}`.
public enum RingbaCallLog {
    /// One row read into names: its columns, its events by name, its tags (`type:name`
    /// for Ringba's typed tags, as the seed names them otherwise).
    struct Row {
        var columns: [String: String] = [:]
        var events: [String: [String: String]] = [:]
        /// The events in the row's order, for a call's timeline.
        var timeline: [Event] = []
        var tags: [String: String] = [:]
        /// Where the columns sit in the row, for errors (`Columns` in the seed's shape).
        var columnsPath = ""

        /// One event: its name, its members read as the row's columns are, its place in the
        /// row (`events[2]`) and its JSON as sent.
        struct Event {
            var name: String
            var members: [String: String]
            var path: String
            var text: String
        }
    }

    /// The rows of a JSON body, each with its place in the document, or nil when the body
    /// is not a call log (a conversion webhook's fields as JSON). A row that is not an
    /// object is refused when it is read, on its own.
    static func rows(in document: JSONValue) -> [(row: JSONValue, path: String)]? {
        func page(_ value: JSONValue?, path: String) -> [(row: JSONValue, path: String)]? {
            guard case .array(let items)? = value else { return nil }
            return items.enumerated().map { index, item in (item, "\(path)[\(index)]") }
        }
        switch document {
        case .array:
            return page(document, path: "")
        case .object(let object):
            if case .object(let report)? = object["report"], let rows = page(report["records"], path: "report.records") { return rows }
            if case .object(let log)? = object["callLog"], let rows = page(log["data"], path: "callLog.data") { return rows }
            if case .object(let result)? = object["result"], case .object(let log)? = result["callLog"],
               let rows = page(log["data"], path: "result.callLog.data") { return rows }
            if let rows = page(object["records"], path: "records") { return rows }
            let rowKeys = ["inboundCallId", "Columns", "columns"]
            return rowKeys.contains(where: { object[$0] != nil }) ? [(document, "")] : nil
        default:
            return nil
        }
    }

    /// Reads the three shapes into one. Values are text as `FlatFields` writes JSON scalars.
    static func read(_ object: [String: JSONValue]) -> Row {
        var row = Row()
        func text(_ value: JSONValue?) -> String? { value.flatMap(FlatFields.scalarText) }
        /// `[{name, original|value|formattedValue}]`: the machine value before the one formatted for people.
        func named(_ value: JSONValue?) -> [String: String] {
            guard case .array(let items)? = value else { return [:] }
            var columns: [String: String] = [:]
            for case .object(let item) in items {
                guard let name = text(item["name"]) else { continue }
                columns[name] = text(item["original"]) ?? text(item["value"]) ?? text(item["formattedValue"])
            }
            return columns
        }
        switch object["Columns"] ?? object["columns"] {
        case .object(let columns)?:
            row.columns = FlatFields.json(columns).values
            row.columnsPath = object["Columns"] != nil ? "Columns" : "columns"
        case .array?:
            row.columns = named(object["columns"])
        default:
            row.columns = FlatFields.json(object).values
        }
        let eventsKey = object["Events"] != nil ? "Events" : "events"
        if case .array(let events)? = object[eventsKey] {
            for (index, item) in events.enumerated() {
                guard case .object(let event) = item, let name = text(event["name"]) ?? text(event["eventType"]) else { continue }
                var members = FlatFields.json(event).values
                members.merge(named(event["columns"])) { own, _ in own }
                row.events[name.lowercased()] = members
                row.timeline.append(Row.Event(name: name, members: members, path: "\(eventsKey)[\(index)]", text: JSONBody.text(item)))
            }
        }
        switch object["Tags"] ?? object["tags"] {
        case .object(let tags)?:
            row.tags = FlatFields.json(tags).values
        case .array(let tags)?:
            for case .object(let tag) in tags {
                if let type = text(tag["tagType"]), let name = text(tag["tagName"]) { row.tags["\(type):\(name)"] = text(tag["tagValue"]) }
            }
        default:
            break
        }
        if case .array(let tags)? = object["message-tags"] {
            for case .object(let tag) in tags {
                if let type = text(tag["type"]), let name = text(tag["name"]) { row.tags["\(type):\(name)"] = text(tag["value"]) }
            }
        }
        return row
    }

    /// Ringba's columns kept as tags (prefixed `ringba_`) where dce has no field.
    static let keptColumns = [
        "campaignName", "publisherName", "publisherSubId", "targetName", "numberPoolName", "endCallSource",
        "isDuplicate", "hasPayout", "connectedCallLengthInSeconds", "timeToConnectInSeconds",
    ]

    /// One row as a call event. The row is keyed by what it says (`CallSnapshot`): a page
    /// pulled again changes nothing, a row that changed since (a live call now completed,
    /// a conversion) is a new fact about its call.
    public static func event(
        _ value: JSONValue, integration: IntegrationProfile, receivedAt: Timestamp
    ) throws(VendorError) -> VendorEvent {
        guard case .object(let object) = value else { throw VendorError(field: nil, message: "a call-log row must be an object") }
        return try event(read(object), stored: JSONBody.text(value), integration: integration, receivedAt: receivedAt)
    }

    /// A row already read (`read`) as a call event; `stored` is its JSON as sent.
    static func event(_ row: Row, stored: String, integration: IntegrationProfile, receivedAt: Timestamp) throws(VendorError) -> VendorEvent {
        let call: (id: String, fields: CallFields)
        do throws(VendorError) { call = try map(row, integration: integration, snapshot: stored) } catch {
            throw CallSnapshot.locate(error, at: row.columnsPath)
        }
        let fields = call.fields
        let event = CallEvent(
            source: RingbaAdapter.source, externalCallID: call.id,
            idempotencyKey: IdempotencyKey.make(RingbaAdapter.source, integration: integration.id, callID: call.id, stage: CallSnapshot.stage(stored)),
            occurredAt: fields.callEndedAt ?? fields.callAnsweredAt ?? fields.callStartedAt ?? receivedAt,
            type: "ringba.calllog", fields: fields
        )
        return VendorEvent(event: event, payload: stored)
    }

    /// The seed's data mapping matrix, with Ringba's API names beside the seed's.
    static func map(_ row: Row, integration: IntegrationProfile, snapshot: String) throws(VendorError) -> (id: String, fields: CallFields) {
        var values = row.columns
        /// Where a column's value came from when the row names it otherwise, for errors.
        var sentAs: [String: String] = [:]
        /// A column the row lacks, taken from where Ringba's other shapes carry it.
        func fill(_ column: String, _ candidates: (name: String, value: String?)...) {
            guard values[column]?.isEmpty ?? true,
                  let found = candidates.first(where: { !($0.value?.isEmpty ?? true) }) else { return }
            values[column] = found.value
            sentAs[column] = found.name
        }
        func column(_ name: String) -> (name: String, value: String?) { (name, values[name]) }
        func event(_ name: String, _ member: String) -> (name: String, value: String?) {
            ("events.\(name).\(member)", row.events[name.lowercased()]?[member])
        }
        func tag(_ key: String) -> (name: String, value: String?) { ("tags.\(key)", row.tags[key]) }
        fill("inboundPhoneNumber", column("callerId"), tag("InboundNumber:NumberE164"), tag("InboundNumber:Number"))
        fill("number", column("inboundNumber"), tag("DialedNumber:Number"))
        fill("targetNumber", event("ConnectedCall", "targetNumber"), event("TargetDialed", "targetNumber"))
        fill("targetId", event("ConnectedCall", "targetId"), event("TargetDialed", "targetId"))
        fill("callLengthInSeconds", column("callLength"), event("CompletedCall", "callLengthInSeconds"), tag("CallLength:Total"))
        fill("callDt", column("callDateTime"), column("dtStamp"), event("call_started", "timestamp"))
        fill("callConnectionDt", event("ConnectedCall", "callConnectionDt"), event("ConnectedCall", "dtStamp"),
             event("call_answered", "timestamp"), event("call_connected", "timestamp"))
        fill("callCompletedDt", event("CompletedCall", "callCompletedDt"), event("CompletedCall", "dtStamp"),
             event("call_completed", "timestamp"), event("call_ended", "timestamp"))
        fill("campaignId", tag("campaignId"), tag("Campaign:Id"))
        fill("publisherId", tag("publisherId"), tag("Publisher:Id"))
        fill("callerState", tag("callerState"), tag("InboundNumber:State"))
        fill("recordingUrl", event("CallRecordingMigrated", "recordingUrl"), event("CompletedCall", "recordingUrl"))
        let connectedEvent = row.events["connectedcall"]
        let fields = FlatFields(values)

        let callIDColumns = ["inboundCallId", "InboundCallId", "callId", integration.parameter(RingbaWebhook.Parameter.callID.rawValue)]
        // A row without an id (the seed's example has none) is named by who called which
        // number when, so that the same call pulled again, further on, is the same call.
        let identity = ["inboundPhoneNumber", "number", "callDt"].compactMap { fields.text($0) }
        let callID = fields.text(callIDColumns)
            ?? "calllog-" + CallSnapshot.stage(identity.isEmpty ? snapshot : identity.joined(separator: "|")).dropFirst("snapshot-".count)
        guard callID.count <= 255 else { throw .invalid("inboundCallId", "must be at most 255 characters") }

        var kept: [String: String?] = [:]
        /// A row is a call Ringba took: a caller id that is no phone number (`Anonymous`, a
        /// placeholder) is kept as sent, and the call still recorded.
        func phone(_ column: String) -> PhoneNumber? {
            guard let text = fields.text(column) else { return nil }
            if let number = try? PhoneNumber(parsing: text) { return number }
            kept["ringba_" + (sentAs[column] ?? column)] = text
            return nil
        }
        var call = CallFields()
        do throws(VendorError) {
            call.callerPhone = phone("inboundPhoneNumber")
            call.trackingNumber = phone("number")
            call.destinationNumber = phone("targetNumber")
            call.durationSeconds = try fields.seconds("callLengthInSeconds")
            call.callStartedAt = try fields.timestamp("callDt")
            call.callAnsweredAt = try fields.timestamp("callConnectionDt")
            call.callEndedAt = try fields.timestamp("callCompletedDt")
            call.campaignID = fields.text("campaignId")
            call.publisherID = fields.text("publisherId")
            call.targetID = fields.text("targetId")
            call.callerState = fields.text("callerState")
            call.revenue = try fields.money("conversionAmount")
            call.payout = try fields.money("payoutAmount")
            call.converted = try fields.flag("hasConverted")
            call.recordingURL = fields.text("recordingUrl")

            for column in keptColumns { kept["ringba_" + column] = fields.text(column) }
            let statusText = fields.text("callStatus")
            if let statusText, let mapped = RingbaWebhook.statusTable[statusText.lowercased().replacingOccurrences(of: "-", with: "_")] {
                call.status = mapped
            } else {
                // No status column (the API's rows) or one Ringba added later: the row's flags say.
                kept["ringba_call_status"] = statusText
                var isLive = try fields.flag("isLive")
                if isLive == nil, !row.events.isEmpty { isLive = call.callEndedAt == nil && row.events["endcallsource"] == nil }
                var connected = try fields.flag("hasConnected")
                if connected == nil, connectedEvent != nil { connected = true }
                call.status = derivedStatus(
                    live: isLive, connected: connected, ended: call.callEndedAt != nil,
                    endedBy: fields.text("endCallSource") ?? row.events["endcallsource"]?["source"]
                )
            }
        } catch {
            // Named as the row names it (`callLength` in the seed's `Columns`).
            guard let field = error.field, let sent = sentAs[field] else { throw error }
            throw VendorError(field: sent, message: error.message.replacingOccurrences(of: field, with: sent), code: error.code)
        }
        // The row's own free tags (the seed's `Tags`, Ringba's `User` tags) beside the kept columns.
        var free: [String: String] = [:]
        for (key, value) in row.tags where (!key.contains(":") || key.hasPrefix("User:"))
            && key.count <= Tags.maximumKeyLength && value.count <= Tags.maximumValueLength {
            free[key.hasPrefix("User:") ? String(key.dropFirst(5)) : key] = value
        }
        for mapped in ["callerState", "campaignId", "publisherId"] { free[mapped] = nil }
        let limited = free.keys.sorted().prefix(Tags.maximumPerWrite - keptColumns.count - 1)
        call.tags = Tags().adding(Dictionary(uniqueKeysWithValues: limited.map { ($0, free[$0]) })).adding(kept)
        return (callID, call)
    }

    /// A call still live is ringing until it connects; an ended one is completed when it
    /// connected, abandoned when the caller hung up first, and otherwise unanswered.
    static func derivedStatus(live: Bool?, connected: Bool?, ended: Bool, endedBy: String?) -> CallStatus? {
        if live == true { return connected == true ? .answered : .ringing }
        guard live == false || ended else { return connected == true ? .answered : nil }
        guard connected == false else { return .completed }
        return endedBy?.lowercased() == "caller" ? .canceled : .noAnswer
    }
}

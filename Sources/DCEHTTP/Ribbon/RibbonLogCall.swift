import DCEJSON
import DCEDomain
import DCEStorage
import DCEVendors
import Foundation
import Hummingbird

extension RibbonController {
    /// `POST /api/ribbon/log-call`: one ribbon event. Events of one `callSid` make one call
    /// in the ledger (source `exotel`); the first one counts the call against the month.
    @Sendable func logCall(request: Request, context: AppRequestContext) async throws -> Response {
        let admitted = try await gate.admitPOST(request)
        let client = admitted.client
        // The stored copy leaves the API key out: credentials are never kept.
        var kept = admitted.object
        kept["apiKey"] = nil
        var inbound = InboundRequest(request, source: ExotelAdapter.source, body: admitted.body)
        inbound.body = Array(JSONValue.object(kept).text.utf8)
        let ingest = Ingest(services: services)
        // The session claim writes before the event does: no commit is announced.
        let delivery = ingest.begin(inbound, accountID: client.accountID, label: ExotelAdapter.source.rawValue, announce: false)
        let parsed = try await ingest.refusingInto(delivery) { try RibbonLogEvent(admitted.object, receivedAt: inbound.receivedAt) }
        let claim: RibbonSessionClaim
        do {
            claim = try await sessions.claim(callSid: parsed.callSid, accountID: client.accountID,
                                             monthlyLimit: client.profile.monthlyCallLimit, facts: parsed.facts, now: inbound.receivedAt)
        } catch RibbonUsageError.monthlyLimitReached(let limit) {
            throw RibbonGate.limitReached(limit)
        }
        let event = parsed.callEvent(claim: claim)
        let outcome = try await ingest.append([.wholeBody(event)], delivery)[0]
        let logID = try await sessions.log(event: parsed.event, sessionID: claim.sessionID, callID: outcome.callID,
                                           rawEventID: outcome.eventID, occurredAt: event.occurredAt, accountID: client.accountID)
        return try respond(.object(["success": .bool(true), "logId": .string(logID)]), request, context)
    }
}

/// A log-call body, read and checked. Unknown event names are kept as they are.
struct RibbonLogEvent {
    let event: String
    let callSid: String
    let occurredAt: Timestamp
    /// Whether the client said when: only then is a repeated delivery recognisable.
    let clientTimed: Bool
    let phone: PhoneNumber?
    let duration: Int?
    let facts: RibbonSessionFacts

    init(_ body: [String: JSONValue], receivedAt: Timestamp) throws {
        guard case .string(let event)? = body["event"], (1...64).contains(event.count) else {
            throw APIError.badRequest("event is required: a string of 1 to 64 characters (incoming, connected, callEnded, …)", field: "event",
                                      code: body["event"] == nil ? "missing_field" : "invalid_field")
        }
        guard case .object(let data)? = body["data"] else {
            throw APIError.badRequest("data is required: an object with callSid", field: "data",
                                      code: body["data"] == nil ? "missing_field" : "invalid_field")
        }
        guard case .string(let callSid)? = data["callSid"], (1...255).contains(callSid.count) else {
            throw APIError.badRequest("data.callSid is required: a string of 1 to 255 characters", field: "data.callSid",
                                      code: data["callSid"] == nil ? "missing_field" : "invalid_field")
        }
        self.event = event
        self.callSid = callSid
        switch body["timestamp"] {
        case nil, .null?:
            occurredAt = receivedAt
            clientTimed = false
        case .string(let text)?:
            occurredAt = try RibbonQuery.time(text, field: "timestamp")
            clientTimed = true
        default:
            throw APIError.badRequest("timestamp must be an ISO 8601 date-time string", field: "timestamp", code: "invalid_field")
        }
        var phone: PhoneNumber?
        switch data["phoneNumber"] {
        case nil, .null?: phone = nil
        case .string(let text)?:
            do { phone = try PhoneNumber(parsing: text) } catch {
                throw APIError.badRequest("data.phoneNumber: \(error.description)", field: "data.phoneNumber", code: "invalid_field")
            }
        default: throw APIError.badRequest("data.phoneNumber must be a string", field: "data.phoneNumber", code: "invalid_field")
        }
        self.phone = phone
        var direction: String?
        switch data["callDirection"] {
        case nil, .null?: direction = nil
        case .string(let text)? where RibbonDirection.allowed.contains(text): direction = text
        default: throw APIError.badRequest("data.callDirection must be inbound or outbound", field: "data.callDirection", code: "invalid_field")
        }
        switch data["duration"] {
        case nil, .null?: duration = nil
        case let number? where number.double.map { $0 >= 0 && $0 <= 86_400 * 7 } ?? false:
            duration = Int((number.double ?? 0).rounded())
        default: throw APIError.badRequest("data.duration must be a number of seconds from 0 to 604800", field: "data.duration", code: "invalid_field")
        }
        var customer: [String: JSONValue] = [:]
        switch data["customerData"] {
        case nil, .null?: break
        case .object(let members)?: customer = members
        default: throw APIError.badRequest("data.customerData must be an object", field: "data.customerData", code: "invalid_field")
        }
        func customerText(_ key: String) throws -> String? {
            switch customer[key] {
            case nil, .null?: return nil
            case .string(let text)? where text.count <= 1024: return text
            default: throw APIError.badRequest("data.customerData.\(key) must be a string of at most 1024 characters",
                                               field: "data.customerData.\(key)", code: "invalid_field")
            }
        }
        var domain: String?
        if case .string(let text)? = body["domain"] { domain = RibbonDomain.host(of: text) }
        facts = RibbonSessionFacts(
            callDirection: direction, phoneNumber: phone?.e164, customerID: try customerText("customerId"),
            customerName: try customerText("name"), customerData: customer, domain: domain
        )
    }

    /// The ledger event: what this ribbon event says about the call. `storedKey`: the key
    /// a replay found this request's event under, kept for an event without a time of its
    /// own (whose key is made when it first came).
    func callEvent(claim: RibbonSessionClaim, storedKey: String? = nil) -> CallEvent {
        var fields = CallFields()
        if facts.callDirection == "outbound" { fields.destinationNumber = phone } else { fields.callerPhone = phone }
        fields.durationSeconds = duration
        if claim.isNew {
            // A call first heard of at its end started `duration` seconds before.
            fields.callStartedAt = event == "callEnded" ? occurredAt.subtracting(seconds: Int64(duration ?? 0)) : occurredAt
        }
        switch event {
        case "incoming":
            fields.status = .ringing
        case "connected":
            fields.callAnsweredAt = occurredAt
            fields.status = .inProgress
        case "callEnded":
            fields.callEndedAt = occurredAt
            fields.status = claim.answered || (duration ?? 0) > 0 ? .completed : .noAnswer
        default:
            break
        }
        var tags: [String: String] = ["ribbon_session": claim.sessionID]
        tags["call_direction"] = facts.callDirection
        tags["customer_id"] = facts.customerID
        tags["customer_name"] = facts.customerName
        fields.tags = (try? Tags(validating: tags)) ?? Tags()
        let key = clientTimed
            ? "ribbon:\(callSid):\(event):\(occurredAt.millisecondsSince1970)"
            : storedKey ?? "ribbon:\(callSid):\(event):\(Token.make(prefix: "at"))"
        return CallEvent(source: ExotelAdapter.source, externalCallID: callSid, idempotencyKey: key, occurredAt: occurredAt, type: event, fields: fields)
    }
}

import DCEJSON
import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// How the ribbon API writes values: times as `2025-10-12T10:30:00Z` (milliseconds only
/// when there are some), absent facts as `null`.
enum RibbonFormat {
    static func time(_ timestamp: Timestamp) -> String {
        let full = timestamp.iso8601  // 2025-10-12T10:30:00.000Z
        if timestamp.millisecondsSince1970 % 1000 != 0 { return full }
        return String(full.dropLast(5)) + "Z"
    }

    static func time(_ timestamp: Timestamp?) -> JSONValue {
        timestamp.map { .string(time($0)) } ?? .null
    }

    static func text(_ value: String?) -> JSONValue {
        value.map(JSONValue.string) ?? .null
    }

    static func int(_ value: Int) -> JSONValue { .integer(value) }

    static func counts<Key>(_ values: [Key: Int]) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: values.map { ("\($0.key)", int($0.value)) }))
    }

    static func usage(used: Int, limit: Int) -> JSONValue {
        .object(["callsThisMonth": int(used), "limit": int(limit), "remaining": int(max(0, limit - used))])
    }

    /// A call as `recentCalls`, `calls` and the export show it.
    static func call(_ session: RibbonSession, clientID: String) -> JSONValue {
        .object([
            "sessionId": .string(session.sessionID),
            "clientId": .string(clientID),
            "startTime": time(session.startTime),
            "endTime": time(session.endTime),
            "duration": int(session.durationSeconds),
            "phoneNumber": text(session.phoneNumber),
            "callDirection": text(session.callDirection),
            "customerData": .object(session.customerData),
            "status": .string(session.state.rawValue),
        ])
    }
}

/// The ribbon's query-string filters, each refused with its own name when malformed.
struct RibbonQuery {
    let parameters: Parameters

    init(_ request: Request) { parameters = request.uri.queryParameters }

    /// `startDate` and `endDate`: a date covers its whole UTC day; a date-time is an instant.
    func filter() throws -> RibbonFilter {
        var filter = RibbonFilter()
        if let start = parameters.string("startDate") {
            filter.from = try Self.time(start, field: "startDate")
        }
        if let end = parameters.string("endDate") {
            let time = try Self.time(end, field: "endDate")
            filter.until = Self.isBareDate(end) ? time.adding(seconds: 86_400) : Timestamp(millisecondsSince1970: time.millisecondsSince1970 + 1)
        }
        if let customer = parameters.string("customerId") {
            guard !customer.isEmpty else { throw APIError.badRequest("customerId must not be empty", field: "customerId", code: "invalid_field") }
            filter.customerID = customer
        }
        if let direction = parameters.string("callDirection") {
            guard RibbonDirection.allowed.contains(direction) else {
                throw APIError.badRequest("callDirection must be inbound or outbound", field: "callDirection", code: "invalid_field")
            }
            filter.callDirection = direction
        }
        if let event = parameters.string("event") {
            guard !event.isEmpty else { throw APIError.badRequest("event must not be empty", field: "event", code: "invalid_field") }
            filter.event = event
        }
        return filter
    }

    /// A positive integer, `fallback` when absent, at most `maximum` (larger asks get the maximum).
    func positive(_ name: String, fallback: Int, maximum: Int) throws -> Int {
        guard let text = parameters.string(name) else { return fallback }
        guard let value = Int(text), value >= 1 else {
            throw APIError.badRequest("\(name) must be a positive integer", field: name, code: "invalid_field")
        }
        return min(value, maximum)
    }

    static func isBareDate(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.count == 10 && !trimmed.contains("T") && !trimmed.contains(" ")
    }

    /// A date or date-time in the years 1970 to 2200, refused naming `field`.
    static func time(_ text: String, field: String) throws -> Timestamp {
        do { return try Timestamp.parse(text) } catch {
            guard case .outOfRange = error else { throw notADate(text, field: field) }
            throw APIError.badRequest("\(field): \(error.description)", field: field, code: "invalid_field")
        }
    }

    static func notADate(_ text: String, field: String) -> APIError {
        APIError.badRequest("'\(text)' is not an ISO 8601 date (2025-10-01) or date-time (2025-10-01T10:30:00Z)", field: field, code: "invalid_field")
    }
}

enum RibbonDirection {
    static let allowed: Set<String> = ["inbound", "outbound"]
}

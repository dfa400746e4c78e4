import DCEJSON
import DCEDomain
import Foundation
import SQLKit

/// Which ribbon calls or events a report covers. Times are UTC instants; `until` is exclusive.
public struct RibbonFilter: Sendable, Hashable {
    public var from: Timestamp?
    public var until: Timestamp?
    public var customerID: String?
    public var callDirection: String?
    /// Call logs only: the event name.
    public var event: String?

    public init(from: Timestamp? = nil, until: Timestamp? = nil, customerID: String? = nil, callDirection: String? = nil, event: String? = nil) {
        self.from = from
        self.until = until
        self.customerID = customerID
        self.callDirection = callDirection
        self.event = event
    }
}

/// Where a ribbon call stands: a session with no end is active.
public enum RibbonCallState: String, Sendable {
    case active, completed, missed
}

/// One call of the ribbon: its session joined with its record in the ledger.
public struct RibbonSession: Sendable, Hashable {
    public let sessionID: String
    public let callSid: String
    public let startTime: Timestamp
    public let endTime: Timestamp?
    public let durationSeconds: Int
    public let phoneNumber: String?
    public let callDirection: String?
    public let customerID: String?
    public let customerName: String?
    public let customerData: [String: JSONValue]
    public let state: RibbonCallState
    /// Position in the listing order, for reading the next page.
    public let cursor: RibbonCursor
}

/// The columns sessions are listed by (`c.sort_at`, then `s.session_id`), read from the row
/// itself rather than from a displayed time, so that a page starts right after the last.
public struct RibbonCursor: Sendable, Hashable {
    public let sortAt: Int64
    public let sessionID: String
}

public struct RibbonSummary: Sendable, Hashable {
    public var totalCalls = 0
    public var totalDuration = 0
    public var inboundCalls = 0
    public var outboundCalls = 0
    public var missedCalls = 0

    /// Whole seconds, rounded.
    public var averageDuration: Int {
        totalCalls == 0 ? 0 : Int((Double(totalDuration) / Double(totalCalls)).rounded())
    }
}

/// A logged ribbon event with the body it came in (credentials removed).
public struct RibbonLogEntry: Sendable, Hashable {
    public let logID: String
    public let event: String
    public let occurredAt: Timestamp
    public let sessionID: String
    public let payload: JSONValue
}

public struct RibbonCustomerTotal: Sendable, Hashable {
    public let customerID: String
    public let customerName: String?
    public let phoneNumber: String?
    public let callCount: Int
    public let totalDuration: Int
}

public struct RibbonAccountTotal: Sendable, Hashable {
    public let calls: Int
    public let duration: Int

    public init(calls: Int, duration: Int) {
        self.calls = calls
        self.duration = duration
    }
}

/// Reports over a client's ribbon calls, computed from the ledger. Every query is scoped
/// to one account, except `totalsByAccount`, which is for the operator.
public struct RibbonReports: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public static let durationBucketLabels = ["0-30s", "30s-1m", "1m-3m", "3m-5m", "5m+"]
    public static let missedStatuses: SQLQueryString = "('no_answer', 'busy', 'failed', 'canceled')"

    /// Seconds of talk: what the client reported, else from answer to end, else 0.
    static let duration: SQLQueryString = """
        COALESCE(c.duration_seconds, CASE WHEN c.call_ended_at IS NOT NULL AND c.call_answered_at IS NOT NULL
                                          THEN (c.call_ended_at - c.call_answered_at) / 1000 ELSE 0 END)
        """
    static let sessions: SQLQueryString = "ribbon_sessions s JOIN calls c ON c.id = s.call_id AND c.account_id = s.account_id"

    static func conditions(_ filter: RibbonFilter, accountID: AccountID) -> SQLQueryString {
        // Scoping the calls too lets the time range use the ledger's (account_id, sort_at) index.
        var parts: [SQLQueryString] = ["s.account_id = \(bind: accountID.rawValue)", "c.account_id = \(bind: accountID.rawValue)"]
        if let from = filter.from { parts.append("c.sort_at >= \(bind: from.millisecondsSince1970)") }
        if let until = filter.until { parts.append("c.sort_at < \(bind: until.millisecondsSince1970)") }
        if let customer = filter.customerID { parts.append("s.customer_id = \(bind: customer)") }
        if let direction = filter.callDirection { parts.append("s.call_direction = \(bind: direction)") }
        return parts.joined(separator: " AND ")
    }

    public func summary(_ filter: RibbonFilter, accountID: AccountID) async throws -> RibbonSummary {
        try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT COUNT(*) AS calls,
                       CAST(COALESCE(SUM(\(Self.duration)), 0) AS BIGINT) AS duration,
                       CAST(COALESCE(SUM(CASE WHEN s.call_direction = 'inbound' THEN 1 ELSE 0 END), 0) AS BIGINT) AS inbound,
                       CAST(COALESCE(SUM(CASE WHEN s.call_direction = 'outbound' THEN 1 ELSE 0 END), 0) AS BIGINT) AS outbound,
                       CAST(COALESCE(SUM(CASE WHEN c.status IN \(Self.missedStatuses) THEN 1 ELSE 0 END), 0) AS BIGINT) AS missed
                FROM \(Self.sessions) WHERE \(Self.conditions(filter, accountID: accountID))
                """).first() else { return RibbonSummary() }
            return RibbonSummary(
                totalCalls: Int(try row.decode(column: "calls", as: Int64.self)),
                totalDuration: Int(try row.decode(column: "duration", as: Int64.self)),
                inboundCalls: Int(try row.decode(column: "inbound", as: Int64.self)),
                outboundCalls: Int(try row.decode(column: "outbound", as: Int64.self)),
                missedCalls: Int(try row.decode(column: "missed", as: Int64.self))
            )
        }
    }

    /// Calls per UTC day (`2025-10-12`).
    public func callsByDate(_ filter: RibbonFilter, accountID: AccountID) async throws -> [String: Int] {
        let counts = try await grouped("CAST(c.sort_at / 86400000 AS BIGINT)", filter, accountID: accountID)
        var byDate: [String: Int] = [:]
        for (day, count) in counts {
            byDate[String(Timestamp(millisecondsSince1970: day * 86_400_000).iso8601.prefix(10))] = count
        }
        return byDate
    }

    /// Calls per UTC hour of the day, every hour 0–23 present.
    public func callsByHour(_ filter: RibbonFilter, accountID: AccountID) async throws -> [Int: Int] {
        let counts = try await grouped("CAST((c.sort_at / 3600000) % 24 AS BIGINT)", filter, accountID: accountID)
        return Dictionary(uniqueKeysWithValues: (0..<24).map { ($0, counts[Int64($0)] ?? 0) })
    }

    /// Calls per UTC day of the week, 0 = Sunday … 6 = Saturday, every day present.
    public func callsByDayOfWeek(_ filter: RibbonFilter, accountID: AccountID) async throws -> [Int: Int] {
        // 1970-01-01 was a Thursday (4).
        let counts = try await grouped("CAST((c.sort_at / 86400000 + 4) % 7 AS BIGINT)", filter, accountID: accountID)
        return Dictionary(uniqueKeysWithValues: (0..<7).map { ($0, counts[Int64($0)] ?? 0) })
    }

    /// Ended calls per duration bucket, labelled as in `durationBucketLabels`.
    public func durationBuckets(_ filter: RibbonFilter, accountID: AccountID) async throws -> [String: Int] {
        let counts = try await grouped("""
            CAST(CASE WHEN \(Self.duration) < 30 THEN 0 WHEN \(Self.duration) < 60 THEN 1
                      WHEN \(Self.duration) < 180 THEN 2 WHEN \(Self.duration) < 300 THEN 3 ELSE 4 END AS BIGINT)
            """, filter, extra: "c.call_ended_at IS NOT NULL", accountID: accountID)
        return Dictionary(uniqueKeysWithValues: Self.durationBucketLabels.enumerated().map { ($1, counts[Int64($0)] ?? 0) })
    }

    private func grouped(_ key: SQLQueryString, _ filter: RibbonFilter, extra: SQLQueryString? = nil, accountID: AccountID) async throws -> [Int64: Int] {
        try await database.read { sql in
            var conditions = Self.conditions(filter, accountID: accountID)
            if let extra { conditions = [conditions, extra].joined(separator: " AND ") }
            var counts: [Int64: Int] = [:]
            for row in try await sql.raw("""
                SELECT \(key) AS k, COUNT(*) AS n FROM \(Self.sessions) WHERE \(conditions) GROUP BY \(key)
                """).all() {
                counts[try row.decode(column: "k", as: Int64.self)] = Int(try row.decode(column: "n", as: Int64.self))
            }
            return counts
        }
    }

    /// Customers with the most calls first (ties: the longer talk time, then the id).
    public func topCustomers(_ filter: RibbonFilter, limit: Int, accountID: AccountID) async throws -> [RibbonCustomerTotal] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT s.customer_id, MAX(s.customer_name) AS customer_name, MAX(s.phone_number) AS phone_number,
                       COUNT(*) AS calls, CAST(COALESCE(SUM(\(Self.duration)), 0) AS BIGINT) AS duration
                FROM \(Self.sessions) WHERE \(Self.conditions(filter, accountID: accountID)) AND s.customer_id IS NOT NULL
                GROUP BY s.customer_id ORDER BY calls DESC, duration DESC, s.customer_id LIMIT \(bind: limit)
                """).all().map { row in
                RibbonCustomerTotal(
                    customerID: try row.decode(column: "customer_id", as: String.self),
                    customerName: try row.decode(column: "customer_name", as: String?.self),
                    phoneNumber: try row.decode(column: "phone_number", as: String?.self),
                    callCount: Int(try row.decode(column: "calls", as: Int64.self)),
                    totalDuration: Int(try row.decode(column: "duration", as: Int64.self))
                )
            }
        }
    }

    /// Calls newest first (or oldest first), after `cursor` in that order.
    public func sessions(
        _ filter: RibbonFilter, accountID: AccountID, activeOnly: Bool = false,
        oldestFirst: Bool = false, after cursor: RibbonCursor? = nil, limit: Int
    ) async throws -> [RibbonSession] {
        try await database.read { sql in
            var conditions = Self.conditions(filter, accountID: accountID)
            if activeOnly { conditions = [conditions, "c.call_ended_at IS NULL"].joined(separator: " AND ") }
            if let cursor {
                let position: SQLQueryString = oldestFirst
                    ? "(c.sort_at > \(bind: cursor.sortAt) OR (c.sort_at = \(bind: cursor.sortAt) AND s.session_id > \(bind: cursor.sessionID)))"
                    : "(c.sort_at < \(bind: cursor.sortAt) OR (c.sort_at = \(bind: cursor.sortAt) AND s.session_id < \(bind: cursor.sessionID)))"
                conditions = [conditions, position].joined(separator: " AND ")
            }
            let order: SQLQueryString = oldestFirst ? "c.sort_at ASC, s.session_id ASC" : "c.sort_at DESC, s.session_id DESC"
            return try await sql.raw("""
                SELECT s.session_id, s.call_sid, s.call_direction, s.phone_number, s.customer_id, s.customer_name, s.customer_data,
                       c.sort_at, c.call_ended_at, c.status, \(Self.duration) AS duration
                FROM \(Self.sessions) WHERE \(conditions) ORDER BY \(order) LIMIT \(bind: limit)
                """).all().map(Self.decodeSession)
        }
    }

    static func decodeSession(_ row: any SQLRow) throws -> RibbonSession {
        let ended = try row.decode(column: "call_ended_at", as: Int64?.self).map(Timestamp.init(millisecondsSince1970:))
        let status = CallStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .unknown
        let state: RibbonCallState = ended == nil ? .active
            : [.noAnswer, .busy, .failed, .canceled].contains(status) ? .missed : .completed
        let sessionID = try row.decode(column: "session_id", as: String.self)
        let sortAt = try row.decode(column: "sort_at", as: Int64.self)
        return RibbonSession(
            sessionID: sessionID,
            callSid: try row.decode(column: "call_sid", as: String.self),
            startTime: Timestamp(millisecondsSince1970: sortAt),
            endTime: ended,
            durationSeconds: Int(try row.decode(column: "duration", as: Int64.self)),
            phoneNumber: try row.decode(column: "phone_number", as: String?.self),
            callDirection: try row.decode(column: "call_direction", as: String?.self),
            customerID: try row.decode(column: "customer_id", as: String?.self),
            customerName: try row.decode(column: "customer_name", as: String?.self),
            customerData: (try? JSONValue(parsing: try row.decode(column: "customer_data", as: String.self)))?.object ?? [:],
            state: state,
            cursor: RibbonCursor(sortAt: sortAt, sessionID: sessionID)
        )
    }

    static func logConditions(_ filter: RibbonFilter, accountID: AccountID) -> SQLQueryString {
        var parts: [SQLQueryString] = ["l.account_id = \(bind: accountID.rawValue)", "s.account_id = \(bind: accountID.rawValue)"]
        if let from = filter.from { parts.append("l.occurred_at >= \(bind: from.millisecondsSince1970)") }
        if let until = filter.until { parts.append("l.occurred_at < \(bind: until.millisecondsSince1970)") }
        if let customer = filter.customerID { parts.append("s.customer_id = \(bind: customer)") }
        if let direction = filter.callDirection { parts.append("s.call_direction = \(bind: direction)") }
        if let event = filter.event { parts.append("l.event = \(bind: event)") }
        return parts.joined(separator: " AND ")
    }

    /// Logged events newest first (ties: the later logged first): one page, and how many match in all.
    public func logs(_ filter: RibbonFilter, accountID: AccountID, offset: Int, limit: Int) async throws -> (entries: [RibbonLogEntry], total: Int) {
        try await database.read { sql in
            let conditions = Self.logConditions(filter, accountID: accountID)
            let total = try await sql.raw("""
                SELECT COUNT(*) AS n FROM ribbon_call_logs l JOIN ribbon_sessions s ON s.session_id = l.session_id WHERE \(conditions)
                """).first()?.decode(column: "n", as: Int64.self) ?? 0
            let entries = try await sql.raw("""
                SELECT l.log_id, l.event, l.occurred_at, l.session_id, \(unsafeRaw: StoredPayload.columns)
                FROM ribbon_call_logs l JOIN ribbon_sessions s ON s.session_id = l.session_id JOIN raw_events e ON e.id = l.raw_event_id
                \(unsafeRaw: StoredPayload.join)
                WHERE \(conditions) ORDER BY l.occurred_at DESC, l.raw_event_id DESC LIMIT \(bind: limit) OFFSET \(bind: offset)
                """).all().map(Self.decodeLog)
            return (entries, Int(total))
        }
    }

    /// The events of some sessions, oldest first.
    public func logs(ofSessions sessionIDs: [String], accountID: AccountID) async throws -> [RibbonLogEntry] {
        guard !sessionIDs.isEmpty else { return [] }
        return try await database.read { sql in
            let list = sessionIDs.map { id -> SQLQueryString in "\(bind: id)" }.joined(separator: ", ")
            return try await sql.raw("""
                SELECT l.log_id, l.event, l.occurred_at, l.session_id, \(unsafeRaw: StoredPayload.columns)
                FROM ribbon_call_logs l JOIN raw_events e ON e.id = l.raw_event_id \(unsafeRaw: StoredPayload.join)
                WHERE l.account_id = \(bind: accountID.rawValue) AND l.session_id IN (\(list))
                ORDER BY l.occurred_at ASC, l.raw_event_id ASC
                """).all().map(Self.decodeLog)
        }
    }

    static func decodeLog(_ row: any SQLRow) throws -> RibbonLogEntry {
        RibbonLogEntry(
            logID: try row.decode(column: "log_id", as: String.self),
            event: try row.decode(column: "event", as: String.self),
            occurredAt: Timestamp(millisecondsSince1970: try row.decode(column: "occurred_at", as: Int64.self)),
            sessionID: try row.decode(column: "session_id", as: String.self),
            payload: (try? JSONValue(parsing: try StoredPayload.text(row))) ?? .null
        )
    }

    /// Calls and talk time of every client, for the operator's overview.
    public func totalsByAccount() async throws -> [AccountID: RibbonAccountTotal] {
        try await database.read { sql in
            var totals: [AccountID: RibbonAccountTotal] = [:]
            for row in try await sql.raw("""
                SELECT s.account_id, COUNT(*) AS calls, CAST(COALESCE(SUM(\(Self.duration)), 0) AS BIGINT) AS duration
                FROM \(Self.sessions) GROUP BY s.account_id
                """).all() {
                totals[AccountID(rawValue: try row.decode(column: "account_id", as: String.self))] = RibbonAccountTotal(
                    calls: Int(try row.decode(column: "calls", as: Int64.self)),
                    duration: Int(try row.decode(column: "duration", as: Int64.self))
                )
            }
            return totals
        }
    }
}

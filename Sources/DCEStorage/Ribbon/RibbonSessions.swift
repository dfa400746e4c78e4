import DCEJSON
import DCEDomain
import Foundation
import SQLKit

/// What one ribbon event says about its call, besides the ledger's own fields.
public struct RibbonSessionFacts: Sendable, Hashable {
    public var callDirection: String?
    public var phoneNumber: String?
    public var customerID: String?
    public var customerName: String?
    /// The event's `customerData` object; merged key by key into the session's.
    public var customerData: [String: JSONValue]
    public var domain: String?

    public init(callDirection: String? = nil, phoneNumber: String? = nil, customerID: String? = nil,
                customerName: String? = nil, customerData: [String: JSONValue] = [:], domain: String? = nil) {
        self.callDirection = callDirection
        self.phoneNumber = phoneNumber
        self.customerID = customerID
        self.customerName = customerName
        self.customerData = customerData
        self.domain = domain
    }
}

/// A session as `claim` found or made it.
public struct RibbonSessionClaim: Sendable, Hashable {
    public let sessionID: String
    /// True when this event opened the session (and counted the call against the month).
    public let isNew: Bool
    /// Whether the ledger already knows the call was answered.
    public let answered: Bool
}

public enum RibbonUsageError: Error, Equatable, CustomStringConvertible {
    case monthlyLimitReached(limit: Int)

    public var description: String {
        switch self {
        case .monthlyLimitReached(let limit): "the monthly limit of \(limit) calls is used up"
        }
    }
}

/// Call sessions (one per `callSid`) and the log of ribbon events.
public struct RibbonSessions: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// Finds the session of `callSid`, or opens one if the month's limit allows another call.
    /// A call counts once, in the month it was first seen.
    public func claim(callSid: String, accountID: AccountID, monthlyLimit: Int, facts: RibbonSessionFacts, now: Timestamp = .now()) async throws -> RibbonSessionClaim {
        let engine = database.engine
        return try await database.write { sql in
            // Serialises claims of one client, so that two processes cannot both take the last call.
            if engine == .postgres {
                try await sql.raw("SELECT account_id FROM ribbon_clients WHERE account_id = \(bind: accountID.rawValue) FOR UPDATE").run()
            }
            if let row = try await sql.raw("""
                SELECT s.session_id, s.customer_data, c.call_answered_at FROM ribbon_sessions s
                LEFT JOIN calls c ON c.id = s.call_id
                WHERE s.account_id = \(bind: accountID.rawValue) AND s.call_sid = \(bind: callSid)
                """).first() {
                let sessionID = try row.decode(column: "session_id", as: String.self)
                let stored = (try? JSONValue(parsing: try row.decode(column: "customer_data", as: String.self)))?.object ?? [:]
                let merged = stored.merging(facts.customerData) { _, new in new }
                try await sql.raw("""
                    UPDATE ribbon_sessions SET
                        call_direction = COALESCE(\(bind: facts.callDirection), call_direction),
                        phone_number = COALESCE(\(bind: facts.phoneNumber), phone_number),
                        customer_id = COALESCE(\(bind: facts.customerID), customer_id),
                        customer_name = COALESCE(\(bind: facts.customerName), customer_name),
                        customer_data = \(bind: JSONValue.object(merged).text),
                        domain = COALESCE(\(bind: facts.domain), domain)
                    WHERE session_id = \(bind: sessionID)
                    """).run()
                return RibbonSessionClaim(sessionID: sessionID, isNew: false,
                                          answered: try !row.decodeNil(column: "call_answered_at"))
            }
            let month = UsageMonth.of(now)
            let used = try await sql.raw("""
                SELECT COUNT(*) AS n FROM ribbon_sessions WHERE account_id = \(bind: accountID.rawValue) AND usage_month = \(bind: month)
                """).first()?.decode(column: "n", as: Int64.self) ?? 0
            guard used < monthlyLimit else { throw RibbonUsageError.monthlyLimitReached(limit: monthlyLimit) }
            let sessionID = Token.make(prefix: "session")
            try await sql.raw("""
                INSERT INTO ribbon_sessions (session_id, account_id, call_sid, usage_month, call_direction, phone_number,
                                             customer_id, customer_name, customer_data, domain, created_at)
                VALUES (\(bind: sessionID), \(bind: accountID.rawValue), \(bind: callSid), \(bind: month), \(bind: facts.callDirection),
                        \(bind: facts.phoneNumber), \(bind: facts.customerID), \(bind: facts.customerName),
                        \(bind: JSONValue.object(facts.customerData).text), \(bind: facts.domain), \(bind: now.millisecondsSince1970))
                """).run()
            return RibbonSessionClaim(sessionID: sessionID, isNew: true, answered: false)
        }
    }

    /// Links the session to its ledger call and records the event in the log. Returns the
    /// log id; an event already logged (a repeated delivery) keeps its first id.
    public func log(event: String, sessionID: String, callID: CallID, rawEventID: Int64, occurredAt: Timestamp, accountID: AccountID) async throws -> String {
        try await database.write { sql in
            try await sql.raw("""
                UPDATE ribbon_sessions SET call_id = \(bind: callID.rawValue)
                WHERE session_id = \(bind: sessionID) AND account_id = \(bind: accountID.rawValue)
                """).run()
            let logID = "log-\(occurredAt.millisecondsSince1970 / 1000)-\(Token.random(length: 9))"
            try await sql.raw("""
                INSERT INTO ribbon_call_logs (log_id, account_id, session_id, raw_event_id, event, occurred_at)
                VALUES (\(bind: logID), \(bind: accountID.rawValue), \(bind: sessionID), \(bind: rawEventID), \(bind: event),
                        \(bind: occurredAt.millisecondsSince1970))
                ON CONFLICT (raw_event_id) DO NOTHING
                """).run()
            guard let row = try await sql.raw("""
                SELECT log_id FROM ribbon_call_logs WHERE raw_event_id = \(bind: rawEventID) AND account_id = \(bind: accountID.rawValue)
                """).first() else { throw LedgerError.lostRace("log of raw event \(rawEventID)") }
            return try row.decode(column: "log_id", as: String.self)
        }
    }
}

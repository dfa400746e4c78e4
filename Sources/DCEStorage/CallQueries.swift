import DCEDomain
import Foundation
import SQLKit

/// Filters for listing calls. Every list is scoped to one account.
public struct CallQuery: Sendable, Equatable {
    public var from: Timestamp?
    public var to: Timestamp?
    public var status: CallStatus?
    public var campaignID: String?
    public var publisherID: String?
    /// Every id calls may carry for the campaign or publisher asked for: the dce id and the
    /// vendors' ids of the same entity. Used instead of `campaignID`/`publisherID` when set.
    public var campaignAliases: [String] = []
    public var publisherAliases: [String] = []
    public var callerPhone: PhoneNumber?
    public var trackingNumber: PhoneNumber?
    public var limit: Int
    public var cursor: CallCursor?

    public static let maximumLimit = 500

    public init(
        from: Timestamp? = nil, to: Timestamp? = nil, status: CallStatus? = nil, campaignID: String? = nil,
        publisherID: String? = nil, callerPhone: PhoneNumber? = nil, trackingNumber: PhoneNumber? = nil,
        limit: Int = 50, cursor: CallCursor? = nil
    ) {
        self.from = from
        self.to = to
        self.status = status
        self.campaignID = campaignID
        self.publisherID = publisherID
        self.callerPhone = callerPhone
        self.trackingNumber = trackingNumber
        self.limit = limit
        self.cursor = cursor
    }
}

/// A position in the order calls are listed in: `sort_at` newest first, ties by id. It
/// holds exactly the columns of that order, read from the last row of a page, so that the
/// next page starts right after it whatever the call's displayed times are.
public struct CallCursor: Sendable, Equatable {
    public let sortAt: Int64
    public let callID: String

    public init(sortAt: Int64, callID: String) {
        self.sortAt = sortAt
        self.callID = callID
    }

    /// Call ids are short ASCII tokens; a cursor naming anything else was not issued here.
    static let maximumIDLength = 128
    static let maximumTokenLength = 256

    /// Opaque to clients: base64url of `sortAt:callID`.
    public var token: String {
        Data("\(sortAt):\(callID)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Reads a token from outside; nil for anything this API could not have issued.
    public init?(token: String) {
        guard !token.isEmpty, token.utf8.count <= Self.maximumTokenLength else { return nil }
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
              let colon = text.firstIndex(of: ":"), let sortAt = Int64(text[..<colon])
        else { return nil }
        let id = text[text.index(after: colon)...]
        guard !id.isEmpty, id.utf8.count <= Self.maximumIDLength, id.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else { return nil }
        self.init(sortAt: sortAt, callID: String(id))
    }

    /// The position of a `calls` row, from the columns the list is ordered by.
    init(row: any SQLRow) throws {
        self.init(sortAt: try row.decode(column: "sort_at", as: Int64.self), callID: try row.decode(column: "id", as: String.self))
    }
}

public struct CallPage: Sendable {
    public let calls: [CallRecord]
    public let nextCursor: CallCursor?
}

/// Totals over a set of calls.
public struct CallTotals: Sendable, Equatable {
    public var calls: Int
    public var answered: Int
    public var converted: Int
    public var durationSeconds: Int
    public var revenue: Money
    public var payout: Money

    public var averageDurationSeconds: Int { calls == 0 ? 0 : durationSeconds / calls }
    public var conversionRate: Double { calls == 0 ? 0 : Double(converted) / Double(calls) }
}

public struct DailyCount: Sendable, Equatable {
    public let day: Timestamp
    public let calls: Int
    public let converted: Int
    public let revenue: Money
}

extension Ledger {
    public func calls(_ query: CallQuery, accountID: AccountID) async throws -> CallPage {
        let limit = max(1, min(query.limit, CallQuery.maximumLimit))
        return try await database.read { sql in
            var conditions = Self.conditions(for: query, accountID: accountID)
            if let cursor = query.cursor {
                conditions.append("(sort_at < \(bind: cursor.sortAt) OR (sort_at = \(bind: cursor.sortAt) AND id < \(bind: cursor.callID)))")
            }
            let rows = try await sql.raw("""
                SELECT * FROM calls WHERE \(conditions.joined(separator: " AND "))
                ORDER BY sort_at DESC, id DESC LIMIT \(bind: limit + 1)
                """).all()
            let page = rows.prefix(limit)
            let calls = try page.map(CallRow.decode)
            let next = try rows.count > limit ? page.last.map(CallCursor.init(row:)) : nil
            return CallPage(calls: calls, nextCursor: next)
        }
    }

    public func totals(_ query: CallQuery, accountID: AccountID) async throws -> CallTotals {
        try await database.read { sql in
            let conditions = Self.conditions(for: query, accountID: accountID)
            let row = try await sql.raw("""
                SELECT COUNT(*) AS calls,
                       CAST(COALESCE(SUM(CASE WHEN call_answered_at IS NOT NULL OR status IN ('answered', 'completed') THEN 1 ELSE 0 END), 0) AS BIGINT) AS answered,
                       CAST(COALESCE(SUM(CASE WHEN converted = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS converted,
                       CAST(COALESCE(SUM(duration_seconds), 0) AS BIGINT) AS duration,
                       CAST(COALESCE(SUM(revenue_cents), 0) AS BIGINT) AS revenue,
                       CAST(COALESCE(SUM(payout_cents), 0) AS BIGINT) AS payout
                FROM calls WHERE \(conditions.joined(separator: " AND "))
                """).first()
            guard let row else { return CallTotals(calls: 0, answered: 0, converted: 0, durationSeconds: 0, revenue: .zero, payout: .zero) }
            return CallTotals(
                calls: Int(try row.decode(column: "calls", as: Int64.self)),
                answered: Int(try row.decode(column: "answered", as: Int64.self)),
                converted: Int(try row.decode(column: "converted", as: Int64.self)),
                durationSeconds: Int(try row.decode(column: "duration", as: Int64.self)),
                revenue: Money(cents: try row.decode(column: "revenue", as: Int64.self)),
                payout: Money(cents: try row.decode(column: "payout", as: Int64.self))
            )
        }
    }

    /// Calls per UTC day, oldest first.
    public func daily(_ query: CallQuery, accountID: AccountID) async throws -> [DailyCount] {
        try await database.read { sql in
            let conditions = Self.conditions(for: query, accountID: accountID)
            return try await sql.raw("""
                SELECT CAST(sort_at / 86400000 AS BIGINT) AS day, COUNT(*) AS calls,
                       CAST(COALESCE(SUM(CASE WHEN converted = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS converted,
                       CAST(COALESCE(SUM(revenue_cents), 0) AS BIGINT) AS revenue
                FROM calls WHERE \(conditions.joined(separator: " AND "))
                GROUP BY CAST(sort_at / 86400000 AS BIGINT) ORDER BY day
                """).all().map { row in
                DailyCount(
                    day: Timestamp(millisecondsSince1970: try row.decode(column: "day", as: Int64.self) * 86_400_000),
                    calls: Int(try row.decode(column: "calls", as: Int64.self)),
                    converted: Int(try row.decode(column: "converted", as: Int64.self)),
                    revenue: Money(cents: try row.decode(column: "revenue", as: Int64.self))
                )
            }
        }
    }

    /// Distinct values of a column, for filter menus.
    public func distinctCampaignsAndPublishers(accountID: AccountID) async throws -> (campaigns: [String], publishers: [String]) {
        try await database.read { sql in
            let campaigns = try await sql.raw("""
                SELECT DISTINCT campaign_id AS v FROM calls WHERE account_id = \(bind: accountID.rawValue) AND campaign_id IS NOT NULL ORDER BY v LIMIT 200
                """).all().map { try $0.decode(column: "v", as: String.self) }
            let publishers = try await sql.raw("""
                SELECT DISTINCT publisher_id AS v FROM calls WHERE account_id = \(bind: accountID.rawValue) AND publisher_id IS NOT NULL ORDER BY v LIMIT 200
                """).all().map { try $0.decode(column: "v", as: String.self) }
            return (campaigns, publishers)
        }
    }

    static func conditions(for query: CallQuery, accountID: AccountID) -> [SQLQueryString] {
        var conditions: [SQLQueryString] = ["account_id = \(bind: accountID.rawValue)"]
        if let from = query.from { conditions.append("sort_at >= \(bind: from.millisecondsSince1970)") }
        if let to = query.to { conditions.append("sort_at < \(bind: to.millisecondsSince1970)") }
        if let status = query.status { conditions.append("status = \(bind: status.rawValue)") }
        if !query.campaignAliases.isEmpty {
            conditions.append("campaign_id IN (\(binds: query.campaignAliases))")
        } else if let campaign = query.campaignID {
            conditions.append("campaign_id = \(bind: campaign)")
        }
        if !query.publisherAliases.isEmpty {
            conditions.append("publisher_id IN (\(binds: query.publisherAliases))")
        } else if let publisher = query.publisherID {
            conditions.append("publisher_id = \(bind: publisher)")
        }
        if let caller = query.callerPhone { conditions.append("caller_phone = \(bind: caller.e164)") }
        if let tracking = query.trackingNumber { conditions.append("tracking_number = \(bind: tracking.e164)") }
        return conditions
    }
}

/// Reads a `calls` row into a `CallRecord`.
enum CallRow {
    static func decode(_ row: any SQLRow) throws -> CallRecord {
        func phone(_ column: String) throws -> PhoneNumber? {
            try row.decode(column: column, as: String?.self).flatMap { try? PhoneNumber(parsing: $0) }
        }
        func time(_ column: String) throws -> Timestamp? {
            try row.decode(column: column, as: Int64?.self).map(Timestamp.init(millisecondsSince1970:))
        }
        let metadata = try row.decode(column: "call_metadata", as: String.self)
        let tags = (try? Tags(storedJSON: metadata)) ?? Tags()
        let fields = CallFields(
            callerPhone: try phone("caller_phone"),
            trackingNumber: try phone("tracking_number"),
            destinationNumber: try phone("destination_number"),
            durationSeconds: try row.decode(column: "duration_seconds", as: Int64?.self).map(Int.init),
            callStartedAt: try time("call_started_at"),
            callAnsweredAt: try time("call_answered_at"),
            callEndedAt: try time("call_ended_at"),
            status: CallStatus(rawValue: try row.decode(column: "status", as: String.self)),
            campaignID: try row.decode(column: "campaign_id", as: String?.self),
            publisherID: try row.decode(column: "publisher_id", as: String?.self),
            targetID: try row.decode(column: "target_id", as: String?.self),
            callerState: try row.decode(column: "caller_state", as: String?.self),
            revenue: try row.decode(column: "revenue_cents", as: Int64?.self).map(Money.init(cents:)),
            payout: try row.decode(column: "payout_cents", as: Int64?.self).map(Money.init(cents:)),
            converted: try row.decode(column: "converted", as: Int64?.self).map { $0 == 1 },
            recordingURL: try row.decode(column: "recording_url", as: String?.self),
            tags: tags
        )
        return CallRecord(
            id: CallID(rawValue: try row.decode(column: "id", as: String.self)),
            accountID: AccountID(rawValue: try row.decode(column: "account_id", as: String.self)),
            source: Source(rawValue: try row.decode(column: "source", as: String.self)),
            externalCallID: try row.decode(column: "external_call_id", as: String.self),
            fields: fields,
            eventCount: Int(try row.decode(column: "event_count", as: Int64.self)),
            createdAt: Timestamp(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Timestamp(millisecondsSince1970: try row.decode(column: "updated_at", as: Int64.self))
        )
    }
}

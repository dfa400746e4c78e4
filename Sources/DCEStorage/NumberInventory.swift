import DCEDomain
import Foundation
import SQLKit

public enum NumberInventoryError: Error, Equatable, CustomStringConvertible {
    case alreadyExists(PhoneNumber)

    public var description: String {
        switch self {
        case .alreadyExists(let number): "\(number) is already in the inventory"
        }
    }
}

public struct StoredTrackingNumber: Sendable, Hashable {
    public let number: TrackingNumber
    public let createdAt: Timestamp
    public let updatedAt: Timestamp
}

/// An account's tracking numbers.
public struct NumberInventory: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// Adds a number; refuses one already present.
    public func add(_ number: TrackingNumber, accountID: AccountID) async throws -> StoredTrackingNumber {
        let now = Timestamp.now()
        return try await database.write { sql in
            let inserted = try await sql.raw("""
                INSERT INTO tracking_numbers (account_id, number, label, campaign_id, pool_id, kind, number_use, area_code, state, created_at, updated_at)
                VALUES (\(bind: accountID.rawValue), \(bind: number.number.e164), \(bind: number.label), \(bind: number.campaignID),
                        \(bind: number.poolID), \(bind: number.kind.rawValue), \(bind: number.use.rawValue), \(bind: number.areaCode), \(bind: number.state),
                        \(bind: now.millisecondsSince1970), \(bind: now.millisecondsSince1970))
                ON CONFLICT (account_id, number) DO NOTHING
                RETURNING number
                """).first()
            guard inserted != nil else { throw NumberInventoryError.alreadyExists(number.number) }
            return StoredTrackingNumber(number: number, createdAt: now, updatedAt: now)
        }
    }

    /// Creates or replaces a number. Returns the stored number and whether it was new.
    public func put(_ number: TrackingNumber, accountID: AccountID) async throws -> (StoredTrackingNumber, created: Bool) {
        try await database.write { sql in
            try await Self.upsert(number, accountID: accountID, on: sql)
        }
    }

    /// Creates or replaces many numbers in one transaction (CSV import).
    public func importNumbers(_ numbers: [TrackingNumber], accountID: AccountID) async throws -> (created: Int, updated: Int) {
        try await database.write { sql in
            var created = 0
            for number in numbers where try await Self.upsert(number, accountID: accountID, on: sql).created { created += 1 }
            return (created, numbers.count - created)
        }
    }

    static func upsert(_ number: TrackingNumber, accountID: AccountID, on sql: any SQLDatabase) async throws -> (StoredTrackingNumber, created: Bool) {
        let now = Timestamp.now().millisecondsSince1970
        let existing = try await sql.raw("""
            SELECT created_at FROM tracking_numbers WHERE account_id = \(bind: accountID.rawValue) AND number = \(bind: number.number.e164)
            """).first().map { try $0.decode(column: "created_at", as: Int64.self) }
        try await sql.raw("""
            INSERT INTO tracking_numbers (account_id, number, label, campaign_id, pool_id, kind, number_use, area_code, state, created_at, updated_at)
            VALUES (\(bind: accountID.rawValue), \(bind: number.number.e164), \(bind: number.label), \(bind: number.campaignID),
                    \(bind: number.poolID), \(bind: number.kind.rawValue), \(bind: number.use.rawValue), \(bind: number.areaCode), \(bind: number.state),
                    \(bind: now), \(bind: now))
            ON CONFLICT (account_id, number) DO UPDATE SET
                label = EXCLUDED.label, campaign_id = EXCLUDED.campaign_id, pool_id = EXCLUDED.pool_id,
                kind = EXCLUDED.kind, number_use = EXCLUDED.number_use, area_code = EXCLUDED.area_code, state = EXCLUDED.state, updated_at = EXCLUDED.updated_at
            """).run()
        let stored = StoredTrackingNumber(
            number: number,
            createdAt: Timestamp(millisecondsSince1970: existing ?? now),
            updatedAt: Timestamp(millisecondsSince1970: now)
        )
        return (stored, existing == nil)
    }

    public func number(_ number: PhoneNumber, accountID: AccountID) async throws -> StoredTrackingNumber? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM tracking_numbers WHERE account_id = \(bind: accountID.rawValue) AND number = \(bind: number.e164)
                """).first().map(Self.decode)
        }
    }

    /// Removes a number; returns whether it existed.
    @discardableResult
    public func remove(_ number: PhoneNumber, accountID: AccountID) async throws -> Bool {
        try await database.write { sql in
            try await sql.raw("""
                DELETE FROM tracking_numbers WHERE account_id = \(bind: accountID.rawValue) AND number = \(bind: number.e164)
                RETURNING number
                """).first() != nil
        }
    }

    public struct Filter: Sendable {
        public var campaignID: String?
        public var poolID: String?
        public var kind: TrackingNumber.Kind?
        public var use: TrackingNumber.Use?
        /// Numbers after this one, in E.164 order.
        public var after: PhoneNumber?
        public var limit: Int

        public init(campaignID: String? = nil, poolID: String? = nil, kind: TrackingNumber.Kind? = nil, after: PhoneNumber? = nil, limit: Int = 100) {
            self.campaignID = campaignID
            self.poolID = poolID
            self.kind = kind
            self.after = after
            self.limit = limit
        }
    }

    public func list(_ filter: Filter, accountID: AccountID) async throws -> [StoredTrackingNumber] {
        try await database.read { sql in
            var conditions: [SQLQueryString] = ["account_id = \(bind: accountID.rawValue)"]
            if let campaign = filter.campaignID { conditions.append("campaign_id = \(bind: campaign)") }
            if let pool = filter.poolID { conditions.append("pool_id = \(bind: pool)") }
            if let kind = filter.kind { conditions.append("kind = \(bind: kind.rawValue)") }
            if let use = filter.use { conditions.append("number_use = \(bind: use.rawValue)") }
            if let after = filter.after { conditions.append("number > \(bind: after.e164)") }
            return try await sql.raw("""
                SELECT * FROM tracking_numbers WHERE \(conditions.joined(separator: " AND "))
                ORDER BY number LIMIT \(bind: max(1, min(filter.limit, 1000)))
                """).all().map(Self.decode)
        }
    }

    static func decode(_ row: any SQLRow) throws -> StoredTrackingNumber {
        let number = try PhoneNumber(parsing: try row.decode(column: "number", as: String.self))
        return StoredTrackingNumber(
            number: TrackingNumber(
                number: number,
                label: try row.decode(column: "label", as: String?.self),
                campaignID: try row.decode(column: "campaign_id", as: String?.self),
                poolID: try row.decode(column: "pool_id", as: String?.self),
                kind: TrackingNumber.Kind(rawValue: try row.decode(column: "kind", as: String.self)),
                areaCode: try row.decode(column: "area_code", as: String?.self),
                state: try row.decode(column: "state", as: String?.self),
                use: TrackingNumber.Use(rawValue: try row.decode(column: "number_use", as: String.self))
            ),
            createdAt: Timestamp(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Timestamp(millisecondsSince1970: try row.decode(column: "updated_at", as: Int64.self))
        )
    }
}

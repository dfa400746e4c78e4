import DCEDomain
import SQLKit

/// Reads webhook decoding needs from what the ledger and the inventory already hold.
public struct WebhookLookups: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// The campaign a RingCentral call belongs to. The label RingCentral sends (the
    /// standard destination number) decides first: the inventory entry for that number,
    /// or any number labelled with it, names the campaign. Otherwise the called tracking
    /// number's own entry does, directly or through its label.
    public func campaign(label: String?, trackingNumber: PhoneNumber?, accountID: AccountID) async throws -> String? {
        try await database.read { sql in
            if let label, let campaign = try await Self.campaign(forLabel: label, accountID: accountID, on: sql) {
                return campaign
            }
            guard let trackingNumber else { return nil }
            guard let row = try await sql.raw("""
                SELECT campaign_id, label FROM tracking_numbers
                WHERE account_id = \(bind: accountID.rawValue) AND number = \(bind: trackingNumber.e164)
                """).first()
            else { return nil }
            if let campaign = try row.decode(column: "campaign_id", as: String?.self) { return campaign }
            guard let ownLabel = try row.decode(column: "label", as: String?.self) else { return nil }
            return try await Self.campaign(forLabel: ownLabel, accountID: accountID, on: sql)
        }
    }

    static func campaign(forLabel label: String, accountID: AccountID, on sql: any SQLDatabase) async throws -> String? {
        let asNumber = (try? PhoneNumber(parsing: label))?.e164 ?? label
        return try await sql.raw("""
            SELECT campaign_id FROM tracking_numbers
            WHERE account_id = \(bind: accountID.rawValue) AND campaign_id IS NOT NULL
              AND (number = \(bind: asNumber) OR label = \(bind: label) OR label = \(bind: asNumber))
            ORDER BY CASE WHEN number = \(bind: asNumber) THEN 0 ELSE 1 END, number
            LIMIT 1
            """).first().map { try $0.decode(column: "campaign_id", as: String.self) }
    }

    /// The vendor call id an already stored event was filed under (Invoca corrections
    /// find their call through the transaction they correct).
    public func externalCallID(forKey key: String, accountID: AccountID) async throws -> String? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT external_call_id FROM raw_events
                WHERE account_id = \(bind: accountID.rawValue) AND idempotency_key = \(bind: key)
                """).first().map { try $0.decode(column: "external_call_id", as: String.self) }
        }
    }
}

import DCEDomain
import SQLKit

/// Reads webhook decoding needs from what the ledger and the inventory already hold.
public struct WebhookLookups: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

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

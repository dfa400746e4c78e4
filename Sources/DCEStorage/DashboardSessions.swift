import DCEDomain
import Foundation
import SQLKit

/// A dashboard sign-in: the id goes into the browser's cookie, and is shown nowhere else.
public struct OpenedDashboardSession: Sendable, Hashable {
    public let id: String
    public let accountID: AccountID
    public let expiresAt: Timestamp
}

/// Dashboard sessions, opened with an API key and named by a random id afterwards, so the
/// key never sits in a cookie. The database keeps the id's hash only (`SecretHash`, the
/// same keyed hash as API keys). A session ends when it expires, at logout, or when the key
/// that opened it is revoked.
public struct DashboardSessions: Sendable {
    let database: any Database
    public let lifetimeSeconds: Int64

    public static let defaultLifetimeSeconds: Int64 = 12 * 3600

    public init(database: any Database, lifetimeSeconds: Int64 = defaultLifetimeSeconds) {
        self.database = database
        self.lifetimeSeconds = lifetimeSeconds
    }

    /// Opens a session for a valid, unrevoked key; nil for any other key. Sessions that
    /// are over are cleared at the same time, so the table holds live ones only.
    public func open(key presented: String, now: Timestamp = .now()) async throws -> OpenedDashboardSession? {
        guard let prefix = APIKeyFormat.prefix(of: presented) else { return nil }
        let id = Token.random(length: 40)
        let expires = now.adding(seconds: lifetimeSeconds)
        return try await database.write { sql in
            guard let row = try await sql.raw("""
                SELECT id, account_id, key_hash FROM api_keys WHERE prefix = \(bind: prefix) AND revoked_at IS NULL
                """).first(),
                SecretHash.matches(presented, hex: try row.decode(column: "key_hash", as: String.self))
            else { return nil }
            let accountID = AccountID(rawValue: try row.decode(column: "account_id", as: String.self))
            try await sql.raw("DELETE FROM dashboard_sessions WHERE expires_at <= \(bind: now.millisecondsSince1970)").run()
            try await sql.raw("""
                INSERT INTO dashboard_sessions (id_hash, account_id, api_key_id, created_at, expires_at)
                VALUES (\(bind: SecretHash.hex(of: id)), \(bind: accountID.rawValue), \(bind: try row.decode(column: "id", as: String.self)),
                        \(bind: now.millisecondsSince1970), \(bind: expires.millisecondsSince1970))
                """).run()
            return OpenedDashboardSession(id: id, accountID: accountID, expiresAt: expires)
        }
    }

    /// The account of a live session whose key is still valid; nil otherwise.
    public func account(sessionID: String, now: Timestamp = .now()) async throws -> AccountID? {
        // Ids are made 40 characters long; anything else is no id of ours, and not looked up.
        guard sessionID.utf8.count == 40 else { return nil }
        return try await database.read { sql in
            try await sql.raw("""
                SELECT s.account_id FROM dashboard_sessions s JOIN api_keys k ON k.id = s.api_key_id
                WHERE s.id_hash = \(bind: SecretHash.hex(of: sessionID)) AND s.expires_at > \(bind: now.millisecondsSince1970)
                  AND k.revoked_at IS NULL
                """).first().map { AccountID(rawValue: try $0.decode(column: "account_id", as: String.self)) }
        }
    }

    /// Ends the session (logout). Returns whether there was one.
    @discardableResult
    public func close(sessionID: String) async throws -> Bool {
        try await database.write { sql in
            try await sql.raw("""
                DELETE FROM dashboard_sessions WHERE id_hash = \(bind: SecretHash.hex(of: sessionID)) RETURNING id_hash
                """).first() != nil
        }
    }
}

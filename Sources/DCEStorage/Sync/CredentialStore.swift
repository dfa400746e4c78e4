import DCEDomain
import Foundation
import SQLKit

/// An integration's API access to its vendor: the keys the account gave (decrypted), where
/// the vendor's API is when not its production address, and how often to sync.
public struct StoredCredentials: Sendable, Hashable {
    public var integrationID: String
    public var accountID: AccountID
    public var values: [String: String]
    public var apiBaseURL: String?
    public var syncIntervalSeconds: Int?
    public var updatedAt: Timestamp

    public init(
        integrationID: String, accountID: AccountID, values: [String: String], apiBaseURL: String? = nil,
        syncIntervalSeconds: Int? = nil, updatedAt: Timestamp = .now()
    ) {
        self.integrationID = integrationID
        self.accountID = accountID
        self.values = values
        self.apiBaseURL = apiBaseURL
        self.syncIntervalSeconds = syncIntervalSeconds
        self.updatedAt = updatedAt
    }
}

/// What the API shows of an integration's credentials: the key names, never a value.
public struct CredentialSummary: Sendable, Hashable {
    public var keyNames: [String]
    public var apiBaseURL: String?
    public var syncIntervalSeconds: Int?
    public var updatedAt: Timestamp
}

public enum CredentialStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Credentials are only ever stored sealed, so without a key there is nothing to seal with.
    case noSecretKey
    /// The stored credentials were sealed with another key.
    case unreadable(integrationID: String)

    public var description: String {
        switch self {
        case .noSecretKey:
            "no \(SecretBox.variable) is configured: vendor credentials are stored only encrypted; set \(SecretBox.variable) to 64 hexadecimal characters (openssl rand -hex 32)"
        case .unreadable(let id):
            "the credentials of integration \(id) cannot be opened with this \(SecretBox.variable) (sealed with another key?); set them again"
        }
    }
}

/// Integrations' vendor credentials, sealed with `SecretBox` at rest.
public struct CredentialStore: Sendable {
    let database: any Database
    let box: SecretBox?

    public init(database: any Database, box: SecretBox?) {
        self.database = database
        self.box = box
    }

    /// Stores (or replaces) the integration's credentials.
    /// Stores an integration's credentials, replacing any before. Its sync starts afresh.
    public func set(_ credentials: StoredCredentials) async throws {
        guard let box else { throw CredentialStoreError.noSecretKey }
        let sealed = box.seal(try Self.json(credentials.values))
        let names = try Self.json(credentials.values.keys.sorted())
        let interval = credentials.syncIntervalSeconds.map(Int64.init)
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO integration_credentials (integration_id, account_id, sealed, key_names, api_base_url, sync_interval_seconds, updated_at)
                VALUES (\(bind: credentials.integrationID), \(bind: credentials.accountID.rawValue), \(bind: sealed), \(bind: names),
                        \(bind: credentials.apiBaseURL), \(bind: interval), \(bind: credentials.updatedAt.millisecondsSince1970))
                ON CONFLICT (integration_id) DO UPDATE SET
                    account_id = excluded.account_id, sealed = excluded.sealed, key_names = excluded.key_names,
                    api_base_url = excluded.api_base_url, sync_interval_seconds = excluded.sync_interval_seconds,
                    updated_at = excluded.updated_at
                """).run()
            // New credentials are a new start: the breaker the old ones opened closes, their
            // token is dropped, and the next run is due at once.
            try await sql.raw("""
                UPDATE sync_state SET breaker = \(bind: BreakerState.closed.rawValue), breaker_until = NULL, failures = 0,
                    token_sealed = NULL, next_run_at = \(bind: credentials.updatedAt.millisecondsSince1970)
                WHERE integration_id = \(bind: credentials.integrationID)
                """).run()
        }
    }

    /// The integration's credentials, decrypted; nil when it has none.
    public func credentials(integrationID: String) async throws -> StoredCredentials? {
        let row = try await database.read { sql in
            try await sql.raw("SELECT * FROM integration_credentials WHERE integration_id = \(bind: integrationID)").first()
        }
        guard let row else { return nil }
        guard let box else { throw CredentialStoreError.noSecretKey }
        let values: [String: String]
        do {
            let text = try box.open(try row.decode(column: "sealed", as: String.self))
            values = try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
        } catch {
            throw CredentialStoreError.unreadable(integrationID: integrationID)
        }
        let summary = try Self.summary(row)
        return StoredCredentials(
            integrationID: integrationID, accountID: AccountID(rawValue: try row.decode(column: "account_id", as: String.self)),
            values: values, apiBaseURL: summary.apiBaseURL, syncIntervalSeconds: summary.syncIntervalSeconds, updatedAt: summary.updatedAt
        )
    }

    /// The names of the keys the account gave, for the API; nil when it gave none. Needs no key.
    public func keyNames(integrationID: String, accountID: AccountID) async throws -> [String]? {
        try await summary(integrationID: integrationID, accountID: accountID)?.keyNames
    }

    /// What the API shows of one integration's credentials; nil when it has none.
    public func summary(integrationID: String, accountID: AccountID) async throws -> CredentialSummary? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT key_names, api_base_url, sync_interval_seconds, updated_at FROM integration_credentials
                WHERE integration_id = \(bind: integrationID) AND account_id = \(bind: accountID.rawValue)
                """).first().map(Self.summary)
        }
    }

    /// The summaries of all the account's integrations that have credentials, by integration id.
    public func summaries(accountID: AccountID) async throws -> [String: CredentialSummary] {
        try await database.read { sql in
            let rows = try await sql.raw("""
                SELECT integration_id, key_names, api_base_url, sync_interval_seconds, updated_at FROM integration_credentials
                WHERE account_id = \(bind: accountID.rawValue)
                """).all()
            var found: [String: CredentialSummary] = [:]
            for row in rows { found[try row.decode(column: "integration_id", as: String.self)] = try Self.summary(row) }
            return found
        }
    }

    static func summary(_ row: any SQLRow) throws -> CredentialSummary {
        let names = try row.decode(column: "key_names", as: String.self)
        return CredentialSummary(
            keyNames: (try? JSONDecoder().decode([String].self, from: Data(names.utf8))) ?? [],
            apiBaseURL: try row.decode(column: "api_base_url", as: String?.self),
            syncIntervalSeconds: try row.decode(column: "sync_interval_seconds", as: Int64?.self).flatMap { Int(exactly: $0) },
            updatedAt: Timestamp(millisecondsSince1970: try row.decode(column: "updated_at", as: Int64.self))
        )
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

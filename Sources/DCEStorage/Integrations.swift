import DCEDomain
import Foundation
import SQLKit

/// One connection of an account to one vendor: its webhook URL is
/// `/webhooks/<vendor>/<id>`. The secret authenticates deliveries (a URL or header token,
/// RingCentral's verification token, or the Standard Webhooks signing key). Signatures need
/// it itself, not a hash: with a `DCE_SECRET_KEY` it is stored sealed (`SecretBox`), without
/// one as given; both read back the same. It is shown only once, when it is created or set.
/// Every new integration gets one; a row without one (made before secrets were required)
/// accepts no deliveries until `setSecret` gives it one.
public struct Integration: Sendable, Hashable {
    public let id: String
    public let accountID: AccountID
    public let vendor: String
    public let name: String
    public let fieldMapping: [String: String]
    public let secret: String?
    public let createdAt: Timestamp

    public var webhookPath: String { "/webhooks/\(vendor)/\(id)" }
}

public enum IntegrationError: Error, Equatable, CustomStringConvertible {
    case nameTaken(String)

    public var description: String {
        switch self {
        case .nameTaken(let name): "an integration named '\(name)' already exists in this account"
        }
    }
}

/// An account's integrations.
public struct IntegrationStore: Sendable {
    let database: any Database
    /// Seals new and changed secrets and opens sealed ones; nil keeps new ones plain.
    let box: SecretBox?

    public init(database: any Database, box: SecretBox? = nil) {
        self.database = database
        self.box = box
    }

    public func create(accountID: AccountID, vendor: String, name: String, fieldMapping: [String: String], secret: String) async throws -> Integration {
        let integration = Integration(
            id: Token.make(prefix: "int"), accountID: accountID, vendor: vendor, name: name,
            fieldMapping: fieldMapping, secret: secret, createdAt: .now()
        )
        let mapping = String(decoding: try JSONEncoder.ledger.encode(fieldMapping), as: UTF8.self)
        let stored = stored(secret)
        return try await database.write { sql in
            let inserted = try await sql.raw("""
                INSERT INTO integrations (id, account_id, vendor, name, field_mapping, secret, created_at)
                VALUES (\(bind: integration.id), \(bind: accountID.rawValue), \(bind: vendor), \(bind: name), \(bind: mapping),
                        \(bind: stored), \(bind: integration.createdAt.millisecondsSince1970))
                ON CONFLICT (account_id, name) DO NOTHING
                RETURNING id
                """).first()
            guard inserted != nil else { throw IntegrationError.nameTaken(name) }
            return integration
        }
    }

    /// The integration with this id, in any account: the webhook URL is what names it.
    public func integration(id: String) async throws -> Integration? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM integrations WHERE id = \(bind: id)").first().map(decode)
        }
    }

    public func list(accountID: AccountID) async throws -> [Integration] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM integrations WHERE account_id = \(bind: accountID.rawValue) ORDER BY created_at, id
                """).all().map(decode)
        }
    }

    /// Gives the account's integration a new secret; the old one stops working at once
    /// (within the webhook route's short cache). Returns the integration, nil when the
    /// account has no integration with this id.
    public func setSecret(_ secret: String, id: String, accountID: AccountID) async throws -> Integration? {
        let stored = stored(secret)
        return try await database.write { sql in
            try await sql.raw("""
                UPDATE integrations SET secret = \(bind: stored)
                WHERE id = \(bind: id) AND account_id = \(bind: accountID.rawValue)
                RETURNING *
                """).first().map(decode)
        }
    }

    @discardableResult
    public func remove(id: String, accountID: AccountID) async throws -> Bool {
        try await database.write { sql in
            try await sql.raw("""
                DELETE FROM integrations WHERE id = \(bind: id) AND account_id = \(bind: accountID.rawValue) RETURNING id
                """).first() != nil
        }
    }

    /// The secret as the column holds it: sealed when there is a key.
    func stored(_ secret: String) -> String { box?.seal(secret) ?? secret }

    /// The secret a column holds, opened. A sealed one that cannot be opened (no key, or
    /// another key) is no secret at all, so the integration takes no deliveries until it
    /// is given a new one, rather than accepting the sealed text itself as a token.
    func secret(stored: String?) -> String? {
        guard let stored, SecretBox.isSealed(stored) else { return stored }
        guard let box, let secret = try? box.open(stored) else {
            database.logger.error("an integration's webhook secret is sealed with another DCE_SECRET_KEY or none is set; it accepts no deliveries")
            return nil
        }
        return secret
    }

    func decode(_ row: any SQLRow) throws -> Integration {
        let mappingText = try row.decode(column: "field_mapping", as: String.self)
        return Integration(
            id: try row.decode(column: "id", as: String.self),
            accountID: AccountID(rawValue: try row.decode(column: "account_id", as: String.self)),
            vendor: try row.decode(column: "vendor", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            fieldMapping: (try? JSONDecoder().decode([String: String].self, from: Data(mappingText.utf8))) ?? [:],
            secret: secret(stored: try row.decode(column: "secret", as: String?.self)),
            createdAt: Timestamp(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self))
        )
    }
}

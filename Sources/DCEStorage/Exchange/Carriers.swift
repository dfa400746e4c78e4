import Crypto
import DCEDomain
import Foundation
import SQLKit

/// The carrier platforms whose voice webhooks dce answers.
public enum CarrierKind: String, Sendable, Hashable, Codable, CaseIterable {
    case twilio, signalwire, telnyx

    /// Telnyx signs with its own key pair and tells the account the public key; Twilio
    /// and SignalWire sign with the account's auth token.
    public var usesPublicKey: Bool { self == .telnyx }
}

/// An account's carrier: what authenticates the voice webhooks it sends. The auth token
/// (or Telnyx public key) is kept as given, since signatures need it, and never shown
/// again; of the URL token only a SHA-256 hash is kept.
public struct Carrier: Sendable, Hashable {
    public let id: String
    public let accountID: AccountID
    public let kind: CarrierKind
    public let name: String
    public let authToken: String
    public let urlTokenHash: String
    public let createdAt: Timestamp

    /// The hash a URL token is kept and compared as.
    public static func hash(urlToken: String) -> String {
        SHA256.hash(data: Data(urlToken.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

public enum CarrierError: Error, Equatable, CustomStringConvertible {
    case nameTaken(String)

    public var description: String {
        switch self {
        case .nameTaken(let name): "a carrier named '\(name)' already exists in this account"
        }
    }
}

/// An account's carriers.
public struct CarrierStore: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// Adds a carrier and returns it with its URL token, which is shown once.
    public func create(accountID: AccountID, kind: CarrierKind, name: String, authToken: String, now: Timestamp = .now()) async throws -> (carrier: Carrier, urlToken: String) {
        let urlToken = "vt_" + Token.random(length: 32)
        let carrier = Carrier(
            id: Token.make(prefix: "car"), accountID: accountID, kind: kind, name: name,
            authToken: authToken, urlTokenHash: Carrier.hash(urlToken: urlToken), createdAt: now
        )
        return try await database.write { sql in
            let inserted = try await sql.raw("""
                INSERT INTO carriers (id, account_id, kind, name, auth_token, url_token_hash, created_at)
                VALUES (\(bind: carrier.id), \(bind: accountID.rawValue), \(bind: kind.rawValue), \(bind: name),
                        \(bind: authToken), \(bind: carrier.urlTokenHash), \(bind: now.millisecondsSince1970))
                ON CONFLICT (account_id, name) DO NOTHING
                RETURNING id
                """).first()
            guard inserted != nil else { throw CarrierError.nameTaken(name) }
            return (carrier, urlToken)
        }
    }

    public func list(accountID: AccountID) async throws -> [Carrier] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM carriers WHERE account_id = \(bind: accountID.rawValue) ORDER BY created_at, id
                """).all().map(Self.decode)
        }
    }

    /// Removes the account's carrier; false when it has none with this id.
    @discardableResult
    public func delete(id: String, accountID: AccountID) async throws -> Bool {
        try await database.write { sql in
            try await sql.raw("""
                DELETE FROM carriers WHERE id = \(bind: id) AND account_id = \(bind: accountID.rawValue) RETURNING id
                """).first() != nil
        }
    }

    static func decode(_ row: any SQLRow) throws -> Carrier {
        let kindText = try row.decode(column: "kind", as: String.self)
        return Carrier(
            id: try row.decode(column: "id", as: String.self),
            accountID: AccountID(rawValue: try row.decode(column: "account_id", as: String.self)),
            kind: CarrierKind(rawValue: kindText) ?? .twilio,
            name: try row.decode(column: "name", as: String.self),
            authToken: try row.decode(column: "auth_token", as: String.self),
            urlTokenHash: try row.decode(column: "url_token_hash", as: String.self),
            createdAt: Timestamp(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self))
        )
    }
}

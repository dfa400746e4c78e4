import Crypto
import DCEDomain
import Foundation
import SQLKit
import Synchronization

public struct Account: Sendable, Hashable, Codable {
    public let id: AccountID
    public let name: String
    public let createdAt: Timestamp
}

public struct APIKeyRecord: Sendable, Hashable, Codable {
    public let id: String
    public let accountID: AccountID
    /// The visible start of the key, enough to recognise it in a list.
    public let prefix: String
    public let label: String?
    public let createdAt: Timestamp
    public let revokedAt: Timestamp?
}

/// The form of an API key, `dce_<prefix>_<secret>`: its visible prefix names it (in
/// logs, rate limits, lookups) without the secret.
public enum APIKeyFormat {
    /// `dce_<prefix>` of a well-formed key; nil for anything else.
    public static func prefix(of key: String) -> String? {
        let parts = key.split(separator: "_")
        guard parts.count == 3, parts[0] == "dce" else { return nil }
        return "dce_\(parts[1])"
    }
}

/// A key exactly as issued: the only moment its secret part exists outside the caller.
public struct IssuedAPIKey: Sendable {
    public let record: APIKeyRecord
    public let plaintext: String
}

public enum AccountError: Error, Equatable, CustomStringConvertible {
    case nameTaken(String)
    case invalidName(String)
    case unknownAccount(String)
    case unknownKey(String)

    public var description: String {
        switch self {
        case .nameTaken(let name): "an account named '\(name)' already exists"
        case .invalidName(let name): "'\(name)' is not a valid account name (1-64 letters, digits, '-', '_' or '.')"
        case .unknownAccount(let name): "no account named '\(name)'"
        case .unknownKey(let key): "no API key with id or prefix '\(key)'"
        }
    }
}

/// Accounts (tenants) and their API keys. Keys are stored as a keyed hash and a visible
/// prefix; the plaintext is returned once, by `issueKey`, and never stored.
public struct AccountDirectory: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    public func create(name: String) async throws -> Account {
        guard (1...64).contains(name.count),
              name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) })
        else { throw AccountError.invalidName(name) }
        let account = Account(id: AccountID(rawValue: Token.make(prefix: "acct")), name: name, createdAt: .now())
        return try await database.write { sql in
            let inserted = try await sql.raw("""
                INSERT INTO accounts (id, name, created_at)
                VALUES (\(bind: account.id.rawValue), \(bind: name), \(bind: account.createdAt.millisecondsSince1970))
                ON CONFLICT (name) DO NOTHING
                RETURNING id
                """).first()
            guard inserted != nil else { throw AccountError.nameTaken(name) }
            return account
        }
    }

    public func account(named name: String) async throws -> Account? {
        try await database.read { sql in
            try await sql.raw("SELECT id, name, created_at FROM accounts WHERE name = \(bind: name)")
                .first().map(Self.decodeAccount)
        }
    }

    public func account(id: AccountID) async throws -> Account? {
        try await database.read { sql in
            try await sql.raw("SELECT id, name, created_at FROM accounts WHERE id = \(bind: id.rawValue)")
                .first().map(Self.decodeAccount)
        }
    }

    public func all() async throws -> [Account] {
        try await database.read { sql in
            try await sql.raw("SELECT id, name, created_at FROM accounts ORDER BY name").all().map(Self.decodeAccount)
        }
    }

    /// Issues a new key for an account. The plaintext is in the result and nowhere else.
    public func issueKey(for accountID: AccountID, label: String? = nil) async throws -> IssuedAPIKey {
        let prefix = Token.random(length: 10)
        let secret = Token.random(length: 32)
        let plaintext = "dce_\(prefix)_\(secret)"
        let record = APIKeyRecord(
            id: Token.make(prefix: "key"), accountID: accountID, prefix: "dce_\(prefix)",
            label: label, createdAt: .now(), revokedAt: nil
        )
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO api_keys (id, account_id, prefix, key_hash, label, created_at)
                VALUES (\(bind: record.id), \(bind: accountID.rawValue), \(bind: record.prefix),
                        \(bind: SecretHash.hex(of: plaintext)), \(bind: label), \(bind: record.createdAt.millisecondsSince1970))
                """).run()
        }
        return IssuedAPIKey(record: record, plaintext: plaintext)
    }

    public func keys(for accountID: AccountID) async throws -> [APIKeyRecord] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT id, account_id, prefix, label, created_at, revoked_at FROM api_keys
                WHERE account_id = \(bind: accountID.rawValue) ORDER BY created_at
                """).all().map(Self.decodeKey)
        }
    }

    /// Revokes a key by its id or visible prefix. Revoking twice is harmless.
    @discardableResult
    public func revokeKey(_ identifier: String) async throws -> APIKeyRecord {
        // A whole key names its own prefix; revoking with it is allowed too.
        let idOrPrefix = APIKeyFormat.prefix(of: identifier) ?? identifier
        let now = Timestamp.now().millisecondsSince1970
        return try await database.write { sql in
            try await sql.raw("""
                UPDATE api_keys SET revoked_at = \(bind: now)
                WHERE (id = \(bind: idOrPrefix) OR prefix = \(bind: idOrPrefix)) AND revoked_at IS NULL
                """).run()
            guard let row = try await sql.raw("""
                SELECT id, account_id, prefix, label, created_at, revoked_at FROM api_keys
                WHERE id = \(bind: idOrPrefix) OR prefix = \(bind: idOrPrefix)
                """).first()
            else { throw AccountError.unknownKey(idOrPrefix) }
            return try Self.decodeKey(row)
        }
    }

    /// The account a presented key belongs to, or nil for an unknown, malformed or revoked key.
    public func authenticate(key presented: String) async throws -> AccountID? {
        guard let prefix = APIKeyFormat.prefix(of: presented) else { return nil }
        guard let row = try await database.read({ sql in
            try await sql.raw("SELECT account_id, key_hash, revoked_at FROM api_keys WHERE prefix = \(bind: prefix)").first()
        }) else { return nil }
        let storedHash = try row.decode(column: "key_hash", as: String.self)
        guard SecretHash.matches(presented, hex: storedHash) else { return nil }
        guard try row.decodeNil(column: "revoked_at") else { return nil }
        return AccountID(rawValue: try row.decode(column: "account_id", as: String.self))
    }

    static func decodeAccount(_ row: any SQLRow) throws -> Account {
        Account(
            id: AccountID(rawValue: try row.decode(column: "id", as: String.self)),
            name: try row.decode(column: "name", as: String.self),
            createdAt: Timestamp(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self))
        )
    }

    static func decodeKey(_ row: any SQLRow) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row.decode(column: "id", as: String.self),
            accountID: AccountID(rawValue: try row.decode(column: "account_id", as: String.self)),
            prefix: try row.decode(column: "prefix", as: String.self),
            label: try row.decode(column: "label", as: String?.self),
            createdAt: Timestamp(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Timestamp.init(millisecondsSince1970:))
        )
    }
}

/// Keyed hashes of secrets, compared in constant time.
///
/// The HMAC key is a fixed, public domain-separation label, not a secret: API keys are
/// 190 bits of randomness, so a fast hash is enough, and HMAC gives us swift-crypto's
/// constant-time `isValidAuthenticationCode` for the comparison.
public enum SecretHash {
    static let label = SymmetricKey(data: Data("dce.secret-hash.v1".utf8))

    public static func hex(of secret: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(secret.utf8), using: label).hexString
    }

    public static func matches(_ presented: String, hex stored: String) -> Bool {
        guard let storedBytes = Data(hexString: stored) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(storedBytes, authenticating: Data(presented.utf8), using: label)
    }
}

/// Random identifiers and secrets.
public enum Token {
    static let alphabet = "abcdefghijkmnopqrstuvwxyz23456789"
    static let alphabetBytes = Array(alphabet.utf8)

    /// `length` characters from an unambiguous alphabet, from a secure generator.
    public static func random(length: Int) -> String {
        String(decoding: randomCharacters(length: length), as: UTF8.self)
    }

    /// The alphabet's characters as ASCII bytes, from `bytes(count)` random bytes. Keeps a
    /// random byte only below the largest multiple of the alphabet's size, so that every
    /// character is equally likely.
    static func randomCharacters(length: Int, bytes: (Int) -> [UInt8] = randomBytes(count:)) -> [UInt8] {
        let size = alphabetBytes.count
        let limit = UInt8(256 / size * size - 1)
        var characters: [UInt8] = []
        characters.reserveCapacity(length)
        while characters.count < length {
            // A few bytes more than needed, since some are dropped.
            for byte in bytes((length - characters.count) * 9 / 8 + 8) where characters.count < length && byte <= limit {
                characters.append(alphabetBytes[Int(byte) % size])
            }
        }
        return characters
    }

    /// Bytes from swift-crypto's secure generator. Each read also asks the kernel for
    /// fresh entropy (a system call).
    static func randomBytes(count: Int) -> [UInt8] {
        SymmetricKey(size: SymmetricKeySize(bitCount: count * 8)).withUnsafeBytes { Array($0) }
    }

    /// Random bytes for ids, read from the secure generator 4 KB at a time: a commit group
    /// makes ids for its requests and calls, and a system call each cost the one writer
    /// more than the ids. Secrets (`random(length:)`) are read on their own.
    private static let idBytes = Mutex<(bytes: [UInt8], position: Int)>(([], 0))

    static func idRandomBytes(count: Int) -> [UInt8] {
        idBytes.withLock { pool in
            if pool.bytes.count - pool.position < count {
                pool.bytes = randomBytes(count: max(4096, count))
                pool.position = 0
            }
            defer { pool.position += count }
            return Array(pool.bytes[pool.position..<(pool.position + count)])
        }
    }

    /// `call_8f3k…`: a prefixed id, sortable by creation time to the millisecond.
    public static func make(prefix: String) -> String {
        make(prefix: prefix, count: 1)[0]
    }

    /// `count` ids at once: their random characters come from one read of the generator.
    public static func make(prefix: String, count: Int) -> [String] {
        guard count > 0 else { return [] }
        let millis = UInt64(Timestamp.now().millisecondsSince1970)
        let time = String(millis, radix: 36)
        let head = Array("\(prefix)_\(String(repeating: "0", count: max(0, 9 - time.count)))\(time)".utf8)
        let characters = randomCharacters(length: 12 * count, bytes: idRandomBytes(count:))
        return (0..<count).map { index in
            String(unsafeUninitializedCapacity: head.count + 12) { buffer in
                _ = buffer.initialize(from: head)
                _ = buffer[head.count...].initialize(from: characters[(index * 12)..<(index * 12 + 12)])
                return head.count + 12
            }
        }
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

extension MessageAuthenticationCode {
    var hexString: String { Array(self).hexString }
}

extension Data {
    init?(hexString: String) {
        guard hexString.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(hexString.count / 2)
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2)
            guard let byte = UInt8(hexString[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}

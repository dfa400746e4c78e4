import DCEJSON
import DCEDomain
import Foundation
import SQLKit

/// An account set up for the Exotel call ribbon: what the seed calls a client.
public struct RibbonClient: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let accountID: AccountID
    /// The account's name, shown to the client as its `clientId`.
    public let clientID: String
    public var profile: RibbonClientProfile

    /// Never prints the Exotel token.
    public var description: String { "RibbonClient(\(clientID), plan: \(profile.plan))" }
    public var debugDescription: String { description }
}

/// What an operator sets for a client. `exotelToken` is handed to that client by `init`
/// and to nobody else.
public struct RibbonClientProfile: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public var name: String
    public var plan: String
    public var monthlyCallLimit: Int
    public var features: [String]
    /// Hosts, as `RibbonDomain.host(of:)` writes them.
    public var allowedDomains: [String]
    public var exotelToken: String
    public var exotelUserID: String

    public static let defaultFeatures = ["call", "mute", "hold", "dtmf"]

    public init(
        name: String, plan: String, monthlyCallLimit: Int, features: [String] = defaultFeatures,
        allowedDomains: [String], exotelToken: String, exotelUserID: String
    ) {
        self.name = name
        self.plan = plan
        self.monthlyCallLimit = monthlyCallLimit
        self.features = features
        self.allowedDomains = allowedDomains
        self.exotelToken = exotelToken
        self.exotelUserID = exotelUserID
    }

    public var description: String { "RibbonClientProfile(\(name), plan: \(plan), limit: \(monthlyCallLimit))" }
    public var debugDescription: String { description }
}

public enum RibbonClientError: Error, Equatable, CustomStringConvertible {
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field): \(reason)"
        }
    }
}

/// Domain names as the ribbon compares them: the host alone, lower case.
public enum RibbonDomain {
    /// `https://CRM.example.com:8443/path` → `crm.example.com`; nil when nothing is left.
    public static func host(of text: String) -> String? {
        var value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let scheme = value.range(of: "://") { value = String(value[scheme.upperBound...]) }
        if let slash = value.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { value = String(value[..<slash]) }
        if let at = value.lastIndex(of: "@") { value = String(value[value.index(after: at)...]) }
        if value.hasPrefix("[") {
            if let close = value.firstIndex(of: "]") { value = String(value[...close]) }
        } else if let colon = value.lastIndex(of: ":") {
            value = String(value[..<colon])
        }
        if value.hasSuffix(".") { value.removeLast() }
        return value.isEmpty ? nil : value
    }
}

/// The month a call counts against: `2025-10`, in UTC.
public enum UsageMonth {
    public static func of(_ time: Timestamp) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: time.date)
        return String(format: "%04d-%02d", parts.year ?? 1970, parts.month ?? 1)
    }
}

/// Ribbon clients: profile, domains and usage. Every read is by account.
public struct RibbonClientDirectory: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// Creates or replaces an account's ribbon profile and its domains.
    public func save(_ profile: RibbonClientProfile, for accountID: AccountID) async throws {
        let profile = try Self.validated(profile)
        let now = Timestamp.now().millisecondsSince1970
        let features = JSONValue.array(profile.features.map(JSONValue.string)).text
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO ribbon_clients (account_id, display_name, plan, monthly_call_limit, features,
                                            exotel_token, exotel_user_id, created_at, updated_at)
                VALUES (\(bind: accountID.rawValue), \(bind: profile.name), \(bind: profile.plan), \(bind: Int64(profile.monthlyCallLimit)),
                        \(bind: features), \(bind: profile.exotelToken), \(bind: profile.exotelUserID), \(bind: now), \(bind: now))
                ON CONFLICT (account_id) DO UPDATE SET
                    display_name = excluded.display_name, plan = excluded.plan,
                    monthly_call_limit = excluded.monthly_call_limit, features = excluded.features,
                    exotel_token = excluded.exotel_token, exotel_user_id = excluded.exotel_user_id,
                    updated_at = excluded.updated_at
                """).run()
            try await sql.raw("DELETE FROM ribbon_client_domains WHERE account_id = \(bind: accountID.rawValue)").run()
            for domain in profile.allowedDomains {
                try await sql.raw("""
                    INSERT INTO ribbon_client_domains (account_id, domain) VALUES (\(bind: accountID.rawValue), \(bind: domain))
                    ON CONFLICT (account_id, domain) DO NOTHING
                    """).run()
            }
        }
    }

    public func client(_ accountID: AccountID) async throws -> RibbonClient? {
        try await load(where: "r.account_id = \(bind: accountID.rawValue)").first
    }

    /// Every client, by client id.
    public func all() async throws -> [RibbonClient] {
        try await load(where: "1 = 1")
    }

    /// Calls counted against `month` (`UsageMonth.of`) for an account.
    public func callsCounted(accountID: AccountID, month: String) async throws -> Int {
        try await database.read { sql in
            let row = try await sql.raw("""
                SELECT COUNT(*) AS n FROM ribbon_sessions
                WHERE account_id = \(bind: accountID.rawValue) AND usage_month = \(bind: month)
                """).first()
            return Int(try row?.decode(column: "n", as: Int64.self) ?? 0)
        }
    }

    /// Calls counted against `month`, for every account at once.
    public func callsCountedByAccount(month: String) async throws -> [AccountID: Int] {
        try await database.read { sql in
            var counts: [AccountID: Int] = [:]
            for row in try await sql.raw("""
                SELECT account_id, COUNT(*) AS n FROM ribbon_sessions WHERE usage_month = \(bind: month) GROUP BY account_id
                """).all() {
                counts[AccountID(rawValue: try row.decode(column: "account_id", as: String.self))] = Int(try row.decode(column: "n", as: Int64.self))
            }
            return counts
        }
    }

    /// Whether any client lists this host: enough to answer a browser's preflight, which
    /// carries no API key. The request itself is then checked against its own client.
    public func anyClientAllows(host: String) async throws -> Bool {
        try await database.read { sql in
            try await sql.raw("SELECT 1 AS one FROM ribbon_client_domains WHERE domain = \(bind: host) LIMIT 1").first() != nil
        }
    }

    /// The visible prefix of the newest unrevoked API key of each account.
    public func newestKeyPrefixes() async throws -> [AccountID: String] {
        try await database.read { sql in
            var prefixes: [AccountID: String] = [:]
            for row in try await sql.raw("""
                SELECT account_id, prefix FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id
                """).all() {
                prefixes[AccountID(rawValue: try row.decode(column: "account_id", as: String.self))] = try row.decode(column: "prefix", as: String.self)
            }
            return prefixes
        }
    }

    private func load(where condition: SQLQueryString) async throws -> [RibbonClient] {
        try await database.read { sql in
            let rows = try await sql.raw("""
                SELECT r.account_id, a.name, r.display_name, r.plan, r.monthly_call_limit, r.features,
                       r.exotel_token, r.exotel_user_id
                FROM ribbon_clients r JOIN accounts a ON a.id = r.account_id
                WHERE \(condition) ORDER BY a.name
                """).all()
            var clients: [RibbonClient] = []
            for row in rows {
                let accountID = AccountID(rawValue: try row.decode(column: "account_id", as: String.self))
                let domains = try await sql.raw("""
                    SELECT domain FROM ribbon_client_domains WHERE account_id = \(bind: accountID.rawValue) ORDER BY domain
                    """).all().map { try $0.decode(column: "domain", as: String.self) }
                let features: [String] = switch try JSONValue(parsing: try row.decode(column: "features", as: String.self)) {
                case .array(let items): items.compactMap(\.string)
                default: []
                }
                clients.append(RibbonClient(
                    accountID: accountID,
                    clientID: try row.decode(column: "name", as: String.self),
                    profile: RibbonClientProfile(
                        name: try row.decode(column: "display_name", as: String.self),
                        plan: try row.decode(column: "plan", as: String.self),
                        monthlyCallLimit: Int(try row.decode(column: "monthly_call_limit", as: Int64.self)),
                        features: features,
                        allowedDomains: domains,
                        exotelToken: try row.decode(column: "exotel_token", as: String.self),
                        exotelUserID: try row.decode(column: "exotel_user_id", as: String.self)
                    )
                ))
            }
            return clients
        }
    }

    static func validated(_ profile: RibbonClientProfile) throws -> RibbonClientProfile {
        var profile = profile
        profile.name = profile.name.trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(profile.name.count) else { throw RibbonClientError.invalid(field: "name", reason: "must be 1 to 200 characters") }
        guard (1...64).contains(profile.plan.count) else { throw RibbonClientError.invalid(field: "plan", reason: "must be 1 to 64 characters") }
        guard profile.monthlyCallLimit >= 0 else { throw RibbonClientError.invalid(field: "monthlyCallLimit", reason: "must not be negative") }
        guard profile.features.allSatisfy({ (1...64).contains($0.count) }) else {
            throw RibbonClientError.invalid(field: "features", reason: "each feature must be 1 to 64 characters")
        }
        var hosts: [String] = []
        for domain in profile.allowedDomains {
            guard let host = RibbonDomain.host(of: domain) else {
                throw RibbonClientError.invalid(field: "allowedDomains", reason: "'\(domain)' is not a domain")
            }
            if !hosts.contains(host) { hosts.append(host) }
        }
        profile.allowedDomains = hosts
        guard !profile.exotelToken.isEmpty else { throw RibbonClientError.invalid(field: "exotelToken", reason: "is required") }
        guard !profile.exotelUserID.isEmpty else { throw RibbonClientError.invalid(field: "userId", reason: "is required") }
        return profile
    }
}

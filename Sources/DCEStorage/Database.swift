import Foundation
import Logging
import SQLKit

/// Which SQL engine a database runs on. Queries are shared; only a few DDL details differ.
public enum DatabaseEngine: String, Sendable {
    case sqlite
    case postgres
}

/// The one way storage code reaches a database: a read, or a write inside a transaction.
///
/// Repositories take the `SQLDatabase` handed to the closure and run their queries on it;
/// they never know which engine is underneath, except through `engine` where a DDL
/// detail differs.
public protocol Database: Sendable {
    var engine: DatabaseEngine { get }
    var logger: Logger { get }
    /// Runs `body` on a connection outside any explicit transaction.
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Closes every connection. Nothing may be used afterwards.
    func close() async
}

/// Where the database is, as given by `DATABASE_URL` or `--database`.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    public struct InvalidURL: Error, CustomStringConvertible {
        public let value: String
        public let reason: String
        public var description: String { "DATABASE_URL '\(Self.redact(value))' is not usable: \(reason)" }

        static func redact(_ url: String) -> String {
            // Never echo a password into a log or terminal.
            guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
            let credentials = url[scheme.upperBound..<at]
            guard let colon = credentials.firstIndex(of: ":") else { return url }
            return url.replacingCharacters(in: colon..<at, with: ":***")
        }
    }

    /// Accepts `postgres://…`, `postgresql://…`, `sqlite:///abs/path`, `sqlite:relative`,
    /// or a bare file path (SQLite).
    public init(parsing value: String) throws(InvalidURL) {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw InvalidURL(value: value, reason: "it is empty") }
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            do {
                _ = try PostgresURL(parsing: trimmed)
            } catch {
                throw InvalidURL(value: value, reason: error.reason)
            }
            self = .postgres(url: trimmed)
        } else if trimmed.hasPrefix("sqlite://") {
            let path = String(trimmed.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw InvalidURL(value: value, reason: "no file path after sqlite://") }
            self = .sqlite(path: path)
        } else if trimmed.hasPrefix("sqlite:") {
            self = .sqlite(path: String(trimmed.dropFirst("sqlite:".count)))
        } else if trimmed.contains("://") {
            throw InvalidURL(value: value, reason: "unknown scheme; use postgres:// or sqlite://")
        } else {
            self = .sqlite(path: trimmed)
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): InvalidURL.redact(url)
        }
    }

    public var engine: DatabaseEngine {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }
}

/// Opens the database at `location`.
public func openDatabase(_ location: DatabaseLocation, logger: Logger) async throws -> any Database {
    switch location {
    case .sqlite(let path):
        try await SQLiteBackend.open(path: path, logger: logger)
    case .postgres(let url):
        try await PostgresBackend.open(url: try PostgresURL(parsing: url), logger: logger)
    }
}

/// Runs `body` between `begin` and COMMIT on one connection, rolling back if it throws.
func inTransaction<T: Sendable>(_ sql: any SQLDatabase, begin: SQLQueryString, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
    try await sql.raw(begin).run()
    do {
        let result = try await body(sql)
        try await sql.raw("COMMIT").run()
        return result
    } catch {
        try? await sql.raw("ROLLBACK").run()
        throw error
    }
}

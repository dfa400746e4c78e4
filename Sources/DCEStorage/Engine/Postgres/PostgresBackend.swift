import Foundation
import Logging
import PostgresKit
import PostgresNIO
import SQLKit

/// A `postgres://user:password@host:port/database` address, parsed.
public struct PostgresURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var requireTLS: Bool

    public struct Invalid: Error { public let reason: String }

    public init(parsing text: String) throws(Invalid) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              scheme == "postgres" || scheme == "postgresql"
        else { throw Invalid(reason: "not a postgres:// URL") }
        guard let host = components.host, !host.isEmpty else { throw Invalid(reason: "no host") }
        guard let user = components.user, !user.isEmpty else { throw Invalid(reason: "no user name") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw Invalid(reason: "no database name in the path") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
        let sslmode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value
        self.requireTLS = sslmode == "require" || sslmode == "verify-full"
    }

    public func with(database: String) -> PostgresURL {
        var copy = self
        copy.database = database
        return copy
    }
}

/// PostgreSQL through postgres-nio's `PostgresClient`, which pools connections itself.
public final class PostgresBackend: Database, GroupWritingDatabase {
    public let engine = DatabaseEngine.postgres
    public let logger: Logger
    let client: PostgresClient
    private let runner: Task<Void, Never>

    private init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        self.runner = Task { await client.run() }
    }

    public static func open(url: PostgresURL, maximumConnections: Int = 16, logger: Logger) async throws -> PostgresBackend {
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password,
            database: url.database, tls: url.requireTLS ? .require(.clientDefault) : .disable
        )
        configuration.options.maximumConnections = maximumConnections
        let backend = PostgresBackend(client: PostgresClient(configuration: configuration, backgroundLogger: logger), logger: logger)
        // Give the client's run loop a moment to start before the first lease.
        try await Task.sleep(for: .milliseconds(5))
        // Fail fast on a wrong address or password rather than on the first request.
        _ = try await backend.read { sql in try await sql.raw("SELECT 1 AS one").all() }
        return backend
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            let sql = connection.sql(queryLogLevel: nil)
            return try await inTransaction(sql, begin: "BEGIN", body)
        }
    }

    /// Several groups at once, each on a connection of its own: each statement is a network
    /// round trip, and serialising them all through one transaction would leave the server
    /// idle. A commit returns once durable, so no group waits for another.
    var groupWriting: GroupWriting { GroupWriting(parallelism: 6, executor: nil, linger: .zero) }

    func writeCommitted<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await write(body)
    }

    func whenDurable(_ answer: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        answer(.success(()))
    }

    public func close() async {
        runner.cancel()
        await runner.value
    }
}

extension PSQLError: EngineConflict {
    var isTransientConflict: Bool {
        guard let state = serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"  // deadlock detected, serialization failure
    }
}

import DCEStorage
import Foundation
import Logging
import PostgresNIO
import SQLKit

/// The engines every storage test runs on. PostgreSQL comes from `DCE_TEST_POSTGRES_URL`,
/// which `scripts/test` sets after starting a throwaway server; without it a PostgreSQL
/// test fails and says so, rather than passing silently.
public enum TestEngine: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// `DCE_TEST_ENGINES=sqlite` narrows a local run to one engine; CI runs both.
    public static var all: [TestEngine] {
        guard let only = ProcessInfo.processInfo.environment["DCE_TEST_ENGINES"] else { return allCases }
        return only.split(separator: ",").compactMap { TestEngine(rawValue: String($0)) }
    }
}

public struct MissingPostgres: Error, CustomStringConvertible {
    public var description: String {
        "DCE_TEST_POSTGRES_URL is not set: run the suite with scripts/test, which starts PostgreSQL, or set DCE_TEST_ENGINES=sqlite"
    }
}

public enum TestDatabases {
    public static let logger: Logger = {
        var logger = Logger(label: "dce-test")
        logger.logLevel = .warning
        return logger
    }()

    /// A fresh, migrated, empty database on `engine`, dropped after `body`. On PostgreSQL it
    /// is cloned from a migrated template, which is much faster than migrating it.
    public static func with<T>(_ engine: TestEngine, migrate: Bool = true, _ body: (any Database) async throws -> T) async throws -> T {
        let location = try await create(engine, migrated: migrate)
        let database = try await openDatabase(location.location, logger: logger)
        do {
            // A clone is migrated already; this only finds nothing left to apply.
            if migrate, engine == .sqlite { try await Migrations.migrate(database) }
            let result = try await body(database)
            await database.close()
            try await location.drop()
            return result
        } catch {
            await database.close()
            try? await location.drop()
            throw error
        }
    }

    public struct Created: Sendable {
        public let location: DatabaseLocation
        public let drop: @Sendable () async throws -> Void
    }

    /// Creates a database and says how to reach and remove it: empty, or on PostgreSQL with
    /// `migrated`, a clone of the migrated template. For tests that hand the location to a
    /// `dce` process of their own.
    public static func create(_ engine: TestEngine, migrated: Bool = false) async throws -> Created {
        switch engine {
        case .sqlite:
            let path = NSTemporaryDirectory() + "dce-test-\(UUID().uuidString).sqlite"
            return Created(location: .sqlite(path: path)) {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        case .postgres:
            let server = try postgresServer()
            let name = "dce_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            if migrated {
                let template = try await PostgresTemplate.shared.name(on: server)
                try await PostgresTemplate.clone(template, into: name, on: server)
            } else {
                try await admin(server) { sql in try await sql.raw("CREATE DATABASE \(ident: name)").run() }
            }
            return Created(location: .postgres(url: server.url(database: name))) {
                try await admin(server) { sql in try await sql.raw("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)").run() }
            }
        }
    }

    static func postgresServer() throws -> PostgresURL {
        guard let text = ProcessInfo.processInfo.environment["DCE_TEST_POSTGRES_URL"] else { throw MissingPostgres() }
        return try PostgresURL(parsing: text)
    }

    static func admin<T: Sendable>(_ server: PostgresURL, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let backend = try await PostgresBackend.open(url: server, maximumConnections: 1, logger: logger)
        do {
            let result = try await backend.read { sql in try await body(sql) }
            await backend.close()
            return result
        } catch {
            await backend.close()
            throw error
        }
    }
}

extension PostgresURL {
    /// The same server and credentials, another database.
    func url(database: String) -> String {
        "postgres://\(username)\(password.map { ":\($0)" } ?? "")@\(host):\(port)/\(database)"
    }
}

import SQLKit

/// One schema change. Migrations are numbered, append-only and never edited once
/// released: a change to the schema is a new migration.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    let statements: @Sendable (DatabaseEngine) -> [String]

    init(version: Int, name: String, statements: @escaping @Sendable (DatabaseEngine) -> [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

/// Every migration, in order.
public enum Migrations {
    public static let all: [Migration] = [
        m001CallLedger,
        m002Ribbon,
        m003NumberInventory,
        m004Integrations,
        m005NumberPools,
        m006CallFoldBounds,
        m007LeasePicking,
        m008DashboardSessions,
        m009RawBodyBytes,
        m010NumberUse,
        m011Exchange,
        m012CallRoutes,
        m013Carriers,
        m014IntegrationVendorNames,
        m015Sync,
        m016Recordings,
        m017ExchangeRevisions,
        m018CapCounters,
        m019PulledPages,
    ]

    /// Applies every migration not yet applied, each in its own transaction, and returns
    /// the versions it applied. Safe to run from several processes at once on PostgreSQL
    /// (an advisory lock serialises them) and on SQLite (the write lock does).
    @discardableResult
    public static func migrate(_ database: any Database) async throws -> [Int] {
        try await database.write { sql in
            try await sql.raw("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at BIGINT NOT NULL
                )
                """).run()
        }
        var applied: [Int] = []
        for migration in all {
            let didApply = try await database.write { sql in
                if database.engine == .postgres {
                    try await sql.raw("SELECT pg_advisory_xact_lock(7312001)").run()
                }
                let existing = try await sql.raw(
                    "SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)"
                ).first()
                guard existing == nil else { return false }
                for statement in migration.statements(database.engine) {
                    try await sql.raw(SQLQueryString(statement)).run()
                }
                try await sql.raw("""
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: Int64(Date().timeIntervalSince1970 * 1000)))
                    """).run()
                return true
            }
            if didApply {
                database.logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                applied.append(migration.version)
            }
        }
        return applied
    }

    /// The versions recorded as applied.
    public static func appliedVersions(_ database: any Database) async throws -> [Int] {
        try await database.read { sql in
            try await sql.raw("SELECT version FROM schema_migrations ORDER BY version").all()
                .map { try $0.decode(column: "version", as: Int.self) }
        }
    }
}

import Foundation

import DCEStorage
import Foundation
import PostgresNIO
import SQLKit

/// A PostgreSQL database migrated once, which every test database is cloned from with
/// `CREATE DATABASE … TEMPLATE …`. Its name carries the migration count and a hash of
/// their names, so a schema change gets a new template and an old one is never reused.
/// Test processes running at once agree through an advisory lock: the first builds the
/// template under a scratch name and renames it when complete, so a template that exists
/// is always whole, even if a process died while building one.
actor PostgresTemplate {
    static let shared = PostgresTemplate()

    private var building: Task<String, any Error>?

    /// The template's name, built first if no process has built it yet.
    func name(on server: PostgresURL) async throws -> String {
        if let building { return try await building.value }
        let task = Task { try await Self.build(on: server) }
        building = task
        do {
            return try await task.value
        } catch {
            // A later test may try again (the server may have been briefly unreachable).
            building = nil
            throw error
        }
    }

    static var templateName: String {
        let names = Migrations.all.map { "\($0.version):\($0.name)" }.joined(separator: ",")
        // FNV-1a: stable across processes, unlike `Hasher`.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in names.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return "dce_template_\(Migrations.all.count)_\(String(hash, radix: 16))"
    }

    private static let lockKey: Int64 = 7_312_002

    private static func build(on server: PostgresURL) async throws -> String {
        let name = templateName
        try await TestDatabases.admin(server) { sql in
            // A session lock, held on this one connection while the template is built.
            try await sql.raw("SELECT pg_advisory_lock(\(bind: lockKey))").run()
            do {
                try await buildUnlessPresent(name, sql: sql, server: server)
                try await sql.raw("SELECT pg_advisory_unlock(\(bind: lockKey))").run()
            } catch {
                try? await sql.raw("SELECT pg_advisory_unlock(\(bind: lockKey))").run()
                throw error
            }
        }
        return name
    }

    private static func buildUnlessPresent(_ name: String, sql: any SQLDatabase, server: PostgresURL) async throws {
        let existing = try await sql.raw("SELECT 1 AS found FROM pg_database WHERE datname = \(bind: name)").first()
        guard existing == nil else { return }
        let scratch = name + "_building"
        // Left behind by a process that died mid-build; the lock says nobody is building it now.
        try await sql.raw("DROP DATABASE IF EXISTS \(ident: scratch) WITH (FORCE)").run()
        try await sql.raw("CREATE DATABASE \(ident: scratch)").run()
        let database = try await openDatabase(.postgres(url: server.url(database: scratch)), logger: TestDatabases.logger)
        do {
            try await Migrations.migrate(database)
            await database.close()
        } catch {
            await database.close()
            throw error
        }
        try await sql.raw("ALTER DATABASE \(ident: scratch) RENAME TO \(ident: name)").run()
    }

    /// Clones `template` into a new database `name`. PostgreSQL refuses while another
    /// session is connected to the template (55006); that lasts moments, so wait and retry.
    static func clone(_ template: String, into name: String, on server: PostgresURL) async throws {
        var attempt = 0
        while true {
            do {
                try await TestDatabases.admin(server) { sql in
                    try await sql.raw("CREATE DATABASE \(ident: name) TEMPLATE \(ident: template)").run()
                }
                return
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 50 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(20 * min(attempt, 10)))
            }
        }
    }
}

import DCEStorage
import DCETestSupport
import SQLKit
import Testing

@Suite struct MigrationTests {
    @Test(arguments: TestEngine.all)
    func migratesFromEmptyAndIsIdempotent(engine: TestEngine) async throws {
        try await TestDatabases.with(engine, migrate: false) { database in
            // run
            let applied = try await Migrations.migrate(database)
            let again = try await Migrations.migrate(database)
            // validate
            #expect(applied == Migrations.all.map(\.version))
            #expect(again.isEmpty)
            #expect(try await Migrations.appliedVersions(database) == Migrations.all.map(\.version))
        }
    }

    @Test func versionsAreUniqueAndAscending() {
        let versions = Migrations.all.map(\.version)
        #expect(versions == versions.sorted())
        #expect(Set(versions).count == versions.count)
    }

    @Test(arguments: TestEngine.all)
    func theSchemaHoldsTheInvariants(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // A call for an account that does not exist is refused by the foreign key.
            await #expect(throws: (any Error).self) {
                try await database.write { sql in
                    try await sql.raw("""
                        INSERT INTO calls (id, account_id, source, external_call_id, status, call_metadata, event_count, sort_at, created_at, updated_at)
                        VALUES ('c', 'no-such-account', 'native', 'x', 'completed', '{}', 0, 0, 0, 0)
                        """).run()
                }
            }
            let account = try await AccountDirectory(database: database).create(name: "acme")
            // A status outside the list is refused by the CHECK constraint.
            await #expect(throws: (any Error).self) {
                try await database.write { sql in
                    try await sql.raw("""
                        INSERT INTO calls (id, account_id, source, external_call_id, status, call_metadata, event_count, sort_at, created_at, updated_at)
                        VALUES ('c', \(bind: account.id.rawValue), 'native', 'x', 'exploded', '{}', 0, 0, 0, 0)
                        """).run()
                }
            }
        }
    }
}

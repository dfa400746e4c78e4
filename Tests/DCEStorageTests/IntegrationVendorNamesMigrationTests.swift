import DCEDomain
@testable import DCEStorage
import DCETestSupport
import SQLKit
import Testing

/// Migration 14 takes the list of vendor names out of the schema: integrations made before
/// it are kept whole, and an integration of a vendor the schema never listed can be stored.
@Suite struct IntegrationVendorNamesMigrationTests {
    @Test(arguments: TestEngine.all)
    func integrationsAreKeptAndAnyVendorNameIsStorable(engine: TestEngine) async throws {
        try await TestDatabases.with(engine, migrate: false) { database in
            // setup: the schema before migration 14, with one integration.
            try await database.write { sql in
                try await sql.raw("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)").run()
                for migration in Migrations.all where migration.version < 14 {
                    for statement in migration.statements(database.engine) { try await sql.raw(SQLQueryString(statement)).run() }
                    try await sql.raw("INSERT INTO schema_migrations VALUES (\(bind: migration.version), \(bind: migration.name), 0)").run()
                }
            }
            let account = try await TestAccount.make(database)
            let store = IntegrationStore(database: database)
            let before = try await store.create(accountID: account.account.id, vendor: "ringba", name: "main",
                                                fieldMapping: ["call_id": "callUUID"], secret: "s3cret-s3cret-s3cret")
            await #expect(throws: (any Error).self) {
                try await store.create(accountID: account.account.id, vendor: "toyline", name: "toy", fieldMapping: [:], secret: "s3cret-s3cret-s3cret")
            }

            // run
            try await Migrations.migrate(database)

            // validate
            #expect(try await store.integration(id: before.id) == before)
            let toy = try await store.create(accountID: account.account.id, vendor: "toyline", name: "toy", fieldMapping: [:], secret: "s3cret-s3cret-s3cret")
            #expect(try await store.list(accountID: account.account.id).map(\.vendor).sorted() == ["ringba", "toyline"])
            #expect(try await store.integration(id: toy.id)?.vendor == "toyline")
            // The account's integration names stay unique.
            await #expect(throws: (any Error).self) {
                try await store.create(accountID: account.account.id, vendor: "ringba", name: "main", fieldMapping: [:], secret: "s3cret-s3cret-s3cret")
            }
            #expect(try await Migrations.appliedVersions(database) == Migrations.all.map(\.version))
        }
    }
}

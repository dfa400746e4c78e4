import DCEDomain
import DCEStorage
import DCETestSupport
import Testing

@Suite struct AccountDirectoryTests {
    @Test(arguments: TestEngine.all)
    func keysAreShownOnceStoredHashedAndRevocable(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let directory = AccountDirectory(database: database)
            let account = try await directory.create(name: "acme")
            let issued = try await directory.issueKey(for: account.id, label: "ci")
            #expect(issued.plaintext.hasPrefix(issued.record.prefix + "_"))
            #expect(try await directory.authenticate(key: issued.plaintext) == account.id)

            // Only the hash and prefix are stored: the secret part is nowhere in the table.
            let stored = try await database.read { sql in
                try await sql.raw("SELECT prefix, key_hash FROM api_keys").all().map {
                    (try $0.decode(column: "prefix", as: String.self), try $0.decode(column: "key_hash", as: String.self))
                }
            }
            let secret = String(issued.plaintext.split(separator: "_")[2])
            #expect(stored.count == 1)
            #expect(!stored[0].1.contains(secret) && !stored[0].0.contains(secret))

            // A near miss, a malformed key and a revoked key are all refused.
            let nearMiss = String(issued.plaintext.dropLast()) + (issued.plaintext.hasSuffix("x") ? "y" : "x")
            #expect(try await directory.authenticate(key: nearMiss) == nil)
            #expect(try await directory.authenticate(key: "not-a-key") == nil)
            try await directory.revokeKey(issued.record.prefix)
            #expect(try await directory.authenticate(key: issued.plaintext) == nil)
            #expect(try await directory.keys(for: account.id).first?.revokedAt != nil)
        }
    }

    @Test(arguments: TestEngine.all)
    func accountNamesAreUnique(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let directory = AccountDirectory(database: database)
            _ = try await directory.create(name: "acme")
            await #expect(throws: AccountError.nameTaken("acme")) { try await directory.create(name: "acme") }
            await #expect(throws: AccountError.invalidName("no spaces")) { try await directory.create(name: "no spaces") }
        }
    }
}

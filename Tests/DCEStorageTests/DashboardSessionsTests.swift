import DCEDomain
import DCEStorage
import DCETestSupport
import SQLKit
import Testing

@Suite struct DashboardSessionsTests {
    static let start = Timestamp(millisecondsSince1970: 1_700_000_000_000)

    @Test(arguments: TestEngine.all)
    func aSessionIsStoredHashedAndEndsAtExpiryLogoutOrRevocation(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let directory = AccountDirectory(database: database)
            let account = try await directory.create(name: "acme")
            let key = try await directory.issueKey(for: account.id, label: "browser")
            let sessions = DashboardSessions(database: database, lifetimeSeconds: 3600)
            // run
            let opened = try #require(try await sessions.open(key: key.plaintext, now: Self.start))
            // The key with its last character changed (to a different one, whatever it was).
            let wrong = String(key.plaintext.dropLast()) + (key.plaintext.hasSuffix("x") ? "y" : "x")
            let refused = try await sessions.open(key: wrong, now: Self.start)
            let stored = try await database.read { sql in
                try await sql.raw("SELECT * FROM dashboard_sessions").all().map { try $0.decode(column: "id_hash", as: String.self) }
            }
            // validate
            #expect(opened.accountID == account.id)
            #expect(opened.id.count == 40 && !opened.id.contains(key.plaintext))
            #expect(opened.expiresAt == Self.start.adding(seconds: 3600))
            #expect(refused == nil)
            #expect(stored.count == 1 && stored[0] != opened.id)
            #expect(try await sessions.account(sessionID: opened.id, now: Self.start) == account.id)
            #expect(try await sessions.account(sessionID: opened.id, now: Self.start.adding(seconds: 3599)) == account.id)
            #expect(try await sessions.account(sessionID: opened.id, now: Self.start.adding(seconds: 3600)) == nil)
            #expect(try await sessions.account(sessionID: key.plaintext, now: Self.start) == nil)

            // Logout ends it; so does revoking the key that opened another.
            #expect(try await sessions.close(sessionID: opened.id))
            #expect(try await sessions.account(sessionID: opened.id, now: Self.start) == nil)
            let second = try #require(try await sessions.open(key: key.plaintext, now: Self.start))
            try await directory.revokeKey(key.record.prefix)
            #expect(try await sessions.account(sessionID: second.id, now: Self.start) == nil)
            #expect(try await sessions.open(key: key.plaintext, now: Self.start) == nil)
        }
    }

    @Test(arguments: TestEngine.all)
    func openingASessionClearsTheSessionsThatAreOver(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let directory = AccountDirectory(database: database)
            let account = try await directory.create(name: "acme")
            let key = try await directory.issueKey(for: account.id, label: "browser")
            let sessions = DashboardSessions(database: database, lifetimeSeconds: 60)
            _ = try await sessions.open(key: key.plaintext, now: Self.start)
            _ = try await sessions.open(key: key.plaintext, now: Self.start.adding(seconds: 30))
            let latest = try #require(try await sessions.open(key: key.plaintext, now: Self.start.adding(seconds: 61)))
            let left = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM dashboard_sessions").first()?.decode(column: "n", as: Int.self)
            }
            #expect(left == 2)
            #expect(try await sessions.account(sessionID: latest.id, now: Self.start.adding(seconds: 61)) == account.id)
        }
    }
}

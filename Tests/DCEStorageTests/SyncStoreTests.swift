import DCEDomain
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import SQLKit
import Testing

/// An account with one integration, for credential and sync-state tests.
private struct SyncFixture {
    let database: any Database
    let accountID: AccountID
    let integration: Integration
    static let box = try? SecretBox(hexKey: String(repeating: "3c", count: 32))

    static func make(_ database: any Database, name: String = "ringba") async throws -> SyncFixture {
        let account = try await TestAccount.make(database, name: "acct-\(name)")
        let integration = try await IntegrationStore(database: database).create(
            accountID: account.account.id, vendor: "ringba", name: name, fieldMapping: [:], secret: "secret-0123456789abcdef"
        )
        return SyncFixture(database: database, accountID: account.account.id, integration: integration)
    }

    var credentials: CredentialStore { CredentialStore(database: database, box: Self.box) }
    var states: SyncStateStore { SyncStateStore(database: database, box: Self.box) }

    func giveCredentials(at now: Timestamp = Timestamp(millisecondsSince1970: 1_000)) async throws {
        try await credentials.set(StoredCredentials(
            integrationID: integration.id, accountID: accountID, values: ["account_id": "RA1", "api_token": "tok-very-secret"],
            apiBaseURL: "http://127.0.0.1:9/v2/", syncIntervalSeconds: 600, updatedAt: now
        ))
    }
}

private func at(_ seconds: Int64) -> Timestamp { Timestamp(millisecondsSince1970: seconds * 1000) }

@Suite struct SyncStoreTests {
    @Test(arguments: TestEngine.all)
    func credentialsAreStoredSealedAndReadBackWhole(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let fixture = try await SyncFixture.make(database)
            // run
            try await fixture.giveCredentials()
            // validate
            let read = try await fixture.credentials.credentials(integrationID: fixture.integration.id)
            #expect(read == StoredCredentials(
                integrationID: fixture.integration.id, accountID: fixture.accountID,
                values: ["account_id": "RA1", "api_token": "tok-very-secret"], apiBaseURL: "http://127.0.0.1:9/v2/",
                syncIntervalSeconds: 600, updatedAt: Timestamp(millisecondsSince1970: 1_000)
            ))
            let raw = try await database.read { sql in
                try await sql.raw("SELECT * FROM integration_credentials").all()
                    .map { try $0.decode(column: "sealed", as: String.self) + "|" + $0.decode(column: "key_names", as: String.self) }
            }
            #expect(raw.count == 1)
            #expect(raw.allSatisfy { $0.hasPrefix("v1:") && !$0.contains("tok-very-secret") && !$0.contains("RA1") })
            #expect(try await fixture.credentials.keyNames(integrationID: fixture.integration.id, accountID: fixture.accountID) == ["account_id", "api_token"])
        }
    }

    @Test(arguments: TestEngine.all)
    func newCredentialsCloseTheBreakerDropTheOldTokenAndMakeTheNextRunDue(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup: credentials that failed until the breaker opened for an hour
            let fixture = try await SyncFixture.make(database)
            try await fixture.giveCredentials(at: at(1_000))
            let failed = SyncState(
                integrationID: fixture.integration.id, accountID: fixture.accountID, syncedTo: at(500), lastError: "401 Unauthorized",
                failures: 5, breaker: .open, breakerUntil: at(4_600), rowsPulled: 70, nextRunAt: at(4_600),
                token: AccessToken(value: "token-of-the-old-password"))
            try await fixture.states.save(failed)
            // run
            try await fixture.giveCredentials(at: at(1_200))
            // validate
            var expected = failed
            expected.breaker = .closed
            expected.breakerUntil = nil
            expected.failures = 0
            expected.token = nil
            expected.nextRunAt = at(1_200)
            #expect(try await fixture.states.state(integrationID: fixture.integration.id) == expected)
            #expect(try await fixture.states.due(now: at(1_200)) == [fixture.integration.id])
        }
    }

    @Test(arguments: TestEngine.all)
    func withoutAKeyCredentialsAreRefusedButTheirNamesStillShow(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let fixture = try await SyncFixture.make(database)
            let keyless = CredentialStore(database: database, box: nil)
            await #expect(throws: CredentialStoreError.noSecretKey) {
                try await keyless.set(StoredCredentials(integrationID: fixture.integration.id, accountID: fixture.accountID, values: ["a": "b"]))
            }
            #expect(CredentialStoreError.noSecretKey.description.contains("DCE_SECRET_KEY"))
            try await fixture.giveCredentials()
            await #expect(throws: CredentialStoreError.noSecretKey) { try await keyless.credentials(integrationID: fixture.integration.id) }
            let other = CredentialStore(database: database, box: try SecretBox(hexKey: String(repeating: "a", count: 64)))
            await #expect(throws: CredentialStoreError.unreadable(integrationID: fixture.integration.id)) {
                try await other.credentials(integrationID: fixture.integration.id)
            }
            #expect(try await keyless.keyNames(integrationID: fixture.integration.id, accountID: fixture.accountID) == ["account_id", "api_token"])
            // Another account sees nothing of it.
            #expect(try await keyless.keyNames(integrationID: fixture.integration.id, accountID: AccountID(rawValue: "acct_other")) == nil)
        }
    }

    @Test(arguments: TestEngine.all)
    func settingCredentialsAgainReplacesThem(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let fixture = try await SyncFixture.make(database)
            try await fixture.giveCredentials()
            try await fixture.credentials.set(StoredCredentials(
                integrationID: fixture.integration.id, accountID: fixture.accountID, values: ["account_id": "RA1", "email": "a@b.c", "password": "pw"],
                updatedAt: at(5)
            ))
            let read = try #require(try await fixture.credentials.credentials(integrationID: fixture.integration.id))
            #expect(read.values == ["account_id": "RA1", "email": "a@b.c", "password": "pw"])
            #expect(read.apiBaseURL == nil && read.syncIntervalSeconds == nil && read.updatedAt == at(5))
        }
    }

    @Test(arguments: TestEngine.all)
    func aSyncStateIsSavedAndReadBackWholeWithItsTokenSealed(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let fixture = try await SyncFixture.make(database)
            let state = SyncState(
                integrationID: fixture.integration.id, accountID: fixture.accountID, syncedTo: at(100),
                runWindow: PullWindow(from: at(100), to: at(200)),
                nextRequest: PullRequest(method: "POST", url: "https://api.ringba.com/v2/RA1/calllogs", headers: ["content-type": "application/json"],
                                         body: Array(#"{"offset":1000}"#.utf8), endpoint: "calllogs"),
                lastAttemptAt: at(150), lastSuccessAt: at(120), lastError: "HTTP 500", failures: 2, breaker: .halfOpen,
                breakerUntil: at(160), rowsPulled: 12_345, nextRunAt: at(700),
                token: AccessToken(value: "bearer-token-xyz", refreshToken: "refresh-abc", expiresAt: at(3600))
            )
            // run
            try await fixture.states.save(state)
            // validate
            #expect(try await fixture.states.state(integrationID: fixture.integration.id) == state)
            let sealed = try await database.read { sql in
                try await sql.raw("SELECT token_sealed FROM sync_state").first()?.decode(column: "token_sealed", as: String?.self)
            }
            #expect(sealed?.hasPrefix("v1:") == true && sealed?.contains("bearer-token-xyz") == false)
            // A later save replaces it, dropping what it no longer has.
            var finished = state
            finished.runWindow = nil
            finished.nextRequest = nil
            finished.lastError = nil
            finished.failures = 0
            finished.breaker = .closed
            finished.breakerUntil = nil
            finished.token = nil
            try await fixture.states.save(finished)
            #expect(try await fixture.states.state(integrationID: fixture.integration.id) == finished)
            #expect(try await fixture.states.states(accountID: fixture.accountID) == [fixture.integration.id: finished])
        }
    }

    @Test(arguments: TestEngine.all)
    func ofTwoHoldersOneWinsTheLeaseTheHolderRenewsItAndAnExpiredOneCanBeTaken(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let fixture = try await SyncFixture.make(database)
            let states = fixture.states
            let id = fixture.integration.id
            // Two holders at once: exactly one wins.
            async let first = states.acquireLease(integrationID: id, holder: "node-a", until: at(130), now: at(100))
            async let second = states.acquireLease(integrationID: id, holder: "node-b", until: at(130), now: at(100))
            let won = try await [first, second]
            #expect(won.filter { $0 }.count == 1)
            let (winner, loser) = won[0] ? ("node-a", "node-b") : ("node-b", "node-a")
            // The holder renews; the other is still refused while it lives.
            #expect(try await states.acquireLease(integrationID: id, holder: winner, until: at(160), now: at(120)))
            #expect(try await !states.acquireLease(integrationID: id, holder: loser, until: at(190), now: at(140)))
            // Expired: the other takes it, and the first holder is now refused.
            #expect(try await states.acquireLease(integrationID: id, holder: loser, until: at(200), now: at(161)))
            #expect(try await !states.acquireLease(integrationID: id, holder: winner, until: at(220), now: at(170)))
            // Releasing by someone else changes nothing; by the holder frees it.
            try await states.releaseLease(integrationID: id, holder: winner)
            #expect(try await !states.acquireLease(integrationID: id, holder: winner, until: at(220), now: at(171)))
            try await states.releaseLease(integrationID: id, holder: loser)
            #expect(try await states.acquireLease(integrationID: id, holder: winner, until: at(220), now: at(172)))
            // A lease on an integration that does not exist is never granted.
            #expect(try await !states.acquireLease(integrationID: "int_missing", holder: winner, until: at(220), now: at(172)))
        }
    }

    @Test(arguments: TestEngine.all)
    func savingTheStateKeepsTheLease(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let fixture = try await SyncFixture.make(database)
            let id = fixture.integration.id
            #expect(try await fixture.states.acquireLease(integrationID: id, holder: "node-a", until: at(200), now: at(100)))
            try await fixture.states.save(SyncState(integrationID: id, accountID: fixture.accountID, rowsPulled: 5))
            #expect(try await !fixture.states.acquireLease(integrationID: id, holder: "node-b", until: at(200), now: at(150)))
        }
    }

    @Test(arguments: TestEngine.all)
    func dueListsOnlyIntegrationsWithCredentialsWhoseRunIsDueBreakerShutAndLeaseFree(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup: six integrations with credentials in different states, one without
            var fixtures: [String: SyncFixture] = [:]
            for name in ["never-run", "due", "later", "breaker-open", "breaker-expired", "leased", "no-credentials"] {
                let fixture = try await SyncFixture.make(database, name: name)
                if name != "no-credentials" { try await fixture.giveCredentials() }
                fixtures[name] = fixture
            }
            func save(_ name: String, _ change: (inout SyncState) -> Void) async throws {
                let fixture = try #require(fixtures[name])
                var state = SyncState(integrationID: fixture.integration.id, accountID: fixture.accountID)
                change(&state)
                try await fixture.states.save(state)
            }
            try await save("due") { $0.nextRunAt = at(1000) }
            try await save("later") { $0.nextRunAt = at(1001) }
            try await save("breaker-open") { $0.nextRunAt = at(10); $0.breaker = .open; $0.breakerUntil = at(1001) }
            try await save("breaker-expired") { $0.nextRunAt = at(10); $0.breaker = .open; $0.breakerUntil = at(1000) }
            try await save("no-credentials") { $0.nextRunAt = at(10) }
            let leased = try #require(fixtures["leased"])
            #expect(try await leased.states.acquireLease(integrationID: leased.integration.id, holder: "node-a", until: at(1100), now: at(900)))
            // run
            let due = try await leased.states.due(now: at(1000))
            // validate
            let expected = ["never-run", "due", "breaker-expired"].compactMap { fixtures[$0]?.integration.id }
            #expect(Set(due) == Set(expected) && due.count == expected.count)
            // Once the lease has run out, that integration is due too.
            #expect(try await leased.states.due(now: at(1101)).contains(leased.integration.id))
        }
    }

    @Test(arguments: TestEngine.all)
    func removingTheIntegrationRemovesItsCredentialsAndState(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let fixture = try await SyncFixture.make(database)
            try await fixture.giveCredentials()
            try await fixture.states.save(SyncState(integrationID: fixture.integration.id, accountID: fixture.accountID, rowsPulled: 3))
            try await IntegrationStore(database: database).remove(id: fixture.integration.id, accountID: fixture.accountID)
            #expect(try await fixture.credentials.credentials(integrationID: fixture.integration.id) == nil)
            #expect(try await fixture.states.state(integrationID: fixture.integration.id) == nil)
            #expect(try await fixture.states.due(now: at(1)).isEmpty)
        }
    }

    @Test(arguments: TestEngine.all)
    func webhookSecretsAreSealedWhenAKeyIsSetAndPlainOnesStillRead(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let plain = IntegrationStore(database: database)
            let sealing = IntegrationStore(database: database, box: SyncFixture.box)
            // An integration made without a key keeps its secret plain and reads with or without one.
            let old = try await plain.create(accountID: account.account.id, vendor: "ringba", name: "old", fieldMapping: [:], secret: "plain-secret-0123456789")
            #expect(try await sealing.integration(id: old.id)?.secret == "plain-secret-0123456789")
            // With a key, new and changed secrets are sealed at rest and read back opened.
            let new = try await sealing.create(accountID: account.account.id, vendor: "ringba", name: "new", fieldMapping: [:], secret: "new-secret-0123456789")
            #expect(new.secret == "new-secret-0123456789")
            #expect(try await sealing.integration(id: new.id)?.secret == "new-secret-0123456789")
            _ = try await sealing.setSecret("changed-secret-0123456789", id: old.id, accountID: account.account.id)
            #expect(try await sealing.list(accountID: account.account.id).map(\.secret) == ["changed-secret-0123456789", "new-secret-0123456789"])
            let stored = try await database.read { sql in
                try await sql.raw("SELECT secret FROM integrations ORDER BY created_at, id").all().map { try $0.decode(column: "secret", as: String.self) }
            }
            #expect(stored.allSatisfy { $0.hasPrefix("v1:") && !$0.contains("secret-0123456789") })
            // Without the key a sealed secret is no secret: nothing authenticates with the sealed text.
            #expect(try await plain.integration(id: new.id)?.secret == nil)
        }
    }
}

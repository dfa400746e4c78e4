import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import Testing

/// `dce replay` run as a user runs it: the kept requests of a database read again, a dead
/// letter that today's reader accepts folded, and a summary line.
@Suite struct ReplayCommandTests {
    static let refusedBody = #"{"idempotency_key":"e2e-2","external_call_id":"E2E-2","occurred_at":"2026-03-01T10:05:00Z","status":"completed"}"#

    static func native(_ body: String, at second: Int64) -> InboundRequest {
        InboundRequest(source: .native, method: "POST", path: "/v1/events", contentType: "application/json", headers: [:],
                       body: Array(body.utf8), receivedAt: Timestamp(millisecondsSince1970: 1_772_359_200_000 + second * 1000))
    }

    @Test(arguments: TestEngine.all)
    func replayReadsTheKeptRequestsAgainAndSaysWhatItDid(engine: TestEngine) async throws {
        // setup: one accepted request, and one kept as a dead letter (as an older reader refused it)
        let created = try await TestDatabases.create(engine, migrated: true)
        do {
            try await Self.check(created.location)
            try await created.drop()
        } catch {
            try? await created.drop()
            throw error
        }
    }

    static func check(_ location: DatabaseLocation) async throws {
        let database = try await openDatabase(location, logger: TestDatabases.logger)
        try await Migrations.migrate(database)
        let account = try await TestAccount.make(database).account.id
        let ledger = Ledger(database: database)
        let accepted = IncomingEvent.wholeBody(CallEvent(
            source: .native, externalCallID: "E2E-1", idempotencyKey: "e2e-1",
            occurredAt: Timestamp(millisecondsSince1970: 1_772_359_200_000), fields: CallFields(status: .ringing)))
        _ = try await ledger.append([accepted], accountID: account, request: Self.native(
            #"{"idempotency_key":"e2e-1","external_call_id":"E2E-1","occurred_at":"2026-03-01T10:00:00Z","status":"ringing"}"#, at: 0))
        try await ledger.deadLetter(Self.native(Self.refusedBody, at: 60), accountID: account, reason: "an older reader refused it", field: nil)
        await database.close()

        // run
        let run = try await DCEProcess.run(["replay", "--from", "2026-03-01", "--to", "2026-03-01", "--database", location.connectionString])
        let badWindow = try await DCEProcess.run(["replay", "--from", "2026-03-02", "--to", "2026-03-01", "--database", location.connectionString])

        // validate
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "replayed 2 requests (2 selected): 2 events, 2 calls refolded, 1 dead letters read, 0 still refused\n")
        #expect(badWindow.status != 0)
        #expect(badWindow.stderr.contains("--from"), "\(badWindow.stderr)")
        let reopened = try await openDatabase(location, logger: TestDatabases.logger)
        let calls = try await Ledger(database: reopened).calls(CallQuery(), accountID: account)
        #expect(Set(calls.calls.map(\.externalCallID)) == ["E2E-1", "E2E-2"])
        #expect(try await Ledger(database: reopened).deadLetters(accountID: account).isEmpty)
        await reopened.close()
    }
}

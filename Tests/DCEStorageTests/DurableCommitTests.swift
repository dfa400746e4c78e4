import DCEDomain
@testable import DCEStorage
import DCETestSupport
import Foundation
import SQLKit
import Synchronization
import Testing

/// On SQLite a commit group's data is synced to disk while the next group is written; no
/// caller may hear of its write before a sync that began after that write's commit.
@Suite struct DurableCommitTests {
    /// The real database, noting which events each finished sync covered: those committed
    /// (and so visible to a reader) when the sync began.
    final class SyncRecorder: ObservedDatabase, @unchecked Sendable {
        let durable = Mutex<Set<String>>([])
        let syncs = Mutex(0)

        override func makeCommittedDurable() async throws {
            let committed = try await inner.read { sql in
                try await sql.raw("SELECT idempotency_key FROM raw_events").all().map { try $0.decode(column: "idempotency_key", as: String.self) }
            }
            // A slow disk: groups keep committing while this sync runs.
            try await Task.sleep(for: .milliseconds(5))
            try await inner.makeCommittedDurable()
            durable.withLock { $0.formUnion(committed) }
            syncs.withLock { $0 += 1 }
        }
    }

    @Test(arguments: TestEngine.all)
    func noCallerHearsOfItsWriteBeforeItIsSynced(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let recorder = SyncRecorder(database)
            let ledger = Ledger(database: recorder)
            let request = InboundRequest(source: .native, method: "POST", path: "/v1/events", contentType: "application/json", headers: [:], body: Array("{}".utf8))
            let unsynced = try await withThrowingTaskGroup(of: [String].self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let key = "durable-\(index)"
                        let event = CallEvent(source: .native, externalCallID: "D-\(index % 50)", idempotencyKey: key,
                                              occurredAt: Timestamp(millisecondsSince1970: 1_790_000_000_000 + Int64(index)),
                                              type: "stage", fields: CallFields(status: .ringing))
                        _ = try await ledger.append([IncomingEvent(event: event, payload: "{}")], accountID: account.account.id, request: request)
                        if recorder.defersDurability {
                            return recorder.durable.withLock { $0.contains(key) } ? [] : [key]
                        }
                        // Committed before the answer: a reader sees it.
                        return try await ledger.outcome(forKey: key, accountID: account.account.id) == nil ? [key] : []
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(unsynced.isEmpty)
            if recorder.defersDurability {
                // Groups that committed during a sync shared the next one.
                #expect(recorder.syncs.withLock { $0 } < 200)
            }
        }
    }
}

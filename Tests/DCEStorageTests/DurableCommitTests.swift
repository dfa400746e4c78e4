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
    @Test(arguments: TestEngine.all)
    func everyAnsweredAppendIsCommitted(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            let request = InboundRequest(source: .native, method: "POST", path: "/v1/events", contentType: "application/json", headers: [:], body: Array("{}".utf8))
            let unseen = try await withThrowingTaskGroup(of: [String].self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let key = "durable-\(index)"
                        let event = CallEvent(source: .native, externalCallID: "D-\(index % 50)", idempotencyKey: key,
                                              occurredAt: Timestamp(millisecondsSince1970: 1_790_000_000_000 + Int64(index)),
                                              type: "stage", fields: CallFields(status: .ringing))
                        _ = try await ledger.append([IncomingEvent(event: event, payload: "{}")], accountID: account.account.id, request: request)
                        // Committed before the answer: a reader sees it.
                        return try await ledger.outcome(forKey: key, accountID: account.account.id) == nil ? [key] : []
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(unseen.isEmpty)
        }
    }

    /// Commits numbered in order; a sync covers those made before it began.
    final class Disk: Sendable {
        let committed = Mutex(0)
        let synced = Mutex(0)
        let syncs = Mutex(0)

        func sync() async throws {
            let covered = committed.withLock { $0 }
            // A slow disk: commits go on while this sync runs.
            try await Task.sleep(for: .milliseconds(5))
            synced.withLock { $0 = max($0, covered) }
            syncs.withLock { $0 += 1 }
        }
    }

    @Test func noCommitIsAnsweredBeforeASyncThatBeganAfterIt() async throws {
        let disk = Disk()
        let wal = WALSync { try await disk.sync() }
        let early = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<200 {
                group.addTask {
                    let commit = disk.committed.withLock { $0 += 1; return $0 }
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                        wal.whenDurable { continuation.resume(with: $0) }
                    }
                    return disk.synced.withLock { $0 } >= commit ? [] : [commit]
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(early.isEmpty)
        // Commits made during a sync shared the next one.
        #expect(disk.syncs.withLock { $0 } < 200)
    }

    final class Answered: Sendable {
        let order = Mutex<[Int]>([])
    }

    @Test func answersComeInTheOrderOfTheCalls() async throws {
        let wal = WALSync { try await Task.sleep(for: .milliseconds(1)) }
        let answered = Answered()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            for index in 0..<50 {
                wal.whenDurable { _ in
                    let count = answered.order.withLock { $0.append(index); return $0.count }
                    if count == 50 { done.resume() }
                }
            }
        }
        #expect(answered.order.withLock { $0 } == Array(0..<50))
    }

    struct DiskFull: Error {}

    @Test func aFailedSyncFailsEveryCommitItCovered() async throws {
        let wal = WALSync { throw DiskFull() }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, any Error>, Never>) in
            wal.whenDurable { continuation.resume(returning: $0) }
        }
        #expect(throws: DiskFull.self) { try result.get() }
    }
}

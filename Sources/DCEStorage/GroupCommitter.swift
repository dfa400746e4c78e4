import PostgresNIO
import SQLKit
import SQLiteNIO

/// Runs concurrent writes together in one transaction, so that a burst of webhooks costs
/// one commit (one fsync) instead of one per request. Every caller returns only after the
/// shared commit succeeded: a 2xx built on its result means the data is durable.
///
/// Two kinds of work share a group. A closure runs in its own savepoint, so one bad write
/// fails alone. Items (`Item`) are handed to `batch` all together, to be written set-wise
/// with a few multi-row statements; if that fails, the group is written again in a new
/// transaction with each item alone in its own savepoint, so a bad item still fails alone
/// and the others commit.
///
/// SQLite has one writer, so one group runs at a time. PostgreSQL runs several groups at
/// once on separate connections: each statement is a network round trip, and serialising
/// them all through one transaction would leave the server idle.
actor GroupCommitter<Item: Sendable, Outcome: Sendable> {
    typealias Batch = @Sendable ([Item], any SQLDatabase) async throws -> [Outcome]

    private enum Work: Sendable {
        case closure(@Sendable (any SQLDatabase) async throws -> any Sendable)
        case item(Item)
    }

    private struct Job: Sendable {
        let work: Work
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    private let database: any Database
    private let maximumBatch: Int
    private let parallelism: Int
    private let batch: Batch?
    private var pending: [Job] = []
    private var drains = 0

    init(database: any Database, maximumBatch: Int = 256, batch: Batch?) {
        self.database = database
        self.maximumBatch = maximumBatch
        self.parallelism = database.engine == .postgres ? 6 : 1
        self.batch = batch
    }

    func submit<T: Sendable>(_ work: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await enqueue(.closure { try await work($0) }) as! T
    }

    func submit(_ item: Item) async throws -> Outcome {
        try await enqueue(.item(item)) as! Outcome
    }

    private func enqueue(_ work: Work) async throws -> any Sendable {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            pending.append(Job(work: work, continuation: continuation))
            if drains < parallelism {
                drains += 1
                Task(executorPreference: database.writeExecutor) { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let group = Array(pending.prefix(maximumBatch))
            pending.removeFirst(group.count)
            let outcomes: [Result<any Sendable, any Error>]
            do {
                do {
                    outcomes = try await database.writeCommitted { sql in try await self.run(group, together: true, on: sql) }
                } catch is ItemsFailedTogether {
                    // Written together the items failed, and the transaction with them: write
                    // the group again with each item alone in its savepoint.
                    outcomes = try await database.writeCommitted { sql in try await self.run(group, together: false, on: sql) }
                }
            } catch {
                outcomes = group.map { _ in .failure(error) }
            }
            if database.defersDurability {
                // The next group starts now; these callers hear back once a sync that began
                // after this commit has finished.
                undurable.append(contentsOf: zip(group, outcomes).map { ($0.continuation, $1) })
                if !syncing {
                    syncing = true
                    Task { await self.makeDurable() }
                }
            } else {
                for (job, outcome) in zip(group, outcomes) {
                    job.continuation.resume(with: outcome)
                }
            }
        }
        drains -= 1
    }

    /// Committed groups whose callers wait for their data to be on disk.
    private var undurable: [(CheckedContinuation<any Sendable, any Error>, Result<any Sendable, any Error>)] = []
    private var syncing = false

    /// Syncs while committed groups wait: each sync covers every group committed before it
    /// began, so groups committed during one sync share the next. No caller hears of its
    /// write before a sync that covers it, and callers hear in commit order.
    private func makeDurable() async {
        while !undurable.isEmpty {
            let covered = undurable
            undurable = []
            do {
                try await database.makeCommittedDurable()
                for (continuation, outcome) in covered { continuation.resume(with: outcome) }
            } catch {
                for (continuation, _) in covered { continuation.resume(throwing: error) }
            }
        }
        syncing = false
    }

    private struct ItemsFailedTogether: Error {}

    /// The outcome of each job of the group, in order, inside the group's transaction.
    /// `together`: the items go to `batch` all at once, without a savepoint (the common
    /// case costs no extra statement); if that fails, `ItemsFailedTogether` rolls the
    /// whole transaction back. Otherwise each item runs alone in its own savepoint.
    private nonisolated func run(_ group: [Job], together: Bool, on sql: any SQLDatabase) async throws -> [Result<any Sendable, any Error>] {
        var results = [Result<any Sendable, any Error>?](repeating: nil, count: group.count)
        var items: [(index: Int, item: Item)] = []
        for (index, job) in group.enumerated() {
            if case .item(let item) = job.work { items.append((index, item)) }
        }
        if let batch, !items.isEmpty {
            if together {
                let outcomes: [Outcome]
                do {
                    outcomes = try await batch(items.map(\.item), sql)
                } catch {
                    throw ItemsFailedTogether()
                }
                for (position, (index, _)) in items.enumerated() {
                    results[index] = .success(outcomes[position])
                }
            } else {
                for (index, item) in items {
                    results[index] = try await Self.inSavepoint("item\(index)", on: sql) { try await batch([item], sql)[0] }
                }
            }
        }
        for (index, job) in group.enumerated() {
            guard case .closure(let work) = job.work else { continue }
            results[index] = try await Self.inSavepoint("job\(index)", on: sql) { try await work(sql) }
        }
        return results.map { $0! }
    }

    /// Runs `work` in a savepoint: undone alone when it fails, and tried again (up to three
    /// times) when the database chose it as the victim of a lock cycle with another node or
    /// group, since its locks are then gone.
    private static func inSavepoint<T: Sendable>(_ name: String, on sql: any SQLDatabase, _ work: () async throws -> T) async throws -> Result<any Sendable, any Error> {
        var attempt = 1
        while true {
            try await sql.raw("SAVEPOINT \(unsafeRaw: name)").run()
            do {
                let value = try await work()
                try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: name)").run()
                return .success(value)
            } catch {
                try await sql.raw("ROLLBACK TO SAVEPOINT \(unsafeRaw: name)").run()
                try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: name)").run()
                if attempt < 3, TransientConflict.matches(error) {
                    attempt += 1
                    continue
                }
                return .failure(error)
            }
        }
    }
}

extension GroupCommitter where Item == Never, Outcome == Never {
    /// A committer of closures only.
    init(database: any Database, maximumBatch: Int = 256) {
        self.init(database: database, maximumBatch: maximumBatch, batch: nil)
    }
}

/// Errors that mean "another transaction won this time", not "this write is wrong".
enum TransientConflict {
    static func matches(_ error: any Error) -> Bool {
        // Another node committed the same key or vendor call id first: a new try finds it.
        if error is LedgerError { return true }
        if let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] {
            return state == "40P01" || state == "40001"  // deadlock detected, serialization failure
        }
        if let error = error as? SQLiteError {
            switch error.reason {
            case .busy, .busyTimeout, .locked: return true
            default: return false
            }
        }
        return false
    }
}

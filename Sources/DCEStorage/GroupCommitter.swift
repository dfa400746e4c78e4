import PostgresNIO
import SQLKit
import SQLiteNIO

/// Runs concurrent writes together in one transaction, each in its own savepoint, so that
/// a burst of webhooks costs one commit (one fsync) instead of one per request, and one
/// bad write fails alone. Every caller returns only after the shared commit succeeded:
/// a 2xx built on its result means the data is durable.
///
/// SQLite has one writer, so one group runs at a time. PostgreSQL runs several groups at
/// once on separate connections: each statement is a network round trip, and serialising
/// them all through one transaction would leave the server idle.
actor GroupCommitter {
    private struct Job: Sendable {
        let work: @Sendable (any SQLDatabase) async throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    private let database: any Database
    private let maximumBatch: Int
    private let parallelism: Int
    private var pending: [Job] = []
    private var drains = 0

    init(database: any Database, maximumBatch: Int = 128) {
        self.database = database
        self.maximumBatch = maximumBatch
        self.parallelism = database.engine == .postgres ? 6 : 1
    }

    func submit<T: Sendable>(_ work: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let result = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            pending.append(Job(work: { try await work($0) }, continuation: continuation))
            if drains < parallelism {
                drains += 1
                Task { await self.drain() }
            }
        }
        return result as! T
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maximumBatch))
            pending.removeFirst(batch.count)
            let outcomes: [Result<any Sendable, any Error>]
            do {
                outcomes = try await database.write { sql in
                    var results: [Result<any Sendable, any Error>] = []
                    results.reserveCapacity(batch.count)
                    for (index, job) in batch.enumerated() {
                        let savepoint = "job\(index)"
                        var attempt = 1
                        while true {
                            try await sql.raw("SAVEPOINT \(unsafeRaw: savepoint)").run()
                            do {
                                results.append(.success(try await job.work(sql)))
                                try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: savepoint)").run()
                                break
                            } catch {
                                try await sql.raw("ROLLBACK TO SAVEPOINT \(unsafeRaw: savepoint)").run()
                                try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: savepoint)").run()
                                // The database chose this write as the victim of a lock cycle
                                // with another node or group: its locks are gone, try again.
                                if attempt < 3, TransientConflict.matches(error) {
                                    attempt += 1
                                    continue
                                }
                                results.append(.failure(error))
                                break
                            }
                        }
                    }
                    return results
                }
            } catch {
                outcomes = batch.map { _ in .failure(error) }
            }
            for (job, outcome) in zip(batch, outcomes) {
                job.continuation.resume(with: outcome)
            }
        }
        drains -= 1
    }
}

/// Errors that mean "another transaction won this time", not "this write is wrong".
enum TransientConflict {
    static func matches(_ error: any Error) -> Bool {
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

import PostgresNIO
import SQLKit
import NIOCore
import NIOPosix
import Synchronization

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
///
/// A group costs its statements, its commit and its sync whatever its size, so on SQLite a
/// group about to start waits (at most `linger`) for the writes announced to it
/// (`Arrival`): requests already received and still being read or decoded. An idle server
/// has none, and its one write starts at once. Writes announced once the group is due do
/// not hold it: they join the next. At saturation here groups grew from about 14 to 19
/// deliveries, and the writer's CPU per delivery fell by 5-15%.
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
    private let linger: TimeAmount
    private var pending: [Job] = []
    private var drains = 0
    /// Writes announced and not yet submitted (or given up).
    nonisolated let arriving: Arrival.Count = Arrival.Count()

    init(database: any Database, maximumBatch: Int = 256, linger: TimeAmount = .milliseconds(1), batch: Batch?) {
        self.database = database
        self.maximumBatch = maximumBatch
        self.parallelism = database.engine == .postgres ? 6 : 1
        self.linger = parallelism == 1 ? linger : .zero
        self.batch = batch
    }

    /// Tells the committer a write is on its way: until it is submitted (or the arrival is
    /// released), a group about to start may wait for it.
    nonisolated func announce() -> Arrival {
        Arrival(arriving) { Task { await self.gathered() } }
    }

    func submit<T: Sendable>(_ work: @escaping @Sendable (any SQLDatabase) async throws -> T, arrival: Arrival? = nil) async throws -> T {
        try await enqueue(.closure { try await work($0) }, arrival: arrival) as! T
    }

    func submit(_ item: Item, arrival: Arrival? = nil) async throws -> Outcome {
        try await enqueue(.item(item), arrival: arrival) as! Outcome
    }

    private func enqueue(_ work: Work, arrival: Arrival?) async throws -> any Sendable {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            pending.append(Job(work: work, continuation: continuation))
            arrival?.land(waking: false)
            gathered()
            if drains < parallelism {
                drains += 1
                Task(executorPreference: database.writeExecutor) { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            await gather()
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

    /// The group waiting for writes announced before it was due, if one is.
    private var gathering: (generation: Int, due: Int, continuation: CheckedContinuation<Void, Never>)?
    private var gatherings = 0

    /// Waits until every write announced before now has joined `pending` (or was given
    /// up), the group is full, or `linger` has passed. Writes announced later do not make
    /// it wait longer. `enqueue` ends the wait; an event loop's timer ends it at the latest
    /// (Swift's `Task.sleep` oversleeps short waits by a millisecond or more here).
    private func gather() async {
        guard linger > .zero else { return }
        let due = arriving.nextTicket
        guard pending.count < maximumBatch, arriving.anyBefore(due) else { return }
        gatherings += 1
        let generation = gatherings
        let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: linger) {
            Task { await self.endGathering(generation) }
        }
        await withCheckedContinuation { gathering = (generation, due, $0) }
        timer.cancel()
    }

    /// Whether a group is waiting for announced writes (for tests).
    var isGathering: Bool { gathering != nil }

    private func endGathering(_ generation: Int) {
        guard let gathering, gathering.generation == generation else { return }
        self.gathering = nil
        gathering.continuation.resume()
    }

    /// Ends the wait once what it waits for has come.
    private func gathered() {
        guard let gathering, pending.count >= maximumBatch || !arriving.anyBefore(gathering.due) else { return }
        endGathering(gathering.generation)
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

/// A write on its way to a `GroupCommitter`, counted from `announce()` until it is
/// submitted or this is released, whichever comes first.
public final class Arrival: Sendable {
    /// The arrivals not yet landed, by ticket: tickets are handed out in announcement order.
    final class Count: Sendable {
        private let state = Mutex<(next: Int, open: Set<Int>)>((0, []))
        /// The ticket the next arrival will get.
        var nextTicket: Int { state.withLock { $0.next } }
        /// Whether an arrival announced before `ticket` has not landed.
        func anyBefore(_ ticket: Int) -> Bool { state.withLock { $0.open.contains { $0 < ticket } } }

        func open() -> Int {
            state.withLock { state in
                defer { state.next += 1 }
                state.open.insert(state.next)
                return state.next
            }
        }

        func close(_ ticket: Int) { _ = state.withLock { $0.open.remove(ticket) } }
    }

    private let count: Count
    private let ticket: Int
    private let landed = Atomic<Bool>(false)
    /// Tells the committer to look again whether a group waiting for this may start.
    private let wake: @Sendable () -> Void

    init(_ count: Count, wake: @escaping @Sendable () -> Void) {
        self.count = count
        self.wake = wake
        ticket = count.open()
    }

    /// The write will not be submitted: it is no longer waited for.
    public func land() { land(waking: true) }

    /// `waking`: false when the committer itself lands it, as it takes the write.
    func land(waking: Bool) {
        guard !landed.exchange(true, ordering: .relaxed) else { return }
        count.close(ticket)
        if waking { wake() }
    }

    deinit { land() }
}

extension GroupCommitter where Item == Never, Outcome == Never {
    /// A committer of closures only.
    init(database: any Database, maximumBatch: Int = 256, linger: TimeAmount = .milliseconds(1)) {
        self.init(database: database, maximumBatch: maximumBatch, linger: linger, batch: nil)
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
        if let error = error as? SQLiteWriterError { return error.isBusy }
        return false
    }
}



import NIOCore
import SQLKit

/// Runs concurrent writes together in one transaction, so that a burst of webhooks costs
/// one commit (one fsync) instead of one per request. Every caller returns only after the
/// shared commit is durable: a 2xx built on its result means the data is on disk.
///
/// Two kinds of work share a group. A closure runs in its own savepoint, so one bad write
/// fails alone. Items (`Item`) are handed to `batch` all together, to be written set-wise
/// with a few multi-row statements; if that fails, the group is written again in a new
/// transaction with each item alone in its own savepoint, so a bad item still fails alone
/// and the others commit.
///
/// How many groups run at once, where, whether one waits for announced writes
/// (`ArrivalGate`) and when a commit is durable are the engine's (`GroupWriting`).
actor GroupCommitter<Item: Sendable, Outcome: Sendable> {
    typealias Batch = @Sendable ([Item], any SQLDatabase) async throws -> [Outcome]

    /// Answers a caller once its group's commit is durable.
    private typealias Answer = @Sendable () -> Void

    /// A write waiting for its group.
    private enum Job: Sendable {
        /// Runs in its own savepoint; returns how to answer its caller.
        case closure(@Sendable (any SQLDatabase) async throws -> Answer, fail: @Sendable (any Error) -> Void)
        case item(Item, CheckedContinuation<Outcome, any Error>)

        func fail(_ error: any Error) {
            switch self {
            case .closure(_, let fail): fail(error)
            case .item(_, let continuation): continuation.resume(throwing: error)
            }
        }
    }

    private let database: any GroupWritingDatabase
    private let writing: GroupWriting
    private let maximumBatch: Int
    private let batch: Batch?
    private let gate: ArrivalGate
    private var pending: [Job] = []
    private var drains = 0

    /// `linger` replaces the engine's wait for announced writes where groups run one at a time;
    /// `oneAtATime` runs one group at a time on any engine.
    init(database: any Database, maximumBatch: Int = 256, linger: TimeAmount? = nil, oneAtATime: Bool = false, batch: Batch?) {
        self.database = database.groupWriter
        var writing = self.database.groupWriting
        if oneAtATime { writing.parallelism = 1 }
        self.writing = writing
        self.maximumBatch = maximumBatch
        self.batch = batch
        gate = ArrivalGate(linger: writing.parallelism == 1 ? linger ?? writing.linger : .zero)
    }

    /// Tells the committer a write is on its way: until it is submitted (or the arrival is
    /// released), a group about to start may wait for it.
    nonisolated func announce() -> Arrival { gate.announce() }

    func submit<T: Sendable>(_ work: @escaping @Sendable (any SQLDatabase) async throws -> T, arrival: Arrival? = nil) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue(.closure({ sql in
                let value = try await work(sql)
                return { continuation.resume(returning: value) }
            }, fail: { continuation.resume(throwing: $0) }), arrival: arrival)
        }
    }

    func submit(_ item: Item, arrival: Arrival? = nil) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.item(item, continuation), arrival: arrival)
        }
    }

    /// Whether a group is waiting for announced writes (for tests).
    var isGathering: Bool { gate.isWaiting }

    private func enqueue(_ job: Job, arrival: Arrival?) {
        pending.append(job)
        arrival?.land(waking: false)
        gate.recheck(full: pending.count >= maximumBatch)
        if drains < writing.parallelism {
            drains += 1
            Task(executorPreference: writing.executor) { await self.drain() }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            // Checked here first: a group that will not wait does not leave the actor.
            if pending.count < maximumBatch, gate.hasAnnounced { await gate.wait() }
            let group = Array(pending.prefix(maximumBatch))
            pending.removeFirst(group.count)
            do {
                let answers: [Result<Answer, any Error>]
                do {
                    answers = try await database.writeCommitted { sql in try await self.run(group, together: true, on: sql) }
                } catch is ItemsFailedTogether {
                    // Written together the items failed, and the transaction with them: write
                    // the group again with each item alone in its savepoint.
                    answers = try await database.writeCommitted { sql in try await self.run(group, together: false, on: sql) }
                }
                // The next group may start now; these callers hear back once it is durable.
                database.whenDurable { durable in
                    for (job, answer) in zip(group, answers) {
                        switch (durable, answer) {
                        case (.success, .success(let answer)): answer()
                        case (.failure(let error), _), (.success, .failure(let error)): job.fail(error)
                        }
                    }
                }
            } catch {
                for job in group { job.fail(error) }
            }
        }
        drains -= 1
    }

    private struct ItemsFailedTogether: Error {}

    /// How to answer each job of the group, in order, inside the group's transaction.
    /// `together`: the items go to `batch` all at once, without a savepoint (the common
    /// case costs no extra statement); if that fails, `ItemsFailedTogether` rolls the
    /// whole transaction back. Otherwise each item runs alone in its own savepoint.
    private nonisolated func run(_ group: [Job], together: Bool, on sql: any SQLDatabase) async throws -> [Result<Answer, any Error>] {
        var answers = [Result<Answer, any Error>](repeating: .failure(ItemsFailedTogether()), count: group.count)
        var items: [(index: Int, item: Item, continuation: CheckedContinuation<Outcome, any Error>)] = []
        for (index, job) in group.enumerated() {
            if case .item(let item, let continuation) = job { items.append((index, item, continuation)) }
        }
        if let batch, !items.isEmpty {
            if together {
                let outcomes: [Outcome]
                do {
                    outcomes = try await batch(items.map(\.item), sql)
                } catch {
                    throw ItemsFailedTogether()
                }
                guard outcomes.count == items.count else { throw ItemsFailedTogether() }
                for (item, outcome) in zip(items, outcomes) {
                    answers[item.index] = .success(Self.answer(item.continuation, outcome))
                }
            } else {
                for item in items {
                    let outcome = try await Savepoint.run("item\(item.index)", on: sql) { () async throws -> Outcome in
                        guard let outcome = try await batch([item.item], sql).first else { throw ItemsFailedTogether() }
                        return outcome
                    }
                    answers[item.index] = outcome.map { Self.answer(item.continuation, $0) }
                }
            }
        }
        for (index, job) in group.enumerated() {
            guard case .closure(let work, _) = job else { continue }
            answers[index] = try await Savepoint.run("job\(index)", on: sql) { try await work(sql) }
        }
        return answers
    }

    private static func answer(_ continuation: CheckedContinuation<Outcome, any Error>, _ outcome: Outcome) -> Answer {
        { continuation.resume(returning: outcome) }
    }
}

extension GroupCommitter where Item == Never, Outcome == Never {
    /// A committer of closures only.
    init(database: any Database, maximumBatch: Int = 256, linger: TimeAmount? = nil, oneAtATime: Bool = false) {
        self.init(database: database, maximumBatch: maximumBatch, linger: linger, oneAtATime: oneAtATime, batch: nil)
    }
}

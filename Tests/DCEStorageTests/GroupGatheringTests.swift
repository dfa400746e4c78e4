import DCEDomain
@testable import DCEStorage
import DCETestSupport
import Foundation
import NIOCore
import SQLKit
import Synchronization
import Testing

/// On SQLite a commit group about to start waits for the writes announced before it was
/// due, and only for those; on PostgreSQL groups run side by side and never wait.
///
/// The time limit only catches a wait that never ends; it is generous because the whole
/// suite runs these beside hundreds of other tests on two cores.
@Suite(.timeLimit(.minutes(5))) struct GroupGatheringTests {
    /// The real database, numbering its commit groups.
    final class GroupCounter: ObservedDatabase, @unchecked Sendable {
        let groups = Mutex(0)

        override func writeCommitted<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
            groups.withLock { $0 += 1 }
            return try await super.writeCommitted(body)
        }

        /// The number of the group a job runs in.
        var current: Int { groups.withLock { $0 } }
    }

    /// Waits until a group is waiting for announced writes.
    static func untilGathering(_ committer: GroupCommitter<Never, Never>) async {
        while await !committer.isGathering { await Task.yield() }
    }

    /// Far longer than the test may take: a wait it ends is ended by what it waited for.
    static let forever = TimeAmount.seconds(600)

    /// A committer of closures on a fresh database of `engine` whose groups are numbered.
    static func withCommitter(_ engine: TestEngine, linger: TimeAmount = forever,
                              _ body: @Sendable (GroupCounter, GroupCommitter<Never, Never>) async throws -> Void) async throws {
        try await TestDatabases.with(engine) { database in
            let counted = GroupCounter(database)
            try await body(counted, GroupCommitter(database: counted, linger: linger))
        }
    }

    @Test(arguments: TestEngine.all)
    func aGroupWaitsForWritesAnnouncedBeforeItAndNoOthers(engine: TestEngine) async throws {
        try await Self.withCommitter(engine) { counted, committer in
            let announced = committer.announce()
            async let first = committer.submit { _ in counted.current }
            if engine == .postgres {
                // Nothing waits: the group runs while the announced write is still away.
                _ = try await first
                _ = try await committer.submit({ _ in counted.current }, arrival: announced)
                return
            }
            await Self.untilGathering(committer)
            // Announced after the group was due: not waited for, though it never comes.
            let later = committer.announce()
            let second = try await committer.submit({ _ in counted.current }, arrival: announced)
            let firstGroup = try await first
            #expect(firstGroup == second)
            // With nothing announced before it, the next group starts at once.
            later.land()
            let third = try await committer.submit { _ in counted.current }
            #expect(third == second + 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func anArrivalGivenUpNoLongerHoldsTheGroup(engine: TestEngine) async throws {
        try await Self.withCommitter(engine) { counted, committer in
            let announced = committer.announce()
            async let first = committer.submit { _ in counted.current }
            if engine == .sqlite { await Self.untilGathering(committer) }
            // A request that fails before it writes (a bad token) gives its arrival up.
            announced.land()
            let group = try await first
            #expect(group == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func aWaitEndsAtTheLingerWhenAnAnnouncedWriteNeverComes(engine: TestEngine) async throws {
        try await Self.withCommitter(engine, linger: .milliseconds(20)) { counted, committer in
            let stuck = committer.announce()
            let group = try await committer.submit { _ in counted.current }
            #expect(group == 1)
            withExtendedLifetime(stuck) {}
        }
    }

    @Test(arguments: TestEngine.all)
    func aLedgerAppendLandsItsArrival(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            let request = InboundRequest(source: .native, method: "POST", path: "/v1/events", contentType: "application/json", headers: [:], body: Array("{}".utf8))
            func event(_ index: Int) -> IncomingEvent {
                IncomingEvent(event: CallEvent(source: .native, externalCallID: "G-\(index)", idempotencyKey: "gather-\(index)",
                                               occurredAt: Timestamp(millisecondsSince1970: 1_790_000_000_000), type: "stage",
                                               fields: CallFields(status: .ringing)), payload: "{}")
            }
            // Each request announced as it is received, as the webhooks do; none holds a
            // group once it has appended or kept its dead letter.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    let arrival = ledger.announce()
                    group.addTask {
                        if index % 10 == 9 {
                            try await ledger.deadLetter(request, accountID: account.account.id, reason: "unreadable", field: nil, arrival: arrival)
                        } else {
                            _ = try await ledger.append([event(index)], accountID: account.account.id, request: request, arrival: arrival)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await ledger.deadLetters(accountID: account.account.id).count == 4)
            for index in 0..<40 where index % 10 != 9 {
                #expect(try await ledger.outcome(forKey: "gather-\(index)", accountID: account.account.id) != nil)
            }
        }
    }
}

import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import Testing

/// Paging through any ledger gives every call exactly once, in the order of the whole list.
@Suite struct CallPagingPropertyTests {
    /// Cases per engine, each a ledger of its own; a fixed seed so that a failure repeats.
    static let cases = 12
    static let seed: UInt64 = 0x0DCE_1300

    /// A random ledger: calls with or without a start time, event times drawn from a few
    /// values so that many calls share a sort time, some calls with several events, appended
    /// in random batches.
    static func ledger(_ random: inout SeededRandom) -> [[IncomingEvent]] {
        let callCount = random.int(1..<41)
        let times: [Int64] = (0..<random.int(1..<6)).map { _ in Int64(random.int(-400_000..<400_000)) }
        var events: [IncomingEvent] = []
        for call in 0..<callCount {
            let started = random.int(2) == 0 ? nil : Timestamp(millisecondsSince1970: 1_790_000_000_000 + times[random.int(times.count)] * 1000)
            for stage in 0..<random.int(1..<4) {
                let fields = CallFields(callStartedAt: stage == 0 ? started : nil, status: stage == 0 ? .ringing : .completed)
                events.append(LedgerTests.event("k\(call)-\(stage)", call: "c\(call)", at: times[random.int(times.count)], fields))
            }
        }
        events.shuffle(using: &random)
        var batches: [[IncomingEvent]] = []
        while !events.isEmpty {
            let size = min(events.count, random.int(1..<12))
            batches.append(Array(events.prefix(size)))
            events.removeFirst(size)
        }
        return batches
    }

    @Test(arguments: TestEngine.all)
    func pagingThroughARandomLedgerGivesEveryCallExactlyOnce(engine: TestEngine) async throws {
        var random = SeededRandom(seed: Self.seed)
        for index in 0..<Self.cases {
            let batches = Self.ledger(&random)
            let limit = random.int(1..<9)
            try await TestDatabases.with(engine) { database in
                // setup
                let account = try await TestAccount.make(database)
                let ledger = Ledger(database: database)
                for batch in batches {
                    _ = try await ledger.append(batch, accountID: account.account.id, request: LedgerTests.request)
                }
                // run
                var seen: [CallID] = []
                var query = CallQuery(limit: limit)
                var pages = 0
                repeat {
                    let page = try await ledger.calls(query, accountID: account.account.id)
                    seen += page.calls.map(\.id)
                    query.cursor = page.nextCursor
                    pages += 1
                } while query.cursor != nil && pages <= 200
                // validate
                let whole = try await ledger.calls(CallQuery(limit: CallQuery.maximumLimit), accountID: account.account.id).calls.map(\.id)
                let calls = Set(batches.joined().map(\.event.externalCallID)).count
                #expect(whole.count == calls, "case \(index)")
                #expect(seen == whole, "case \(index): limit \(limit), \(calls) calls")
            }
        }
    }
}

import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import Testing

@Suite struct LedgerTests {
    static let request = InboundRequest(source: .native, method: "POST", path: "/v1/events", contentType: "application/json",
                                        headers: ["user-agent": "test"], body: Array("{}".utf8))

    static func event(_ key: String, call: String = "c1", source: Source = .native, at seconds: Int64, _ fields: CallFields) -> IncomingEvent {
        IncomingEvent(
            event: CallEvent(source: source, externalCallID: call, idempotencyKey: key,
                             occurredAt: Timestamp(millisecondsSince1970: 1_790_000_000_000 + seconds * 1000), fields: fields),
            payload: #"{"key":"\#(key)"}"#
        )
    }

    @Test(arguments: TestEngine.all)
    func appendingTheSameEventTwiceChangesNothingAndAnswersTheFirstAnswer(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            let first = Self.event("k1", at: 0, CallFields(status: .ringing, revenue: Money(cents: 1000)))
            let retry = Self.event("k1", at: 5, CallFields(status: .completed, revenue: Money(cents: 9999)))
            // run
            let a = try await ledger.append([first], accountID: account.account.id, request: Self.request)
            let b = try await ledger.append([retry], accountID: account.account.id, request: Self.request)
            // validate
            #expect(a[0].duplicate == false)
            #expect(b[0].duplicate == true)
            #expect(b[0].callID == a[0].callID)
            #expect(b[0].eventID == a[0].eventID)
            let call = try #require(try await ledger.call(a[0].callID, accountID: account.account.id))
            #expect(call.fields.status == .ringing)
            #expect(call.fields.revenue == Money(cents: 1000))
            #expect(call.eventCount == 1)
            #expect(try await ledger.events(of: call.id, accountID: account.account.id).count == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func laterEventsMergeIntoOneCallWhateverTheArrivalOrder(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            let caller = try PhoneNumber(parsing: "5551234567")
            let start = Self.event("start", at: 0, CallFields(callerPhone: caller, callStartedAt: Timestamp(millisecondsSince1970: 1_790_000_000_000), status: .ringing, campaignID: "auto"))
            let answered = Self.event("answered", at: 10, CallFields(status: .answered, publisherID: "pub-1"))
            let always = Self.event("always", at: 100, CallFields(durationSeconds: 90, status: .completed, revenue: Money(cents: 4500), converted: true))
            // The last stage arrives first, then the first, then the middle one.
            for event in [always, start, answered] {
                _ = try await ledger.append([event], accountID: account.account.id, request: Self.request)
            }
            let page = try await ledger.calls(CallQuery(), accountID: account.account.id)
            #expect(page.calls.count == 1)
            let call = try #require(page.calls.first)
            #expect(call.fields.callerPhone == caller)
            #expect(call.fields.campaignID == "auto")
            #expect(call.fields.publisherID == "pub-1")
            #expect(call.fields.status == .completed)
            #expect(call.fields.durationSeconds == 90)
            #expect(call.fields.revenue == Money(cents: 4500))
            #expect(call.fields.converted == true)
            #expect(call.eventCount == 3)
            let history = try await ledger.events(of: call.id, accountID: account.account.id)
            #expect(history.map(\.idempotencyKey) == ["start", "answered", "always"])
            #expect(history[0].payload == #"{"key":"start"}"#)
        }
    }

    @Test(arguments: TestEngine.all)
    func concurrentAppendsOfOneKeyYieldOneEvent(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            let outcomes = try await withThrowingTaskGroup(of: AppendOutcome.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await ledger.append([Self.event("same", at: Int64(index), CallFields(status: .completed))],
                                                accountID: account.account.id, request: Self.request)[0]
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { !$0.duplicate }.count == 1)
            #expect(Set(outcomes.map(\.eventID)).count == 1)
            #expect(try await ledger.calls(CallQuery(), accountID: account.account.id).calls.count == 1)
        }
    }

    /// Two dce nodes on one database: each has its own connections and its own group
    /// committer, so only the database's constraints keep a key or a call from counting twice.
    @Test(arguments: TestEngine.all)
    func twoNodesOnOneDatabaseNeverCountAnEventOrACallTwice(engine: TestEngine) async throws {
        let created = try await TestDatabases.create(engine)
        let first = try await openDatabase(created.location, logger: TestDatabases.logger)
        let second = try await openDatabase(created.location, logger: TestDatabases.logger)
        do {
            try await Migrations.migrate(first)
            try await Migrations.migrate(second)
            let account = try await TestAccount.make(first)
            let ledgers = [Ledger(database: first), Ledger(database: second)]
            // Every event is posted to both nodes at once; 20 calls with 3 events each.
            let outcomes = try await withThrowingTaskGroup(of: AppendOutcome.self) { group in
                for call in 0..<20 {
                    for stage in 0..<3 {
                        for ledger in ledgers {
                            group.addTask {
                                try await ledger.append([Self.event("c\(call)-s\(stage)", call: "c\(call)", at: Int64(stage),
                                                                    CallFields(status: stage == 2 ? .completed : .ringing, revenue: Money(cents: 100)))],
                                                        accountID: account.account.id, request: Self.request)[0]
                            }
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { !$0.duplicate }.count == 60)
            let page = try await ledgers[0].calls(CallQuery(limit: 100), accountID: account.account.id)
            #expect(page.calls.count == 20)
            #expect(page.calls.allSatisfy { $0.eventCount == 3 && $0.fields.status == .completed })
            let totals = try await ledgers[1].totals(CallQuery(), accountID: account.account.id)
            #expect(totals.revenue == Money(cents: 2000))
        } catch {
            Issue.record(error)
        }
        await first.close()
        await second.close()
        try await created.drop()
    }

    @Test(arguments: TestEngine.all)
    func oneAccountNeverSeesAnothersCalls(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let acme = try await TestAccount.make(database, name: "acme")
            let globex = try await TestAccount.make(database, name: "globex")
            let ledger = Ledger(database: database)
            let outcome = try await ledger.append([Self.event("k", at: 0, CallFields(status: .completed))], accountID: acme.account.id, request: Self.request)
            #expect(try await ledger.call(outcome[0].callID, accountID: globex.account.id) == nil)
            #expect(try await ledger.events(of: outcome[0].callID, accountID: globex.account.id).isEmpty)
            #expect(try await ledger.calls(CallQuery(), accountID: globex.account.id).calls.isEmpty)
            // The same idempotency key in another account is another event.
            let other = try await ledger.append([Self.event("k", at: 0, CallFields())], accountID: globex.account.id, request: Self.request)
            #expect(other[0].duplicate == false)
        }
    }

    @Test(arguments: TestEngine.all)
    func pagesAreStableAndFiltersApply(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            // 25 calls; five share each start time so the id breaks ties.
            let events = (0..<25).map { index in
                Self.event("k\(index)", call: "c\(index)", at: Int64(index), CallFields(
                    callStartedAt: Timestamp(millisecondsSince1970: 1_790_000_000_000 + Int64(index / 5) * 60_000),
                    status: index.isMultiple(of: 2) ? .completed : .noAnswer, campaignID: index < 10 ? "a" : "b"))
            }
            _ = try await ledger.append(events, accountID: account.account.id, request: Self.request)
            var seen: [CallID] = []
            var query = CallQuery(limit: 7)
            repeat {
                let page = try await ledger.calls(query, accountID: account.account.id)
                seen += page.calls.map(\.id)
                query.cursor = page.nextCursor
            } while query.cursor != nil
            #expect(seen.count == 25)
            #expect(Set(seen).count == 25)
            let all = try await ledger.calls(CallQuery(limit: 100), accountID: account.account.id).calls.map(\.id)
            #expect(all == seen)

            #expect(try await ledger.calls(CallQuery(status: .completed, limit: 100), accountID: account.account.id).calls.count == 13)
            #expect(try await ledger.calls(CallQuery(campaignID: "a", limit: 100), accountID: account.account.id).calls.count == 10)
            let from = Timestamp(millisecondsSince1970: 1_790_000_000_000 + 2 * 60_000)
            let to = Timestamp(millisecondsSince1970: 1_790_000_000_000 + 4 * 60_000)
            #expect(try await ledger.calls(CallQuery(from: from, to: to, limit: 100), accountID: account.account.id).calls.count == 10)
            let totals = try await ledger.totals(CallQuery(), accountID: account.account.id)
            #expect(totals.calls == 25)
        }
    }

    @Test(arguments: TestEngine.all)
    func deadLettersKeepTheBodyAndReason(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            let bad = InboundRequest(source: .native, method: "POST", path: "/v1/events", contentType: "application/json", headers: [:], body: Array("{oops".utf8))
            try await ledger.deadLetter(bad, accountID: account.account.id, reason: "the body is not valid JSON", field: nil)
            let binary = InboundRequest(source: .native, method: "POST", path: "/v1/events", contentType: nil, headers: [:], body: [0xff, 0xfe, 0x00])
            try await ledger.deadLetter(binary, accountID: account.account.id, reason: "binary", field: "body")
            let letters = try await ledger.deadLetters(accountID: account.account.id)
            #expect(letters.count == 2)
            #expect(letters.contains { $0.body == "{oops" && $0.reason == "the body is not valid JSON" })
            #expect(letters.contains { $0.body == Data([0xff, 0xfe, 0x00]).base64EncodedString() && $0.field == "body" })
        }
    }
}

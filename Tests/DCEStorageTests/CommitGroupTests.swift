import DCEDomain
@testable import DCEStorage
import DCETestSupport
import Foundation
import Testing

/// Deliveries that share a commit group are written set-wise; the ledger must end up
/// exactly as if they had been appended one after another, and a bad one fails alone.
@Suite struct CommitGroupTests {
    static let start = Timestamp(millisecondsSince1970: 1_790_000_000_000)

    static func event(_ source: Source, call: String, stage: String, at offset: Int64, _ fields: CallFields) -> IncomingEvent {
        IncomingEvent(
            event: CallEvent(source: source, externalCallID: call, idempotencyKey: "\(source):\(call):\(stage)",
                             occurredAt: start.adding(seconds: offset), type: stage, fields: fields),
            payload: #"{"call":"\#(call)","stage":"\#(stage)"}"#
        )
    }

    static func request(_ source: Source) -> InboundRequest {
        InboundRequest(source: source, method: "POST", path: "/webhooks/\(source)/int_test", contentType: "application/json", headers: [:], body: Array("{}".utf8))
    }

    /// Ten calls reported by Ringba stage by stage, four of them also by RingCentral a
    /// few seconds later, with retries inside the group, stages out of order, and one
    /// delivery carrying two events of one call.
    static func deliveries() throws -> [(source: Source, events: [IncomingEvent])] {
        let tracking = try PhoneNumber(parsing: "+18885550101")
        var deliveries: [(Source, [IncomingEvent])] = []
        for index in 0..<10 {
            let caller = try PhoneNumber(parsing: "+1213555\(String(format: "%04d", index))")
            let call = "RGB-\(index)"
            let began = start.adding(seconds: Int64(index) * 300)
            let incoming = event(.ringba, call: call, stage: "incoming", at: Int64(index) * 300,
                                 CallFields(callerPhone: caller, trackingNumber: tracking, callStartedAt: began, status: .ringing, campaignID: "camp-\(index % 3)"))
            let completed = event(.ringba, call: call, stage: "completed", at: Int64(index) * 300 + 95,
                                  CallFields(durationSeconds: 90, callEndedAt: began.adding(seconds: 95), status: .completed))
            let converted = event(.ringba, call: call, stage: "converted", at: Int64(index) * 300 + 96,
                                  CallFields(revenue: Money(cents: 1000 + Int64(index)), converted: true))
            if index % 2 == 0 {
                deliveries.append((.ringba, [completed]))  // the end arrives first
                deliveries.append((.ringba, [incoming]))
                deliveries.append((.ringba, [converted]))
                deliveries.append((.ringba, [converted]))  // a retry
            } else {
                deliveries.append((.ringba, [incoming, completed]))
                deliveries.append((.ringba, [converted]))
            }
            if index < 4 {
                deliveries.append((.ringcentral, [event(.ringcentral, call: "S-\(index)", stage: "answered", at: Int64(index) * 300 + 2,
                                                        CallFields(callerPhone: caller, trackingNumber: tracking, callStartedAt: began.adding(seconds: 2),
                                                                   callAnsweredAt: began.adding(seconds: 5), status: .answered))]))
            }
        }
        return deliveries
    }

    /// What a ledger holds, without the ids it generated.
    static func snapshot(_ ledger: Ledger, accountID: AccountID) async throws -> [String] {
        let calls = try await ledger.calls(CallQuery(limit: 100), accountID: accountID).calls
        var lines: [String] = []
        for call in calls {
            let vendors = try await ledger.vendorIDs(of: call.id, accountID: accountID).map { "\($0.source.rawValue):\($0.externalCallID)" }
            let events = try await ledger.events(of: call.id, accountID: accountID).map(\.idempotencyKey)
            var fields = call.fields
            fields.tags = Tags()
            lines.append("\(vendors) \(events) \(fields) count=\(call.eventCount)")
        }
        return lines.sorted()
    }

    @Test(arguments: TestEngine.all)
    func oneGroupEndsLikeOneDeliveryAfterAnother(engine: TestEngine) async throws {
        let deliveries = try Self.deliveries()
        // One delivery after another, each in its own commit.
        let sequential = try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            var outcomes: [[AppendOutcome]] = []
            for delivery in deliveries {
                outcomes.append(try await ledger.append(delivery.events, accountID: account.account.id, request: Self.request(delivery.source)))
            }
            return (outcomes.map { $0.map(\.duplicate) }, try await Self.snapshot(ledger, accountID: account.account.id))
        }
        // All of them in one group.
        let grouped = try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let items = deliveries.map { AppendItem(events: $0.events, accountID: account.account.id, request: Self.request($0.source)) }
            let outcomes = try await database.write { sql in try await CommitGroup.apply(items, clock: .system, ids: .random, on: sql) }
            return (outcomes.map { $0.map(\.duplicate) }, try await Self.snapshot(Ledger(database: database), accountID: account.account.id))
        }
        #expect(grouped.0 == sequential.0)
        #expect(grouped.1 == sequential.1)
        #expect(grouped.1.count == 10)
        #expect(grouped.1.filter { $0.contains("ringcentral:S-") }.count == 4)
    }

    @Test(arguments: TestEngine.all)
    func aBadDeliveryFailsAloneAndTheRestOfItsGroupCommits(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            // A negative duration passes no domain parser but breaks the calls table's CHECK.
            let results = await withTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<30 {
                    group.addTask {
                        let fields = CallFields(durationSeconds: index == 7 ? -1 : 60, status: .completed)
                        let appended = try? await ledger.append([Self.event(.native, call: "N-\(index)", stage: "end", at: Int64(index), fields)],
                                                                accountID: account.account.id, request: Self.request(.native))
                        return (index, appended != nil)
                    }
                }
                return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(results.filter { !$0.value }.map(\.key) == [7])
            let calls = try await ledger.calls(CallQuery(limit: 100), accountID: account.account.id).calls
            #expect(calls.count == 29)
            #expect(!calls.contains { $0.externalCallID == "N-7" })
        }
    }

    /// Whether a call as stored is exactly the fold of all of its stored events.
    static func expectFoldOfItsEvents(_ ledger: Ledger, _ id: CallID, accountID: AccountID, count: Int) async throws {
        let call = try #require(try await ledger.call(id, accountID: accountID))
        let events = try await ledger.events(of: id, accountID: accountID)
        #expect(events.count == count)
        #expect(call.eventCount == count)
        var expected = CallFields()
        for event in events { expected.apply(event.fields) }
        if expected.status == nil { expected.status = .unknown }
        #expect(call.fields == expected)
    }

    @Test(arguments: TestEngine.all)
    func aCallFoldedOntoAsStoredEqualsTheFoldOfAllItsEvents(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            let caller = try PhoneNumber(parsing: "+12135550199")
            let first = try PhoneNumber(parsing: "+18885550101")
            let second = try PhoneNumber(parsing: "+18885550102")
            let began = Self.start
            func tags(_ values: [String: String]) throws -> Tags { try Tags(validating: values) }
            // In order, then an older stage, then a tracking number change, then in order again.
            let stages: [(String, Int64, CallFields)] = [
                ("incoming", 0, CallFields(callerPhone: caller, trackingNumber: first, callStartedAt: began, status: .ringing, tags: try tags(["a": "1"]))),
                ("answered", 10, CallFields(callAnsweredAt: began.adding(seconds: 10), status: .answered, tags: try tags(["b": "2"]))),
                ("routed", 5, CallFields(status: .ringing, campaignID: "camp-late", tags: try tags(["a": "3", "c": "4"]))),
                ("transferred", 20, CallFields(trackingNumber: second, targetID: "target-9")),
                ("completed", 30, CallFields(durationSeconds: 25, callEndedAt: began.adding(seconds: 30), status: .completed, tags: try tags(["b": "5"]))),
                ("converted", 31, CallFields(revenue: Money(cents: 4550), converted: true)),
                ("completed-again", 31, CallFields(status: .answered)),
            ]
            var callID: CallID?
            for (index, (stage, offset, fields)) in stages.enumerated() {
                let outcome = try await ledger.append([Self.event(.ringba, call: "RGB-F", stage: stage, at: offset, fields)],
                                                      accountID: account.account.id, request: Self.request(.ringba))
                callID = outcome[0].callID
                try await Self.expectFoldOfItsEvents(ledger, outcome[0].callID, accountID: account.account.id, count: index + 1)
            }
            let id = try #require(callID)
            let call = try #require(try await ledger.call(id, accountID: account.account.id))
            #expect(call.fields.tags.values == ["a": "3", "b": "5", "c": "4"])
            #expect(call.fields.trackingNumber == second)
            #expect(call.fields.status == .completed)
            // Folds that keep the indexed columns do not set them: the indexes still find
            // the call under its current number and start, and only there.
            try await database.read { sql in
                func found(_ number: PhoneNumber) async throws -> [String] {
                    try await sql.raw("""
                        SELECT id FROM calls WHERE account_id = \(bind: account.account.id.rawValue)
                        AND caller_phone = \(bind: caller.e164) AND tracking_number = \(bind: number.e164)
                        """).all().map { try $0.decode(column: "id", as: String.self) }
                }
                #expect(try await found(second) == [id.rawValue])
                #expect(try await found(first).isEmpty)
                let sorted = try await sql.raw("""
                    SELECT id FROM calls WHERE account_id = \(bind: account.account.id.rawValue) AND sort_at = \(bind: began.millisecondsSince1970)
                    """).all().map { try $0.decode(column: "id", as: String.self) }
                #expect(sorted == [id.rawValue])
                if sql.dialect.name == "sqlite" {
                    let check = try await sql.raw("PRAGMA integrity_check").all().map { try $0.decode(column: "integrity_check", as: String.self) }
                    #expect(check == ["ok"])
                }
            }
        }
    }

    @Test(arguments: TestEngine.all)
    func groupsAddingToOneCallAtOnceLoseNoneOfItsEvents(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            let caller = try PhoneNumber(parsing: "+12135550198")
            let first = try await ledger.append(
                [Self.event(.retreaver, call: "RTV-P", stage: "start", at: 0, CallFields(callerPhone: caller, callStartedAt: Self.start, status: .ringing))],
                accountID: account.account.id, request: Self.request(.retreaver)
            )
            // PostgreSQL writes several groups at once, each in its own transaction: here
            // forty of them, each adding one event to the same call.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 1...40 {
                    group.addTask {
                        let tags = try Tags(validating: ["stage\(index)": "\(index)"])
                        let item = AppendItem(
                            events: [Self.event(.retreaver, call: "RTV-P", stage: "timer-\(index)", at: Int64(index), CallFields(durationSeconds: index, tags: tags))],
                            accountID: account.account.id, request: Self.request(.retreaver)
                        )
                        _ = try await database.write { sql in try await CommitGroup.apply([item], clock: .system, ids: .random, on: sql) }
                    }
                }
                try await group.waitForAll()
            }
            try await Self.expectFoldOfItsEvents(ledger, first[0].callID, accountID: account.account.id, count: 41)
            let call = try #require(try await ledger.call(first[0].callID, accountID: account.account.id))
            #expect(call.fields.tags.count == 40)
            #expect(call.fields.durationSeconds == 40)
        }
    }
}

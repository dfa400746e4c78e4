import DCEDomain
import DCEJSON
@testable import DCEStorage
import DCETestSupport
import Foundation
import SQLKit
import Testing

/// A replay reads kept requests again with today's reader: the ledger it leaves is the one
/// a fresh ingest of the same requests with that reader gives.
@Suite struct ReplayTests {
    static let base: Int64 = 1_790_000_000_000

    /// A toy vendor's delivery: one event, `{"call","key","at","status","revenue"}` plus a
    /// caller and tracking number that cross-vendor dedupe matches on.
    static func request(_ integration: String, source: String = "toy", at second: Int64, _ json: String) -> InboundRequest {
        InboundRequest(source: Source(rawValue: source), method: "POST", path: "/webhooks/\(source)/\(integration)",
                       contentType: "application/json", headers: ["user-agent": "toy"],
                       body: Array(json.utf8),
                       receivedAt: Timestamp(millisecondsSince1970: base + second * 1000))
    }

    /// The toy's mapping: `fixed` reads revenue in cents and the status `missed`; before the
    /// fix revenue was read as dollars and `missed` was refused.
    static func read(_ request: InboundRequest, fixed: Bool) -> ReplayReading {
        guard let object = JSONValue.parse(bytes: request.body)?.object,
              case .string(let call)? = object["call"], case .string(let key)? = object["key"],
              let at = object["at"]?.double
        else { return .refused(reason: "not a toy delivery", field: nil) }
        var fields = CallFields()
        switch object["status"] {
        case .string("missed")?:
            guard fixed else { return .refused(reason: "unknown status 'missed'", field: "status") }
            fields.status = .noAnswer
        case .string(let text)?: fields.status = CallStatus(parsing: text)
        default: break
        }
        if let revenue = object["revenue"]?.double { fields.revenue = Money(cents: Int64(revenue) * (fixed ? 1 : 100)) }
        if case .string(let caller)? = object["caller"] { fields.callerPhone = try? PhoneNumber(parsing: caller) }
        if case .string(let tracking)? = object["tracking"] { fields.trackingNumber = try? PhoneNumber(parsing: tracking) }
        if let started = object["started"]?.double { fields.callStartedAt = Timestamp(millisecondsSince1970: base + Int64(started) * 1000) }
        let event = CallEvent(source: request.source, externalCallID: call, idempotencyKey: key,
                              occurredAt: Timestamp(millisecondsSince1970: base + Int64(at) * 1000), fields: fields)
        return .events([.wholeBody(event)])
    }

    /// Ingests as a route does: keep and append, or keep as a dead letter.
    static func ingest(_ requests: [InboundRequest], fixed: Bool, into ledger: Ledger, account: AccountID) async throws {
        for request in requests {
            switch read(request, fixed: fixed) {
            case .events(let events): _ = try await ledger.append(events, accountID: account, request: request)
            case .page(let events, let refused): _ = try await ledger.append(events, accountID: account, request: request, refusedRows: refused)
            case .refused(let reason, let field): try await ledger.deadLetter(request, accountID: account, reason: reason, field: field)
            }
        }
    }

    static let traffic: [InboundRequest] = [
        request("int-a", at: 0, #"{"call":"a1","key":"a1-start","at":0,"status":"ringing","caller":"+15551230001","tracking":"+15559990001","started":0}"#),
        request("int-a", at: 5, #"{"call":"a1","key":"a1-end","at":30,"status":"completed","revenue":1500}"#),
        request("int-b", source: "other", at: 6,
                #"{"call":"b1","key":"b1-start","at":1,"status":"ringing","caller":"+15551230001","tracking":"+15559990001","started":1}"#),
        request("int-a", at: 10, #"{"call":"a2","key":"a2-start","at":10,"status":"missed"}"#),
        request("int-b", source: "other", at: 20, #"{"call":"b2","key":"b2-start","at":20,"status":"completed","revenue":700}"#),
        request("int-a", at: 25, #"{"call":"a1","key":"a1-end","at":30,"status":"completed","revenue":1500}"#),
        request("int-a", at: 30, #"{"not":"a toy delivery"}"#),
    ]

    static func replay(_ ledger: Ledger, _ filter: ReplayFilter = ReplayFilter(), fixed: Bool = true) async throws -> ReplayReport {
        try await ledger.replay(filter) { kept in read(kept.request, fixed: fixed) }
    }

    @Test(arguments: TestEngine.all)
    func replayingAFreshIngestGivesTheSameLedger(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let account = try await TestAccount.make(database).account.id
            let ledger = Ledger(database: database)
            try await Self.ingest(Self.traffic, fixed: true, into: ledger, account: account)
            let fresh = try await LedgerSnapshot.take(database, account: account)
            // run
            let report = try await Self.replay(ledger)
            // validate
            #expect(try await LedgerSnapshot.take(database, account: account) == fresh)
            #expect(fresh.calls.count == 3)
            #expect(fresh.calls.contains { $0.vendorIDs == ["other:b1", "toy:a1"] })
            #expect(report.selected == Self.traffic.count)
            #expect(report.requests == Self.traffic.count)
            #expect(report.events == 5)
            #expect(report.calls == 3)
            #expect(report.deadLetters == 1)
            #expect(report.revived == 0)
        }
    }

    @Test(arguments: TestEngine.all)
    func aMappingFixAppliesToHistoryAndRevivesItsDeadLetters(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { freshDatabase in
            try await TestDatabases.with(engine) { database in
                // setup: the same traffic, ingested with the fixed mapping, and with the old one
                let freshAccount = try await TestAccount.make(freshDatabase).account.id
                try await Self.ingest(Self.traffic, fixed: true, into: Ledger(database: freshDatabase), account: freshAccount)
                let fresh = try await LedgerSnapshot.take(freshDatabase, account: freshAccount)
                let account = try await TestAccount.make(database).account.id
                let ledger = Ledger(database: database)
                try await Self.ingest(Self.traffic, fixed: false, into: ledger, account: account)
                let before = try await LedgerSnapshot.take(database, account: account)
                #expect(before != fresh)
                #expect(before.deadLetters.count == 2)
                // run
                let report = try await Self.replay(ledger)
                // validate
                #expect(try await LedgerSnapshot.take(database, account: account) == fresh)
                #expect(report.revived == 1)
                #expect(report.deadLetters == 1)
                #expect(try await LedgerSnapshot.requestCount(database) == Self.traffic.count)
            }
        }
    }

    @Test(arguments: TestEngine.all)
    func filtersByIntegrationAndTimeTouchOnlyTheirCalls(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup: the old mapping, then a replay of int-b only
            let account = try await TestAccount.make(database).account.id
            let ledger = Ledger(database: database)
            try await Self.ingest(Self.traffic, fixed: false, into: ledger, account: account)
            let before = try await LedgerSnapshot.take(database, account: account)
            // run: int-b's b2 alone (b1 shares its call with a1, so it refolds a1 too)
            let byTime = try await Self.replay(ledger, ReplayFilter(integrationID: "int-b", from: Timestamp(millisecondsSince1970: Self.base + 15_000)))
            // validate
            let after = try await LedgerSnapshot.take(database, account: account)
            #expect(byTime.selected == 1)
            #expect(byTime.requests == 1)
            #expect(after.call("other:b2")?.fields.revenue == Money(cents: 700))
            #expect(before.call("other:b2")?.fields.revenue == Money(cents: 70_000))
            #expect(after.calls.filter { $0.vendorIDs != ["other:b2"] } == before.calls.filter { $0.vendorIDs != ["other:b2"] })
            #expect(after.deadLetters == before.deadLetters)

            // run: int-a's requests before the 11th second: a1's (with int-b's b1 on its call) and a2's dead letter
            let byIntegration = try await Self.replay(ledger, ReplayFilter(integrationID: "int-a", to: Timestamp(millisecondsSince1970: Self.base + 11_000)))
            let last = try await LedgerSnapshot.take(database, account: account)
            #expect(byIntegration.selected == 3)
            #expect(byIntegration.requests == 4)
            #expect(byIntegration.revived == 1)
            #expect(last.call("toy:a1")?.fields.revenue == Money(cents: 1500))
            #expect(last.call("toy:a2")?.fields.status == .noAnswer)
            #expect(last.call("other:b2") == after.call("other:b2"))
            #expect(last.deadLetters.count == 1)
        }
    }
}

/// A ledger by value, without the ids and times it generates: each call by its vendor ids,
/// with its fold and its events, and the dead letters.
struct LedgerSnapshot: Equatable {
    struct Call: Equatable {
        let vendorIDs: [String]
        let source: Source
        let externalCallID: String
        let fields: CallFields
        let eventCount: Int
        let bounds: [Int64?]
        let events: [Event]
    }

    struct Event: Equatable {
        let source: Source
        let idempotencyKey: String
        let externalCallID: String
        let type: String?
        let occurredAt: Timestamp
        let receivedAt: Timestamp
        let payload: String
        let fields: CallFields
    }

    struct DeadLetter: Equatable {
        let source: Source
        let receivedAt: Timestamp
        let reason: String
        let field: String?
        let body: String
    }

    let calls: [Call]
    let deadLetters: [DeadLetter]

    func call(_ vendorID: String) -> Call? { calls.first { $0.vendorIDs.contains(vendorID) } }

    static func take(_ database: any Database, account: AccountID) async throws -> LedgerSnapshot {
        let ledger = Ledger(database: database)
        let rows = try await database.read { sql in
            try await sql.raw("""
                SELECT id, sort_at, first_event_at, last_event_at FROM calls WHERE account_id = \(bind: account.rawValue)
                """).all().map { row in
                (CallID(rawValue: try row.decode(column: "id", as: String.self)),
                 [try row.decode(column: "sort_at", as: Int64?.self), try row.decode(column: "first_event_at", as: Int64?.self),
                  try row.decode(column: "last_event_at", as: Int64?.self)])
            }
        }
        var calls: [Call] = []
        for (id, bounds) in rows {
            guard let record = try await ledger.call(id, accountID: account) else { continue }
            let vendorIDs = try await ledger.vendorIDs(of: id, accountID: account).map { "\($0.source.rawValue):\($0.externalCallID)" }
            let events = try await ledger.events(of: id, accountID: account).map {
                Event(source: $0.source, idempotencyKey: $0.idempotencyKey, externalCallID: $0.externalCallID, type: $0.type,
                      occurredAt: $0.occurredAt, receivedAt: $0.receivedAt, payload: $0.payload, fields: $0.fields)
            }
            calls.append(Call(vendorIDs: vendorIDs, source: record.source, externalCallID: record.externalCallID, fields: record.fields,
                              eventCount: record.eventCount, bounds: bounds, events: events))
        }
        let deadLetters = try await ledger.deadLetters(accountID: account).map {
            DeadLetter(source: $0.source, receivedAt: $0.receivedAt, reason: $0.reason, field: $0.field, body: $0.body)
        }
        return LedgerSnapshot(calls: calls.sorted { $0.vendorIDs.joined(separator: ",") < $1.vendorIDs.joined(separator: ",") },
                              deadLetters: deadLetters.sorted { ($0.receivedAt, $0.body) < ($1.receivedAt, $1.body) })
    }

    static func requestCount(_ database: any Database) async throws -> Int {
        try await database.read { sql in
            Int(try await sql.raw("SELECT COUNT(*) AS n FROM inbound_requests").first()?.decode(column: "n", as: Int64.self) ?? 0)
        }
    }
}

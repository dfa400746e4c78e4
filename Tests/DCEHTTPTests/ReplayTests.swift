import DCEDomain
import DCEHTTP
import DCEJSON
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Synchronization
import Testing

/// A vendor whose mapping a test fixes: before the fix its revenue is read as dollars and
/// the status `missed` is refused; after it, revenue is cents and `missed` is no answer.
final class MappingToy: VendorAdapter {
    let fixed = Mutex(false)
    var name: String { "mappingtoy" }

    func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        let fixed = fixed.withLock { $0 }
        guard let object = JSONValue.parse(bytes: delivery.body)?.object, let callID = object["call"]?.string, !callID.isEmpty else {
            throw .missing("call")
        }
        var fields = CallFields()
        switch object["status"]?.string {
        case "missed"?:
            guard fixed else { throw .invalid("status", "is not a status this mapping knows") }
            fields.status = .noAnswer
        case let text?: fields.status = CallStatus(parsing: text)
        case nil: break
        }
        if let revenue = object["revenue"]?.exactInteger { fields.revenue = Money(cents: revenue * (fixed ? 1 : 100)) }
        let event = CallEvent(
            source: source, externalCallID: callID,
            idempotencyKey: IdempotencyKey.make(source, integration: integration.id, callID: callID, stage: object["status"]?.string ?? "-"),
            occurredAt: delivery.receivedAt, type: "mappingtoy.\(object["status"]?.string ?? "event")", fields: fields
        )
        return [VendorEvent(event: event, payload: String(decoding: delivery.body, as: UTF8.self))]
    }
}

@Suite struct ReplayRouteTests {
    static func with(
        _ engine: TestEngine,
        _ body: @Sendable @escaping (any TestClientProtocol, AppServices, MappingToy, TestAccount) async throws -> Void
    ) async throws {
        try await TestDatabases.with(engine) { database in
            let toy = MappingToy()
            let services = AppServices(database: database, adminKey: nil, vendors: VendorRegistry.all + [toy])
            let account = try await TestAccount.make(database)
            try await Application(router: try buildRouter(services)).test(.router) { client in
                try await body(client, services, toy, account)
            }
        }
    }

    @Test(arguments: TestEngine.all)
    func replayingWhatEveryRouteKeptGivesTheLedgerItsIngestGave(engine: TestEngine) async throws {
        try await Self.with(engine) { client, services, toy, account in
            // setup: a toy webhook, /v1/events and the ribbon's log-call, each as its route ingests it
            toy.fixed.withLock { $0 = true }
            let integration = try await TestIntegration.create(client, key: account.key, vendor: "mappingtoy")
            for body in [#"{"call":"T-1","status":"ringing"}"#, #"{"call":"T-1","status":"completed","revenue":900}"#,
                         #"{"call":"T-2","status":"missed"}"#, #"{"status":"completed"}"#] {
                _ = try await client.execute(uri: integration.path(""), method: .post, headers: .json, body: .json(body))
            }
            let events = #"{"events":[{"idempotency_key":"n-1","external_call_id":"N-1","occurred_at":"2026-03-01T10:00:00Z","status":"ringing"},"#
                + #"{"idempotency_key":"n-2","external_call_id":"N-1","occurred_at":"2026-03-01T10:01:00Z","status":"completed"}]}"#
            #expect(try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(events)).status == .ok)
            let ribbon = try await RibbonTestClient.make(services.database)
            for (event, time) in [("incoming", nil), ("connected", "2026-03-01T10:00:05Z"), ("callEnded", "2026-03-01T10:03:05Z")] as [(String, String?)] {
                var body: [String: JSONValue] = ["apiKey": .string(ribbon.key), "event": .string(event), "domain": .string("yourcrm.com"),
                                                 "data": .object(["callSid": .string("CA-REPLAY"), "phoneNumber": .string("+919876543210"), "duration": .integer(180)])]
                if let time { body["timestamp"] = .string(time) }
                #expect(try await client.ribbonPost("/api/ribbon/log-call", .object(body)).status == .ok)
            }
            let ingested = try await RouteLedger.take(services, accounts: [account.account.id, ribbon.account.id])

            // run
            let report = try await Replay(services: services).run(ReplayFilter())

            // validate
            #expect(try await RouteLedger.take(services, accounts: [account.account.id, ribbon.account.id]) == ingested)
            #expect(ingested.calls.count == 4)
            #expect(report.requests == 8)
            #expect(report.events == 8)
            #expect(report.deadLetters == 1)
            #expect(try await RouteLedger.linkedRibbonLogs(services) == 3)
        }
    }

    @Test(arguments: TestEngine.all)
    func aMappingFixReadsHistoryAgainAndADeadLetterItNowReadsIsFolded(engine: TestEngine) async throws {
        try await Self.with(engine) { client, services, toy, account in
            // setup: the old mapping refuses T-2 and reads T-1's revenue as dollars
            let integration = try await TestIntegration.create(client, key: account.key, vendor: "mappingtoy")
            let refused = try await client.execute(uri: integration.path(""), method: .post, headers: .json, body: .json(#"{"call":"T-2","status":"missed"}"#))
            _ = try await client.execute(uri: integration.path(""), method: .post, headers: .json,
                                         body: .json(#"{"call":"T-1","status":"completed","revenue":900}"#))
            #expect(refused.status == .badRequest)
            #expect(refused.errorField == "status")
            let before = try await RouteLedger.take(services, accounts: [account.account.id])
            #expect(before.call("mappingtoy:T-1")?.fields.revenue == Money(cents: 90_000))

            // run: the fix, then a replay
            toy.fixed.withLock { $0 = true }
            let report = try await Replay(services: services).run(ReplayFilter(integrationID: integration.id))

            // validate
            let after = try await RouteLedger.take(services, accounts: [account.account.id])
            #expect(report.revived == 1)
            #expect(after.deadLetters.isEmpty)
            #expect(after.call("mappingtoy:T-1")?.fields.revenue == Money(cents: 900))
            #expect(after.call("mappingtoy:T-2")?.fields.status == .noAnswer)
            // A second replay finds nothing more to change.
            _ = try await Replay(services: services).run(ReplayFilter())
            #expect(try await RouteLedger.take(services, accounts: [account.account.id]) == after)
        }
    }

    @Test(arguments: TestEngine.all)
    func aReplayOfOneIntegrationLeavesAnotherAsItWas(engine: TestEngine) async throws {
        try await Self.with(engine) { client, services, toy, account in
            // setup
            let first = try await TestIntegration.create(client, key: account.key, vendor: "mappingtoy", name: "first")
            let second = try await TestIntegration.create(client, key: account.key, vendor: "mappingtoy", name: "second")
            for integration in [first, second] {
                _ = try await client.execute(uri: integration.path(""), method: .post, headers: .json,
                                             body: .json(#"{"call":"C-\#(integration.id)","status":"completed","revenue":5}"#))
                _ = try await client.execute(uri: integration.path(""), method: .post, headers: .json,
                                             body: .json(#"{"call":"M-\#(integration.id)","status":"missed"}"#))
            }
            // run
            toy.fixed.withLock { $0 = true }
            let report = try await Replay(services: services).run(ReplayFilter(integrationID: second.id))
            // validate
            let after = try await RouteLedger.take(services, accounts: [account.account.id])
            #expect(report.selected == 2)
            #expect(after.call("mappingtoy:C-\(first.id)")?.fields.revenue == Money(cents: 500))
            #expect(after.call("mappingtoy:C-\(second.id)")?.fields.revenue == Money(cents: 5))
            #expect(after.call("mappingtoy:M-\(first.id)") == nil)
            #expect(after.call("mappingtoy:M-\(second.id)")?.fields.status == .noAnswer)
            #expect(after.deadLetters.count == 1)
        }
    }
}

/// A ledger by value, without the ids and times it generates.
struct RouteLedger: Equatable {
    struct Call: Equatable {
        let vendorIDs: [String]
        let fields: CallFields
        let eventCount: Int
        let events: [[String]]
    }

    let calls: [Call]
    let deadLetters: [[String]]

    func call(_ vendorID: String) -> Call? { calls.first { $0.vendorIDs.contains(vendorID) } }

    static func take(_ services: AppServices, accounts: [AccountID]) async throws -> RouteLedger {
        var calls: [Call] = []
        var deadLetters: [[String]] = []
        for account in accounts {
            let ids = try await services.database.read { sql in
                try await sql.raw("SELECT id FROM calls WHERE account_id = \(bind: account.rawValue)").all()
                    .map { CallID(rawValue: try $0.decode(column: "id", as: String.self)) }
            }
            for id in ids {
                guard let record = try await services.ledger.call(id, accountID: account) else { continue }
                let vendorIDs = try await services.ledger.vendorIDs(of: id, accountID: account).map { "\($0.source.rawValue):\($0.externalCallID)" }
                let events = try await services.ledger.events(of: id, accountID: account).map {
                    [$0.source.rawValue, $0.idempotencyKey, $0.externalCallID, $0.type ?? "", "\($0.occurredAt)", "\($0.receivedAt)",
                     $0.payload, $0.fields.jsonText]
                }
                calls.append(Call(vendorIDs: vendorIDs, fields: record.fields, eventCount: record.eventCount, events: events))
            }
            deadLetters += try await services.ledger.deadLetters(accountID: account).map {
                [$0.source.rawValue, "\($0.receivedAt)", $0.reason, $0.field ?? "", $0.body]
            }
        }
        return RouteLedger(calls: calls.sorted { $0.vendorIDs.joined() < $1.vendorIDs.joined() },
                           deadLetters: deadLetters.sorted { $0.joined() < $1.joined() })
    }

    /// Ribbon log entries whose event is in the ledger.
    static func linkedRibbonLogs(_ services: AppServices) async throws -> Int {
        try await services.database.read { sql in
            Int(try await sql.raw("""
                SELECT COUNT(*) AS n FROM ribbon_call_logs l JOIN raw_events e ON e.id = l.raw_event_id
                JOIN ribbon_sessions s ON s.session_id = l.session_id AND s.call_id = e.call_id
                """).first()?.decode(column: "n", as: Int64.self) ?? 0)
        }
    }
}

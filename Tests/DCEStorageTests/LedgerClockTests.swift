import DCEDomain
@testable import DCEStorage
import DCETestSupport
import Foundation
import Testing

/// With a fixed clock and numbered ids, what the ledger keeps can be stated whole.
@Suite struct LedgerClockTests {
    static let now = Timestamp(millisecondsSince1970: 1_790_000_100_000)
    static let request = InboundRequest(source: .ringba, method: "POST", path: "/webhooks/ringba/int_test", contentType: "application/json",
                                        headers: [:], body: Array("{}".utf8))

    @Test(arguments: TestEngine.all)
    func aCallIsKeptWithTheLedgersTimeAndIDs(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let account = try await TestAccount.make(database).account.id
            let ledger = Ledger(database: database, clock: .fixed(Self.now), ids: .numbered())
            let started = Timestamp(millisecondsSince1970: 1_790_000_000_000)
            let fields = CallFields(callerPhone: try PhoneNumber(parsing: "+12135550100"), callStartedAt: started, status: .ringing)
            let event = CallEvent(source: .ringba, externalCallID: "R-1", idempotencyKey: "r1:incoming", occurredAt: started, fields: fields)
            // run
            let outcomes = try await ledger.append([IncomingEvent(event: event, payload: "{}")], accountID: account, request: Self.request)
            let deadLetter = try await ledger.deadLetter(Self.request, accountID: account, reason: "unreadable", field: nil)
            // validate
            let call = CallID(rawValue: "call_1")
            #expect(outcomes.map(\.callID) == [call])
            #expect(outcomes.map(\.callStatus) == [.ringing])
            #expect(deadLetter == "dl_1")
            #expect(try await ledger.call(call, accountID: account) == CallRecord(
                id: call, accountID: account, source: .ringba, externalCallID: "R-1", fields: fields, eventCount: 1,
                createdAt: Self.now, updatedAt: Self.now
            ))
            #expect(try await ledger.vendorIDs(of: call, accountID: account) == [VendorCallID(source: .ringba, externalCallID: "R-1")])
        }
    }

    @Test func numberedIDsCountPerPrefix() {
        let ids = IDSource.numbered()
        #expect(ids.make("call", 2) == ["call_1", "call_2"])
        #expect(ids.make("req", 1) == ["req_1"])
        #expect(ids.make("call", 1) == ["call_3"])
    }
}

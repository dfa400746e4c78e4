import DCEDomain
import DCEStorage
import DCETestSupport
import SQLKit
import Testing

/// One real call reported by two platforms is one call carrying both vendor ids, and its
/// revenue is counted once.
@Suite struct CrossVendorDedupeTests {
    static let caller = try! PhoneNumber(parsing: "+13055551212")
    static let tracking = try! PhoneNumber(parsing: "+18774443333")
    static let start = Timestamp(millisecondsSince1970: 1_705_312_800_000)

    static func event(_ source: Source, _ id: String, stage: String, at offset: Int64, revenue: Money? = nil, caller: PhoneNumber = caller) -> IncomingEvent {
        let fields = CallFields(
            callerPhone: caller, trackingNumber: tracking, callStartedAt: start.adding(seconds: offset),
            status: .ringing, revenue: revenue
        )
        return IncomingEvent(
            event: CallEvent(source: source, externalCallID: id, idempotencyKey: "\(source):\(id):\(stage)",
                             occurredAt: start.adding(seconds: offset), type: stage, fields: fields),
            payload: "{}"
        )
    }

    static func request(_ source: Source) -> InboundRequest {
        InboundRequest(source: source, method: "POST", path: "/webhooks/\(source)/int_test", contentType: "application/json", headers: [:], body: Array("{}".utf8))
    }

    static func totalRevenue(_ database: any Database) async throws -> Int64 {
        try await database.read { sql in
            try await sql.raw("SELECT CAST(COALESCE(SUM(revenue_cents), 0) AS BIGINT) AS total FROM calls").first()!.decode(column: "total", as: Int64.self)
        }
    }

    @Test(arguments: TestEngine.all)
    func twoVendorsSameCallerAndNumberWithinSecondsAreOneCall(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            // run
            let ringba = try await ledger.append([Self.event(.ringba, "RGB-1", stage: "incoming", at: 0, revenue: Money(cents: 4550))],
                                                 accountID: account.account.id, request: Self.request(.ringba))
            let ringCentral = try await ledger.append([Self.event(.ringcentral, "S-1", stage: "setup", at: 3)],
                                                      accountID: account.account.id, request: Self.request(.ringcentral))
            let invoca = try await ledger.append([Self.event(.invoca, "CC-1", stage: "transaction", at: -2, revenue: Money(cents: 4550))],
                                                 accountID: account.account.id, request: Self.request(.invoca))
            // validate
            #expect(ringCentral[0].callID == ringba[0].callID)
            #expect(invoca[0].callID == ringba[0].callID)
            let ids = try await ledger.vendorIDs(of: ringba[0].callID, accountID: account.account.id)
            #expect(Set(ids.map(\.source)) == [.ringba, .ringcentral, .invoca])
            let call = try #require(try await ledger.call(ringba[0].callID, accountID: account.account.id))
            #expect(call.fields.revenue == Money(cents: 4550))
            #expect(call.eventCount == 3)
            #expect(try await Self.totalRevenue(database) == 4550)
        }
    }

    @Test(arguments: TestEngine.all)
    func sameVendorTwiceOrFarApartOrAnotherCallerStaysSeparate(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            let first = try await ledger.append([Self.event(.ringba, "RGB-1", stage: "incoming", at: 0)], accountID: account.account.id, request: Self.request(.ringba))
            // The same vendor reporting another call id is another call, even seconds later.
            let again = try await ledger.append([Self.event(.ringba, "RGB-2", stage: "incoming", at: 2)], accountID: account.account.id, request: Self.request(.ringba))
            // Another vendor a minute later, or with another caller, is another call.
            let later = try await ledger.append([Self.event(.ringcentral, "S-9", stage: "setup", at: 60)], accountID: account.account.id, request: Self.request(.ringcentral))
            let other = try await ledger.append([Self.event(.retreaver, "R-1", stage: "start", at: 1, caller: try PhoneNumber(parsing: "+13055550000"))],
                                                accountID: account.account.id, request: Self.request(.retreaver))
            #expect(Set([first[0].callID, again[0].callID, later[0].callID, other[0].callID]).count == 4)
        }
    }

    /// Two dce nodes (two ledgers, each with its own group commit) hear about the same
    /// calls at the same moment: the database, not a node, decides they are one.
    @Test(arguments: TestEngine.all)
    func twoNodesReportingAtOnceStillMakeOneCallEach(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let nodeA = Ledger(database: database)
            let nodeB = Ledger(database: database)
            let accountID = account.account.id
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    let caller = try PhoneNumber(parsing: "+1305555\(String(format: "%04d", index))")
                    group.addTask {
                        _ = try await nodeA.append([Self.event(.ringba, "RGB-\(index)", stage: "incoming", at: 0, caller: caller)],
                                                   accountID: accountID, request: Self.request(.ringba))
                    }
                    group.addTask {
                        _ = try await nodeB.append([Self.event(.ringcentral, "S-\(index)", stage: "setup", at: 2, caller: caller)],
                                                   accountID: accountID, request: Self.request(.ringcentral))
                    }
                }
                try await group.waitForAll()
            }
            let (calls, ids) = try await database.read { sql in
                (try await sql.raw("SELECT COUNT(*) AS n FROM calls").first()!.decode(column: "n", as: Int.self),
                 try await sql.raw("SELECT COUNT(*) AS n FROM call_vendor_ids").first()!.decode(column: "n", as: Int.self))
            }
            #expect(calls == 20)
            #expect(ids == 40)
        }
    }

    /// Ringba's conversion webhook has no start time: it comes when the call ends, so its
    /// start is its time less the call's length.
    @Test(arguments: TestEngine.all)
    func aConversionWithoutAStartJoinsTheCallItEnded(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            let ledger = Ledger(database: database)
            let session = try await ledger.append([Self.event(.ringcentral, "S-7", stage: "setup", at: 0)],
                                                  accountID: account.account.id, request: Self.request(.ringcentral))
            let conversion = IncomingEvent(
                event: CallEvent(source: .ringba, externalCallID: "RGB-7", idempotencyKey: "ringba:RGB-7:conversion",
                                 occurredAt: Self.start.adding(seconds: 200), type: "ringba.conversion",
                                 fields: CallFields(callerPhone: Self.caller, trackingNumber: Self.tracking, durationSeconds: 190,
                                                    revenue: Money(cents: 4550), converted: true)),
                payload: "{}"
            )
            let converted = try await ledger.append([conversion], accountID: account.account.id, request: Self.request(.ringba))
            #expect(converted[0].callID == session[0].callID)
            #expect(try await Self.totalRevenue(database) == 4550)
            // The same conversion an hour later would be another call.
            var late = conversion
            late.event.externalCallID = "RGB-8"
            late.event.idempotencyKey = "ringba:RGB-8:conversion"
            late.event.occurredAt = Self.start.adding(seconds: 3600)
            let other = try await ledger.append([late], accountID: account.account.id, request: Self.request(.ringba))
            #expect(other[0].callID != session[0].callID)
        }
    }
}

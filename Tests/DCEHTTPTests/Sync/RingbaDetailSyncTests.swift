import DCEDomain
import DCEHTTP
import DCEJSON
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import Synchronization
import Testing

/// Ringba's call detail pulled after each call-log page, through the sync engine from a fake
/// Ringba over real HTTP, on both engines. The fake answers `POST RA1/calllogs/detail` in the
/// shapes of Ringba's published v2 collection: the request of "Get Details About Specific
/// Calls" (`{"InboundCallIds": […]}`) and rows as its "Get Details About Single Call" answer
/// writes them (`events`, `message-tags`).
@Suite struct RingbaDetailSyncTests {
    static let window = RingbaSyncTests.window

    /// Each call's events: its call-log row and its detail row (two snapshots), its
    /// connected, completed and recording stages, and its conversion and payout when it
    /// converted (the even calls).
    static func eventTypes(_ index: Int) -> [String] {
        (["ringba.calllog", "ringba.calllog", "ringba.completed", "ringba.connected", "ringba.recording"]
            + (index.isMultiple(of: 2) ? ["ringba.conversion", "ringba.payout"] : [])).sorted()
    }

    static func eventTypes(of externalID: String, _ database: any Database) async throws -> [String] {
        try await database.read { sql in
            try await sql.raw("SELECT event_type FROM raw_events WHERE external_call_id = \(bind: externalID)").all()
                .map { try $0.decode(column: "event_type", as: String.self) }
        }.sorted()
    }

    @Test(arguments: TestEngine.all)
    func aBackfillOfTwoPagesGetsEachCallsDetailEventsOnce(engine: TestEngine) async throws {
        let ringba = FakeRingba(calls: 5, detailed: true)
        try await ringba.with(engine) { setup, server in
            // run
            let report = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate: a page of 3, its detail, a short page of 2, its detail
            let asked = await server.requests().filter { $0.path.hasPrefix("/RA1/") }
            #expect(asked.map(\.path) == ["/RA1/calllogs", "/RA1/calllogs/detail", "/RA1/calllogs", "/RA1/calllogs/detail"])
            let details = asked.filter { $0.path == "/RA1/calllogs/detail" }
            #expect(details.map(\.bodyText) == [#"{"InboundCallIds":["RGB-0","RGB-1","RGB-2"]}"#, #"{"InboundCallIds":["RGB-3","RGB-4"]}"#])
            #expect(details.allSatisfy { $0.query.isEmpty && $0.headers["authorization"] == "Token ringba-api-token" })
            #expect(report.pages == 4 && report.rows == 10 && report.deadLetters == 0)
            #expect(report.newEvents == (0..<5).map { Self.eventTypes($0).count }.reduce(0, +))
            #expect(try await Stored.count("calls", setup.services.database) == 5)
            for index in 0..<5 {
                #expect(try await Self.eventTypes(of: "RGB-\(index)", setup.services.database) == Self.eventTypes(index), "RGB-\(index)")
            }
            let started = Self.window.from.millisecondsSince1970
            let call = try #require(try await setup.call("RGB-0"))
            #expect(call == CallFields(
                callerPhone: .e164("+14155550000"), trackingNumber: .e164("+18884143472"), destinationNumber: .e164("+16317918378"),
                durationSeconds: 60, callStartedAt: Timestamp(millisecondsSince1970: started),
                callAnsweredAt: Timestamp(millisecondsSince1970: started + 2000), callEndedAt: Timestamp(millisecondsSince1970: started + 60000),
                status: .completed, targetID: "TA1", callerState: "CA", revenue: Money(cents: 1250), payout: Money(cents: 300),
                converted: true, recordingURL: "https://media.ringba.test/RGB-0",
                tags: try Tags(validating: ["ringba_campaignName": "API Test"])
            ))
            let kept = try await Stored.requests(setup.services.database).map(\.path)
            #expect(kept.filter { $0.hasSuffix("/calllogs-detail") }.count == 2)
        }
    }

    @Test(arguments: TestEngine.all)
    func aDetailServerErrorIsRetriedAndEachEventStoredOnce(engine: TestEngine) async throws {
        let ringba = FakeRingba(calls: 5, detailed: true, misbehaveDetail: { number in
            number == 1 ? .json(#"{"message": "An error has occurred."}"#, status: 500) : nil
        })
        try await ringba.with(engine) { setup, server in
            let slept = Mutex<[Duration]>([])
            // run
            let report = try await setup.engine(sleep: { duration in slept.withLock { $0.append(duration) } })
                .sync(integrationID: setup.integration.id, window: Self.window)

            // validate: the first detail asked twice, then everything as without the error
            let details = await server.requests().filter { $0.path == "/RA1/calllogs/detail" }.map(\.bodyText)
            #expect(details.count == 3 && details[0] == details[1])
            #expect(!slept.withLock { $0 }.isEmpty)
            #expect(report.newEvents == (0..<5).map { Self.eventTypes($0).count }.reduce(0, +) && report.duplicates == 0)
            #expect(try await Self.eventTypes(of: "RGB-1", setup.services.database) == Self.eventTypes(1))
        }
    }

    @Test(arguments: TestEngine.all)
    func pullingAgainAddsNothing(engine: TestEngine) async throws {
        let ringba = FakeRingba(calls: 5, detailed: true)
        try await ringba.with(engine) { setup, _ in
            // run
            let first = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            let stored = try await Stored.count("raw_events", setup.services.database)
            let again = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate
            #expect(first.newEvents == stored)
            #expect(again.newEvents == 0 && again.duplicates == first.newEvents)
            #expect(try await Stored.count("raw_events", setup.services.database) == stored)
            #expect(try await Stored.count("calls", setup.services.database) == 5)
        }
    }

    @Test(arguments: TestEngine.all)
    func anUnreadableDetailIsADeadLetterThatStopsTheRunWhichResumesAtIt(engine: TestEngine) async throws {
        let ringba = FakeRingba(calls: 5, detailed: true, misbehaveDetail: { number in
            number == 1 ? .json("<html>Service Unavailable</html>", status: 200) : nil
        })
        try await ringba.with(engine) { setup, server in
            // run
            let failure = await #expect(throws: SyncError.self) {
                try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)
            }
            let stopped = try await setup.state()
            let resumed = try await setup.engine().sync(integrationID: setup.integration.id, window: Self.window)

            // validate: stopped with the reason, the answer kept as a dead letter, and resumed at the same detail
            guard case .unreadablePage(let endpoint, _)? = failure else { Issue.record("\(String(describing: failure))"); return }
            #expect(endpoint == "calllogs-detail")
            let letters = try await setup.services.ledger.deadLetters(accountID: setup.account.account.id)
            #expect(letters.count == 1)
            #expect(stopped?.nextRequest?.endpoint == "calllogs-detail")
            let details = await server.requests().filter { $0.path == "/RA1/calllogs/detail" }.map(\.bodyText)
            #expect(details.first == details.dropFirst().first)
            #expect(resumed.newEvents + 3 == (0..<5).map { Self.eventTypes($0).count }.reduce(0, +))
            #expect(try await Self.eventTypes(of: "RGB-0", setup.services.database) == Self.eventTypes(0))
        }
    }
}

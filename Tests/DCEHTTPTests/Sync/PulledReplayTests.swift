import DCEDomain
import DCEHTTP
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import Synchronization
import Testing

/// A replay reads the kept pulled pages again with today's client: the ledger it leaves
/// equals a fresh sync's, and a row a fixed mapping now reads leaves the dead letters.
@Suite struct PulledReplayTests {
    static let pages = [["c1", "c2"], ["c3", "!4"]]

    @Test(arguments: TestEngine.all)
    func aReplayOfPulledPagesGivesTheLedgerTheSyncGave(engine: TestEngine) async throws {
        try await Self.withSynced(engine) { setup, _ in
            // setup
            let synced = try await RouteLedger.take(setup.services, accounts: [setup.account.account.id])

            // run
            let report = try await Replay(services: setup.services).run(ReplayFilter(integrationID: setup.integration.id))

            // validate
            #expect(try await RouteLedger.take(setup.services, accounts: [setup.account.account.id]) == synced)
            #expect(synced.calls.count == 3)
            #expect(synced.deadLetters.count == 1)
            #expect(report.requests == 2)
            #expect(report.events == 3)
            #expect(report.deadLetters == 1)
            #expect(report.revived == 0)
        }
    }

    @Test(arguments: TestEngine.all)
    func aMappingFixRevivesAPulledRowAndEqualsAFreshSyncUnderTheFix(engine: TestEngine) async throws {
        try await Self.withSynced(engine) { setup, vendor in
            // run: the fix, then a replay of the integration's pages
            vendor.fix.applied.withLock { $0 = true }
            let report = try await Replay(services: setup.services).run(ReplayFilter(integrationID: setup.integration.id))
            let replayed = try await RouteLedger.take(setup.services, accounts: [setup.account.account.id])

            // validate
            #expect(report.revived == 1)
            #expect(report.deadLetters == 0)
            #expect(replayed.deadLetters.isEmpty)
            #expect(replayed.calls.count == 4)
            let fresh = try await Self.withSynced(engine, fixed: true) { setup, _ in
                try await RouteLedger.take(setup.services, accounts: [setup.account.account.id])
            }
            #expect(Self.calls(replayed) == Self.calls(fresh))
            #expect(fresh.deadLetters.isEmpty)
        }
    }

    @Test(arguments: TestEngine.all)
    func aReplayOfRingbasCallLogAndItsDetailGivesTheLedgerTheSyncGave(engine: TestEngine) async throws {
        // Each call-log page is read again with the report request it answered, kept beside it.
        try await FakeRingba(calls: 7, malformed: [4], detailed: true).with(engine) { setup, _ in
            _ = try await setup.engine().sync(integrationID: setup.integration.id, window: RingbaSyncTests.window)
            let synced = try await RouteLedger.take(setup.services, accounts: [setup.account.account.id])

            let report = try await Replay(services: setup.services).run(ReplayFilter(integrationID: setup.integration.id))

            #expect(try await RouteLedger.take(setup.services, accounts: [setup.account.account.id]) == synced)
            #expect(synced.calls.count == 6)
            #expect(synced.deadLetters.count == 1)
            #expect(report.deadLetters == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func aReplayOfRetreaversCallsGivesTheLedgerTheSyncGave(engine: TestEngine) async throws {
        try await FakeRetreaver(calls: 8).with(engine) { setup, _ in
            _ = try await setup.engine().sync(integrationID: setup.integration.id, window: RetreaverSyncTests.window)
            let synced = try await RouteLedger.take(setup.services, accounts: [setup.account.account.id])

            let report = try await Replay(services: setup.services).run(ReplayFilter(integrationID: setup.integration.id))

            #expect(try await RouteLedger.take(setup.services, accounts: [setup.account.account.id]) == synced)
            #expect(synced.calls.count == 8)
            #expect(report.deadLetters == 0)
        }
    }

    /// What two ledgers share when their integrations differ: each call's vendor ids,
    /// fields and number of events (idempotency keys and arrival times name the integration
    /// and the moment).
    static func calls(_ ledger: RouteLedger) -> [String] {
        ledger.calls.map { "\($0.vendorIDs) \($0.fields.jsonText) \($0.eventCount)" }
    }

    /// An account whose toy integration has synced `pages` from a fake over loopback.
    @discardableResult
    static func withSynced<T>(_ engine: TestEngine, fixed: Bool = false,
                              _ body: (ToySetup, ToyPullVendor) async throws -> T) async throws -> T {
        let base = Mutex("")
        let server = try await FakeVendorServer.start(ToyPages.handler(pages, base: { base.withLock { $0 } }))
        base.withLock { $0 = server.baseURL }
        do {
            let result = try await TestDatabases.with(engine) { database in
                let vendor = ToyPullVendor()
                vendor.fix.applied.withLock { $0 = fixed }
                let setup = try await ToySetup.make(database, baseURL: server.baseURL, vendor: vendor)
                _ = try await ToyHarness(setup: setup).engine().sync(integrationID: setup.integration.id, window: ToyPages.window)
                return try await body(setup, vendor)
            }
            try await server.stop()
            return result
        } catch {
            try await server.stop()
            throw error
        }
    }
}

import DCEDomain
@testable import DCEHTTP
import DCEStorage
import DCETestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Synchronization
import Testing

/// Carriers hang up on a slow webhook: when the ledger is slow, the voice webhook answers
/// within its deadline anyway, and the call's first event is stored once the ledger can.
@Suite struct VoiceDeadlineTests {
    @Test(arguments: TestEngine.all)
    func aSlowLedgerStillGetsTheCarrierItsAnswerAndTheCallIsStoredAfter(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let (exchange, carrier, router) = try await VoiceWebhookTests.withDeadline(.milliseconds(500), database)
            // A transaction holds the ledger's tables until the test lets go (at most a minute):
            // every append waits behind it. How long the answer takes on a loaded machine does
            // not matter, only that it comes while the hold lasts.
            let (began, beginning) = AsyncStream<Void>.makeStream()
            let (letGo, lettingGo) = AsyncStream<Void>.makeStream()
            let released = Mutex(false)
            let hold = Task {
                try await database.write { sql in
                    if engine == .postgres { try await sql.raw("LOCK TABLE inbound_requests, raw_events IN EXCLUSIVE MODE").run() }
                    beginning.yield()
                    try await withThrowingTaskGroup { group in
                        group.addTask { var signal = letGo.makeAsyncIterator(); _ = await signal.next() }
                        group.addTask { try await Task.sleep(for: .seconds(60)) }
                        try await group.next()
                        group.cancelAll()
                    }
                }
                released.withLock { $0 = true }
            }
            var waiting = began.makeAsyncIterator()
            _ = await waiting.next()

            // run
            try await Application(router: router).test(.router) { client in
                let response = try await carrier.post(client, "/voice/\(exchange.campaignID)", VoiceWebhookTests.call("CA900"))

                // validate: answered while the ledger was still held, with where to ring
                #expect(response.status == .ok)
                #expect(released.withLock { $0 } == false)
                #expect(response.text.contains("<Dial"))
            }
            lettingGo.finish()
            try await hold.value
            // The write went on: the call's first event is stored once the hold ends.
            var stored = 0
            for _ in 0..<300 where stored == 0 {
                stored = try await Stored.count("raw_events", database)
                if stored == 0 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(stored == 1)
        }
    }
}

import AsyncHTTPClient
import DCEDomain
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import NIOCore
import NIOHTTP1
import SQLKit
import Testing

/// A 2xx means committed: kill the server with SIGKILL in the middle of simulated vendor
/// traffic, restart it, let the vendor retry what got no answer, and every delivery that
/// was answered 2xx is in the ledger exactly once.
@Suite(.serialized) struct WebhookCrashTests {
    @Test(arguments: TestEngine.all)
    func everyAcknowledgedDeliverySurvivesSIGKILLExactlyOnce(engine: TestEngine) async throws {
        // setup: an account and a Ringba integration, made with the dce commands
        let created = try await TestDatabases.create(engine)
        let database = created.location.connectionString
        let account = try await DCEProcess.run(["accounts", "create", "acme", "--database", database])
        #expect(account.status == 0, "\(account.stderr)")
        let added = try await DCEProcess.run(["integrations", "add", "--account", "acme", "--vendor", "ringba", "--name", "crash", "--database", database])
        #expect(added.status == 0, "\(added.stderr)")
        var printed: [String: String] = [:]
        for line in added.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            if parts.count == 2 { printed[parts[0]] = parts[1] }
        }
        let integrationID = try #require(printed["id"])
        let secret = try #require(printed["secret"])

        var generator = TrafficGenerator(vendor: .ringba, seed: 7, run: "crash")
        var deliveries: [SimulatedDelivery] = []
        for index in 0..<150 { deliveries += generator.deliveries(forCall: index) }

        // A dead server must fail a request at once, not after the pool's retries.
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(2))))
        var server = try await DCEProcess(database: created.location)
        var port = server.port

        // run: send with 16 in flight; kill the server once a third has been answered,
        // with requests still in flight, and send nothing more to the dead server
        var statuses = Array(repeating: 0, count: deliveries.count)
        let killAfter = deliveries.count / 3
        await withTaskGroup(of: (Int, Int).self) { group in
            var inFlight = 0
            var answered = 0
            for (index, delivery) in deliveries.enumerated() {
                if inFlight >= 16, let (done, status) = await group.next() {
                    statuses[done] = status
                    inFlight -= 1
                    answered += 1
                }
                if answered >= killAfter {
                    await server.kill()
                    break
                }
                let target = "http://127.0.0.1:\(port)/webhooks/ringba/\(integrationID)"
                group.addTask { (index, await Self.send(delivery, to: target, secret: secret, client: client)) }
                inFlight += 1
            }
            for await (done, status) in group { statuses[done] = status }
        }
        let acknowledged = statuses.filter { (200..<300).contains($0) }.count
        #expect(acknowledged > 0)
        #expect(acknowledged < deliveries.count, "the server was killed before the traffic ended")

        // The vendor retries whatever got no 2xx, against the restarted server.
        server = try await DCEProcess(database: created.location)
        port = server.port
        let retryTarget = "http://127.0.0.1:\(port)/webhooks/ringba/\(integrationID)"
        // Like a vendor, retry until answered (a busy machine may time a request out).
        for _ in 0..<5 {
            let unanswered = deliveries.indices.filter { !(200..<300).contains(statuses[$0]) }
            if unanswered.isEmpty { break }
            for chunk in stride(from: 0, to: unanswered.count, by: 16).map({ Array(unanswered[$0..<min($0 + 16, unanswered.count)]) }) {
                await withTaskGroup(of: (Int, Int).self) { group in
                    for index in chunk {
                        let delivery = deliveries[index]
                        group.addTask { (index, await Self.send(delivery, to: retryTarget, secret: secret, client: client)) }
                    }
                    for await (done, status) in group { statuses[done] = status }
                }
            }
        }
        await server.terminate()
        try await client.shutdown()
        #expect(statuses.allSatisfy { (200..<300).contains($0) })

        // validate: each acknowledged delivery's event is in the ledger exactly once
        let opened = try await openDatabase(created.location, logger: TestDatabases.logger)
        let counts = try await opened.read { sql in
            try await sql.raw("SELECT idempotency_key, COUNT(*) AS n FROM raw_events GROUP BY idempotency_key").all().map {
                (try $0.decode(column: "idempotency_key", as: String.self), try $0.decode(column: "n", as: Int.self))
            }
        }
        let calls = try await opened.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM calls").first()!.decode(column: "n", as: Int.self)
        }
        await opened.close()
        try await created.drop()
        let byKey = Dictionary(uniqueKeysWithValues: counts)
        let expectedKeys = Set(deliveries.map { IdempotencyKey.make(.ringba, integration: integrationID, callID: $0.callID, stage: $0.stage) })
        for key in expectedKeys { #expect(byKey[key] == 1, "\(key)") }
        #expect(byKey.count == expectedKeys.count)
        #expect(calls == 150)
    }

    static func send(_ delivery: SimulatedDelivery, to url: String, secret: String, client: HTTPClient) async -> Int {
        var target = url + "?token=" + (secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? secret)
        if !delivery.query.isEmpty { target += "&" + delivery.queryString }
        var request = HTTPClientRequest(url: target)
        request.method = HTTPMethod(rawValue: delivery.method)
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try? await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        } catch {
            return 0
        }
    }
}

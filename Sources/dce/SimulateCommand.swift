import ArgumentParser
import AsyncHTTPClient
import DCEVendors
import Foundation
import NIOCore
import NIOHTTP1

/// `dce simulate`: realistic, authenticated vendor traffic against a webhook URL, for
/// demos and load tests.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Send simulated vendor webhooks: whole call lifecycles, retries and out-of-order stages."
    )

    @Option(help: ArgumentHelp("One of: \(VendorRegistry.standard.names.joined(separator: ", ")).")) var vendor: String
    @Option(help: "Number of calls to simulate.") var count = 100
    @Option(help: "Deliveries per second.") var rate = 50.0
    @Option(help: "The integration's webhook URL (with ?token=… for token-authenticated vendors).") var url: String
    @Option(help: "The integration's secret: sent as RingCentral's Verification-Token, or used to sign (Standard Webhooks) for the others.")
    var secret: String?
    @Option(help: "Deliveries in flight at once.") var concurrency = 32
    @Option(help: "Seed for the generated traffic (same seed, same traffic).") var seed: UInt64 = 1
    @Option(help: "Share of deliveries sent twice, as vendors retry (0 to 1).") var retryRate = 0.1
    @Option(help: "Share of calls whose deliveries arrive in reverse order (0 to 1).") var reorderRate = 0.2
    @Option(help: "Write one line per delivery to this file: HTTP status (0 = no answer), vendor call id, stage, retry.")
    var log: String?

    func validate() throws {
        guard VendorRegistry.standard.adapter(named: vendor) != nil else {
            throw ValidationError("--vendor must be one of \(VendorRegistry.standard.names.joined(separator: ", "))")
        }
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard rate > 0 else { throw ValidationError("--rate must be positive") }
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 1024") }
        guard (0...1).contains(retryRate), (0...1).contains(reorderRate) else { throw ValidationError("rates must be between 0 and 1") }
        guard URL(string: url)?.host != nil else { throw ValidationError("--url '\(url)' is not an absolute URL") }
    }

    func run() async throws {
        guard let vendor = VendorRegistry.standard.adapter(named: vendor) else { throw ValidationError("no vendor '\(vendor)'") }
        var generator = TrafficGenerator(vendor: vendor, seed: seed, run: "sim\(seed)-\(Int(Date().timeIntervalSince1970))")
        generator.retryRate = retryRate
        generator.reorderRate = reorderRate
        var deliveries: [SimulatedDelivery] = []
        for index in 0..<count { deliveries += generator.deliveries(forCall: index) }

        let sender = WebhookSender(vendor: vendor, url: url, secret: secret)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let started = ContinuousClock.now
        let results = await sender.send(deliveries, rate: rate, concurrency: concurrency, client: client)
        let elapsed = ContinuousClock.now - started
        try await client.shutdown()

        if let log {
            let lines = zip(deliveries, results).map { delivery, status in
                "\(status)\t\(delivery.callID)\t\(delivery.stage)\t\(delivery.isRetry ? "retry" : "first")"
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        }
        let ok = results.filter { (200..<300).contains($0) }.count
        let client4xx = results.filter { (400..<500).contains($0) }.count
        let server5xx = results.filter { $0 >= 500 }.count
        let failed = results.filter { $0 == 0 }.count
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("""
            \(vendor.name): \(deliveries.count) deliveries for \(count) calls in \(String(format: "%.2f", seconds)) s \
            (\(String(format: "%.1f", Double(deliveries.count) / max(seconds, 0.001)))/s): \
            2xx \(ok), 4xx \(client4xx), 5xx \(server5xx), no answer \(failed)
            """)
        if ok != deliveries.count { throw ExitCode(1) }
    }
}

/// Sends deliveries at a steady rate with a bounded number in flight, authenticating each
/// as the vendor would.
struct WebhookSender: Sendable {
    let vendor: any VendorAdapter
    let url: String
    let secret: String?

    /// The HTTP status of each delivery, in order; 0 where no answer came.
    func send(_ deliveries: [SimulatedDelivery], rate: Double, concurrency: Int, client: HTTPClient) async -> [Int] {
        let start = ContinuousClock.now
        return await withTaskGroup(of: (Int, Int).self) { group in
            var results = Array(repeating: 0, count: deliveries.count)
            var inFlight = 0
            for (index, delivery) in deliveries.enumerated() {
                let due = start + .milliseconds(Int64(Double(index) * 1000 / rate))
                if due > .now { try? await Task.sleep(until: due) }
                if inFlight >= concurrency, let (done, status) = await group.next() {
                    results[done] = status
                    inFlight -= 1
                }
                group.addTask { (index, await self.sendOne(delivery, client: client)) }
                inFlight += 1
            }
            for await (done, status) in group { results[done] = status }
            return results
        }
    }

    func sendOne(_ delivery: SimulatedDelivery, client: HTTPClient) async -> Int {
        let addressed = delivery.addressed(to: url, vendor: vendor, secret: secret)
        var request = HTTPClientRequest(url: addressed.url)
        request.method = HTTPMethod(rawValue: delivery.method)
        for (name, value) in addressed.headers { request.headers.add(name: name, value: value) }
        if delivery.method != "GET" { request.body = .bytes(ByteBuffer(bytes: delivery.body)) }
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try? await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        } catch {
            return 0
        }
    }
}

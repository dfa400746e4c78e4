import ArgumentParser
import AsyncHTTPClient
import DCEVendors
import Foundation
import Synchronization
import NIOCore
import NIOHTTP1

/// `dce-bench webhooks`: webhooks per second and latency for one vendor's shape, at a
/// fixed rate and at saturation, each saturation right after the same server's plain
/// `GET /health` rate (the HTTP ceiling on this machine), for several rounds.
struct WebhooksBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Benchmark durable webhook ingestion against GET /health."
    )

    @Option(help: "The integration's webhook URL (with ?token=… for token-authenticated vendors).") var url: String
    @Option(help: ArgumentHelp("One of: \(VendorRegistry.standard.names.joined(separator: ", ")).")) var vendor: String
    @Option(help: "The integration's secret, to sign (or RingCentral's Verification-Token).") var secret: String?
    @Option(help: "Deliveries per second in the fixed-rate phase.") var rate = 500.0
    @Option(help: "Seconds per phase.") var duration = 10.0
    @Option(help: "Requests in flight in the saturation phases.") var concurrency = 64
    @Option(help: "Folder for the one-commit-per-request SQLite baseline (the disk the server's database is on). Empty skips it.")
    var baselineFolder = "."
    @Option(help: "Calls under way at once: their deliveries take turns, so a call's stages arrive about this many deliveries apart, each adding to a stored call. 1 sends each lifecycle at once: its stages race, mostly into one commit group.")
    var interleave = 1
    @Option(help: "Rounds of GET /health followed at once by saturation; the reported ratio is the median of the rounds' ratios, steadier on a shared machine than one pair.")
    var rounds = 3
    @Flag(help: "Print the results as JSON.") var json = false
    @Flag(help: "Run only the saturation phase (to profile the server).") var saturationOnly = false

    func validate() throws {
        guard VendorRegistry.standard.adapter(named: vendor) != nil else {
            throw ValidationError("--vendor must be one of \(VendorRegistry.standard.names.joined(separator: ", "))")
        }
        guard let parsed = URL(string: url), parsed.host != nil else { throw ValidationError("--url must be an absolute URL") }
        guard rate > 0, duration > 0, concurrency > 0, rounds > 0, interleave > 0 else { throw ValidationError("--rate, --duration, --concurrency, --rounds and --interleave must be positive") }
    }

    func run() async throws {
        guard let vendor = VendorRegistry.standard.adapter(named: vendor) else { throw ValidationError("no vendor '\(vendor)'") }
        let client = HTTPClient.forBenchmark(concurrency: concurrency)
        let parsed = URL(string: url)!
        let health = "\(parsed.scheme ?? "http")://\(parsed.host!)\(parsed.port.map { ":\($0)" } ?? "")/health"

        if saturationOnly {
            let traffic = TrafficSource(vendor: vendor, url: url, secret: secret, count: Int(10_000 * duration), interleave: interleave)
            print(await Load.saturate(name: "\(vendor.name) saturation", seconds: duration, concurrency: concurrency) {
                await traffic.sendNext(client: client)
            }.line)
            try await client.shutdown()
            return
        }
        var phases: [PhaseResult] = []
        let steady = TrafficSource(vendor: vendor, url: url, secret: secret, count: Int(rate * duration) + 100, interleave: interleave)
        phases.append(await Load.fixedRate(name: "\(vendor.name) at \(Int(rate))/s", seconds: duration, rate: rate) {
            await steady.sendNext(client: client)
        })
        // Each round measures the ceiling and then, at once, durable ingest: the machine's
        // speed changes over minutes, and a ratio is only fair within one round.
        var pairs: [(ceiling: PhaseResult, saturated: PhaseResult)] = []
        for round in 1...rounds {
            let ceiling = await Load.saturate(name: "GET /health (ceiling) \(round)", seconds: duration, concurrency: concurrency) {
                await Load.get(health, client: client)
            }
            // No receiver outruns the HTTP ceiling: that many deliveries cover a saturated phase.
            let saturating = TrafficSource(vendor: vendor, url: url, secret: secret, count: Int(ceiling.perSecond * duration * 1.1) + 1000, interleave: interleave)
            let saturated = await Load.saturate(name: "\(vendor.name) saturation \(round)", seconds: duration, concurrency: concurrency) {
                await saturating.sendNext(client: client)
            }
            pairs.append((ceiling, saturated))
            phases += [ceiling, saturated]
        }
        try await client.shutdown()
        let median = pairs.map(\.saturated.perSecond).sorted()[pairs.count / 2]
        let baseline = baselineFolder.isEmpty ? nil
            : try await CommitBaseline.run(folder: baselineFolder, seconds: duration, concurrency: concurrency,
                                           deliveries: Int(pairs.map(\.ceiling.perSecond).max()! * duration * 1.1) + 1000)
        if let baseline { phases.append(baseline) }

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(phases), as: UTF8.self))
        } else {
            for phase in phases { print(phase.line) }
            let ratios = pairs.filter { $0.ceiling.perSecond > 0 }.map { $0.saturated.perSecond / $0.ceiling.perSecond * 100 }
            if !ratios.isEmpty {
                print(String(format: "durable ingest at saturation = %.0f%% of the GET /health ceiling (median of the rounds: %@)",
                             ratios.sorted()[ratios.count / 2], ratios.map { String(format: "%.0f%%", $0) }.joined(separator: ", ")))
            }
            if let baseline, baseline.perSecond > 0 {
                print(String(format: "durable ingest at saturation = %.2f× a one-commit-per-request receiver under the same load (median saturation %.0f/s)",
                             median / baseline.perSecond, median))
            }
        }
    }
}

struct PhaseResult: Encodable, Sendable {
    let name: String
    let requests: Int
    let failures: Int
    let seconds: Double
    let perSecond: Double
    let p50Milliseconds: Double
    let p99Milliseconds: Double

    init(name: String, latencies: [Double], failures: Int, seconds: Double) {
        self.name = name
        let sorted = latencies.sorted()
        requests = sorted.count
        self.failures = failures
        self.seconds = seconds
        perSecond = Double(sorted.count - failures) / max(seconds, 0.001)
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))]
        }
        p50Milliseconds = percentile(0.50)
        p99Milliseconds = percentile(0.99)
    }

    var line: String {
        name.padding(toLength: 34, withPad: " ", startingAt: 0)
            + String(format: " %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  (%d requests, %d failed)",
                     perSecond, p50Milliseconds, p99Milliseconds, requests, failures)
    }
}

/// The deliveries of fresh simulated calls, addressed and signed before a phase starts,
/// so that making them costs the measured phase nothing (this machine's two cores are
/// shared by the server and the load). Handed out one at a time to many senders.
final class TrafficSource: Sendable {
    private let requests: [HTTPClientRequest]
    private let position = Mutex(0)

    /// `interleave`: how many calls are under way at once. Their deliveries take turns, so
    /// that a call's stages are about that many deliveries apart and each adds to a stored
    /// call, as when calls last minutes; 1 sends each call's whole lifecycle at once, and
    /// its stages race each other, mostly into one commit group.
    init(vendor: any VendorAdapter, url: String, secret: String?, count: Int, interleave: Int = 1) {
        var generator = TrafficGenerator(vendor: vendor, seed: UInt64(Date().timeIntervalSince1970), run: "bench\(UUID().uuidString.prefix(8))")
        generator.retryRate = 0
        generator.reorderRate = 0
        var requests: [HTTPClientRequest] = []
        requests.reserveCapacity(count)
        var call = 0
        while requests.count < count {
            let lifecycles = (call..<(call + max(1, interleave))).map { generator.deliveries(forCall: $0) }
            call += lifecycles.count
            for stage in 0..<(lifecycles.map(\.count).max() ?? 0) {
                for lifecycle in lifecycles where stage < lifecycle.count {
                    let delivery = lifecycle[stage]
                    let addressed = delivery.addressed(to: url, vendor: vendor, secret: secret)
                    var request = HTTPClientRequest(url: addressed.url)
                    request.method = HTTPMethod(rawValue: delivery.method)
                    for (name, value) in addressed.headers { request.headers.add(name: name, value: value) }
                    if delivery.method != "GET" { request.body = .bytes(ByteBuffer(bytes: delivery.body)) }
                    requests.append(request)
                }
            }
        }
        self.requests = requests
    }

    /// Sends the next delivery. Past the last one it starts again: the repeats are retries.
    func sendNext(client: HTTPClient) async -> Bool {
        let index = position.withLock { position in
            defer { position += 1 }
            return position % requests.count
        }
        return await Load.execute(requests[index], client: client)
    }
}

enum Load {
    static func get(_ url: String, client: HTTPClient) async -> Bool {
        await execute(HTTPClientRequest(url: url), client: client)
    }

    static func execute(_ request: HTTPClientRequest, client: HTTPClient) async -> Bool {
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            return (200..<300).contains(response.status.code)
        } catch {
            return false
        }
    }

    /// `concurrency` senders, each sending its next request as soon as the last is answered.
    static func saturate(name: String, seconds: Double, concurrency: Int, _ send: @escaping @Sendable () async -> Bool) async -> PhaseResult {
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int64(seconds * 1000))
        let samples = await withTaskGroup(of: ([Double], Int).self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    var failures = 0
                    while ContinuousClock.now < end {
                        let began = ContinuousClock.now
                        if !(await send()) { failures += 1 }
                        latencies.append(milliseconds(ContinuousClock.now - began))
                    }
                    return (latencies, failures)
                }
            }
            var all: ([Double], Int) = ([], 0)
            for await (latencies, failures) in group { all.0 += latencies; all.1 += failures }
            return all
        }
        return PhaseResult(name: name, latencies: samples.0, failures: samples.1, seconds: milliseconds(ContinuousClock.now - start) / 1000)
    }

    /// Requests started on a fixed schedule, whatever the answers' latency (open loop).
    static func fixedRate(name: String, seconds: Double, rate: Double, _ send: @escaping @Sendable () async -> Bool) async -> PhaseResult {
        let start = ContinuousClock.now
        let total = Int(seconds * rate)
        let samples = await withTaskGroup(of: (Double, Bool).self) { group in
            for index in 0..<total {
                let due = start + .microseconds(Int64(Double(index) * 1_000_000 / rate))
                if due > .now { try? await Task.sleep(until: due) }
                group.addTask {
                    let began = ContinuousClock.now
                    let ok = await send()
                    return (milliseconds(ContinuousClock.now - began), ok)
                }
            }
            var all: ([Double], Int) = ([], 0)
            for await (latency, ok) in group { all.0.append(latency); if !ok { all.1 += 1 } }
            return all
        }
        return PhaseResult(name: name, latencies: samples.0, failures: samples.1, seconds: milliseconds(ContinuousClock.now - start) / 1000)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}

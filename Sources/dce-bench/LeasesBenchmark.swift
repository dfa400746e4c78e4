import ArgumentParser
import AsyncHTTPClient
import DCEJSON
import Foundation
import NIOCore

/// Measures the number request web pages make (`POST /api/v1/numbers`, as retreaver-js
/// and dce.js send it): leases per second and latency percentiles, against a running dce.
///
/// With `--api-key` it makes, for each `--pool-size` (500 and 50,000 unless given), pools of
/// fresh numbers through the API (CSV import, then RingPools), enough of them that every
/// request of the run gets a number of its own. Sizes take turns over `--rounds` rounds;
/// the summary compares their median lease rates with each other and with the same
/// server's `GET /health` rate.
struct LeasesBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leases",
        abstract: "Leases per second and p99 latency of the number request, by pool size."
    )

    @Option(help: "Base URL of a running dce.") var url = "http://127.0.0.1:8080"
    @Option(help: "An account API key: pools are created for the run.") var apiKey: String?
    @Option(help: "Use this existing pool key (ring_pool_key) instead of creating pools.") var poolKey: String?
    @Option(name: .customLong("pool-size"), help: "Numbers per created pool; repeat to compare sizes.") var poolSizes: [Int] = [500, 50_000]
    @Option(help: "Number requests to send per pool size and round.") var requests = 2000
    @Option(help: "Rounds: each measures every size once, in turn; the summary takes each size's median.") var rounds = 3
    @Option(help: "Requests in flight at once.") var concurrency = 32
    @Flag(help: "Skip measuring GET /health on the same server.") var noHealth = false

    /// The goals: the largest pool's lease rate within this factor of the smallest's, and
    /// at least this share of the server's `GET /health` rate.
    static let sizeRatioGoal = 1.5
    static let healthShareGoal = 0.5

    func validate() throws {
        guard apiKey != nil || poolKey != nil else { throw ValidationError("give --api-key (to create pools) or --pool-key") }
        guard requests > 0, concurrency > 0, rounds > 0 else { throw ValidationError("--requests, --rounds and --concurrency must be positive") }
        guard !poolSizes.isEmpty, poolSizes.allSatisfy({ (1...100_000).contains($0) }) else {
            throw ValidationError("--pool-size must be from 1 to 100000")
        }
        // Numbers are +1877 plus a two-digit run tag and five digits: 100,000 per run.
        let numbers = poolSizes.reduce(0) { $0 + pools(of: $1) * $1 }
        guard numbers <= 100_000 else { throw ValidationError("the run would need \(numbers) numbers; at most 100000 (fewer --requests or --rounds, or smaller pools)") }
    }

    /// Pools a round needs of `size`, so that each of its requests can lease a number.
    func poolsPerRound(of size: Int) -> Int { (requests + size - 1) / size }

    /// Pools of `size` for the run: one shared by every round when it holds them all, else
    /// fresh pools for each round.
    func pools(of size: Int) -> Int { size >= requests * rounds ? 1 : poolsPerRound(of: size) * rounds }

    /// The pools of `keys` (all of one size) that round `round` sends its requests to.
    func roundKeys(_ keys: [String], round: Int) -> [String] {
        guard keys.count > 1 else { return keys }
        let count = keys.count / rounds
        return Array(keys[(round * count)..<((round + 1) * count)])
    }

    func run() async throws {
        let client = HTTPClient.forBenchmark(concurrency: concurrency)
        do {
            if let poolKey {
                print(try await storm(client, keys: [poolKey]))
            } else {
                // Every pool is made before any is measured, so that the writes of making
                // them (and SQLite's checkpoint of them) fall on no size in particular.
                var firstNumber = 0
                let tag = Int.random(in: 10...99)
                var poolKeys: [Int: [String]] = [:]
                for size in poolSizes {
                    for index in 0..<pools(of: size) {
                        poolKeys[size, default: []].append(try await createPool(client, size: size, tag: tag, firstNumber: firstNumber, name: "\(size)-\(index)"))
                        firstNumber += size
                    }
                }
                var rates: [Int: [Double]] = [:]
                for round in 0..<rounds {
                    for size in poolSizes {
                        let keys = roundKeys(poolKeys[size] ?? [], round: round)
                        let result = try await storm(client, keys: keys)
                        print("round \(round + 1), pool of \(size) numbers (\(keys.count) pool\(keys.count == 1 ? "" : "s")):\n\(result)")
                        rates[size, default: []].append(result.leasesPerSecond)
                    }
                }
                let health = noHealth ? nil : try await HealthBenchmark.load(url: url, count: max(requests, 5000), concurrency: concurrency).run(client: client)
                if let health { print(health) }
                print(summary(rates.map { (size: $0.key, leasesPerSecond: Self.median($0.value)) }, health: health?.throughput))
            }
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Each size's median rate against the smallest pool's, and against the HTTP ceiling.
    func summary(_ rates: [(size: Int, leasesPerSecond: Double)], health: Double?) -> String {
        guard let smallest = rates.min(by: { $0.size < $1.size }) else { return "" }
        var lines = ["summary (median of \(rounds) round\(rounds == 1 ? "" : "s")):"]
        for rate in rates.sorted(by: { $0.size < $1.size }) {
            var line = String(format: "  pool %6d: %6.0f leases/s", rate.size, rate.leasesPerSecond)
            if rate.size != smallest.size, rate.leasesPerSecond > 0 {
                let ratio = smallest.leasesPerSecond / rate.leasesPerSecond
                line += String(format: "; pool %d / this = %.2f (goal at most %.1f)", smallest.size, ratio, Self.sizeRatioGoal)
            }
            if let health, health > 0 {
                line += String(format: "; / GET /health = %.2f (goal at least %.1f)", rate.leasesPerSecond / health, Self.healthShareGoal)
            }
            lines.append(line)
        }
        if let health { lines.append(String(format: "  GET /health: %.0f req/s", health)) }
        return lines.joined(separator: "\n")
    }

    /// Imports `size` numbers unique to this run and makes a pool of them.
    func createPool(_ client: HTTPClient, size: Int, tag: Int, firstNumber: Int, name: String) async throws -> String {
        var csv = "number\n"
        for index in firstNumber..<(firstNumber + size) { csv += "+1877\(tag)\(String(format: "%05d", index))\n" }
        _ = try await send(client, "POST", "/v1/numbers/import", body: csv, contentType: "text/csv", expect: 200)
        let id = "bench-\(tag)-\(name)-\(Int(Date().timeIntervalSince1970))"
        let body = JSONValue.object([
            "id_from_network": .string(id), "name": .string("dce-bench"), "max_pool_size": .integer(size), "lifetime_seconds": .integer(900),
        ])
        let created = try await send(client, "POST", "/api/2020-10-01/bench/advertisers/bench/advertiser_campaigns/bench/ring_pools.json",
                                     body: body.text, contentType: "application/json", expect: 200)
        guard let key = created["ring_pool_key"]?.string else { throw BenchError("the pool answer has no ring_pool_key") }
        // Allocation runs in the background: wait until the pool is full (a large pool takes a while).
        let deadline = ContinuousClock.now + .seconds(60 + size / 100)
        while ContinuousClock.now < deadline {
            let shown = try await send(client, "GET", "/api/2020-10-01/bench/advertisers/bench/advertiser_campaigns/bench/ring_pools/\(id).json", expect: 200)
            if shown["allocation_state"]?.string != "pending" {
                print("pool \(id): \(shown["size"]?.text ?? "0") numbers")
                return key
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("the pool of \(size) was not allocated in time")
    }

    struct Result: CustomStringConvertible {
        let requests: Int
        let leases: Int
        let misses: Int
        let failures: Int
        let seconds: Double
        let latencies: [Double]

        var leasesPerSecond: Double { Double(leases) / seconds }

        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let sorted = latencies.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }

        var description: String {
            String(format: """
                requests %d in %.2f s (%.0f/s): %d leased, %d missed, %d failed
                leases/s %.0f
                latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f
                """, requests, seconds, Double(requests) / seconds, leases, misses, failures,
                Double(leases) / seconds, percentile(0.5) * 1000, percentile(0.9) * 1000, percentile(0.99) * 1000,
                (latencies.max() ?? 0) * 1000)
        }
    }

    /// Sends `requests` number requests, spread over the pools of `keys` in turn.
    func storm(_ client: HTTPClient, keys: [String]) async throws -> Result {
        let page = Data("https://bench.example/?utm_source=bench".utf8).base64EncodedString()
        let base = url, total = requests, width = concurrency
        let start = ContinuousClock.now
        let outcomes = try await withThrowingTaskGroup(of: (Double, Bool?).self) { group in
            var outcomes: [(Double, Bool?)] = []
            var next = 0
            func add() {
                let index = next
                next += 1
                group.addTask {
                    let began = ContinuousClock.now
                    var request = HTTPClientRequest(url: "\(base)/api/v1/numbers?campaign_key=\(keys[index % keys.count])")
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: JSONText.object(["u": page, "visitor_id": "bench-\(index)-\(UUID().uuidString)"])))
                    do {
                        let response = try await client.execute(request, timeout: .seconds(30))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        let elapsed = (ContinuousClock.now - began).seconds
                        guard response.status == .ok else { return (elapsed, nil) }
                        guard let answer = JSONValue.parse(bytes: Array(buffer: body)) else { return (elapsed, nil) }
                        return (elapsed, answer["number"]?["is_per_visitor"] == .bool(true))
                    } catch {
                        return ((ContinuousClock.now - began).seconds, nil)
                    }
                }
            }
            for _ in 0..<min(width, total) { add() }
            while let outcome = try await group.next() {
                outcomes.append(outcome)
                if next < total { add() }
            }
            return outcomes
        }
        let seconds = (ContinuousClock.now - start).seconds
        return Result(
            requests: outcomes.count, leases: outcomes.filter { $0.1 == true }.count,
            misses: outcomes.filter { $0.1 == false }.count, failures: outcomes.filter { $0.1 == nil }.count,
            seconds: seconds, latencies: outcomes.map(\.0)
        )
    }

    @discardableResult
    func send(_ client: HTTPClient, _ method: String, _ path: String, body: String? = nil, contentType: String? = nil, expect: Int) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url + path)
        request.method = .RAW(value: method)
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(300))
        let data = try await response.body.collect(upTo: 16 << 20)
        guard Int(response.status.code) == expect else {
            throw BenchError("\(method) \(path) answered \(response.status.code): \(String(buffer: data))")
        }
        return JSONValue.parse(bytes: Array(buffer: data)) ?? .null
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// Measures the number request web pages make (`POST /api/v1/numbers`, as retreaver-js
/// and dce.js send it): leases per second and latency percentiles, against a running dce.
///
/// With `--api-key` it first makes a pool of `--pool-size` fresh numbers through the API
/// (CSV import, then a RingPool), so each request of the run can get a number of its own.
struct LeasesBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leases",
        abstract: "Leases per second and p99 latency of the number request."
    )

    @Option(help: "Base URL of a running dce.") var url = "http://127.0.0.1:8080"
    @Option(help: "An account API key: a pool is created for the run.") var apiKey: String?
    @Option(help: "Use this existing pool key (ring_pool_key) instead of creating a pool.") var poolKey: String?
    @Option(help: "Numbers in the created pool.") var poolSize = 2000
    @Option(help: "Number requests to send.") var requests = 2000
    @Option(help: "Requests in flight at once.") var concurrency = 32

    func validate() throws {
        guard apiKey != nil || poolKey != nil else { throw ValidationError("give --api-key (to create a pool) or --pool-key") }
        guard requests > 0, concurrency > 0, poolSize > 0 else { throw ValidationError("--requests, --concurrency and --pool-size must be positive") }
    }

    func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let key: String
            if let poolKey { key = poolKey } else { key = try await createPool(client) }
            let result = try await storm(client, key: key)
            print(result)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Imports `poolSize` numbers unique to this run and makes a pool of them.
    func createPool(_ client: HTTPClient) async throws -> String {
        let run = Int(Date().timeIntervalSince1970) % 90 + 10
        var csv = "number\n"
        for index in 0..<poolSize { csv += "+1877\(run)\(String(format: "%05d", index))\n" }
        _ = try await send(client, "POST", "/v1/numbers/import", body: csv, contentType: "text/csv", expect: 200)
        let id = "bench-\(run)-\(Int(Date().timeIntervalSince1970))"
        let body = #"{"id_from_network": "\#(id)", "name": "dce-bench", "max_pool_size": \#(poolSize), "lifetime_seconds": 900}"#
        let created = try await send(client, "POST", "/api/2020-10-01/bench/advertisers/bench/advertiser_campaigns/bench/ring_pools.json",
                                     body: body, contentType: "application/json", expect: 200)
        guard let key = created["ring_pool_key"] as? String else { throw BenchError("the pool answer has no ring_pool_key") }
        // Allocation runs in the background: wait until the pool is full.
        for _ in 0..<600 {
            let shown = try await send(client, "GET", "/api/2020-10-01/bench/advertisers/bench/advertiser_campaigns/bench/ring_pools/\(id).json", expect: 200)
            if shown["allocation_state"] as? String != "pending" {
                print("pool \(id): \(shown["size"] ?? 0) numbers")
                return key
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("the pool was not allocated within a minute")
    }

    struct Result: CustomStringConvertible {
        let requests: Int
        let leases: Int
        let misses: Int
        let failures: Int
        let seconds: Double
        let latencies: [Double]

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

    func storm(_ client: HTTPClient, key: String) async throws -> Result {
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
                    var request = HTTPClientRequest(url: "\(base)/api/v1/numbers?campaign_key=\(key)")
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: #"{"u": "\#(page)", "visitor_id": "bench-\#(index)-\#(UUID().uuidString)"}"#))
                    do {
                        let response = try await client.execute(request, timeout: .seconds(30))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        let elapsed = (ContinuousClock.now - began).seconds
                        guard response.status == .ok else { return (elapsed, nil) }
                        let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
                        let number = json?["number"] as? [String: Any]
                        return (elapsed, number?["is_per_visitor"] as? Bool == true)
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
    func send(_ client: HTTPClient, _ method: String, _ path: String, body: String? = nil, contentType: String? = nil, expect: Int) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url + path)
        request.method = .RAW(value: method)
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let data = try await response.body.collect(upTo: 16 << 20)
        guard Int(response.status.code) == expect else {
            throw BenchError("\(method) \(path) answered \(response.status.code): \(String(buffer: data))")
        }
        return (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any]) ?? [:]
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

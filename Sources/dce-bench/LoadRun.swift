import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends requests with a fixed number in flight (or at a fixed rate) and records each
/// request's latency; prints throughput and percentiles.
struct LoadRun {
    let label: String
    let count: Int
    let concurrency: Int
    /// Requests per second to aim for; nil means as fast as the server answers.
    let rate: Double?
    let makeRequest: @Sendable (Int) -> HTTPClientRequest

    struct Result: CustomStringConvertible {
        let label: String
        let sent: Int
        let failed: Int
        let seconds: Double
        let latencies: [Double]

        var throughput: Double { Double(sent - failed) / seconds }
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let index = min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)
            return latencies[max(0, index)]
        }

        var description: String {
            String(format: "%@: %d requests (%d failed) in %.2f s = %.0f req/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                   label, sent, failed, seconds, throughput, percentile(0.50) * 1000, percentile(0.99) * 1000, (latencies.last ?? 0) * 1000)
        }
    }

    func run(client: HTTPClient) async throws -> Result {
        let counter = Counter()
        let start = ContinuousClock.now
        let (latencies, failures) = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    var failures = 0
                    while let index = await counter.next(limit: count) {
                        if let rate {
                            let due = start + .seconds(Double(index) / rate)
                            let now = ContinuousClock.now
                            if due > now { try await Task.sleep(until: due, clock: .continuous) }
                        }
                        let began = ContinuousClock.now
                        do {
                            let response = try await client.execute(makeRequest(index), timeout: .seconds(30))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            if !(200..<300).contains(response.status.code) { failures += 1 }
                        } catch {
                            failures += 1
                        }
                        let elapsed = ContinuousClock.now - began
                        latencies.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                    }
                    return (latencies, failures)
                }
            }
            var all: [Double] = []
            var failed = 0
            for try await (latencies, failures) in group {
                all += latencies
                failed += failures
            }
            return (all.sorted(), failed)
        }
        let elapsed = ContinuousClock.now - start
        return Result(label: label, sent: latencies.count, failed: failures,
                      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                      latencies: latencies)
    }

    actor Counter {
        private var issued = 0
        func next(limit: Int) -> Int? {
            guard issued < limit else { return nil }
            defer { issued += 1 }
            return issued
        }
    }
}

extension HTTPClient {
    /// A client with enough connections for the benchmark's concurrency.
    static func forBenchmark(concurrency: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

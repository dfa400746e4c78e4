import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// `dce-bench events`: posts call events to `/v1/events` and reports events/s and latency.
struct EventsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "POST /v1/events under load.")

    @Option(help: "Base URL of a running dce.") var url = "http://127.0.0.1:8080"
    @Option(help: "An API key of the account to post to.") var key: String
    @Option(help: "Number of requests.") var count = 10_000
    @Option(help: "Requests in flight at once.") var concurrency = 32
    @Option(help: "Events per request (1 posts single events; more posts batches).") var batch = 1
    @Option(help: "Target requests per second (omit for saturation).") var rate: Double?
    @Flag(help: "Also measure GET /health on the same server as the HTTP ceiling.") var withHealth = false

    func run() async throws {
        let client = HTTPClient.forBenchmark(concurrency: concurrency)
        let runID = UUID().uuidString.prefix(8)
        let key = self.key, url = self.url, batch = self.batch
        let events = LoadRun(label: "POST /v1/events (batch \(batch), concurrency \(concurrency)\(rate.map { ", rate \(Int($0))/s" } ?? ""))",
                             count: count, concurrency: concurrency, rate: rate) { index in
            var request = HTTPClientRequest(url: url + "/v1/events")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(key)")
            request.headers.add(name: "Content-Type", value: "application/json")
            let items = (0..<batch).map { offset in
                let id = "\(runID)-\(index)-\(offset)"
                return #"{"idempotency_key":"\#(id)","external_call_id":"\#(id)","caller_phone":"+1555\#(String(format: "%07d", index % 10_000_000))","tracking_number":"+18885550101","status":"completed","duration_seconds":\#(index % 600),"campaign_id":"bench","revenue":"12.50","call_started_at":"2026-11-01T10:00:00Z"}"#
            }
            let body = batch == 1 ? items[0] : #"{"events":[\#(items.joined(separator: ","))]}"#
            request.body = .bytes(ByteBuffer(string: body))
            return request
        }
        let result = try await events.run(client: client)
        print(result)
        print(String(format: "  = %.0f events/s", result.throughput * Double(batch)))
        if withHealth {
            let health = try await HealthBenchmark.load(url: url, count: count, concurrency: concurrency).run(client: client)
            print(health)
            print(String(format: "  ingest / ceiling = %.2f", result.throughput / health.throughput))
        }
        try await client.shutdown()
    }
}

/// `dce-bench health`: the plain HTTP ceiling of the same server.
struct HealthBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "health", abstract: "GET /health under load (the HTTP ceiling).")

    @Option(help: "Base URL of a running dce.") var url = "http://127.0.0.1:8080"
    @Option(help: "Number of requests.") var count = 10_000
    @Option(help: "Requests in flight at once.") var concurrency = 32

    static func load(url: String, count: Int, concurrency: Int) -> LoadRun {
        LoadRun(label: "GET /health (concurrency \(concurrency))", count: count, concurrency: concurrency, rate: nil) { _ in
            HTTPClientRequest(url: url + "/health")
        }
    }

    func run() async throws {
        let client = HTTPClient.forBenchmark(concurrency: concurrency)
        print(try await Self.load(url: url, count: count, concurrency: concurrency).run(client: client))
        try await client.shutdown()
    }
}

import ArgumentParser
import AsyncHTTPClient
import DCEJSON
import DCEVendors
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// `dce-bench voice`: a carrier's `POST /voice/{campaign}` (routing, the route stored with
/// its caps counted, the call's first event appended, TwiML answered) against the same
/// server's `GET /health` in each round, and p50/p99 at a fixed rate of new calls.
struct VoiceBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice",
        abstract: "Benchmark the carrier voice webhook against GET /health.",
        discussion: """
            Give --api-key to have a campaign, its buyer and target, and a Twilio carrier made in that \
            account for the run; or --campaign and --auth-token for ones that exist. Every request is a new \
            call (its own CallSid), signed with X-Twilio-Signature as Twilio signs.
            """
    )

    @Option(help: "The server, as carriers reach it.") var server = "http://127.0.0.1:8080"
    @Option(help: "An account's API key: a campaign and a Twilio carrier are made for the run.") var apiKey: String?
    @Option(help: "An existing campaign's id (with --auth-token).") var campaign: String?
    @Option(help: "The auth token of a Twilio carrier of the campaign's account.") var authToken: String?
    @Option(help: "New calls per second in the fixed-rate phase.") var rate = 200.0
    @Option(help: "Seconds per phase.") var duration = 10.0
    @Option(help: "Requests in flight in the saturation phases.") var concurrency = 64
    @Option(help: "Rounds of GET /health followed at once by saturation; the ratio reported is their median.") var rounds = 3
    @Flag(help: "Cap the made buyer and target (routed per hour, day, month and in total) as pay-per-call buyers are, with limits no run reaches: every call counts caps. (The run's calls never end, so a concurrency cap would count every one of them as live.)")
    var capped = false
    @Flag(help: "Print the results as JSON.") var json = false

    func validate() throws {
        guard let parsed = URL(string: server), parsed.host != nil, parsed.path.isEmpty || parsed.path == "/" else {
            throw ValidationError("--server must be an origin such as http://127.0.0.1:8080")
        }
        guard (apiKey != nil) != (campaign != nil) else { throw ValidationError("give either --api-key or --campaign with --auth-token") }
        guard campaign == nil || authToken != nil else { throw ValidationError("--campaign needs the carrier's --auth-token") }
        guard rate > 0, duration > 0, concurrency > 0, rounds > 0 else { throw ValidationError("--rate, --duration, --concurrency and --rounds must be positive") }
    }

    func run() async throws {
        let client = HTTPClient.forBenchmark(concurrency: concurrency)
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        do {
            let (campaignID, token) = try await prepare(base: base, client: client)
            let url = "\(base)/voice/\(campaignID)"
            var phases: [PhaseResult] = []
            let steady = VoiceCalls(url: url, authToken: token, count: Int(rate * duration) + 100)
            phases.append(await Load.fixedRate(name: "voice at \(Int(rate))/s", seconds: duration, rate: rate) {
                await steady.sendNext(client: client)
            })
            var pairs: [(ceiling: PhaseResult, saturated: PhaseResult)] = []
            for round in 1...rounds {
                let ceiling = await Load.saturate(name: "GET /health (ceiling) \(round)", seconds: duration, concurrency: concurrency) {
                    await Load.get("\(base)/health", client: client)
                }
                let calls = VoiceCalls(url: url, authToken: token, count: Int(ceiling.perSecond * duration * 1.1) + 1000)
                let saturated = await Load.saturate(name: "voice saturation \(round)", seconds: duration, concurrency: concurrency) {
                    await calls.sendNext(client: client)
                }
                pairs.append((ceiling, saturated))
                phases += [ceiling, saturated]
            }
            try await client.shutdown()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(phases), as: UTF8.self))
            } else {
                for phase in phases { print(phase.line) }
                let ratios = pairs.filter { $0.ceiling.perSecond > 0 }.map { $0.saturated.perSecond / $0.ceiling.perSecond * 100 }
                if !ratios.isEmpty {
                    print(String(format: "POST /voice at saturation = %.0f%% of the GET /health ceiling (median of the rounds: %@)",
                                 ratios.sorted()[ratios.count / 2], ratios.map { String(format: "%.0f%%", $0) }.joined(separator: ", ")))
                }
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The campaign and carrier token to use: the ones given, or new ones made through the API.
    func prepare(base: String, client: HTTPClient) async throws -> (campaign: String, authToken: String) {
        if let campaign, let authToken { return (campaign, authToken) }
        guard let apiKey else { throw ValidationError("--api-key is required without --campaign") }
        let run = String(UUID().uuidString.prefix(8)).lowercased()
        func create(_ path: String, _ body: [String: JSONValue]) async throws -> String {
            var request = HTTPClientRequest(url: base + path)
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: JSONValue.object(body).text))
            let response = try await client.execute(request, timeout: .seconds(30))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .created, let id = JSONValue.parse(bytes: Array(buffer: bytes))?["id"]?.string else {
                throw ValidationError("POST \(path) answered \(response.status.code): \(String(buffer: bytes))")
            }
            return id
        }
        let caps: JSONValue = .object([
            "limits": .array(["hour", "day", "month", "total"].map { period in
                .object(["metric": .string("routed"), "period": .string(period), "limit": .integer(1_000_000_000)])
            } + [.object(["metric": .string("converted"), "period": .string("day"), "limit": .integer(1_000_000_000)])]),
        ])
        var buyerSpec: [String: JSONValue] = [
            "name": .string("bench buyer \(run)"), "conversion": .object(["min_seconds": .integer(90), "revenue": .string("25.00")]),
        ]
        var targetSpec: [String: JSONValue] = ["name": .string("bench target \(run)"), "destination": .string("+12025550101")]
        if capped {
            buyerSpec["caps"] = caps
            targetSpec["caps"] = caps
        }
        let buyer = try await create("/v1/buyers", buyerSpec)
        targetSpec["buyer_id"] = .string(buyer)
        let target = try await create("/v1/targets", targetSpec)
        let campaign = try await create("/v1/campaigns", [
            "name": .string("bench campaign \(run)"), "routing": .array([.object(["target_id": .string(target)])]),
        ])
        let token = "bench-auth-token-\(run)-\(UUID().uuidString.prefix(8))"
        _ = try await create("/v1/carriers", [
            "kind": .string("twilio"), "name": .string("bench carrier \(run)"), "auth_token": .string(token),
        ])
        return (campaign, token)
    }
}

/// New calls, each its own CallSid, signed before a phase starts so that signing costs the
/// measured phase nothing. Handed out one at a time to many senders; past the last one they
/// start again, and a repeated CallSid is answered from its stored route.
final class VoiceCalls: Sendable {
    private let requests: [HTTPClientRequest]
    private let position = Mutex(0)

    init(url: String, authToken: String, count: Int) {
        let run = String(UUID().uuidString.prefix(8))
        var requests: [HTTPClientRequest] = []
        requests.reserveCapacity(count)
        for index in 0..<count {
            let parameters = [
                TwilioSignature.Parameter("CallSid", "CA\(run)\(index)"), TwilioSignature.Parameter("AccountSid", "ACbench"),
                TwilioSignature.Parameter("From", "+1415555\(String(format: "%04d", index % 10_000))"),
                TwilioSignature.Parameter("To", "+18005550100"), TwilioSignature.Parameter("CallStatus", "ringing"),
                TwilioSignature.Parameter("Direction", "inbound"),
            ]
            let body = parameters.map { "\(Self.encode($0.name))=\(Self.encode($0.value))" }.joined(separator: "&")
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.headers.add(name: "X-Twilio-Signature", value: TwilioSignature.signature(authToken: authToken, url: url, parameters: parameters))
            request.body = .bytes(ByteBuffer(string: body))
            requests.append(request)
        }
        self.requests = requests
    }

    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
    static func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }

    func sendNext(client: HTTPClient) async -> Bool {
        let index = position.withLock { position in
            defer { position += 1 }
            return position % requests.count
        }
        return await Load.execute(requests[index], client: client)
    }
}

import DCEJSON
import DCEDomain
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PropertyBased
import Testing

/// Random and extreme values posted to every ingestion route on both engines: every
/// answer is 2xx or 4xx, never a 5xx, and the process is still there at the end. The seed
/// is fixed, so every run sends the same requests.
@Suite struct IngestionFuzzTests {
    static let cases = 300

    typealias Choice<Value> = Generator<Value, AnySequence<(index: Int, value: Any)>>

    static func pick<Value: Sendable>(_ values: [Value]) -> Generator<Value, Shrink.None<Value?>> {
        Gen<Value?>.element(of: values).compactMap { $0 }
    }

    static let hostileTexts: Choice<String> = Gen.oneOf(
        Gen<Int64>.value(in: Int64.min...Int64.max).map { String($0) }.eraseToAny(),
        Gen<Double>.value(in: -1e300...1e300).map { "\($0)" }.eraseToAny(),
        pick([
            "-9223372036854775808", "9223372036854775807", "99999999999999999999", "1e19", "-1e19", "1E+400", "12.5", "",
            "garbage", "-0001-01-01T00:00:00Z", "99999-01-01T00:00:00Z", "2201-01-01", "1969-12-31T23:59:59Z",
            "2024-01-15T10:00:00Z", "1705400000", "180", "+15551234567", "1,000,000,000.00", "31622400", "١٢",
        ]).eraseToAny()
    )

    enum Route: CaseIterable, Sendable { case events, ringba, retreaver, exotel, invoca, ringcentral, ribbon }

    /// Parameter names each route reads, as its vendor spells them.
    static func names(_ route: Route) -> [String] {
        switch route {
        case .events: ["duration_seconds", "revenue", "payout", "occurred_at", "call_started_at", "call_answered_at", "call_ended_at", "caller_phone", "converted"]
        case .ringba: RingbaWebhook.Parameter.allCases.map(\.rawValue).filter { $0 != "call_id" }
        case .retreaver: RetreaverWebhook.Field.allCases.map(\.rawValue).filter { $0 != "id" && $0 != "stage" }
        case .exotel: ExotelStatusCallback.Field.allCases.map(\.rawValue).filter { $0 != "CallSid" }
        case .invoca: InvocaTransaction.Field.allCases.map(\.rawValue).filter { $0 != "transaction_id" }
        case .ringcentral: ["timestamp", "eventTime", "sequence", "startTime"]
        case .ribbon: ["timestamp", "duration"]
        }
    }

    static let requests = zip(pick(Route.allCases), zip(hostileTexts, hostileTexts).array(of: 1...6))

    /// A text as a JSON value: a JSON number stays one, anything else is a string.
    static func value(_ text: String) -> String {
        if case .number? = JSONValue.parse(text) { return text }
        return JSONText.string(text)
    }

    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\(JSONText.string($0.0)): \(value($0.1))" }.joined(separator: ", ") + "}"
    }

    static func form(_ pairs: [(String, String)]) -> String {
        pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
    }

    @Test(arguments: TestEngine.all)
    func everyIngestionRouteAnswers2xxOr4xx(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup
            func create(_ vendor: String) async throws -> TestIntegration {
                try await TestIntegration.create(client, key: account.key, vendor: vendor)
            }
            let ringba = try await create("ringba"), retreaver = try await create("retreaver"), exotel = try await create("exotel")
            let invoca = try await create("invoca"), ringcentral = try await create("ringcentral")
            let ribbon = try await RibbonTestClient.make(services.database)
            var random = Xoshiro(seed: (engine == .sqlite ? 21 : 22, 0x2545_F491_4F6C_DD1D, 0x9E37_79B9_7F4A_7C15, 0xBF58_476D_1CE4_E5B9))
            var statuses: [Int: Int] = [:]
            for index in 0..<Self.cases {
                let (route, values) = Self.requests.run(using: &random)
                let names = Self.names(route)
                // Each value goes to a parameter the route reads, chosen by the value's twin.
                let pairs = values.map { (names[Int($0.1.utf8.count) % names.count], $0.0) }
                let id = "F\(index)"
                // run
                let response: TestResponse
                switch route {
                case .events:
                    let body = Self.object([("idempotency_key", id), ("external_call_id", id)] + pairs)
                    response = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(body))
                case .ringba:
                    response = try await client.execute(uri: ringba.path(Self.form([("call_id", id)] + pairs)), method: .get)
                case .retreaver:
                    response = try await client.execute(uri: retreaver.path("stage=start"), method: .post, headers: .json,
                                                        body: .json(Self.object([("id", id)] + pairs)))
                case .exotel:
                    response = try await client.execute(uri: exotel.path(""), method: .post, headers: .form,
                                                        body: .json(Self.form([("CallSid", id), ("Status", "completed")] + pairs)))
                case .invoca:
                    response = try await client.execute(uri: invoca.path(""), method: .post, headers: .json,
                                                        body: .json(Self.object([("transaction_id", id)] + pairs)))
                case .ringcentral:
                    let members = Dictionary(pairs, uniquingKeysWith: { first, _ in first }).mapValues(Self.value)
                    let body = #"{"timestamp": \#(members["timestamp"] ?? "null"), "body": {"sessionId": "\#(id)", "eventTime": \#(members["eventTime"] ?? "null"), "sequence": \#(members["sequence"] ?? "null"), "activeCalls": [{"sessionId": "\#(id)", "telephonyStatus": "Ringing", "startTime": \#(members["startTime"] ?? "null")}]}}"#
                    response = try await client.execute(uri: ringcentral.path, method: .post, headers: ringcentral.verified, body: .json(body))
                case .ribbon:
                    let members = Dictionary(pairs, uniquingKeysWith: { first, _ in first }).mapValues(Self.value)
                    let body = #"{"apiKey": "\#(ribbon.key)", "domain": "yourcrm.com", "event": "callEnded", "timestamp": \#(members["timestamp"] ?? "null"), "data": {"callSid": "\#(id)", "duration": \#(members["duration"] ?? "null")}}"#
                    response = try await client.execute(uri: "/api/ribbon/log-call", method: .post, headers: .json, body: .json(body))
                }
                // validate
                let code = Int(response.status.code)
                statuses[code / 100, default: 0] += 1
                #expect((200..<500).contains(code), "\(route) \(pairs): \(code) \(response.text.prefix(300))")
            }
            #expect(statuses[2, default: 0] > 0, "\(statuses)")
            #expect(statuses[4, default: 0] > 0, "\(statuses)")
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
        }
    }
}

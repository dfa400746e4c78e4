import DCEDomain
import DCEJSON
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Single requests that once trapped the Swift runtime and ended dce for every account:
/// each is now a 400 naming its field, kept as a dead letter, and the server goes on.
@Suite struct HostileNumbersTests {
    /// One request to one route, and the field its refusal must name.
    struct Probe: Sendable, CustomStringConvertible {
        let description: String
        let path: @Sendable (Integrations) -> String
        var method: HTTPRequest.Method = .post
        var headers: @Sendable (Integrations, String) -> HTTPFields = { _, _ in .json }
        var body = ""
        let field: String
        var code = "invalid_field"
    }

    struct Integrations: Sendable {
        let key: String
        let ringba, retreaver, exotel, invoca, ringcentral: TestIntegration
    }

    static let int64Max = "9223372036854775807"
    static let farPast = "-9300000000000000"

    static func event(_ members: String) -> String {
        #"{"idempotency_key": "hostile-1", "external_call_id": "call-1", "caller_phone": "+14155550123", "tracking_number": "+18885550101", \#(members)}"#
    }

    static func native(_ name: String, _ members: String, field: String) -> Probe {
        Probe(description: name, path: { _ in "/v1/events" }, headers: { i, _ in .bearer(i.key) }, body: event(members), field: field)
    }

    static func get(_ name: String, _ path: @escaping @Sendable (Integrations) -> String, field: String) -> Probe {
        Probe(description: name, path: path, method: .get, field: field)
    }

    static func json(_ name: String, _ path: @escaping @Sendable (Integrations) -> String, _ body: String, field: String, code: String = "invalid_field") -> Probe {
        Probe(description: name, path: path, body: body, field: field, code: code)
    }

    static let probes: [Probe] = [
        native("revenue 1e19", #""revenue": 1e19"#, field: "revenue"),
        native("duration_seconds at Int64.max without a start", #""duration_seconds": \#(int64Max)"#, field: "duration_seconds"),
        native("duration_seconds past Int64", #""duration_seconds": 99999999999999999999"#, field: "duration_seconds"),
        native("occurred_at in the year 99999", #""occurred_at": "99999-01-01T00:00:00Z""#, field: "occurred_at"),
        native("call_started_at before 1970", #""call_started_at": "1969-12-31T23:59:59Z""#, field: "call_started_at"),
        get("Ringba call_length at Int64.max", { $0.ringba.path("call_id=H1&call_length=\(int64Max)") }, field: "call_length"),
        get("Ringba call_date_time far before 1970", { $0.ringba.path("call_id=H1&call_date_time=\(farPast)") }, field: "call_date_time"),
        get("Ringba call_date_time in a negative year", { $0.ringba.path("call_id=H1&call_date_time=-99999999999") }, field: "call_date_time"),
        json("Retreaver created_at at Int64.max", { $0.retreaver.path("stage=selected") }, #"{"id": "H1", "created_at": \#(int64Max)}"#, field: "created_at"),
        json("Retreaver created_at far before 1970", { $0.retreaver.path("stage=start") }, #"{"id": "H1", "created_at": \#(farPast)}"#, field: "created_at"),
        Probe(description: "Exotel ConversationDuration at Int64.max", path: { $0.exotel.path("") }, headers: { _, _ in .form },
              body: "CallSid=H1&Status=completed&ConversationDuration=\(int64Max)", field: "ConversationDuration"),
        Probe(description: "Exotel DateUpdated far before 1970", path: { $0.exotel.path("") }, headers: { _, _ in .form },
              body: "CallSid=H1&Status=completed&DateUpdated=\(farPast)", field: "DateUpdated"),
        json("Invoca start_time_utc far before 1970", { $0.invoca.path("") }, #"{"transaction_id": "H1", "start_time_utc": \#(farPast)}"#, field: "start_time_utc"),
        json("Invoca duration at Int64.max", { $0.invoca.path("") }, #"{"transaction_id": "H1", "start_time_utc": 1705400000, "duration": \#(int64Max)}"#, field: "duration"),
        json("Invoca custom_data with 10,000 entries", { $0.invoca.path("") },
             #"{"transaction_id": "H1", "custom_data": {\#((0..<10_000).map { "\"k\($0)\": 1" }.joined(separator: ","))}}"#,
             field: "custom_data", code: "too_many_tags"),
        Probe(description: "RingCentral eventTime in the year 99999", path: { $0.ringcentral.path }, headers: { i, _ in i.ringcentral.verified },
              body: #"{"body": {"sessionId": "H1", "eventTime": "99999-01-01T00:00:00Z", "parties": [{"status": {"code": "Setup"}}]}}"#,
              field: "body.eventTime"),
    ]

    @Test(arguments: TestEngine.all)
    func eachOnceFatalRequestIsA400NamingItsFieldAndADeadLetter(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup
            func create(_ vendor: String) async throws -> TestIntegration {
                try await TestIntegration.create(client, key: account.key, vendor: vendor)
            }
            let integrations = Integrations(
                key: account.key, ringba: try await create("ringba"), retreaver: try await create("retreaver"),
                exotel: try await create("exotel"), invoca: try await create("invoca"), ringcentral: try await create("ringcentral")
            )
            // run
            for probe in Self.probes {
                let response = try await client.execute(
                    uri: probe.path(integrations), method: probe.method, headers: probe.headers(integrations, probe.body), body: .json(probe.body)
                )
                // validate
                #expect(response.status == .badRequest, "\(probe): \(response.text.prefix(300))")
                #expect(response.errorField == probe.field, "\(probe)")
                #expect(response.errorCode == probe.code, "\(probe)")
            }
            let letters = try await services.ledger.deadLetters(accountID: account.account.id, limit: 1000)
            #expect(letters.count == Self.probes.count)
            #expect(letters.map(\.field).sorted { ($0 ?? "") < ($1 ?? "") } == Self.probes.map(\.field).sorted())
            // The server is still there, and a sound event is taken.
            let sound = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key),
                                                 body: .json(Self.event(#""duration_seconds": 31622399, "revenue": 999999999.99"#)))
            #expect(sound.status == .ok, "\(sound.text)")
        }
    }

    @Test(arguments: TestEngine.all)
    func anExtremeSignatureTimestampIsRefusedBeforeTheSignature(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let native = try await TestIntegration.create(client, key: account.key, vendor: "native")
            let retreaver = try await TestIntegration.create(client, key: account.key, vendor: "retreaver")
            let body = #"{"idempotency_key": "s-1", "external_call_id": "c-1"}"#
            for timestamp in [Int64.min, .max, .min + 1] {
                let viaEvents = try await client.execute(uri: "/v1/events?integration=\(native.id)", method: .post,
                                                         headers: native.signed(body, timestamp: timestamp), body: .json(body))
                #expect(viaEvents.status == .unauthorized)
                let viaWebhook = try await client.execute(uri: "\(retreaver.path)?stage=start", method: .post,
                                                          headers: retreaver.signed(#"{"id": "R1"}"#, timestamp: timestamp), body: .json(#"{"id": "R1"}"#))
                #expect(viaWebhook.status == .unauthorized)
            }
            let signed = try await client.execute(uri: "/v1/events?integration=\(native.id)", method: .post, headers: native.signed(body), body: .json(body))
            #expect(signed.status == .ok)
        }
    }

    @Test(arguments: TestEngine.all)
    func ribbonLogCallRefusesOutOfRangeDurationsAndTimes(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database)
            let probes: [(JSONValue, String)] = [
                (["event": "callEnded", "data": ["callSid": "H1", "duration": 9.3e18]], "data.duration"),
                (["event": "callEnded", "data": ["callSid": "H1", "duration": -1]], "data.duration"),
                (["event": "callEnded", "timestamp": "99999-01-01T00:00:00Z", "data": ["callSid": "H1"]], "timestamp"),
                (["event": "callEnded", "timestamp": "1969-12-31T23:59:59Z", "data": ["callSid": "H1"]], "timestamp"),
            ]
            for (body, field) in probes {
                var request = body.object ?? [:]
                request["apiKey"] = .string(ribbon.key)
                request["domain"] = "yourcrm.com"
                let response = try await client.ribbonPost("/api/ribbon/log-call", .object(request))
                #expect(response.status == .badRequest, "\(field): \(response.text)")
                #expect(response.errorField == field)
            }
            let letters = try await services.ledger.deadLetters(accountID: ribbon.account.id)
            #expect(letters.count == probes.count)
        }
    }

    @Test(arguments: TestEngine.all)
    func queryNumbersAndTimesOutsideTheirRangeAreNamed(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let calls: [(String, String)] = [
                ("from=2999-01-01", "from"), ("to=1969-12-31T23:59:59Z", "to"), ("from=-0001-01-01", "from"),
                ("limit=99999999999999999999", "limit"), ("limit=-9223372036854775808", "limit"),
            ]
            for (query, field) in calls {
                let response = try await client.execute(uri: "/v1/calls?\(query)", method: .get, headers: .bearer(account.key))
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.errorField == field, "\(query)")
            }
            let ribbon = try await RibbonTestClient.make(services.database)
            let logs: [(String, String)] = [
                ("startDate=1800-01-01", "startDate"), ("endDate=99999-01-01", "endDate"),
                ("page=99999999999999999999", "page"), ("pageSize=-9223372036854775808", "pageSize"),
            ]
            for (query, field) in logs {
                let response = try await client.ribbonGet("/api/ribbon/call-logs?\(query)", key: ribbon.key)
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.errorField == field, "\(query)")
            }
            let farPage = try await client.ribbonGet("/api/ribbon/call-logs?page=2147483647&pageSize=100", key: ribbon.key)
            #expect(farPage.status == .ok)
        }
    }
}

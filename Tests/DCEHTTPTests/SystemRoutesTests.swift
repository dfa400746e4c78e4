import DCEHTTP
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct SystemRoutesTests {
    @Test(arguments: TestEngine.all)
    func healthHasTheExotelSeedShape(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, _ in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
            #expect(response.value["version"]?.string != nil)
            #expect(response.value["uptime"]?.int != nil)
            #expect(response.value.redacting("version", "uptime") == ["status": "healthy", "version": "<redacted>", "uptime": "<redacted>"])
        }
    }

    @Test(arguments: TestEngine.all)
    func metricsCountRequestsEventsAndDeadLetters(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            _ = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key),
                                         body: .json(#"{"idempotency_key": "k", "external_call_id": "c"}"#))
            _ = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json("{bad"))
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: .bearer(TestApp.adminKey))
            #expect(metrics.status == .ok)
            let text = metrics.text
            #expect(text.contains(#"dce_http_requests_total{method="POST",route="/v1/events",status="200"} 1"#))
            #expect(text.contains(#"dce_http_requests_total{method="POST",route="/v1/events",status="400"} 1"#))
            #expect(text.contains(#"dce_events_ingested_total{source="native"} 1"#))
            #expect(text.contains(#"dce_dead_letters_total{source="native"} 1"#))
            #expect(text.contains("dce_http_request_duration_seconds_bucket"))
        }
    }

    /// Every route the router serves is described in openapi.yaml, with its method.
    @Test(arguments: [TestEngine.sqlite])
    func everyRouteIsInTheOpenAPIDocument(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let router = try buildRouter(AppServices(database: database, adminKey: nil))
            let document = OpenAPIDocument.text
            let paths = OpenAPIPaths(yaml: document)
            #expect(document.hasPrefix("openapi: 3.1"))
            #expect(!router.routeTable.entries.isEmpty)
            for entry in router.routeTable.entries {
                let methods = paths.methods[entry.path]
                #expect(methods != nil, "\(entry.path) is missing from openapi.yaml")
                #expect(methods?.contains(entry.method.rawValue.lowercased()) == true, "\(entry.method) \(entry.path) is missing from openapi.yaml")
            }
            // And nothing is documented that the router does not serve.
            let served = Set(router.routeTable.entries.map { "\($0.method.rawValue.lowercased()) \($0.path)" })
            for (path, methods) in paths.methods {
                for method in methods {
                    #expect(served.contains("\(method) \(path)"), "openapi.yaml documents \(method) \(path), which is not served")
                }
            }
        }
    }

    @Test(arguments: [TestEngine.sqlite])
    func aWrongMethodOnAKnownPathIs405(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let response = try await client.execute(uri: "/v1/calls", method: .delete, headers: .bearer(account.key))
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "GET")
            #expect(response.errorCode == "method_not_allowed")
            let unknown = try await client.execute(uri: "/v1/nothing-here", method: .get)
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "not_found")
        }
    }

    @Test(arguments: TestEngine.all)
    func theDashboardSignsInAndShowsTheAccountsCalls(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let event = #"{"idempotency_key": "k", "external_call_id": "c", "caller_phone": "+15551234567", "campaign_id": "auto-insurance", "status": "completed", "revenue": "45.00", "call_started_at": "\#(Date().addingTimeInterval(-3600).ISO8601Format())"}"#
            _ = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(event))

            let anonymous = try await client.execute(uri: "/dashboard", method: .get)
            #expect(anonymous.status == .ok)
            #expect(anonymous.text.contains("Sign in"))

            let bad = try await client.execute(uri: "/dashboard/login", method: .post,
                                               headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "key=dce_nope_nope"))
            #expect(bad.status == .unauthorized)

            let login = try await client.execute(uri: "/dashboard/login", method: .post,
                                                 headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "key=\(account.key)"))
            #expect(login.status == .seeOther)
            let cookie = try #require(login.headers[.setCookie])
            #expect(cookie.contains("HttpOnly"))
            let session = String(cookie.split(separator: ";")[0])

            let page = try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: session])
            #expect(page.status == .ok)
            #expect(page.text.contains("(555) 123-4567"))
            #expect(page.text.contains("auto-insurance"))
            #expect(page.text.contains("$45.00"))
            #expect(page.text.contains("Calls per day"))

            let filtered = try await client.execute(uri: "/dashboard?status=busy", method: .get, headers: [.cookie: session])
            #expect(filtered.text.contains("No calls match these filters."))

            // Sign-in links are for the demo only.
            let link = try await client.execute(uri: "/dashboard/login?key=\(account.key)", method: .get)
            #expect(link.status == .ok)
            #expect(link.headers[.setCookie] == nil)
        }
    }
}

/// The paths and methods of an OpenAPI document, read from its YAML layout.
struct OpenAPIPaths {
    var methods: [String: Set<String>] = [:]

    init(yaml: String) {
        var inPaths = false
        var current: String?
        let verbs: Set<String> = ["get", "post", "put", "patch", "delete", "head", "options"]
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                current = String(line.dropFirst(2).dropLast())
                methods[current!] = []
            } else if let current, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let word = line.trimmingCharacters(in: .whitespaces).dropLast()
                if line.hasSuffix(":"), verbs.contains(String(word)) { methods[current]?.insert(String(word)) }
            }
        }
    }
}

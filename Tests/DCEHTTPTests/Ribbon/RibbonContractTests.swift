import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Every ribbon endpoint answers in the shape of seed 003's example (Fixtures/*.json, copied
/// from the seed's "Exotel Call Ribbon - Complete API Documentation"): the same keys, nesting
/// and value types.
@Suite struct RibbonContractTests {
    /// The seed's story: a completed outbound call to CUST001 (the newest call, so lists
    /// start with it), an earlier call still active, the customer saved.
    static func seed(_ client: any TestClientProtocol, _ ribbon: RibbonTestClient) async throws {
        try await client.logCompletedCall(key: ribbon.key, callSid: "CA1234567890", start: "2025-10-12T10:30:00Z")
        try await client.logCall(key: ribbon.key, event: "incoming", callSid: "CA2", at: "2025-10-12T09:00:00Z")
        let saved = try await client.ribbonPost("/api/ribbon/customer", try RibbonFixture.request("customer-request.json", key: ribbon.key))
        #expect(saved.status == .ok)
    }

    static func expectShape(_ response: TestResponse, _ fixture: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == .ok, "\(response.text)", sourceLocation: sourceLocation)
        let expected = JSONShape.of(try RibbonFixture.json(fixture))
        #expect(JSONShape.of(response.value) == expected, sourceLocation: sourceLocation)
    }

    static func with(_ engine: TestEngine, _ body: @Sendable @escaping (any TestClientProtocol, RibbonTestClient) async throws -> Void) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database)
            try await seed(client, ribbon)
            try await body(client, ribbon)
        }
    }

    @Test(arguments: TestEngine.all)
    func initialize(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            let response = try await client.ribbonPost("/api/ribbon/init", ["apiKey": .string(ribbon.key), "domain": "yourcrm.com"])
            try Self.expectShape(response, "init.json")
            #expect(response.value["exotelToken"] == "9875596a6e1be7bfaa865f43a028ec40f980e57fdeb4de8c")
            #expect(response.value["clientInfo"]?["remainingCalls"] == 98)
            #expect(response.headers[.cacheControl] == "no-store")
        }
    }

    @Test(arguments: TestEngine.all)
    func logCall(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            let response = try await client.ribbonPost("/api/ribbon/log-call", try RibbonFixture.request("log-call-request.json", key: ribbon.key))
            try Self.expectShape(response, "log-call.json")
            #expect(response.value["logId"]?.string?.hasPrefix("log-1760265000-") == true)
        }
    }

    @Test(arguments: TestEngine.all)
    func config(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            let response = try await client.ribbonGet("/api/ribbon/config", key: ribbon.key)
            try Self.expectShape(response, "config.json")
            #expect(response.value["usage"] == ["callsThisMonth": 2, "limit": 100, "remaining": 98])
        }
    }

    @Test(arguments: TestEngine.all)
    func analytics(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            let response = try await client.ribbonGet("/api/ribbon/analytics?startDate=2025-10-01&limit=50", key: ribbon.key)
            try Self.expectShape(response, "analytics.json")
            let summary = try #require(response.value["summary"])
            #expect(summary == ["totalCalls": 2, "totalDuration": 180, "avgDuration": 90, "inboundCalls": 0, "outboundCalls": 2, "missedCalls": 0])
            #expect(response.value["callsByDate"] == ["2025-10-12": 2])
        }
    }

    @Test(arguments: TestEngine.all)
    func health(engine: TestEngine) async throws {
        try await Self.with(engine) { client, _ in
            try Self.expectShape(try await client.execute(uri: "/health", method: .get), "health.json")
        }
    }

    @Test(arguments: TestEngine.all)
    func callLogs(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            let response = try await client.ribbonGet("/api/ribbon/call-logs?customerId=CUST001&page=1&pageSize=20", key: ribbon.key)
            try Self.expectShape(response, "call-logs.json")
            #expect(response.value["pagination"] == ["page": 1, "pageSize": 20, "total": 4, "totalPages": 1])
        }
    }

    @Test(arguments: TestEngine.all)
    func activeCalls(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            let response = try await client.ribbonGet("/api/ribbon/active-calls", key: ribbon.key)
            try Self.expectShape(response, "active-calls.json")
            #expect(response.value["count"] == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func detailedAnalytics(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            let response = try await client.ribbonGet(
                "/api/ribbon/analytics/detailed?startDate=2025-10-01T00:00:00Z&endDate=2025-10-31T23:59:59Z", key: ribbon.key)
            try Self.expectShape(response, "analytics-detailed.json")
            let byHour = try #require(response.value["callsByHour"])
            #expect(byHour.object?.count == 24 && byHour["9"] == 1 && byHour["10"] == 1)
            #expect(response.value["callsByDayOfWeek"] == ["0": 2, "1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6": 0])
            #expect(response.value["durationBuckets"] == ["0-30s": 0, "30s-1m": 0, "1m-3m": 0, "3m-5m": 1, "5m+": 0])
        }
    }

    @Test(arguments: TestEngine.all)
    func exportJSON(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            // From 10:00 the range holds the completed call only; the active one is checked below.
            let response = try await client.ribbonGet("/api/ribbon/export/calls?startDate=2025-10-12T10:00:00Z&endDate=2025-10-12", key: ribbon.key)
            try Self.expectShape(response, "export-calls.json")
            #expect(response.value["dateRange"] == ["startDate": "2025-10-12T10:00:00Z", "endDate": "2025-10-12"])
            #expect(response.value["calls"]?.array?.count == 1)

            let all = try await client.ribbonGet("/api/ribbon/export/calls?startDate=2025-10-01&endDate=2025-10-12", key: ribbon.key)
            let calls = try #require(all.value["calls"]?.array)
            #expect(calls.count == 2)
            #expect(calls.first?["endTime"] == .null, "an active call has no end yet")
        }
    }

    @Test(arguments: TestEngine.all)
    func exportCSV(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            let response = try await client.ribbonGet("/api/ribbon/export/calls?format=csv&startDate=2025-10-01", key: ribbon.key)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
            let expected = CSVReader.rows(try RibbonFixture.text("export-calls.csv"))
            let rows = CSVReader.rows(response.text)
            #expect(rows.first == expected.first)
            #expect(rows.count == 3)
            // Same columns as the seed's row, with this call's values.
            let completed = try #require(rows.first { $0.last == "CUST001" && $0[5] != "" })
            #expect(Array(completed.dropFirst()) == Array(expected[1].dropFirst()))
        }
    }

    @Test(arguments: TestEngine.all)
    func saveCustomer(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            let response = try await client.ribbonPost("/api/ribbon/customer", try RibbonFixture.request("customer-request.json", key: ribbon.key))
            try Self.expectShape(response, "customer-save.json")
        }
    }

    @Test(arguments: TestEngine.all)
    func customer(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            let response = try await client.ribbonGet("/api/ribbon/customer/CUST001", key: ribbon.key)
            try Self.expectShape(response, "customer.json")
            let customer = try #require(response.value["customer"])
            #expect(customer["tags"] == ["vip", "enterprise"])
            #expect(customer["customFields"]?["accountBalance"] == 5000)
            #expect(response.value["totalCalls"] == 2)
            #expect(response.value["totalDuration"] == 180)
        }
    }

    @Test(arguments: TestEngine.all)
    func customerCalls(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            let response = try await client.ribbonGet("/api/ribbon/customer/CUST001/calls?limit=10", key: ribbon.key)
            try Self.expectShape(response, "customer-calls.json")
            #expect(response.value["events"]?.array?.map { $0["event"]?.string } == ["incoming", "incoming", "connected", "callEnded"])
        }
    }

    @Test(arguments: TestEngine.all)
    func adminClients(engine: TestEngine) async throws {
        try await Self.with(engine) { client, ribbon in
            let response = try await client.ribbonGet("/api/admin/clients", key: TestApp.adminKey)
            try Self.expectShape(response, "admin-clients.json")
            let listed = try #require(response.value[0])
            #expect(listed["apiKey"]?.string == String(ribbon.key.prefix(10)) + "...")
            #expect(!response.text.contains(ribbon.key))
            #expect(!response.text.contains("9875596a6e1be7bfaa865f43a028ec40f980e57fdeb4de8c"))
        }
    }

    @Test(arguments: TestEngine.all)
    func adminAnalytics(engine: TestEngine) async throws {
        try await Self.with(engine) { client, _ in
            let response = try await client.ribbonGet("/api/admin/analytics/all", key: TestApp.adminKey)
            try Self.expectShape(response, "admin-analytics-all.json")
            #expect(response.value["totalCallsAllClients"] == 2)
            #expect(response.value["clients"]?.array?.first?["utilizationPercent"] == 2)
        }
    }
}

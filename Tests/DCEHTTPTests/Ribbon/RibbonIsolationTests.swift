import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// One client never sees another client's calls, events, customers, usage or credentials,
/// on any endpoint.
@Suite struct RibbonIsolationTests {
    @Test(arguments: TestEngine.all)
    func aClientSeesNothingOfAnother(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let a = try await RibbonTestClient.make(services.database, name: "client-a", displayName: "A Corp", token: "token-of-a", userID: "user-a")
            let b = try await RibbonTestClient.make(services.database, name: "client-b", displayName: "B Corp", limit: 50,
                                                    domains: ["b.example"], token: "token-of-b", userID: "user-b")
            try await client.logCompletedCall(key: a.key, callSid: "CA1", start: "2025-10-12T10:30:00Z")
            try await client.logCall(key: a.key, event: "incoming", callSid: "CA2", at: "2025-10-12T11:00:00Z")
            _ = try await client.ribbonPost("/api/ribbon/customer", try RibbonFixture.request("customer-request.json", key: a.key))

            // B's own call with A's callSid is B's call, not A's.
            let mine = try await client.logCall(key: b.key, event: "incoming", callSid: "CA1", at: "2025-10-12T12:00:00Z",
                                                phone: "+14155550100", customerID: "B-CUST", name: "Bee", domain: "b.example")
            #expect(mine.status == .ok)

            let initB = try await client.ribbonPost("/api/ribbon/init", ["apiKey": .string(b.key), "domain": "b.example"])
            #expect(initB.value["exotelToken"] == "token-of-b")
            #expect(initB.value["clientInfo"]?["remainingCalls"] == 49)
            // A's domain is not B's.
            #expect(try await client.ribbonPost("/api/ribbon/init", ["apiKey": .string(b.key), "domain": "yourcrm.com"]).status == .forbidden)

            let paths = [
                "/api/ribbon/config", "/api/ribbon/analytics", "/api/ribbon/analytics/detailed", "/api/ribbon/call-logs",
                "/api/ribbon/active-calls", "/api/ribbon/export/calls", "/api/ribbon/export/calls?format=csv",
                "/api/ribbon/customer/CUST001/calls", "/api/ribbon/call-logs?customerId=CUST001", "/api/ribbon/analytics?customerId=CUST001",
            ]
            for path in paths {
                let response = try await client.ribbonGet(path, key: b.key)
                #expect(response.status == .ok, "\(path)")
                // A path that names CUST001 may echo it; nothing else of A's may appear.
                let secrets = ["CUST001", "John Doe", "A Corp", "client-a", "token-of-a", "+919876543210", "yourcrm.com"]
                for secret in secrets where !(secret == "CUST001" && path.contains("CUST001")) {
                    #expect(!response.text.contains(secret), "\(path) shows \(secret)")
                }
            }
            #expect(try await client.ribbonGet("/api/ribbon/customer/CUST001", key: b.key).status == .notFound)
            let customerCalls = try await client.ribbonGet("/api/ribbon/customer/CUST001/calls", key: b.key)
            #expect(customerCalls.value["calls"]?.array?.isEmpty == true)
            #expect(customerCalls.value["totalCalls"] == 0)

            let analytics = try await client.ribbonGet("/api/ribbon/analytics", key: b.key)
            #expect(analytics.value["summary"]?["totalCalls"] == 1)
            let logs = try await client.ribbonGet("/api/ribbon/call-logs", key: b.key)
            #expect(logs.value["pagination"]?["total"] == 1)

            // A's view is unchanged by B's call with the same callSid.
            let analyticsA = try await client.ribbonGet("/api/ribbon/analytics", key: a.key)
            #expect(analyticsA.value["summary"]?["totalCalls"] == 2)
            #expect(!analyticsA.text.contains("B-CUST"))
            let activeA = try await client.ribbonGet("/api/ribbon/active-calls", key: a.key)
            #expect(activeA.value["count"] == 1)

            // The operator sees both, each with its own usage.
            let clients = try await client.ribbonGet("/api/admin/clients", key: TestApp.adminKey).value.array ?? []
            #expect(clients.map { $0["clientId"]?.string } == ["client-a", "client-b"])
            #expect(clients.map { $0["callsThisMonth"]?.int } == [2, 1])
            let all = try await client.ribbonGet("/api/admin/analytics/all", key: TestApp.adminKey)
            #expect(all.value["totalClients"] == 2)
            #expect(all.value["totalCallsAllClients"] == 3)
        }
    }
}

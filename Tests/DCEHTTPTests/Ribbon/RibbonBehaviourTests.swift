import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// Sessions from callSid, the ledger, usage counted once per call, customers merged, CORS.
@Suite struct RibbonBehaviourTests {
    @Test(arguments: TestEngine.all)
    func eventsOfOneCallSidAreOneCallInTheLedgerCountedOnce(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database)
            try await client.logCall(key: ribbon.key, event: "incoming", callSid: "CA1", at: "2025-10-12T10:30:00Z")
            try await client.logCall(key: ribbon.key, event: "connected", callSid: "CA1", at: "2025-10-12T10:30:05Z")
            let active = try await client.ribbonGet("/api/ribbon/active-calls", key: ribbon.key)
            #expect(active.value["count"] == 1)
            #expect(active.value["activeCalls"]?.array?.first?["status"] == "active")

            try await client.logCall(key: ribbon.key, event: "holdStarted", callSid: "CA1", at: "2025-10-12T10:31:00Z")
            try await client.logCall(key: ribbon.key, event: "callEnded", callSid: "CA1", at: "2025-10-12T10:33:05Z")
            #expect(try await client.ribbonGet("/api/ribbon/active-calls", key: ribbon.key).value["count"] == 0)

            let config = try await client.ribbonGet("/api/ribbon/config", key: ribbon.key)
            #expect(config.value["usage"]?["callsThisMonth"] == 1)

            // The same call in dce's own API, from the ledger.
            let calls = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(ribbon.key))
            let listed = try #require(calls.value["data"]?.array)
            #expect(listed.count == 1)
            #expect(listed.first?["source"] == "exotel")
            #expect(listed.first?["external_call_id"] == "CA1")
            #expect(listed.first?["destination_number"] == "+919876543210")
            #expect(listed.first?["status"] == "completed")
            #expect(listed.first?["event_count"] == 4)

            // Talk time from answer to end when the client reports no duration.
            let analytics = try await client.ribbonGet("/api/ribbon/analytics", key: ribbon.key)
            #expect(analytics.value["summary"]?["totalDuration"] == 180)
            let logs = try await client.ribbonGet("/api/ribbon/call-logs?event=holdStarted", key: ribbon.key)
            #expect(logs.value["pagination"]?["total"] == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func aRepeatedDeliveryKeepsItsLogID(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database)
            let first = try await client.logCall(key: ribbon.key, event: "incoming", callSid: "CA1", at: "2025-10-12T10:30:00Z")
            let again = try await client.logCall(key: ribbon.key, event: "incoming", callSid: "CA1", at: "2025-10-12T10:30:00Z")
            #expect(first.value["logId"]?.string == again.value["logId"]?.string)
            let logs = try await client.ribbonGet("/api/ribbon/call-logs", key: ribbon.key)
            #expect(logs.value["pagination"]?["total"] == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func aCallEndedUnansweredIsMissed(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database)
            try await client.logCall(key: ribbon.key, event: "incoming", callSid: "CA1", at: "2025-10-12T10:30:00Z", direction: "inbound")
            try await client.logCall(key: ribbon.key, event: "callEnded", callSid: "CA1", at: "2025-10-12T10:30:20Z", direction: "inbound")
            let analytics = try await client.ribbonGet("/api/ribbon/analytics", key: ribbon.key)
            let summary = try #require(analytics.value["summary"])
            #expect(summary["missedCalls"] == 1)
            #expect(summary["inboundCalls"] == 1)
            #expect(summary["totalDuration"] == 0)
            #expect(analytics.value["recentCalls"]?.array?.first?["status"] == "missed")

            // A call first reported at its end started its duration earlier.
            try await client.logCall(key: ribbon.key, event: "callEnded", callSid: "CA2", at: "2025-10-12T12:03:00Z", duration: 180)
            let calls = try await client.ribbonGet("/api/ribbon/customer/CUST001/calls", key: ribbon.key)
            let latest = try #require(calls.value["calls"]?.array?.first)
            #expect(latest["startTime"] == "2025-10-12T12:00:00Z")
            #expect(latest["endTime"] == "2025-10-12T12:03:00Z")
            #expect(latest["status"] == "completed")
        }
    }

    @Test(arguments: TestEngine.all)
    func aCustomerUpdateMergesTagsAndCustomFields(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let key = try await RibbonTestClient.make(services.database).key
            _ = try await client.ribbonPost("/api/ribbon/customer", try RibbonFixture.request("customer-request.json", key: key))
            let update = try await client.ribbonPost("/api/ribbon/customer", ["apiKey": .string(key), "customerData": [
                "customerId": "CUST001", "company": "Acme Holdings", "tags": ["enterprise", "renewal"],
                "customFields": ["accountBalance": 4200, "segment": "enterprise"],
            ]])
            #expect(update.status == .ok)
            let shown = try await client.ribbonGet("/api/ribbon/customer/CUST001", key: key)
            let customer = try #require(shown.value["customer"])
            #expect(customer["name"] == "John Doe")
            #expect(customer["email"] == "john@example.com")
            #expect(customer["company"] == "Acme Holdings")
            #expect(customer["tags"] == ["vip", "enterprise", "renewal"])
            let fields = try #require(customer["customFields"])
            #expect(fields["accountBalance"] == 4200)
            #expect(fields["lastPayment"] == "2025-09-15")
            #expect(fields["segment"] == "enterprise")
            #expect(customer["createdAt"]?.string != nil)
        }
    }

    @Test(arguments: TestEngine.all)
    func theAPIKeyIsNeverStored(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database)
            try await client.logCall(key: ribbon.key, event: "incoming", callSid: "CA1", at: "2025-10-12T10:30:00Z")
            let stored = try await services.database.read { sql in
                try await sql.raw("SELECT body FROM inbound_requests").all().map { String(decoding: try $0.decode(column: "body", as: Data.self), as: UTF8.self) }
                    + sql.raw("SELECT payload FROM raw_events").all().map { try $0.decode(column: "payload", as: String.self) }
            }
            // The event is the request's whole body, kept once: its payload refers to the request.
            #expect(stored.count == 2)
            #expect(stored.last == "")
            #expect(stored.allSatisfy { !$0.contains(ribbon.key) && !$0.contains("apiKey") })
        }
    }

    @Test(arguments: TestEngine.all)
    func corsNamesOnlyTheClientsOwnOrigins(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database)
            let allowed = try await client.ribbonGet("/api/ribbon/config", key: ribbon.key, headers: [.originName: "https://yourcrm.com"])
            #expect(allowed.status == .ok)
            #expect(allowed.headers[.accessControlAllowOriginName] == "https://yourcrm.com")

            let preflight = try await client.execute(uri: "/api/ribbon/log-call", method: .options, headers: [
                .originName: "https://yourcrm.com", HTTPField.Name("Access-Control-Request-Method")!: "POST",
            ])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOriginName] == "https://yourcrm.com")
            #expect(preflight.headers[HTTPField.Name("Access-Control-Allow-Headers")!]?.contains("X-API-Key") == true)

            let stranger = try await client.execute(uri: "/api/ribbon/log-call", method: .options, headers: [.originName: "https://evil.example"])
            #expect(stranger.status == .forbidden)
            #expect(stranger.headers[.accessControlAllowOriginName] == nil)

            // An error after admission is readable by the page; one before it is not.
            let badFilter = try await client.ribbonGet("/api/ribbon/analytics?limit=0", key: ribbon.key, headers: [.originName: "https://yourcrm.com"])
            #expect(badFilter.status == .badRequest)
            #expect(badFilter.headers[.accessControlAllowOriginName] == "https://yourcrm.com")
            let malformed = try await client.execute(uri: "/api/ribbon/log-call", method: .post,
                                                     headers: [.originName: "https://yourcrm.com", .contentType: "application/json"], body: .json("{"))
            #expect(malformed.status == .badRequest)
            #expect(malformed.headers[.accessControlAllowOriginName] == nil)
            let otherOrigin = try await client.ribbonGet("/api/ribbon/config", key: ribbon.key, headers: [.originName: "https://evil.example"])
            #expect(otherOrigin.headers[.accessControlAllowOriginName] == nil)

            let withoutOrigin = try await client.ribbonGet("/api/ribbon/config", key: ribbon.key)
            #expect(withoutOrigin.headers[.accessControlAllowOriginName] == nil)
            for response in [allowed, preflight, stranger, withoutOrigin] {
                #expect(response.headers[.accessControlAllowOriginName] != "*")
            }
        }
    }

    @Test(arguments: TestEngine.all)
    func theAdminAPISetsUpAClient(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let body = #"{"name": "Collections CRM Inc.", "plan": "enterprise", "limit": 10000, "allowedDomains": ["crm.example"], "exotelToken": "t0k", "userId": "u1"}"#
            let created = try await client.execute(uri: "/api/admin/clients/client-001", method: .put,
                                                   headers: .bearer(TestApp.adminKey), body: .json(body))
            #expect(created.status == .ok, "\(created.text)")
            #expect(created.value["clientId"] == "client-001")
            #expect(created.value["limit"] == 10000)
            #expect(!created.text.contains("t0k"))
            let bad = try await client.execute(uri: "/api/admin/clients/client-001", method: .put, headers: .bearer(TestApp.adminKey),
                                               body: .json(#"{"name": "X", "plan": "trial", "limit": -1, "allowedDomains": [], "exotelToken": "t", "userId": "u"}"#))
            #expect(bad.status == .badRequest)
            #expect(bad.errorField == "limit")
            let issued = try await services.accounts.issueKey(for: try #require(try await services.accounts.account(named: "client-001")).id)
            let initialize = try await client.ribbonPost("/api/ribbon/init", ["apiKey": .string(issued.plaintext), "domain": "crm.example"])
            #expect(initialize.value["exotelToken"] == "t0k")
            #expect(initialize.value["features"] == ["call", "mute", "hold", "dtmf"])
        }
    }
}

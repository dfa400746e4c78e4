import DCEHTTP
import DCEJSON
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The seed's error codes (401 invalid key, 403 domain not allowed, 429 monthly limit), and
/// 400s that name the field, each with dce's JSON error body.
@Suite struct RibbonErrorTests {
    @Test(arguments: TestEngine.all)
    func anInvalidOrMissingKeyIs401(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, plainAccount in
            _ = try await RibbonTestClient.make(services.database)
            let cases: [TestResponse] = [
                try await client.ribbonPost("/api/ribbon/init", ["domain": "yourcrm.com"]),
                try await client.ribbonPost("/api/ribbon/init", ["apiKey": "demo-api-key-789"]),
                try await client.ribbonPost("/api/ribbon/log-call", ["apiKey": "dce_nope_nope", "event": "incoming", "data": ["callSid": "CA1"]]),
                try await client.ribbonPost("/api/ribbon/customer", ["apiKey": 42, "customerData": ["customerId": "C"]]),
                try await client.ribbonGet("/api/ribbon/config", key: nil),
                try await client.ribbonGet("/api/ribbon/analytics", key: "wrong"),
                // A dce account with no ribbon profile is not a ribbon client.
                try await client.ribbonGet("/api/ribbon/config", key: plainAccount.key),
            ]
            for response in cases {
                #expect(response.status == .unauthorized, "\(response.text)")
                #expect(response.errorCode == "invalid_api_key")
                #expect(response.headers[.accessControlAllowOriginName] == nil)
            }
        }
    }

    @Test(arguments: TestEngine.all)
    func aDomainOrOriginNotOfTheClientIs403(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database, domains: ["yourcrm.com", "app.yourcrm.com"])
            let byBody = try await client.ribbonPost("/api/ribbon/init", ["apiKey": .string(ribbon.key), "domain": "evil.example"])
            #expect(byBody.status == .forbidden)
            #expect(byBody.errorCode == "domain_not_allowed")
            #expect(byBody.errorField == "domain")

            let byOrigin = try await client.ribbonGet("/api/ribbon/config", key: ribbon.key, headers: [.originName: "https://evil.example"])
            #expect(byOrigin.status == .forbidden)
            #expect(byOrigin.errorField == "Origin")

            let logged = try await client.logCall(key: ribbon.key, event: "incoming", callSid: "CA1", domain: "yourcrm.com.evil.example")
            #expect(logged.status == .forbidden)

            // The same host with a scheme, port or other case is the same domain.
            let allowed = try await client.ribbonPost("/api/ribbon/init", ["apiKey": .string(ribbon.key), "domain": "https://APP.yourcrm.com:8443/crm"])
            #expect(allowed.status == .ok)
        }
    }

    @Test(arguments: TestEngine.all)
    func theMonthlyLimitIs429ForNewCallsOnly(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database, limit: 2)
            #expect(try await client.logCall(key: ribbon.key, event: "incoming", callSid: "CA1").status == .ok)
            #expect(try await client.ribbonPost("/api/ribbon/init", ["apiKey": .string(ribbon.key)]).status == .ok)
            #expect(try await client.logCall(key: ribbon.key, event: "incoming", callSid: "CA2").status == .ok)

            let third = try await client.logCall(key: ribbon.key, event: "incoming", callSid: "CA3")
            #expect(third.status == .tooManyRequests)
            #expect(third.errorCode == "monthly_limit_exceeded")
            let initialize = try await client.ribbonPost("/api/ribbon/init", ["apiKey": .string(ribbon.key)])
            #expect(initialize.status == .tooManyRequests)
            #expect(initialize.errorCode == "monthly_limit_exceeded")

            // A call already counted may still end.
            #expect(try await client.logCall(key: ribbon.key, event: "callEnded", callSid: "CA1", duration: 30).status == .ok)
            let config = try await client.ribbonGet("/api/ribbon/config", key: ribbon.key)
            #expect(config.value["usage"] == ["callsThisMonth": 2, "limit": 2, "remaining": 0])
        }
    }

    @Test(arguments: TestEngine.all)
    func badInputIs400NamingTheField(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database)
            let key = ribbon.key
            let posts: [(path: String, body: JSONValue, field: String?)] = [
                ("/api/ribbon/log-call", ["apiKey": .string(key), "data": ["callSid": "CA1"]], "event"),
                ("/api/ribbon/log-call", ["apiKey": .string(key), "event": "incoming"], "data"),
                ("/api/ribbon/log-call", ["apiKey": .string(key), "event": "incoming", "data": ["phoneNumber": "+919876543210"]], "data.callSid"),
                ("/api/ribbon/log-call", ["apiKey": .string(key), "event": "incoming", "data": ["callSid": "CA1"], "timestamp": "yesterday"], "timestamp"),
                ("/api/ribbon/log-call", ["apiKey": .string(key), "event": "incoming", "data": ["callSid": "CA1", "phoneNumber": "call me"]], "data.phoneNumber"),
                ("/api/ribbon/log-call", ["apiKey": .string(key), "event": "incoming", "data": ["callSid": "CA1", "callDirection": "sideways"]], "data.callDirection"),
                ("/api/ribbon/log-call", ["apiKey": .string(key), "event": "incoming", "data": ["callSid": "CA1", "duration": -5]], "data.duration"),
                ("/api/ribbon/log-call", ["apiKey": .string(key), "event": "incoming", "data": ["callSid": "CA1", "customerData": "John"]], "data.customerData"),
                ("/api/ribbon/customer", ["apiKey": .string(key)], "customerData"),
                ("/api/ribbon/customer", ["apiKey": .string(key), "customerData": ["name": "John"]], "customerData.customerId"),
                ("/api/ribbon/customer", ["apiKey": .string(key), "customerData": ["customerId": "C1", "tags": "vip"]], "customerData.tags"),
                ("/api/ribbon/customer", ["apiKey": .string(key), "customerData": ["customerId": "C1", "customFields": [1, 2]]], "customerData.customFields"),
                ("/api/ribbon/customer", ["apiKey": .string(key), "customerData": ["customerId": "C1", "email": 7]], "customerData.email"),
            ]
            for item in posts {
                let response = try await client.ribbonPost(item.path, item.body)
                #expect(response.status == .badRequest, "\(item.body)")
                #expect(response.errorField == item.field, "\(item.body): \(response.text)")
            }
            let gets: [(path: String, field: String)] = [
                ("/api/ribbon/analytics?startDate=10/01/2025", "startDate"),
                ("/api/ribbon/analytics/detailed?endDate=soon", "endDate"),
                ("/api/ribbon/analytics?limit=0", "limit"),
                ("/api/ribbon/call-logs?page=0", "page"),
                ("/api/ribbon/call-logs?pageSize=ten", "pageSize"),
                ("/api/ribbon/call-logs?callDirection=up", "callDirection"),
                ("/api/ribbon/export/calls?format=xml", "format"),
                ("/api/ribbon/customer/C1/calls?limit=-1", "limit"),
            ]
            for item in gets {
                let response = try await client.ribbonGet(item.path, key: key)
                #expect(response.status == .badRequest, "\(item.path)")
                #expect(response.errorField == item.field, "\(item.path): \(response.text)")
            }
            let notJSON = try await client.execute(uri: "/api/ribbon/log-call", method: .post, headers: [.contentType: "application/json"], body: .json("{nope"))
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.errorCode == "malformed_json")
            // Refused events are kept, without the key.
            let kept = try await services.ledger.deadLetters(accountID: ribbon.account.id)
            #expect(kept.count == 8)
            #expect(kept.allSatisfy { !$0.body.contains(key) })
        }
    }

    @Test(arguments: TestEngine.all)
    func anUnknownCustomerIs404(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database)
            let response = try await client.ribbonGet("/api/ribbon/customer/NOBODY", key: ribbon.key)
            #expect(response.status == .notFound)
            #expect(response.errorCode == "customer_not_found")
        }
    }

    @Test(arguments: TestEngine.all)
    func adminRoutesNeedTheAdminKey(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database)
            for path in ["/api/admin/clients", "/api/admin/analytics/all"] {
                #expect(try await client.ribbonGet(path, key: nil).status == .unauthorized)
                #expect(try await client.ribbonGet(path, key: ribbon.key).status == .unauthorized)
                #expect(try await client.ribbonGet(path, key: "wrong-admin-key-0000").status == .unauthorized)
                #expect(try await client.ribbonGet(path, key: TestApp.adminKey).status == .ok)
            }
        }
    }

    @Test(arguments: TestEngine.all)
    func adminRoutesAreClosedWithoutAnAdminKeyConfigured(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let services = AppServices(database: database, adminKey: nil)
            let app = Application(router: try buildRouter(services))
            try await app.test(.router) { client in
                let response = try await client.ribbonGet("/api/admin/clients", key: TestApp.adminKey)
                #expect(response.status == .forbidden)
                #expect(response.errorCode == "admin_disabled")
            }
        }
    }
}

extension HTTPField.Name {
    static let originName = HTTPField.Name("Origin")!
    static let accessControlAllowOriginName = HTTPField.Name("Access-Control-Allow-Origin")!
}

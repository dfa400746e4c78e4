import DCEDomain
@testable import DCEHTTP
import DCEJSON
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `GET /v1/calls/{id}` answers the call's `exchange` view; openapi.yaml describes it as
/// served: every member written at every level is a property of its schema, and every
/// property a schema calls required is written.
@Suite struct CallDetailSchemaTests {
    /// The names listed under `required:` of one schema under `components/schemas`, read by
    /// indentation as `CallFieldListingsTests.properties` reads its properties.
    static func required(ofSchema name: String, in yaml: String) -> Set<String> {
        var names: Set<String> = []
        var inSchema = false
        var inRequired = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            let indent = line.prefix { $0 == " " }.count
            let content = line.dropFirst(indent)
            if content.isEmpty { continue }
            if indent == 4 { inSchema = content == "\(name):"; inRequired = false; continue }
            guard inSchema else { continue }
            if indent == 6 { inRequired = content == "required:"; continue }
            if inRequired, indent == 8, content.hasPrefix("- ") { names.insert(String(content.dropFirst(2))) }
        }
        return names
    }

    /// Checks one served object against the schema that describes it.
    static func expect(_ value: JSONValue?, describedBy schema: String, at path: String) {
        guard let members = value?.object else {
            Issue.record("\(path) is not an object: \(value.map(\.text) ?? "absent")")
            return
        }
        let yaml = OpenAPIDocument.text
        let properties = CallFieldListingsTests.properties(ofSchema: schema, in: yaml)
        #expect(!properties.isEmpty, "openapi.yaml has no schema \(schema)")
        for key in members.keys.sorted() {
            #expect(properties.contains(key), "\(path).\(key) is served but openapi.yaml's \(schema) does not describe it")
        }
        for key in required(ofSchema: schema, in: yaml).sorted() {
            #expect(members[key] != nil, "openapi.yaml's \(schema) requires \(key), which \(path) does not write")
        }
    }

    static func expectEach(_ value: JSONValue?, describedBy schema: String, at path: String) {
        let items = value?.array ?? []
        #expect(!items.isEmpty, "\(path) is empty: the case does not exercise \(schema)")
        for (index, item) in items.enumerated() { expect(item, describedBy: schema, at: "\(path)[\(index)]") }
    }

    @Test func theCallDetailSchemaHoldsTheExchangeView() {
        // `CallDetail` is the only schema that holds the view.
        #expect(OpenAPIDocument.text.components(separatedBy: "$ref: '#/components/schemas/CallExchange'").count == 2)
        #expect(CallFieldListingsTests.properties(ofSchema: "CallExchange", in: OpenAPIDocument.text).contains("figures"))
    }

    @Test(arguments: TestEngine.all)
    func aRoutedCallAndACallDceDidNotRouteAreServedAsDescribed(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: the first call takes the capped target, the second skips it (cap_daily),
            // rings the backup, which does not answer, and gets the fallback
            let setup = try await RouteAPITests.setUp(services, account: account.account.id)
            let auth = HTTPFields.bearer(account.key)
            for callID in ["plat-1", "plat-2"] {
                let routed = try await client.execute(uri: "/v1/route", method: .post, headers: auth, body: .json("""
                    {"campaign_id": "\(setup.campaign)", "caller": "+14155550100", "dialed": "+18005550100", "call_id": "\(callID)"}
                    """))
                try #require(routed.status == .ok, "\(routed.text)")
            }
            let second = try #require(try await services.routes.route(source: .native, externalCallID: "plat-2", accountID: account.account.id))
            _ = try await services.routes.fallThrough(routeID: second.routeID, accountID: account.account.id, outcome: .noAnswer, at: .now())

            // run: the platform reports the routed call with its own revenue, and a call dce did not route
            func report(_ key: String, _ body: String) async throws -> String {
                let posted = try await client.execute(uri: "/v1/events", method: .post, headers: auth, body: .json(#"{"idempotency_key": "\#(key)", \#(body)}"#))
                return try #require(posted.value["call_id"]?.string, "\(posted.text)")
            }
            let routedID = try await report("e1", #""external_call_id": "plat-2", "caller_phone": "+14155550100", "status": "completed", "duration_seconds": 95, "revenue": "45.00", "target_id": "\#(setup.backup)""#)
            let unroutedID = try await report("e2", #""external_call_id": "plat-3", "caller_phone": "+14155550111", "status": "completed", "duration_seconds": 30, "campaign_id": "\#(setup.campaign)", "target_id": "\#(setup.backup)""#)

            // validate
            let routed = try await client.execute(uri: "/v1/calls/\(routedID)", method: .get, headers: auth).value["exchange"]
            Self.expect(routed, describedBy: "CallExchange", at: "exchange")
            for entity in ["campaign", "publisher", "buyer", "target"] {
                Self.expect(routed?[entity], describedBy: "EntityRef", at: "exchange.\(entity)")
            }
            let route = routed?["route"]
            Self.expect(route, describedBy: "CallRoute", at: "exchange.route")
            Self.expect(route?["decision"], describedBy: "RoutingDecision", at: "exchange.route.decision")
            Self.expectEach(route?["decision"]?["route"], describedBy: "RoutedTarget", at: "exchange.route.decision.route")
            Self.expectEach(route?["decision"]?["considered"], describedBy: "ConsideredTarget", at: "exchange.route.decision.considered")
            Self.expect(route?["fallback"], describedBy: "AppliedFallback", at: "exchange.route.fallback")
            Self.expect(route?["fallback"]?["action"], describedBy: "RoutingFallback", at: "exchange.route.fallback.action")
            Self.expect(route?["rules"], describedBy: "PricingRules", at: "exchange.route.rules")
            Self.expect(route?["rules"]?["conversion"], describedBy: "ConversionRule", at: "exchange.route.rules.conversion")
            Self.expect(route?["rules"]?["payout"], describedBy: "PayoutRule", at: "exchange.route.rules.payout")
            Self.expect(routed?["figures"], describedBy: "CallFigures", at: "exchange.figures")
            Self.expect(routed?["figures"]?["dce"], describedBy: "Figures", at: "exchange.figures.dce")
            Self.expect(routed?["figures"]?["vendor"], describedBy: "Figures", at: "exchange.figures.vendor")

            let unrouted = try await client.execute(uri: "/v1/calls/\(unroutedID)", method: .get, headers: auth).value["exchange"]
            Self.expect(unrouted, describedBy: "CallExchange", at: "exchange")
            #expect(unrouted?["rules"] == "at_call_time")
            Self.expect(unrouted?["revisions"], describedBy: "RevisionIDs", at: "exchange.revisions")
            Self.expect(unrouted?["figures"], describedBy: "CallFigures", at: "exchange.figures")
        }
    }
}

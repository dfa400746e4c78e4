import AsyncHTTPClient
import DCEJSON
import DCEStorage
import DCETestSupport
import Foundation
import Testing

/// `dce serve --demo` seeds a realistic exchange (3 campaigns, 5 publishers, 6 buyers with
/// caps, targets with hours) and routes every demo call through it, as a user sees it
/// through the API of the running binary.
@Suite struct DemoExchangeTests {
    static let adminKey = "dce_admin_demo_exchange_0123456789abcdef"

    @Test func theDemoExchangeHasItsEntitiesAndEveryDemoCallCarriesItsRoutingDecision() async throws {
        // setup
        let created = try await TestDatabases.create(.sqlite)
        defer { Task { try? await created.drop() } }
        let server = try await DCEProcess(database: created.location, arguments: ["--demo", "--demo-calls", "240"], environment: ["DCE_ADMIN_KEY": Self.adminKey])
        defer { server.stop() }
        let issued = try await HTTP.request(.POST, server.baseURL + "/v1/admin/accounts/demo/keys", key: Self.adminKey, body: #"{"label": "test"}"#)
        let key = try #require(issued.value["key"]?.string, "\(issued.value)")

        // run
        func list(_ path: String) async throws -> [JSONValue] {
            let response = try await HTTP.request(.GET, server.baseURL + path, key: key)
            #expect(response.status == 200, "\(path): \(response.value)")
            return response.value["data"]?.array ?? []
        }
        let campaigns = try await list("/v1/campaigns")
        let publishers = try await list("/v1/publishers")
        let buyers = try await list("/v1/buyers")
        let targets = try await list("/v1/targets")
        let calls = try await list("/v1/calls?limit=500")

        // validate: the entities
        #expect(campaigns.count == 3)
        #expect(publishers.count == 5)
        #expect(buyers.count == 6)
        for buyer in buyers {
            let caps = buyer["caps"]
            let limited = !(caps?["limits"]?.array ?? []).isEmpty || caps?["concurrency"]?.exactInteger != nil
            #expect(limited, "buyer \(buyer["name"]?.string ?? "?") has no caps")
        }
        #expect(targets.count >= 6)
        for target in targets {
            let windows = target["hours"]?.array ?? []
            #expect(windows.count > 0, "target \(target["name"]?.string ?? "?") has no hours")
        }

        // validate: every demo call was routed by the exchange and shows the decision
        #expect(calls.count == 240)
        let campaignIDs = Set(campaigns.compactMap { $0["id"]?.string })
        let targetIDs = Set(targets.compactMap { $0["id"]?.string })
        var reasons: Set<String> = []
        var chosen = 0
        for call in calls {
            let id = try #require(call["id"]?.string)
            let shown = try await HTTP.request(.GET, server.baseURL + "/v1/calls/\(id)", key: key).value
            let exchange = try #require(shown["exchange"], "call \(id) has no exchange view")
            #expect(exchange["rules"] == "route", "call \(id) was not routed")
            let route = try #require(exchange["route"])
            #expect(campaignIDs.contains(route["campaign_id"]?.string ?? ""))
            let considered = route["decision"]?["considered"]?.array ?? []
            #expect(!considered.isEmpty, "call \(id) has no targets considered")
            #expect(considered.allSatisfy { targetIDs.contains($0["target"]?.string ?? "") })
            reasons.formUnion(considered.compactMap { $0["reason"]?.string })
            if let target = route["decision"]?["chosen"]?.string {
                chosen += 1
                #expect(targetIDs.contains(target))
            } else {
                #expect(route["decision"]?["fallback"]?["reason"]?.string != nil, "call \(id) has neither a target nor a fallback")
            }
            #expect(exchange["figures"]?["dce"]?["conversion_rule"]?.string != nil)
        }
        #expect(chosen > 0)
        // Hours close targets on nights and weekends within a month of calls.
        #expect(reasons.contains("closed"), "\(reasons)")
    }
}

import DCEHTTP
import DCEStorage
import DCETestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The monthly limit holds when calls arrive at once: the database decides, not a node's memory.
@Suite struct RibbonConcurrencyTests {
    @Test(arguments: TestEngine.all)
    func concurrentNewCallsNeverExceedTheLimit(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database, limit: 5)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        Int(try await client.logCall(key: ribbon.key, event: "incoming", callSid: "CA\(index)").status.code)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 5)
            #expect(statuses.filter { $0 == 429 }.count == 7)
            let config = try await client.ribbonGet("/api/ribbon/config", key: ribbon.key)
            #expect(config.value["usage"] == ["callsThisMonth": 5, "limit": 5, "remaining": 0])
        }
    }
}

/// Every ribbon and admin route the router serves is described in openapi.yaml.
@Suite struct RibbonOpenAPITests {
    /// `METHOD /path` for each operation under `paths:`.
    static func documentedOperations() -> Set<String> {
        var documented: Set<String> = []
        var path: String?
        for line in OpenAPIDocument.text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let current = path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                documented.insert("\(line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()) \(current)")
            } else if !line.hasPrefix(" ") {
                path = nil
            }
        }
        return documented
    }

    @Test func everyRibbonRouteIsDocumented() async throws {
        try await TestDatabases.with(.sqlite) { database in
            let router = try buildRouter(AppServices(database: database, adminKey: nil))
            let routes = router.routeTable.entries.filter { $0.path.hasPrefix("/api/ribbon/") || $0.path.hasPrefix("/api/admin/") }
            #expect(routes.count == 14)
            let documented = Self.documentedOperations()
            for route in routes {
                #expect(documented.contains("\(route.method.rawValue) \(route.path)"), "\(route.method) \(route.path) is not in openapi.yaml")
            }
        }
    }
}

import DCEHTTP
import DCEStorage
import DCETestSupport
import Hummingbird
import Testing

/// Every route the router serves is described in openapi.yaml.
@Suite struct WebhookRoutesDocumentedTests {
    @Test func everyRouteIsInTheOpenAPIDocument() async throws {
        try await TestDatabases.with(.sqlite) { database in
            let router = try buildRouter(AppServices(database: database, adminKey: nil))
            let document = OpenAPIDocument.text
            for entry in router.routeTable.entries {
                #expect(document.contains("\n  \(entry.path):\n"), "\(entry.method) \(entry.path)")
            }
        }
    }
}

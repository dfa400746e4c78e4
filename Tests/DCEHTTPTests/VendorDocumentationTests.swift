import DCEHTTP
import DCEVendors
import Foundation
import Testing

/// The documents name every registered vendor: a vendor added to `VendorRegistry.all`
/// without its webhook in openapi.yaml, its name among an integration's vendors, or its
/// row in the README's table fails here.
@Suite struct VendorDocumentationTests {
    static let readme = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("README.md")

    @Test(arguments: VendorRegistry.all.map(\.name))
    func openAPIDescribesTheVendorsWebhookAndNamesItAsAnIntegrationVendor(vendor: String) {
        let document = OpenAPIDocument.text
        #expect(document.contains("\n  /webhooks/\(vendor)/{integration}:\n"), "openapi.yaml has no /webhooks/\(vendor)/{integration}")
        #expect(Self.integrationVendors(document) == VendorRegistry.all.map(\.name))
    }

    @Test(arguments: VendorRegistry.all.map(\.name))
    func theReadmesVendorTableHasARowForTheVendor(vendor: String) throws {
        let readme = try String(contentsOf: Self.readme, encoding: .utf8)
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.contains("`/webhooks/\(vendor)/") }
        #expect(rows.count == 1, "README.md's vendor table has no row for /webhooks/\(vendor)/")
    }

    /// The `enum` of `IntegrationInput.vendor` in openapi.yaml, in its order.
    static func integrationVendors(_ document: String) -> [String] {
        let lines = document.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let input = lines.firstIndex(of: "    IntegrationInput:"),
              let vendor = lines[input...].firstIndex(of: "        vendor:"),
              let list = lines[vendor...].firstIndex(of: "          enum:")
        else { return [] }
        return lines[(list + 1)...].prefix { $0.hasPrefix("            - ") }.map { String($0.dropFirst("            - ".count)) }
    }
}

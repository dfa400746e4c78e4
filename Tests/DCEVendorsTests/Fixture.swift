import DCEDomain
import DCEVendors
import Foundation

/// A vendor payload kept next to the tests (in `Fixtures/`), read as a delivery.
enum Fixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    static let receivedAt = Timestamp(millisecondsSince1970: 1_705_400_000_000)

    /// A query-string fixture sent as Ringba sends it: GET with parameters.
    static func query(_ name: String, method: String = "GET") throws -> VendorDelivery {
        VendorDelivery(method: method, query: FlatFields.form(try text(name)).values, contentType: nil, body: [], receivedAt: receivedAt)
    }

    static func body(_ name: String, contentType: String, query: [String: String] = [:]) throws -> VendorDelivery {
        VendorDelivery(method: "POST", query: query, contentType: contentType, body: Array(try text(name).utf8), receivedAt: receivedAt)
    }

    static func time(_ iso: String) -> Timestamp { Timestamp(parsing: iso)! }
    static func phone(_ text: String) -> PhoneNumber { try! PhoneNumber(parsing: text) }
}

let integration = IntegrationProfile(id: "int_test")

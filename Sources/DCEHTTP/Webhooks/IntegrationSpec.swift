import DCEStorage
import DCEVendors
import Foundation

/// A validated request to create an integration, shared by the API and `dce integrations add`.
public struct IntegrationSpec: Sendable {
    public let vendor: any VendorAdapter
    public let name: String
    public let fieldMapping: [String: String]
    /// The given secret, or a generated one: every integration has a secret, so that no
    /// webhook URL takes deliveries from whoever knows it. RingCentral's is the verification
    /// token to give its subscription: letters and digits, well within its 64 characters.
    public let secret: String

    public init(
        vendor: String?, name: String?, fieldMapping: [String: String]?, secret: String?, vendors: VendorRegistry = .standard
    ) throws(VendorError) {
        guard let vendorName = vendor else { throw .missing("vendor") }
        guard let vendor = vendors.adapter(named: vendorName.lowercased()) else {
            throw .invalid("vendor", "'\(vendorName)' is not a vendor (\(vendors.names.joined(separator: ", ")))")
        }
        guard let name else { throw .missing("name") }
        guard (1...64).contains(name.count), !name.contains(where: \.isNewline) else {
            throw .invalid("name", "must be 1 to 64 characters on one line")
        }
        let mapping = fieldMapping ?? [:]
        let allowed = vendor.mappableNames
        for (key, value) in mapping {
            guard allowed.contains(key) else {
                throw .invalid("field_mapping.\(key)", allowed.isEmpty
                    ? "\(vendor.name) has no renameable parameters"
                    : "'\(key)' is not a \(vendor.name) parameter (\(allowed.sorted().joined(separator: ", ")))")
            }
            guard (1...128).contains(value.count) else { throw .invalid("field_mapping.\(key)", "must be 1 to 128 characters") }
        }
        if let zone = mapping["timezone"], TimeZone(identifier: zone) == nil {
            throw .invalid("field_mapping.timezone", "'\(zone)' is not a time zone")
        }
        if let secret { try Self.validate(secret: secret) }
        self.vendor = vendor
        self.name = name
        self.fieldMapping = mapping
        self.secret = secret ?? vendor.makeSecret()
    }

    /// A secret the operator chose: long enough not to be guessed, and one token.
    public static func validate(secret: String) throws(VendorError) {
        guard (16...256).contains(secret.count), !secret.contains(where: { $0.isWhitespace }) else {
            throw .invalid("secret", "must be 16 to 256 characters without spaces")
        }
    }

    public static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

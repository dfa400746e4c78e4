import DCEStorage
import DCEVendors
import Foundation

/// A validated request to create an integration, shared by the API and `dce integrations add`.
public struct IntegrationSpec: Sendable {
    public let vendor: Vendor
    public let name: String
    public let fieldMapping: [String: String]
    /// The given secret, or a generated one: every integration has a secret, so that no
    /// webhook URL takes deliveries from whoever knows it. RingCentral's is the verification
    /// token to give its subscription: letters and digits, well within its 64 characters.
    public let secret: String

    /// The dce names each vendor's field mapping may rename.
    public static func mappableNames(_ vendor: Vendor) -> Set<String> {
        switch vendor {
        case .ringba: Set(RingbaWebhook.Parameter.allCases.map(\.rawValue))
        case .retreaver: Set(RetreaverWebhook.Field.allCases.map(\.rawValue))
        case .ringcentral: []
        case .exotel: Set(ExotelStatusCallback.Field.allCases.map(\.rawValue) + ["timezone", "country_code"])
        case .invoca: Set(InvocaTransaction.Field.allCases.map(\.rawValue))
        case .native: []
        }
    }

    public init(vendor: String?, name: String?, fieldMapping: [String: String]?, secret: String?) throws(VendorError) {
        guard let vendorName = vendor else { throw .missing("vendor") }
        guard let vendor = Vendor(rawValue: vendorName.lowercased()) else {
            throw .invalid("vendor", "'\(vendorName)' is not a vendor (\(Vendor.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let name else { throw .missing("name") }
        guard (1...64).contains(name.count), !name.contains(where: \.isNewline) else {
            throw .invalid("name", "must be 1 to 64 characters on one line")
        }
        let mapping = fieldMapping ?? [:]
        let allowed = Self.mappableNames(vendor)
        for (key, value) in mapping {
            guard allowed.contains(key) else {
                throw .invalid("field_mapping.\(key)", allowed.isEmpty
                    ? "\(vendor.rawValue) has no renameable parameters"
                    : "'\(key)' is not a \(vendor.rawValue) parameter (\(allowed.sorted().joined(separator: ", ")))")
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
        self.secret = secret ?? Self.makeSecret(for: vendor)
    }

    public static func makeSecret(for vendor: Vendor) -> String {
        vendor == .ringcentral ? Token.random(length: 32) : StandardWebhooks.makeSecret()
    }

    /// A secret the operator chose: long enough not to be guessed, and one token.
    public static func validate(secret: String) throws(VendorError) {
        guard (16...256).contains(secret.count), !secret.contains(where: { $0.isWhitespace }) else {
            throw .invalid("secret", "must be 16 to 256 characters without spaces")
        }
    }

    static func usesURLToken(_ vendor: String) -> Bool {
        vendor != Vendor.ringcentral.rawValue && vendor != Vendor.native.rawValue
    }

    public static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

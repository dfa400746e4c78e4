import DCEJSON
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
        // A stored secret with this prefix is a sealed one.
        guard !SecretBox.isSealed(secret) else { throw .invalid("secret", "must not begin with '\(SecretBox.prefix)'") }
    }

    public static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// A validated request to set an integration's vendor API credentials, shared by
/// `PUT /v1/integrations/{id}/credentials` and `dce integrations credentials`. Messages name
/// keys, never their values.
public struct CredentialsSpec: Sendable {
    public static let apiBaseURLKey = "api_base_url"
    public static let intervalKey = "sync_interval_seconds"
    /// The longest schedule: a day.
    public static let longestIntervalSeconds = 86_400

    public let values: [String: String]
    public let apiBaseURL: String?
    public let syncIntervalSeconds: Int?

    public init(values: [String: String], apiBaseURL: String?, syncIntervalSeconds: Int?, client: any PullClient) throws(VendorError) {
        let (unknown, missing) = client.keys.problems(values)
        let known = client.keys.known.sorted().joined(separator: ", ")
        if let first = unknown.first {
            throw .invalid(first, "\(unknown.map { "'\($0)'" }.joined(separator: ", ")) \(unknown.count == 1 ? "is not a key" : "are not keys") of this vendor (\(known))")
        }
        if let first = missing.first {
            throw VendorError(field: first, message: "missing \(missing.map { "'\($0)'" }.joined(separator: ", ")) (keys: \(known))", code: "missing_field")
        }
        for (key, value) in values {
            guard value.utf8.count <= 4096, !value.contains(where: { $0.isNewline }) else {
                throw .invalid(key, "must be at most 4096 bytes on one line")
            }
        }
        if let apiBaseURL { try Self.validate(apiBaseURL: apiBaseURL) }
        if let syncIntervalSeconds {
            let range = client.minimumIntervalSeconds...Self.longestIntervalSeconds
            guard range.contains(syncIntervalSeconds) else {
                throw .invalid(Self.intervalKey, "must be \(range.lowerBound) to \(range.upperBound) seconds")
            }
        }
        self.values = values
        self.apiBaseURL = apiBaseURL
        self.syncIntervalSeconds = syncIntervalSeconds
    }

    /// Reads a JSON object of vendor keys (strings) with the optional `api_base_url` and
    /// `sync_interval_seconds`.
    public init(json: JSONValue, client: any PullClient) throws(VendorError) {
        guard let members = json.object else {
            throw VendorError(field: nil, message: "the body must be a JSON object of credential keys", code: "malformed_json")
        }
        var values: [String: String] = [:]
        var apiBaseURL: String?
        var interval: Int?
        for (key, value) in members {
            switch key {
            case Self.apiBaseURLKey:
                guard let text = value.string else { throw .invalid(key, "must be an http(s) URL string") }
                apiBaseURL = text
            case Self.intervalKey:
                guard let seconds = value.exactInteger.flatMap({ Int(exactly: $0) }) else { throw .invalid(key, "must be a whole number of seconds") }
                interval = seconds
            default:
                guard let text = value.string else {
                    // Named, never echoed: it may be a secret.
                    throw .invalid(key, "must be a string")
                }
                values[key] = text
            }
        }
        try self.init(values: values, apiBaseURL: apiBaseURL, syncIntervalSeconds: interval, client: client)
    }

    public static func validate(apiBaseURL text: String) throws(VendorError) {
        guard text.utf8.count <= 2048, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else { throw .invalid(apiBaseURLKey, "must be an http or https URL such as https://api.example.com/v2/") }
    }
}

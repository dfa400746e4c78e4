import DCEJSON
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

/// An integration created through the API, as a test uses it.
struct TestIntegration {
    let id: String
    let secret: String?
    let webhookURL: String

    /// The webhook path with the token query parameter (for token-authenticated vendors).
    var path: String { "/webhooks/\(vendor)/\(id)" }
    let vendor: String

    func path(_ query: String) -> String {
        var parts: [String] = []
        if let secret { parts.append("token=" + (secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? secret)) }
        if !query.isEmpty { parts.append(query) }
        return parts.isEmpty ? path : path + "?" + parts.joined(separator: "&")
    }

    static func create(
        _ client: any TestClientProtocol, key: String, vendor: String, name: String? = nil,
        mapping: [String: String] = [:], secret: String? = nil
    ) async throws -> TestIntegration {
        var body: [String: JSONValue] = [
            "vendor": .string(vendor), "name": .string(name ?? "\(vendor)-main"), "field_mapping": .object(mapping.mapValues(JSONValue.string)),
        ]
        if let secret { body["secret"] = .string(secret) }
        let response = try await client.execute(uri: "/v1/integrations", method: .post, headers: .bearer(key), body: JSONValue.object(body).body)
        guard response.status == .created, let id = response.value["id"]?.string, let webhookURL = response.value["webhook_url"]?.string else {
            throw CreationFailed(status: response.status.code, body: response.text)
        }
        return TestIntegration(id: id, secret: response.value["secret"]?.string, webhookURL: webhookURL, vendor: vendor)
    }

    struct CreationFailed: Error { let status: Int; let body: String }

    /// JSON headers with RingCentral's `Verification-Token`: this integration's secret.
    var verified: HTTPFields {
        var fields = HTTPFields.json
        fields[HTTPField.Name("Verification-Token")!] = secret ?? ""
        return fields
    }

    /// Standard Webhooks headers for `body`, signed with this integration's secret.
    func signed(_ body: String, id: String = "msg_1", timestamp: Int64 = Int64(Date().timeIntervalSince1970), contentType: String = "application/json") -> HTTPFields {
        var fields: HTTPFields = [.contentType: contentType]
        for (name, value) in StandardWebhooks.headers(secret: secret ?? "", id: id, timestamp: timestamp, body: Array(body.utf8)) {
            fields[HTTPField.Name(name)!] = value
        }
        return fields
    }
}

extension HTTPFields {
    static let json: HTTPFields = [.contentType: "application/json"]
    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
}

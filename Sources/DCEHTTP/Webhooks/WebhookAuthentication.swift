import DCEStorage
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension HTTPField.Name {
    static let webhookID = HTTPField.Name("webhook-id")!
    static let webhookTimestamp = HTTPField.Name("webhook-timestamp")!
    static let webhookSignature = HTTPField.Name("webhook-signature")!
    static let dceToken = HTTPField.Name("X-DCE-Token")!
}

/// How a delivery to an integration's URL proves it comes from the account's vendor.
///
/// - A delivery with Standard Webhooks headers must carry a valid signature made with the
///   integration's secret, at most 5 minutes old.
/// - Otherwise the vendor's adapter says how it presents the secret (`WebhookCredential`):
///   a header of its own (RingCentral's `Verification-Token`), or `?token=` in the URL or
///   the `X-DCE-Token` header. An integration without a secret (made by an older dce)
///   accepts nothing until it has one. A handshake (RingCentral's `Validation-Token`) is
///   answered before this: it writes nothing.
///
/// Tokens are compared in constant time. A failure is logged without the secret and
/// answered 401; the delivery is not processed.
enum WebhookAuthentication {
    struct Failure: Error {
        let reason: String
    }

    /// Whether a delivery presents Standard Webhooks headers, and so must be checked
    /// against a signature over its whole body.
    static func isSigned(_ request: Request) -> Bool {
        request.headers[.webhookSignature] != nil || request.headers[.webhookID] != nil || request.headers[.webhookTimestamp] != nil
    }

    static func verify(vendor: any VendorAdapter, integration: Integration, request: Request, query: [String: String], body: [UInt8]) throws(Failure) {
        let headers = request.headers
        if isSigned(request) {
            guard let secret = integration.secret else { throw Failure(reason: "the integration has no signing secret") }
            do {
                try StandardWebhooks.verify(
                    secret: secret, id: headers[.webhookID], timestamp: headers[.webhookTimestamp],
                    signatures: headers[.webhookSignature], body: body
                )
                return
            } catch {
                throw Failure(reason: error.description)
            }
        }
        switch vendor.credential {
        case .signatureOnly:
            throw Failure(reason: "\(vendor.name) deliveries must be signed (webhook-id, webhook-timestamp, webhook-signature)")
        case .header(let name, let missingSecret):
            // Integrations made before every one had a secret take nothing until given one.
            guard let secret = integration.secret else { throw Failure(reason: missingSecret) }
            guard let presented = HTTPField.Name(name).flatMap({ headers[$0] }) ?? query["token"] else {
                throw Failure(reason: "the \(name) header is missing")
            }
            guard ConstantTime.equals(presented, secret) else { throw Failure(reason: "the \(name) does not match") }
        case .urlToken:
            guard let secret = integration.secret else { throw Failure(reason: "the integration has no secret") }
            guard let presented = query["token"] ?? headers[.dceToken] else {
                throw Failure(reason: "no token: add ?token=<secret> to the webhook URL or send X-DCE-Token")
            }
            guard ConstantTime.equals(presented, secret) else { throw Failure(reason: "the token does not match") }
        }
    }
}

/// The request as stored: no credentials in the kept headers or in the kept URL.
enum StoredRequest {
    /// Every registered vendor's secret and handshake headers are left out.
    static func headers(_ request: Request, vendors: VendorRegistry = .standard) -> [String: String] {
        let secret = vendors.secretHeaders
        return KeptHeaders.from(request).filter { !secret.contains($0.key.lowercased()) }
    }

    /// The path with the value of every query parameter named `token` replaced by `***`.
    /// Names are compared once decoded, as authentication reads them: `%74oken=` is a token.
    static func path(_ request: Request) -> String {
        guard let query = request.uri.query, !query.isEmpty else { return request.uri.path }
        return request.uri.path + "?" + redacted(query: query)
    }

    static func redacted(query: String) -> String {
        // Split on bytes: splitting a String by Character looks for grapheme boundaries.
        var kept: [UInt8] = []
        for (index, pair) in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false).enumerated() {
            if index > 0 { kept.append(UInt8(ascii: "&")) }
            let name = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)[0]
            if isToken(name: name) { kept += "token=***".utf8 } else { kept += pair }
        }
        return String(decoding: kept, as: UTF8.self)
    }

    /// Whether a parameter name, decoded the way the query is read for authentication,
    /// is `token`. Most names carry no escape and are compared as they are.
    static func isToken(name: Substring.UTF8View) -> Bool {
        if !name.contains(UInt8(ascii: "%")), !name.contains(UInt8(ascii: "+")) { return name.elementsEqual("token".utf8) }
        return FlatFields.form(String(decoding: name, as: UTF8.self) + "=").values["token"] != nil
    }
}

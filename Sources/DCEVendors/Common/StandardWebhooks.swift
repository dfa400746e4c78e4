import Crypto
import DCEDomain
import Foundation

/// Signed deliveries as the Standard Webhooks specification defines them: headers
/// `webhook-id`, `webhook-timestamp` (seconds since 1970) and `webhook-signature`
/// (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, several separated by spaces).
public enum StandardWebhooks {
    public static let tolerance: Int64 = 5 * 60

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case missingHeader(String)
        case malformedTimestamp
        case timestampOutOfTolerance
        case noValidSignature

        public var description: String {
            switch self {
            case .missingHeader(let name): "the \(name) header is missing"
            case .malformedTimestamp: "webhook-timestamp is not a number of seconds"
            case .timestampOutOfTolerance: "webhook-timestamp is more than 5 minutes away from now"
            case .noValidSignature: "no signature in webhook-signature matches the body"
            }
        }
    }

    /// The HMAC key of a secret: the base64 after `whsec_`, or the secret's own bytes.
    public static func key(for secret: String) -> SymmetricKey {
        if secret.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(secret.dropFirst(6))) {
            return SymmetricKey(data: decoded)
        }
        return SymmetricKey(data: Data(secret.utf8))
    }

    /// A fresh secret in the specification's `whsec_` form (24 random bytes).
    public static func makeSecret() -> String {
        "whsec_" + SymmetricKey(size: .init(bitCount: 192)).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    public static func signature(secret: String, id: String, timestamp: Int64, body: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: signedContent(id: id, timestamp: String(timestamp), body: body), using: key(for: secret))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The three headers for a signed delivery.
    public static func headers(secret: String, id: String, timestamp: Int64, body: [UInt8]) -> [(String, String)] {
        [("webhook-id", id), ("webhook-timestamp", String(timestamp)),
         ("webhook-signature", signature(secret: secret, id: id, timestamp: timestamp, body: body))]
    }

    /// Checks a delivery. Each candidate signature is compared in constant time.
    public static func verify(
        secret: String, id: String?, timestamp: String?, signatures: String?, body: [UInt8], now: Date = Date()
    ) throws(Failure) {
        guard let id, !id.isEmpty else { throw .missingHeader("webhook-id") }
        guard let timestamp, !timestamp.isEmpty else { throw .missingHeader("webhook-timestamp") }
        guard let signatures, !signatures.isEmpty else { throw .missingHeader("webhook-signature") }
        guard let seconds = Int64(timestamp) else { throw .malformedTimestamp }
        // Compared as a distance that cannot overflow: the header may hold any Int64.
        let nowSeconds = Timestamp(now).millisecondsSince1970 / 1000
        guard Timestamp.gap(nowSeconds, seconds) <= UInt64(tolerance) else { throw .timestampOutOfTolerance }
        let content = signedContent(id: id, timestamp: timestamp, body: body)
        let key = key(for: secret)
        for candidate in signatures.split(separator: " ") {
            let parts = candidate.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let mac = Data(base64Encoded: String(parts[1])) else { continue }
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: content, using: key) { return }
        }
        throw .noValidSignature
    }

    static func signedContent(id: String, timestamp: String, body: [UInt8]) -> Data {
        var data = Data("\(id).\(timestamp).".utf8)
        data.append(contentsOf: body)
        return data
    }
}

/// Comparing a presented secret token with the stored one without leaking, through
/// timing, how much of it matched.
public enum ConstantTime {
    /// Compares the two secrets' SHA-256 digests, which swift-crypto compares in constant
    /// time; hashing first makes the time independent of the lengths too.
    public static func equals(_ presented: String, _ expected: String) -> Bool {
        SHA256.hash(data: Array(presented.utf8)) == SHA256.hash(data: Array(expected.utf8))
    }
}

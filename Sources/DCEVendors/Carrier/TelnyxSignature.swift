import Crypto
import DCEDomain
import Foundation

/// Telnyx TeXML's `telnyx-signature-ed25519`: a base64 Ed25519 signature, by Telnyx's key,
/// over `"\(telnyx-timestamp)|\(raw body)"`. The timestamp (Unix seconds) must be within
/// five minutes of now, so that a captured request cannot be replayed later.
public enum TelnyxSignature {
    public static let signatureHeader = "telnyx-signature-ed25519"
    public static let timestampHeader = "telnyx-timestamp"
    public static let toleranceSeconds: Int64 = 300

    public struct Failure: Error, Equatable, Sendable {
        /// Safe to log: never the key nor the signature.
        public let reason: String
    }

    /// The account's Telnyx public key, as Telnyx shows it (base64 of 32 bytes).
    public static func publicKey(base64 text: String) -> Curve25519.Signing.PublicKey? {
        guard let raw = Data(base64Encoded: text.trimmingWhitespace()), raw.count == 32 else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }

    public static func verify(
        signature: String?, timestamp: String?, body: [UInt8], publicKey: Curve25519.Signing.PublicKey, now: Timestamp
    ) throws(Failure) {
        guard let signature, !signature.isEmpty else { throw Failure(reason: "no \(signatureHeader) header") }
        guard let timestamp, let seconds = Int64(timestamp.trimmingWhitespace()) else {
            throw Failure(reason: "\(timestampHeader) is missing or not Unix seconds")
        }
        let nowSeconds = now.millisecondsSince1970 / 1000
        // Compared as a distance, which cannot overflow whatever the header says.
        guard Timestamp.gap(seconds, nowSeconds) <= UInt64(toleranceSeconds) else {
            throw Failure(reason: "\(timestampHeader) is more than \(toleranceSeconds) s from now")
        }
        guard let signatureBytes = Data(base64Encoded: signature.trimmingWhitespace()), signatureBytes.count == 64 else {
            throw Failure(reason: "\(signatureHeader) is not a base64 Ed25519 signature")
        }
        var signed = Data(timestamp.trimmingWhitespace().utf8)
        signed.append(UInt8(ascii: "|"))
        signed.append(contentsOf: body)
        guard publicKey.isValidSignature(signatureBytes, for: signed) else {
            throw Failure(reason: "\(signatureHeader) does not verify")
        }
    }

    /// Signs as Telnyx does, with a key of its own: the fake carrier of tests and of the
    /// benchmark.
    public struct Signer: Sendable {
        let key: Curve25519.Signing.PrivateKey

        public init() { key = Curve25519.Signing.PrivateKey() }

        /// The public key as Telnyx shows it, which the account gives dce.
        public var publicKeyBase64: String { key.publicKey.rawRepresentation.base64EncodedString() }

        /// The `telnyx-signature-ed25519` value for this body sent at `timestamp`.
        public func signature(body: [UInt8], timestamp: Int64) throws -> String {
            var signed = Data(String(timestamp).utf8)
            signed.append(UInt8(ascii: "|"))
            signed.append(contentsOf: body)
            return try key.signature(for: signed).base64EncodedString()
        }
    }
}

import Crypto
import Foundation

/// Why a key or a sealed text was refused. The key itself is never part of a message.
public enum SecretBoxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The key is not 64 hexadecimal characters.
    case invalidKey
    /// The text is not a sealed value, or it was sealed with another key, or altered.
    case unreadable

    public var description: String {
        switch self {
        case .invalidKey:
            "\(SecretBox.variable) must be exactly 64 hexadecimal characters (a 32-byte key), e.g. the output of `openssl rand -hex 32`"
        case .unreadable:
            "a sealed value could not be opened: it was sealed with another \(SecretBox.variable), or altered"
        }
    }
}

/// Seals secrets dce keeps (vendor credentials, tokens, webhook secrets) with AES-GCM
/// under one 32-byte key from `DCE_SECRET_KEY`. Each seal draws a fresh random nonce, so
/// the same text sealed twice gives two different values.
public struct SecretBox: Sendable {
    public static let variable = "DCE_SECRET_KEY"
    /// Marks a sealed value and its format, so that plain values stored before a key was
    /// set still read as plain.
    public static let prefix = "v1:"

    let key: SymmetricKey

    public init(hexKey: String) throws(SecretBoxError) {
        let digits = Array(hexKey.utf8)
        guard digits.count == 64 else { throw .invalidKey }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { throw .invalidKey }
            bytes.append(high << 4 | low)
            index += 2
        }
        key = SymmetricKey(data: bytes)
    }

    /// `v1:` and the base64 of nonce, ciphertext and tag.
    public func seal(_ text: String) -> String {
        // Sealing fails only for a nonce of the wrong size; the nonce here is AES-GCM's own.
        guard let combined = try? AES.GCM.seal(Data(text.utf8), using: key).combined else {
            preconditionFailure("AES-GCM refused to seal with a random nonce")
        }
        return Self.prefix + combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws(SecretBoxError) -> String {
        guard sealed.hasPrefix(Self.prefix), let combined = Data(base64Encoded: String(sealed.dropFirst(Self.prefix.count))) else {
            throw .unreadable
        }
        do {
            let opened = try AES.GCM.open(try AES.GCM.SealedBox(combined: combined), using: key)
            guard let text = String(data: opened, encoding: .utf8) else { throw SecretBoxError.unreadable }
            return text
        } catch {
            throw .unreadable
        }
    }

    /// Whether a stored value is sealed (as opposed to a plain value kept from before).
    public static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(prefix) }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

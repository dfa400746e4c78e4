/// A string identifier that cannot be confused with another kind of identifier.
public protocol StringIdentifier: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    var rawValue: String { get }
    init(rawValue: String)
}

extension StringIdentifier {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

public struct AccountID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct CallID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct RawEventID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }

/// Which system reported an event: a vendor, or dce's own API.
public struct Source: StringIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// dce's own API (`POST /v1/events`, `/v1/route`); each vendor's source is its
    /// adapter's, in its folder.
    public static let native: Source = "native"
}

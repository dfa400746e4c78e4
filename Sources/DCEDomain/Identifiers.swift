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
    public static let native: Source = "native"
    public static let ringba: Source = "ringba"
    public static let retreaver: Source = "retreaver"
    public static let ringcentral: Source = "ringcentral"
    public static let exotel: Source = "exotel"
    public static let invoca: Source = "invoca"
}

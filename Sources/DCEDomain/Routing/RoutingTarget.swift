import Foundation

public struct TargetID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct BuyerID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }

/// Where a routed call rings: a phone number, or a SIP address (`sip:` or `sips:`).
public enum RouteDestination: Hashable, Sendable, Codable, CustomStringConvertible {
    case number(PhoneNumber)
    case sip(String)

    public static let maximumSIPLength = 512

    /// A `sip:`/`sips:` URI with something after the scheme and no white space, control
    /// characters or markup; anything else must parse as a phone number.
    public init(parsing text: String, field: String) throws(RoutingPlanError) {
        let trimmed = text.trimmingWhitespace()
        let lowered = trimmed.prefix(5).lowercased()
        if lowered.hasPrefix("sip:") || lowered.hasPrefix("sips:") {
            let rest = trimmed.drop { $0 != ":" }.dropFirst()
            guard !rest.isEmpty, trimmed.utf8.count <= Self.maximumSIPLength,
                  !trimmed.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || "<>\"".unicodeScalars.contains($0) })
            else { throw RoutingPlanError(field: field, problem: .invalidDestination) }
            self = .sip(trimmed)
            return
        }
        guard let number = try? PhoneNumber(parsing: trimmed) else { throw RoutingPlanError(field: field, problem: .invalidDestination) }
        self = .number(number)
    }

    public var description: String {
        switch self {
        case .number(let number): number.e164
        case .sip(let uri): uri
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            self = try Self(parsing: try container.decode(String.self), field: "destination")
        } catch let error as RoutingPlanError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An IANA time zone (`America/New_York`), kept with its name so it encodes as that name.
public struct IANATimeZone: Hashable, Sendable, Codable, CustomStringConvertible {
    public let identifier: String
    public let zone: TimeZone

    public static let utc = IANATimeZone(known: TimeZone(secondsFromGMT: 0) ?? .current, identifier: "UTC")

    public init(identifier: String, field: String) throws(RoutingPlanError) {
        guard identifier.utf8.count <= 64, let zone = TimeZone(identifier: identifier) else {
            throw RoutingPlanError(field: field, problem: .unknownTimeZone(identifier))
        }
        self.init(known: zone, identifier: identifier)
    }

    private init(known zone: TimeZone, identifier: String) {
        self.zone = zone
        self.identifier = identifier
    }

    public var description: String { identifier }

    public static func == (lhs: IANATimeZone, rhs: IANATimeZone) -> Bool { lhs.identifier == rhs.identifier }
    public func hash(into hasher: inout Hasher) { hasher.combine(identifier) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            self = try Self(identifier: try container.decode(String.self), field: "time_zone")
        } catch let error as RoutingPlanError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(identifier)
    }
}

/// One destination of a buyer, with the rules that decide whether a call may go there.
public struct RoutingTarget: Hashable, Sendable, Codable {
    public static let defaultRingTimeoutSeconds = 30

    public var id: TargetID
    public var buyer: BuyerID
    public var destination: RouteDestination
    /// Lower numbers are tried first.
    public var priority: Int
    /// The target's share among eligible targets of the same priority.
    public var weight: Int
    public var ringTimeoutSeconds: Int
    public var timeZone: IANATimeZone
    /// `nil`: open around the clock.
    public var hours: BusinessHours?
    public var filters: [RoutingFilter]
    public var caps: Caps
    /// The campaign's ring group this target rings with, if any.
    public var ringGroup: String?

    public init(
        id: TargetID, buyer: BuyerID, destination: RouteDestination, priority: Int = 1, weight: Int = 1,
        ringTimeoutSeconds: Int = RoutingTarget.defaultRingTimeoutSeconds, timeZone: IANATimeZone = .utc,
        hours: BusinessHours? = nil, filters: [RoutingFilter] = [], caps: Caps = Caps(), ringGroup: String? = nil
    ) {
        self.id = id
        self.buyer = buyer
        self.destination = destination
        self.priority = priority
        self.weight = weight
        self.ringTimeoutSeconds = ringTimeoutSeconds
        self.timeZone = timeZone
        self.hours = hours
        self.filters = filters
        self.caps = caps
        self.ringGroup = ringGroup
    }

    enum CodingKeys: String, CodingKey {
        case id, buyer, destination, priority, weight, hours, filters, caps
        case ringTimeoutSeconds = "ring_timeout_seconds", timeZone = "time_zone", ringGroup = "ring_group"
    }
}

/// The advertiser behind targets: caps over all its targets, and how long a caller who
/// reached it stays its own (a repeat call inside the window is not sold to it again).
public struct RoutingBuyer: Hashable, Sendable, Codable {
    public var id: BuyerID
    public var caps: Caps
    /// 0: repeat callers are not duplicates.
    public var duplicateWindowDays: Int
    /// The clock its caps' hours, days and months follow.
    public var timeZone: IANATimeZone

    public init(id: BuyerID, caps: Caps = Caps(), duplicateWindowDays: Int = 0, timeZone: IANATimeZone = .utc) {
        self.id = id
        self.caps = caps
        self.duplicateWindowDays = duplicateWindowDays
        self.timeZone = timeZone
    }

    enum CodingKeys: String, CodingKey {
        case id, caps
        case duplicateWindowDays = "duplicate_window_days", timeZone = "time_zone"
    }
}

/// What a call gets when no target takes it.
public enum RoutingFallback: Hashable, Sendable, Codable {
    case number(PhoneNumber)
    case voicemail
    case hangUp

    enum CodingKeys: String, CodingKey { case action, number }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .action) {
        case "number": self = .number(try container.decode(PhoneNumber.self, forKey: .number))
        case "voicemail": self = .voicemail
        case "hang_up": self = .hangUp
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .action, in: container, debugDescription: "'\(other.prefix(32))' is not number, voicemail or hang_up")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .number(let number):
            try container.encode("number", forKey: .action)
            try container.encode(number, forKey: .number)
        case .voicemail: try container.encode("voicemail", forKey: .action)
        case .hangUp: try container.encode("hang_up", forKey: .action)
        }
    }
}

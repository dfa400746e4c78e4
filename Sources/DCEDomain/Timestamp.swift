import Foundation

/// A moment in time at millisecond precision, as the ledger stores it.
public struct Timestamp: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) { self.millisecondsSince1970 = millisecondsSince1970 }
    /// A date beyond what milliseconds in an Int64 can hold (about 292 million years) is
    /// held at the nearest end rather than trapping.
    public init(_ date: Date) {
        let millis = (date.timeIntervalSince1970 * 1000).rounded()
        self.millisecondsSince1970 = millis.isNaN ? 0 : Int64(exactly: millis) ?? (millis < 0 ? .min : .max)
    }
    public static func now() -> Timestamp { Timestamp(Date()) }

    public var date: Date { Date(timeIntervalSince1970: Double(millisecondsSince1970) / 1000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.millisecondsSince1970 < rhs.millisecondsSince1970 }

    // MARK: - Times from outside

    /// The times dce accepts from a request: years 1970 through 2200. Anything outside is
    /// a sender's mistake, and refusing it keeps every later sum far from overflowing.
    public static let earliestAccepted = Timestamp(millisecondsSince1970: 0)
    /// 2200-12-31T23:59:59.999Z
    public static let latestAccepted = Timestamp(millisecondsSince1970: 7_289_654_399_999)
    public static let acceptedRange = earliestAccepted...latestAccepted

    /// Why a time from outside is refused.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case notADateTime(String)
        case outOfRange(String)

        public var description: String {
            switch self {
            case .notADateTime(let text): "'\(text.prefix(64))' is not an ISO 8601 date-time"
            case .outOfRange(let text): "'\(text.prefix(64))' is outside the accepted years 1970 to 2200"
            }
        }
    }

    /// Accepts ISO 8601 date-times with or without fractional seconds and with `Z` or an
    /// offset, a bare date (`2026-11-02`, midnight UTC), and `2026-11-02 10:00:00` (UTC),
    /// in the years 1970 through 2200.
    public static func parse(_ text: String) throws(ParseError) -> Timestamp {
        guard let millis = ISO8601.parse(text.trimmingWhitespace()) else { throw .notADateTime(text) }
        return try accepted(millis, text: text)
    }

    public init?(parsing text: String) {
        guard let parsed = try? Self.parse(text) else { return nil }
        self = parsed
    }

    /// What the ledger wrote earlier, read back without the window for new input.
    init?(parsingStored text: String) {
        guard let millis = ISO8601.parse(text.trimmingWhitespace()) else { return nil }
        self.init(millisecondsSince1970: millis)
    }

    /// Seconds or milliseconds since 1970, told apart by size: up to 100,000,000,000 is
    /// seconds (the year 5138), more is milliseconds (1973 on).
    public static func epoch(_ value: Int64, text: String? = nil) throws(ParseError) -> Timestamp {
        let text = text ?? String(value)
        if value > 100_000_000_000 { return try accepted(value, text: text) }
        let (millis, overflow) = value.multipliedReportingOverflow(by: 1000)
        guard !overflow else { throw .outOfRange(text) }
        return try accepted(millis, text: text)
    }

    private static func accepted(_ millis: Int64, text: String) throws(ParseError) -> Timestamp {
        let time = Timestamp(millisecondsSince1970: millis)
        guard acceptedRange.contains(time) else { throw .outOfRange(text) }
        return time
    }

    // MARK: - Arithmetic

    /// Saturates at the ends of Int64 instead of trapping; times from outside are inside
    /// `acceptedRange`, so a saturated value only ever comes from a mistake.
    public func adding(milliseconds: Int64) -> Timestamp {
        let (sum, overflow) = millisecondsSince1970.addingReportingOverflow(milliseconds)
        guard overflow else { return Timestamp(millisecondsSince1970: sum) }
        return Timestamp(millisecondsSince1970: milliseconds < 0 ? .min : .max)
    }

    public func adding(seconds: Int64) -> Timestamp {
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard overflow else { return adding(milliseconds: millis) }
        return Timestamp(millisecondsSince1970: seconds < 0 ? .min : .max)
    }

    /// The time `seconds` before this one, saturating like `adding(seconds:)`.
    public func subtracting(seconds: Int64) -> Timestamp {
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (difference, below) = millisecondsSince1970.subtractingReportingOverflow(millis)
        guard overflow || below else { return Timestamp(millisecondsSince1970: difference) }
        return Timestamp(millisecondsSince1970: seconds < 0 ? .max : .min)
    }

    /// How far apart two times are, whatever their values.
    public func distance(to other: Timestamp) -> UInt64 {
        Self.gap(millisecondsSince1970, other.millisecondsSince1970)
    }

    /// |a - b| without overflow: the true difference of two Int64 always fits in a UInt64.
    public static func gap(_ a: Int64, _ b: Int64) -> UInt64 {
        a >= b ? UInt64(bitPattern: a &- b) : UInt64(bitPattern: b &- a)
    }

    // MARK: - Text

    /// `2026-11-02T10:00:00.000Z`
    public var iso8601: String { ISO8601.format(millisecondsSince1970) }
    public var description: String { iso8601 }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Self.parse(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }
}

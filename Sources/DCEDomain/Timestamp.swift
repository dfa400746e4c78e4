import Foundation

/// A moment in time at millisecond precision, as the ledger stores it.
public struct Timestamp: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) { self.millisecondsSince1970 = millisecondsSince1970 }
    public init(_ date: Date) { self.millisecondsSince1970 = Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    public static func now() -> Timestamp { Timestamp(Date()) }

    public var date: Date { Date(timeIntervalSince1970: Double(millisecondsSince1970) / 1000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.millisecondsSince1970 < rhs.millisecondsSince1970 }

    public func adding(seconds: Int64) -> Timestamp { Timestamp(millisecondsSince1970: millisecondsSince1970 + seconds * 1000) }

    /// Accepts ISO 8601 date-times with or without fractional seconds and with `Z` or an
    /// offset, a bare date (`2026-11-02`, midnight UTC), and `2026-11-02 10:00:00` (UTC).
    public init?(parsing text: String) {
        let trimmed = text.trimmingWhitespace()
        guard let millis = ISO8601.parse(trimmed) else { return nil }
        self.init(millisecondsSince1970: millis)
    }

    /// `2026-11-02T10:00:00.000Z`
    public var iso8601: String { ISO8601.format(millisecondsSince1970) }
    public var description: String { iso8601 }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = Timestamp(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 date-time")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }
}

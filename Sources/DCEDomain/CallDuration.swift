/// How long a call lasted, in whole seconds, as every reporter's duration is read: from 0
/// to under 366 days. A longer "call" is a sender's mistake, and the bound keeps every
/// sum of durations and times far from overflowing.
public enum CallDuration {
    /// 366 days less a second.
    public static let maximumSeconds = 366 * 86_400 - 1
    public static let acceptedRange = 0...maximumSeconds

    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public let text: String
        public var description: String {
            "'\(text.prefix(64))' is not a whole number of seconds from 0 to \(CallDuration.maximumSeconds) (under 366 days)"
        }
    }

    /// `180`, `180.0` and `1.8e2` are 180 seconds; a fraction, a negative number, or a
    /// year or more is refused.
    public static func seconds(parsing text: String) throws(ParseError) -> Int {
        let trimmed = text.trimmingWhitespace()
        if let whole = Int(trimmed) { return try seconds(whole, text: text) }
        // Decimal notation only: `Double` would also read `0x10`, `nan` and `inf`.
        guard trimmed.utf8.allSatisfy({ decimalNotation.contains($0) }), let number = Double(trimmed), number.isFinite, number == number.rounded(),
              number >= 0, number <= Double(maximumSeconds), let whole = Int(exactly: number)
        else { throw ParseError(text: text) }
        return whole
    }

    private static let decimalNotation = Set("0123456789.eE+-".utf8)

    /// A number of seconds already read as an integer, checked.
    public static func seconds(_ value: Int, text: String? = nil) throws(ParseError) -> Int {
        guard acceptedRange.contains(value) else { throw ParseError(text: text ?? String(value)) }
        return value
    }

    /// A number of seconds read as a double (a JSON number), checked.
    public static func seconds(_ value: Double) throws(ParseError) -> Int {
        guard value.isFinite, value == value.rounded(), value >= 0, value <= Double(maximumSeconds), let whole = Int(exactly: value) else {
            throw ParseError(text: "\(value)")
        }
        return whole
    }
}

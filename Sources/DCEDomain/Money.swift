/// An amount of money in integer cents. Never a floating-point number: revenue and
/// payout are summed, compared and settled, and a cent lost to rounding is a cent lost.
public struct Money: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let cents: Int64

    public init(cents: Int64) { self.cents = cents }

    public static let zero = Money(cents: 0)

    /// Amounts from outside are under 1,000,000,000.00 (either sign): no call is worth
    /// more, and sums of many such amounts stay far from overflowing.
    public static let maximumCents: Int64 = 99_999_999_999
    public static let limitText = "1,000,000,000.00"

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case notANumber(String)
        case tooManyDecimals(String)
        case negative(String)
        case tooLarge(String)

        public var description: String {
            switch self {
            case .empty: "an amount is required"
            case .notANumber(let s): "'\(s.prefix(64))' is not an amount of money"
            case .tooManyDecimals(let s): "'\(s.prefix(64))' has more than two decimal places"
            case .negative(let s): "'\(s.prefix(64))' is negative, which is not allowed here"
            case .tooLarge(let s): "'\(s.prefix(64))' is too large: amounts must be under \(Money.limitText)"
            }
        }
    }

    /// Parses `12.50`, `12.5`, `12`, `0`, `$1,234.50`, optionally allowing a minus sign.
    public init(parsing text: String, allowNegative: Bool = false) throws(ParseError) {
        self.init(cents: try Self.parseCents(text, allowNegative: allowNegative))
    }

    private static func parseCents(_ text: String, allowNegative: Bool) throws(ParseError) -> Int64 {
        var s = Substring(text.trimmingWhitespace())
        guard !s.isEmpty else { throw .empty }
        var negative = false
        if s.first == "-" {
            negative = true
            s.removeFirst()
        }
        if s.first == "$" { s.removeFirst() }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw .notANumber(text) }
        let whole = parts[0].filter { $0 != "," }
        var fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty || !fraction.isEmpty,
              whole.allSatisfy(\.isASCIIDigit), fraction.allSatisfy(\.isASCIIDigit)
        else { throw .notANumber(text) }
        // Trailing zeros beyond cents carry no value: 12.500 is 12.50.
        while fraction.count > 2, fraction.last == "0" { fraction.removeLast() }
        guard fraction.count <= 2 else { throw .tooManyDecimals(text) }
        // Digits are counted before any arithmetic, so no amount, however long, overflows.
        let significant = whole.drop { $0 == "0" }
        guard significant.count <= 9 else { throw .tooLarge(text) }
        var cents: Int64 = 0
        for digit in significant.utf8 { cents = cents * 10 + Int64(digit - UInt8(ascii: "0")) }
        for digit in fraction.padding(toLength: 2).utf8 { cents = cents * 10 + Int64(digit - UInt8(ascii: "0")) }
        if negative, cents != 0 {
            guard allowNegative else { throw .negative(text) }
            return -cents
        }
        return cents
    }

    /// `12.50`, `-3.05`: the decimal form vendors and exports use.
    public var decimalString: String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    public var description: String { decimalString }

    /// Sums and differences saturate at the ends of Int64 instead of trapping. Amounts
    /// from outside are bounded, so only a mistake could reach the ends.
    public static func + (lhs: Money, rhs: Money) -> Money {
        let (sum, overflow) = lhs.cents.addingReportingOverflow(rhs.cents)
        return Money(cents: overflow ? (rhs.cents < 0 ? .min : .max) : sum)
    }
    public static func - (lhs: Money, rhs: Money) -> Money {
        let (difference, overflow) = lhs.cents.subtractingReportingOverflow(rhs.cents)
        return Money(cents: overflow ? (rhs.cents < 0 ? .max : .min) : difference)
    }
    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.cents < rhs.cents }

    /// Decodes from a JSON string (`"12.50"`) or number (`12.5`). A number is read through
    /// its textual form so that `12.1` never becomes 12.09999.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let string = try? container.decode(String.self) {
            text = string
        } else if let integer = try? container.decode(Int64.self) {
            text = String(integer)
        } else if let double = try? container.decode(Double.self) {
            // `1e19` must be refused as too large, not converted (which would trap).
            guard double.isFinite, double.magnitude < Double(Self.maximumCents + 1) / 100 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: ParseError.tooLarge("\(double)").description)
            }
            text = double.shortestDecimalText
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an amount such as 12.50")
        }
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimalString)
    }
}

extension Character {
    /// Only the ten ASCII digits: a range of Characters would also hold `1️⃣`.
    var isASCIIDigit: Bool { asciiValue.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false }
}

extension StringProtocol {
    func padding(toLength length: Int) -> String {
        let s = String(self)
        return s.count >= length ? s : s + String(repeating: "0", count: length - s.count)
    }
}

extension Double {
    /// Swift prints the shortest representation that round-trips (`12.1`, not `12.0999…`).
    /// Exponent forms are written out in cents when they fit; otherwise they stay as
    /// they are, which no amount parser accepts.
    var shortestDecimalText: String {
        let text = "\(self)"
        guard text.contains(where: { $0 == "e" || $0 == "E" }) else { return text }
        guard let cents = Int64(exactly: (self * 100).rounded()) else { return text }
        return Money(cents: cents).decimalString
    }
}

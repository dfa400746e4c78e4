/// An amount of money in integer cents. Never a floating-point number: revenue and
/// payout are summed, compared and settled, and a cent lost to rounding is a cent lost.
public struct Money: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let cents: Int64

    public init(cents: Int64) { self.cents = cents }

    public static let zero = Money(cents: 0)

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case notANumber(String)
        case tooManyDecimals(String)
        case negative(String)
        case tooLarge(String)

        public var description: String {
            switch self {
            case .empty: "an amount is required"
            case .notANumber(let s): "'\(s)' is not an amount of money"
            case .tooManyDecimals(let s): "'\(s)' has more than two decimal places"
            case .negative(let s): "'\(s)' is negative, which is not allowed here"
            case .tooLarge(let s): "'\(s)' is too large"
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
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty || !fraction.isEmpty,
              whole.allSatisfy(\.isASCIIDigit), fraction.allSatisfy(\.isASCIIDigit)
        else { throw .notANumber(text) }
        guard fraction.count <= 2 else {
            // Trailing zeros beyond cents carry no value: 12.500 is 12.50.
            if fraction.dropFirst(2).allSatisfy({ $0 == "0" }) {
                return try parseCents((negative ? "-" : "") + whole + "." + fraction.prefix(2), allowNegative: allowNegative)
            }
            throw .tooManyDecimals(text)
        }
        guard whole.count <= 15 else { throw .tooLarge(text) }
        let wholeValue = Int64(whole.isEmpty ? "0" : whole)!
        let paddedFraction = fraction.padding(toLength: 2)
        let cents = wholeValue * 100 + Int64(paddedFraction)!
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

    public static func + (lhs: Money, rhs: Money) -> Money { Money(cents: lhs.cents + rhs.cents) }
    public static func - (lhs: Money, rhs: Money) -> Money { Money(cents: lhs.cents - rhs.cents) }
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
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension StringProtocol {
    func padding(toLength length: Int) -> String {
        let s = String(self)
        return s.count >= length ? s : s + String(repeating: "0", count: length - s.count)
    }
}

extension Double {
    /// Swift prints the shortest representation that round-trips (`12.1`, not `12.0999…`).
    var shortestDecimalText: String {
        let text = "\(self)"
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            // Tiny or huge values: fall back to fixed notation via cents rounding.
            _ = e
            let cents = (self * 100).rounded()
            return Money(cents: Int64(cents)).decimalString
        }
        return text
    }
}

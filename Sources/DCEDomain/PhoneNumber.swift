/// A telephone number in E.164 form (`+` followed by 8 to 15 digits).
///
/// Parsing is deliberately forgiving about punctuation, because every vendor formats
/// numbers differently, and strict about content: a number with letters or the wrong
/// count of digits is refused with a reason a user can act on.
public struct PhoneNumber: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The E.164 form, e.g. `+15551234567`.
    public let e164: String

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case invalidCharacter(Character)
        case tooShort(digits: Int)
        case tooLong(digits: Int)
        case leadingZeroCountryCode

        public var description: String {
            switch self {
            case .empty: "a phone number is required"
            case .invalidCharacter(let c): "'\(c)' is not allowed in a phone number"
            case .tooShort(let n): "\(n) digits is too short for a phone number"
            case .tooLong(let n): "\(n) digits is too long for an E.164 phone number (at most 15)"
            case .leadingZeroCountryCode: "a country code cannot start with 0"
            }
        }
    }

    /// Parses a number as people and vendors write it.
    ///
    /// Ten digits are a North American number (`+1` is added); eleven digits starting
    /// with `1` are North American too; anything written with a leading `+` or `00` is
    /// taken as international.
    public init(parsing text: String) throws(ParseError) {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .empty }
        var digits = ""
        var international = false
        for (offset, character) in trimmed.enumerated() {
            switch character {
            case "0"..."9": digits.append(character)
            case "+" where offset == 0: international = true
            case " ", "-", "(", ")", ".", "/", "\u{00A0}": continue
            default: throw .invalidCharacter(character)
            }
        }
        if !international, digits.hasPrefix("00") {
            digits.removeFirst(2)
            international = true
        }
        guard !digits.isEmpty else { throw .empty }
        if !international {
            if digits.count == 10 {
                digits = "1" + digits
            } else if digits.count == 11, digits.hasPrefix("1") {
                // already carries the North American country code
            } else if digits.count < 10 {
                throw .tooShort(digits: digits.count)
            }
        }
        guard digits.first != "0" else { throw .leadingZeroCountryCode }
        guard digits.count >= 8 else { throw .tooShort(digits: digits.count) }
        guard digits.count <= 15 else { throw .tooLong(digits: digits.count) }
        if digits.hasPrefix("1"), digits.count != 11 {
            throw digits.count < 11 ? .tooShort(digits: digits.count) : .tooLong(digits: digits.count)
        }
        self.e164 = "+" + digits
    }

    public var description: String { e164 }

    /// The digits without the leading `+`.
    public var digits: Substring { e164.dropFirst() }

    /// True for the North American Numbering Plan (+1).
    public var isNorthAmerican: Bool { e164.hasPrefix("+1") && e164.count == 12 }

    /// The three-digit area code (NPA) of a North American number.
    public var areaCode: String? {
        guard isNorthAmerican else { return nil }
        return String(e164.dropFirst(2).prefix(3))
    }

    /// `(555) 123-4567` for North American numbers, E.164 otherwise.
    public var nationalFormat: String {
        guard isNorthAmerican else { return e164 }
        let d = Array(e164.dropFirst(2))
        return "(\(String(d[0..<3]))) \(String(d[3..<6]))-\(String(d[6..<10]))"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(e164)
    }

    public static func < (lhs: PhoneNumber, rhs: PhoneNumber) -> Bool { lhs.e164 < rhs.e164 }
}

extension String {
    /// The text without leading and trailing white space (line breaks included).
    public func trimmingWhitespace() -> String {
        // Nothing to trim when both ends are ASCII and not white space: the common case,
        // and no Character (grapheme) has to be formed.
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80 {
            return self
        }
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

/// Any JSON document, the one model dce reads and writes JSON with: vendors' bodies, the
/// fields and tags it stores, and the client-owned shapes (ribbon payloads, custom fields)
/// kept and returned as the client sent them. Numbers stay as written, so what is kept is
/// what came, digit for digit.
public indirect enum JSONValue: Hashable, Sendable {
    case string(String)
    /// A number as written.
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    /// A number for an integer.
    public static func integer(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var object: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// A number whose value is a whole `Int64` (`12`, `12.0`, `1.2e1`), as `Decodable`
    /// reads an integer.
    public var exactInteger: Int64? {
        guard case .number(let text) = self else { return nil }
        if let integer = Int64(text) { return integer }
        // Beyond 2^53 a Double no longer holds every whole number exactly.
        guard let number = Double(text), number == number.rounded(), abs(number) <= 9_007_199_254_740_992 else { return nil }
        return Int64(number)
    }

    /// A number's value as the nearest `Double`.
    public var double: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    /// Compact JSON, objects' keys sorted, numbers as written.
    public var text: String { JSONText.value(self) }

    /// Reads a whole document, throwing where `parse` answers `nil`.
    public init(parsing text: String) throws(JSONValue.Malformed) {
        guard let value = JSONValue.parse(text) else { throw Malformed() }
        self = value
    }

    /// Raised for text that is not one JSON document.
    public struct Malformed: Error, CustomStringConvertible {
        public var description: String { "the text is not a JSON document" }
    }
}

/// Through `Codable`, a value can sit inside an `Encodable` response or a `Decodable` body.
extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let integer = try? container.decode(Int64.self) { self = .number(String(integer)) }
        else if let number = try? container.decode(Double.self) { self = .number(String(number)) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let elements = try? container.decode([JSONValue].self) { self = .array(elements) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .number(let text):
            if let integer = Int64(text) {
                try container.encode(integer)
            } else if let number = Double(text), number.isFinite {
                try container.encode(number)
            } else {
                throw EncodingError.invalidValue(text, EncodingError.Context(codingPath: encoder.codingPath, debugDescription: "'\(text)' is not a JSON number"))
            }
        case .string(let text): try container.encode(text)
        case .array(let elements): try container.encode(elements)
        case .object(let members): try container.encode(members)
        }
    }
}

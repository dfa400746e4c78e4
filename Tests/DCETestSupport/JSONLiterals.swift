import DCEJSON

// Literals for `JSONValue`, so a test states the whole document it expects:
// `#expect(response.value == ["error": ["code": "missing_field", "field": "caller"]])`.

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// A whole number is written as an integer (`12`, not `12.0`), as the encoders write it.
    public init(floatLiteral value: Double) {
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            self = .integer(Int64(value))
        } else {
            self = .number(String(value))
        }
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral members: (String, JSONValue)...) {
        self = .object(Dictionary(members, uniquingKeysWith: { _, last in last }))
    }
}

/// A failed expectation prints the document as JSON text, not as nested enum cases.
extension JSONValue: CustomStringConvertible {
    public var description: String { text }
}

extension JSONValue {
    /// The element at `index` of an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    public var array: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// A whole number that fits an `Int`.
    public var int: Int? { exactInteger.flatMap { Int(exactly: $0) } }

    /// The members of an object (and of every object inside it) with these keys replaced by
    /// `"<redacted>"`, so that a value with generated ids or times compares whole.
    public func redacting(_ keys: Set<String>) -> JSONValue {
        switch self {
        case .object(let members):
            var redacted: [String: JSONValue] = [:]
            for (key, member) in members {
                redacted[key] = keys.contains(key) ? "<redacted>" : member.redacting(keys)
            }
            return .object(redacted)
        case .array(let elements):
            return .array(elements.map { $0.redacting(keys) })
        default:
            return self
        }
    }

    public func redacting(_ keys: String...) -> JSONValue { redacting(Set(keys)) }

    /// An object without these members (at its top level only).
    public func removing(_ keys: String...) -> JSONValue {
        guard case .object(var members) = self else { return self }
        for key in keys { members[key] = nil }
        return .object(members)
    }
}

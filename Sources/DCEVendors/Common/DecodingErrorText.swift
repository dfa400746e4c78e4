/// A decoding error told the way a request's sender can act on it: where in the document
/// the problem is, and what was expected there.
extension DecodingError {
    /// `events[3].caller_phone`: where in the document the problem is.
    public func fieldPath(prefix: String? = nil) -> String? {
        var path: [CodingKey]
        switch self {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: path = []
        }
        var text = prefix ?? ""
        for key in path {
            if let index = key.intValue, key.stringValue.hasPrefix("Index") || key.stringValue == "\(index)" {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? nil : text
    }

    public var readableMessage: String {
        switch self {
        case .keyNotFound(let key, _): "'\(key.stringValue)' is required"
        case .typeMismatch(let type, _): "expected \(Self.describe(type))"
        case .valueNotFound(let type, _): "expected \(Self.describe(type)), found null"
        case .dataCorrupted(let context): context.debugDescription
        @unknown default: "the value is not valid"
        }
    }

    public var code: String {
        if case .keyNotFound = self { return "missing_field" }
        return "invalid_field"
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "true or false"
        case is Double.Type: "a number"
        default: "a value of type \(type)"
        }
    }
}

/// Reads JSON without Foundation: the text dce stores (an event's fields, a call's tags),
/// whose generic decoding containers cost more per call than the rest of folding it, and
/// vendors' JSON bodies, which `JSONSerialization` read at several times the cost. Any
/// JSON document is read, strictly (RFC 8259 numbers, at most `maximumDepth` nested
/// arrays and objects); `nil` means the text is not JSON.
public enum JSONReader {
    /// Deeper documents are refused rather than read by ever deeper recursion.
    public static let maximumDepth = 256

    public indirect enum Value: Equatable, Sendable {
        case string(String)
        /// A number as written.
        case number(String)
        case bool(Bool)
        case null
        case array([Value])
        case object([String: Value])
    }

    public static func parse(_ text: String) -> Value? {
        var text = text
        return text.withUTF8(parse(buffer:))
    }

    /// A document as bytes (UTF-8, after a byte order mark if there is one; a malformed
    /// sequence inside a string reads as U+FFFD).
    public static func parse(bytes: [UInt8]) -> Value? {
        bytes.withUnsafeBufferPointer { buffer in
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            return parse(buffer: buffer.starts(with: bom) ? UnsafeBufferPointer(rebasing: buffer[3...]) : buffer)
        }
    }

    private static func parse(buffer bytes: UnsafeBufferPointer<UInt8>) -> Value? {
        var parser = Parser(bytes: bytes)
        guard let value = parser.value() else { return nil }
        parser.skipSpace()
        return parser.position == bytes.count ? value : nil
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0
        var depth = 0

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func value() -> Value? {
            skipSpace()
            guard position < bytes.count else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "{"): return object()
            case UInt8(ascii: "["): return array()
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return number()
            }
        }

        mutating func literal(_ word: StaticString, _ value: Value) -> Value? {
            let count = word.utf8CodeUnitCount
            guard position + count <= bytes.count else { return nil }
            for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] { return nil }
            position += count
            return value
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        mutating func number() -> Value? {
            let start = position
            skip(UInt8(ascii: "-"))
            guard position < bytes.count else { return nil }
            if bytes[position] == UInt8(ascii: "0") {
                position += 1
            } else {
                guard digits() else { return nil }
            }
            if skip(UInt8(ascii: ".")) { guard digits() else { return nil } }
            if skip(UInt8(ascii: "e")) || skip(UInt8(ascii: "E")) {
                if !skip(UInt8(ascii: "+")) { skip(UInt8(ascii: "-")) }
                guard digits() else { return nil }
            }
            return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
        }

        @discardableResult
        mutating func skip(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        /// One digit or more.
        mutating func digits() -> Bool {
            let start = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            return position > start
        }

        mutating func object() -> Value? {
            guard depth < JSONReader.maximumDepth else { return nil }
            depth += 1
            defer { depth -= 1 }
            position += 1
            var members: [String: Value] = [:]
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
                position += 1
                guard let member = value() else { return nil }
                members[key] = member
                skipSpace()
                guard position < bytes.count else { return nil }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                guard bytes[position] == UInt8(ascii: "}") else { return nil }
                position += 1
                return .object(members)
            }
        }

        mutating func array() -> Value? {
            guard depth < JSONReader.maximumDepth else { return nil }
            depth += 1
            defer { depth -= 1 }
            position += 1
            var elements: [Value] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
            while true {
                guard let element = value() else { return nil }
                elements.append(element)
                skipSpace()
                guard position < bytes.count else { return nil }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                guard bytes[position] == UInt8(ascii: "]") else { return nil }
                position += 1
                return .array(elements)
            }
        }

        /// A string literal at `position` (its opening quote).
        mutating func string() -> String? {
            position += 1
            let start = position
            // Most strings have no escape: take their bytes whole.
            while position < bytes.count, bytes[position] != UInt8(ascii: "\""), bytes[position] != UInt8(ascii: "\\") {
                guard bytes[position] >= 0x20 else { return nil }
                position += 1
            }
            guard position < bytes.count else { return nil }
            if bytes[position] == UInt8(ascii: "\"") {
                defer { position += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            }
            var out = Array(bytes[start..<position])
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard position < bytes.count else { return nil }
                    let escaped = bytes[position]
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(scalar) {
                            // A surrogate pair: the low half follows as another \u escape.
                            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else { return nil }
                            position += 2
                            guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { return nil }
                        out.append(contentsOf: Array(String(Character(unicode)).utf8))
                    default: return nil
                    }
                default:
                    guard byte >= 0x20 else { return nil }
                    out.append(byte)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard position + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                position += 1
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
    }
}

/// Raised when stored JSON text does not hold what it should.
public struct StoredJSONError: Error, CustomStringConvertible {
    public let description: String
}

extension CallFields {
    /// Reads fields as stored with their event (`jsonText`, or Foundation's encoder before
    /// it): the same result as `init(from:)` through `JSONDecoder`.
    public init(storedJSON text: String) throws {
        guard case .object(let members)? = JSONReader.parse(text) else {
            throw StoredJSONError(description: "stored fields are not a JSON object")
        }
        func string(_ key: CodingKeys) throws -> String? {
            switch members[key.rawValue] {
            case nil, .null?: return nil
            case .string(let text)?: return text
            default: throw StoredJSONError(description: "stored field \(key.rawValue) is not a string")
            }
        }
        func parsed<T>(_ key: CodingKeys, _ parse: (String) throws -> T?) throws -> T? {
            guard let text = try string(key) else { return nil }
            guard let value = try parse(text) else { throw StoredJSONError(description: "stored field \(key.rawValue) '\(text)' does not parse") }
            return value
        }
        func money(_ key: CodingKeys) throws -> Money? {
            switch members[key.rawValue] {
            case nil, .null?: return nil
            case .string(let text)?, .number(let text)?: return try Money(parsing: text)
            default: throw StoredJSONError(description: "stored field \(key.rawValue) is not an amount")
            }
        }
        self.init()
        callerPhone = try parsed(.callerPhone) { try PhoneNumber(parsing: $0) }
        trackingNumber = try parsed(.trackingNumber) { try PhoneNumber(parsing: $0) }
        destinationNumber = try parsed(.destinationNumber) { try PhoneNumber(parsing: $0) }
        switch members[CodingKeys.durationSeconds.rawValue] {
        case nil, .null?: durationSeconds = nil
        case .number(let text)?:
            guard let seconds = Int(text) else { throw StoredJSONError(description: "stored durationSeconds '\(text)' is not an integer") }
            durationSeconds = seconds
        default: throw StoredJSONError(description: "stored durationSeconds is not a number")
        }
        callStartedAt = try parsed(.callStartedAt, Timestamp.init(parsingStored:))
        callAnsweredAt = try parsed(.callAnsweredAt, Timestamp.init(parsingStored:))
        callEndedAt = try parsed(.callEndedAt, Timestamp.init(parsingStored:))
        status = try parsed(.status, CallStatus.init(parsing:))
        campaignID = try string(.campaignID)
        publisherID = try string(.publisherID)
        targetID = try string(.targetID)
        callerState = try string(.callerState)
        revenue = try money(.revenue)
        payout = try money(.payout)
        switch members[CodingKeys.converted.rawValue] {
        case nil, .null?: converted = nil
        case .bool(let value)?: converted = value
        default: throw StoredJSONError(description: "stored converted is not a boolean")
        }
        recordingURL = try string(.recordingURL)
        switch members[CodingKeys.tags.rawValue] {
        case nil, .null?: tags = Tags()
        case .object(let values)?: tags = try Tags(storedValues: values)
        default: throw StoredJSONError(description: "stored tags are not an object")
        }
    }
}

extension Tags {
    /// Reads tags as stored on a call (`call_metadata`) or with an event.
    public init(storedJSON text: String) throws {
        if text == "{}" { self.init(); return }
        guard case .object(let values)? = JSONReader.parse(text) else {
            throw StoredJSONError(description: "stored tags are not a JSON object")
        }
        try self.init(storedValues: values)
    }

    init(storedValues values: [String: JSONReader.Value]) throws {
        var tags: [String: String] = [:]
        for (key, value) in values {
            guard case .string(let text) = value else { throw StoredJSONError(description: "stored tag \(key) is not a string") }
            tags[key] = text
        }
        self.init(unchecked: tags)
    }
}

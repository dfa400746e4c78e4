/// JSON text for flat values: strings, numbers, booleans and objects of them.
///
/// Foundation's encoders go through a generic container per value; on the ingest path,
/// which writes a small object for every event, that cost is most of the request's CPU.
/// These write the same JSON directly: keys sorted, `/` left as is.
public enum JSONText {
    /// A JSON string literal.
    public static func string(_ value: String) -> String {
        var out = Output(capacity: value.utf8.count + 2)
        out.string(value)
        return out.text
    }

    /// An object of members whose values are JSON text already, keys sorted.
    public static func object(_ members: [(key: String, json: String)]) -> String {
        var out = Output(capacity: members.reduce(2) { $0 + $1.key.utf8.count + $1.json.utf8.count + 4 })
        out.byte(UInt8(ascii: "{"))
        for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out.byte(UInt8(ascii: ",")) }
            out.member(member.key)
            out.raw(member.json)
        }
        out.byte(UInt8(ascii: "}"))
        return out.text
    }

    /// An object of string values, keys sorted.
    public static func object(_ values: [String: String]) -> String {
        var out = Output(capacity: values.reduce(2) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 })
        out.object(values)
        return out.text
    }

    /// Any document `JSONValue.parse` read, objects' keys sorted, numbers as they were written.
    public static func value(_ value: JSONValue) -> String {
        var out = Output(capacity: 256)
        out.value(value)
        return out.text
    }

    /// JSON written as UTF-8 bytes, made a `String` once at the end: appending to a
    /// `String` piece by piece checks its encoding and growth at every step, which cost
    /// more than the rest of writing an event's fields.
    public struct Output {
        private var bytes: [UInt8]

        public init(capacity: Int) {
            bytes = []
            bytes.reserveCapacity(capacity)
        }

        public var text: String { String(decoding: bytes, as: UTF8.self) }

        public mutating func byte(_ byte: UInt8) { bytes.append(byte) }

        /// Text that is JSON already.
        public mutating func raw(_ json: String) {
            var json = json
            json.withUTF8 { bytes.append(contentsOf: $0) }
        }

        /// `"key":`
        public mutating func member(_ key: String) {
            string(key)
            bytes.append(UInt8(ascii: ":"))
        }

        /// A string literal; `/` is left as is, control characters are `\u00xx` unless
        /// they have a short escape.
        public mutating func string(_ value: String) {
            var value = value
            value.withUTF8 { utf8 in
                bytes.append(UInt8(ascii: "\""))
                // Most values (ids, numbers, times) need no escape: copy them whole.
                guard utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                    bytes.append(contentsOf: utf8)
                    bytes.append(UInt8(ascii: "\""))
                    return
                }
                for byte in utf8 {
                    switch byte {
                    case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                    case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                    case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                    case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                    case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                    case 0x08: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
                    case 0x0C: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
                    case ..<0x20:
                        let hex = Array("0123456789abcdef".utf8)
                        bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
                    default:
                        // Bytes of multi-byte characters are copied as they are: still valid UTF-8.
                        bytes.append(byte)
                    }
                }
                bytes.append(UInt8(ascii: "\""))
            }
        }

        /// An object of string values, keys sorted.
        public mutating func object(_ values: [String: String]) {
            object(values) { $0.string($1) }
        }

        /// An object, keys sorted, each value written by `write`.
        private mutating func object<Value>(_ members: [String: Value], _ write: (inout Output, Value) -> Void) {
            bytes.append(UInt8(ascii: "{"))
            for (index, entry) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                member(entry.key)
                write(&self, entry.value)
            }
            bytes.append(UInt8(ascii: "}"))
        }

        public mutating func value(_ value: JSONValue) {
            switch value {
            case .string(let text): string(text)
            case .number(let text): raw(text)
            case .bool(let flag): raw(flag ? "true" : "false")
            case .null: raw("null")
            case .array(let elements):
                bytes.append(UInt8(ascii: "["))
                for (index, element) in elements.enumerated() {
                    if index > 0 { bytes.append(UInt8(ascii: ",")) }
                    self.value(element)
                }
                bytes.append(UInt8(ascii: "]"))
            case .object(let members):
                object(members) { $0.value($1) }
            }
        }
    }
}

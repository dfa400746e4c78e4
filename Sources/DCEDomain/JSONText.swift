/// JSON text for flat values: strings, numbers, booleans and objects of them.
///
/// Foundation's encoders go through a generic container per value; on the ingest path,
/// which writes a small object for every event, that cost is most of the request's CPU.
/// These write the same JSON directly: keys sorted, `/` left as is.
public enum JSONText {
    /// A JSON string literal.
    public static func string(_ value: String) -> String {
        // Most values (ids, numbers, times) need no escape: copy them whole.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + value + "\""
        }
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(value.utf8.count + 16)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default:
                // Bytes of multi-byte characters are copied as they are: still valid UTF-8.
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    /// An object of members whose values are JSON text already, keys sorted.
    public static func object(_ members: [(key: String, json: String)]) -> String {
        var out = "{"
        for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out += "," }
            out += string(member.key)
            out += ":"
            out += member.json
        }
        out += "}"
        return out
    }

    /// An object of string values, keys sorted.
    public static func object(_ values: [String: String]) -> String {
        object(values.map { (key: $0.key, json: string($0.value)) })
    }

    /// Any document `JSONReader` read, objects' keys sorted, numbers as they were written.
    public static func value(_ value: JSONReader.Value) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    private static func write(_ value: JSONReader.Value, into out: inout String) {
        switch value {
        case .string(let text): out += string(text)
        case .number(let text): out += text
        case .bool(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        case .array(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += "," }
                write(element, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                out += string(key)
                out += ":"
                write(members[key]!, into: &out)
            }
            out += "}"
        }
    }
}

extension CallFields {
    /// The fields as stored with their event: what `JSONEncoder` with sorted keys writes
    /// for them, and what `init(from:)` reads back.
    public var jsonText: String {
        var members: [(key: String, json: String)] = []
        func add(_ key: CodingKeys, _ text: String?) {
            if let text { members.append((key.rawValue, JSONText.string(text))) }
        }
        add(.callerPhone, callerPhone?.e164)
        add(.trackingNumber, trackingNumber?.e164)
        add(.destinationNumber, destinationNumber?.e164)
        if let durationSeconds { members.append((CodingKeys.durationSeconds.rawValue, String(durationSeconds))) }
        add(.callStartedAt, callStartedAt?.iso8601)
        add(.callAnsweredAt, callAnsweredAt?.iso8601)
        add(.callEndedAt, callEndedAt?.iso8601)
        add(.status, status?.rawValue)
        add(.campaignID, campaignID)
        add(.publisherID, publisherID)
        add(.targetID, targetID)
        add(.callerState, callerState)
        add(.revenue, revenue?.decimalString)
        add(.payout, payout?.decimalString)
        if let converted { members.append((CodingKeys.converted.rawValue, converted ? "true" : "false")) }
        add(.recordingURL, recordingURL)
        if !tags.isEmpty { members.append((CodingKeys.tags.rawValue, JSONText.object(tags.values))) }
        return JSONText.object(members)
    }
}

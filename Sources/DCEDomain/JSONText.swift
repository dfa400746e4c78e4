/// JSON text for flat values: strings, numbers, booleans and objects of them.
///
/// Foundation's encoders go through a generic container per value; on the ingest path,
/// which writes a small object for every event, that cost is most of the request's CPU.
/// These write the same JSON directly: keys sorted, `/` left as is.
public enum JSONText {
    /// A JSON string literal.
    public static func string(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    /// An object of members whose values are JSON text already, keys sorted.
    public static func object(_ members: [(key: String, json: String)]) -> String {
        "{" + members.sorted { $0.key < $1.key }.map { string($0.key) + ":" + $0.json }.joined(separator: ",") + "}"
    }

    /// An object of string values, keys sorted.
    public static func object(_ values: [String: String]) -> String {
        object(values.map { (key: $0.key, json: string($0.value)) })
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

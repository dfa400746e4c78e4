import DCEJSON

/// Raised when stored JSON text does not hold what it should.
public struct StoredJSONError: Error, CustomStringConvertible {
    public let description: String
}

extension CallFields {
    /// Reads fields as stored with their event (`jsonText`, or Foundation's encoder before
    /// it): the same result as `init(from:)` through `JSONDecoder`.
    public init(storedJSON text: String) throws {
        guard case .object(let members)? = JSONValue.parse(text) else {
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
        guard case .object(let values)? = JSONValue.parse(text) else {
            throw StoredJSONError(description: "stored tags are not a JSON object")
        }
        try self.init(storedValues: values)
    }

    init(storedValues values: [String: JSONValue]) throws {
        var tags: [String: String] = [:]
        for (key, value) in values {
            guard case .string(let text) = value else { throw StoredJSONError(description: "stored tag \(key) is not a string") }
            tags[key] = text
        }
        self.init(unchecked: tags)
    }
}

extension CallFields {
    /// The fields as stored with their event: what `JSONEncoder` with sorted keys writes
    /// for them, and what `init(from:)` reads back. Members are written in their keys'
    /// order, so nothing is sorted per event.
    public var jsonText: String {
        var out = JSONText.Output(capacity: 320)
        var first = true
        func key(_ key: CodingKeys) {
            if !first { out.byte(UInt8(ascii: ",")) }
            first = false
            out.member(key.rawValue)
        }
        func text(_ name: CodingKeys, _ value: String?) {
            guard let value else { return }
            key(name)
            out.string(value)
        }
        func raw(_ name: CodingKeys, _ json: String?) {
            guard let json else { return }
            key(name)
            out.raw(json)
        }
        out.byte(UInt8(ascii: "{"))
        text(.callAnsweredAt, callAnsweredAt?.iso8601)
        text(.callEndedAt, callEndedAt?.iso8601)
        text(.callStartedAt, callStartedAt?.iso8601)
        text(.callerPhone, callerPhone?.e164)
        text(.callerState, callerState)
        text(.campaignID, campaignID)
        raw(.converted, converted.map { $0 ? "true" : "false" })
        text(.destinationNumber, destinationNumber?.e164)
        raw(.durationSeconds, durationSeconds.map { String($0) })
        text(.payout, payout?.decimalString)
        text(.publisherID, publisherID)
        text(.recordingURL, recordingURL)
        text(.revenue, revenue?.decimalString)
        text(.status, status?.rawValue)
        if !tags.isEmpty {
            key(.tags)
            out.object(tags.values)
        }
        text(.targetID, targetID)
        text(.trackingNumber, trackingNumber?.e164)
        out.byte(UInt8(ascii: "}"))
        return out.text
    }
}

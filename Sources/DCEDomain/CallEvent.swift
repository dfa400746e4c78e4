/// One fact about one call, normalized from whatever reported it: a vendor webhook, a
/// vendor API row, or dce's own `/v1/events`. Every field but the identity is optional,
/// because a vendor's early stage knows less than its last one.
public struct CallEvent: Hashable, Sendable {
    /// Who reported the event.
    public var source: Source
    /// The reporter's id for the call (Ringba's `call_id`, Retreaver's `id`, …).
    public var externalCallID: String
    /// Unique per account: appending an event with a key already seen changes nothing.
    public var idempotencyKey: String
    /// When the fact became true at the source; decides which of two facts is later.
    public var occurredAt: Timestamp
    /// A free label such as `call.completed` or Retreaver's `postback`.
    public var type: String?
    public var fields: CallFields

    public init(
        source: Source, externalCallID: String, idempotencyKey: String,
        occurredAt: Timestamp, type: String? = nil, fields: CallFields
    ) {
        self.source = source
        self.externalCallID = externalCallID
        self.idempotencyKey = idempotencyKey
        self.occurredAt = occurredAt
        self.type = type
        self.fields = fields
    }
}

/// The facts a call record is made of: every DCE column of the Ringba and Retreaver
/// mapping tables. `nil` means "this event does not say".
public struct CallFields: Hashable, Sendable, Codable {
    public var callerPhone: PhoneNumber?
    public var trackingNumber: PhoneNumber?
    public var destinationNumber: PhoneNumber?
    public var durationSeconds: Int?
    public var callStartedAt: Timestamp?
    public var callAnsweredAt: Timestamp?
    public var callEndedAt: Timestamp?
    public var status: CallStatus?
    public var campaignID: String?
    public var publisherID: String?
    public var targetID: String?
    public var callerState: String?
    public var revenue: Money?
    public var payout: Money?
    public var converted: Bool?
    public var recordingURL: String?
    public var tags: Tags

    public init(
        callerPhone: PhoneNumber? = nil, trackingNumber: PhoneNumber? = nil,
        destinationNumber: PhoneNumber? = nil, durationSeconds: Int? = nil,
        callStartedAt: Timestamp? = nil, callAnsweredAt: Timestamp? = nil,
        callEndedAt: Timestamp? = nil, status: CallStatus? = nil, campaignID: String? = nil,
        publisherID: String? = nil, targetID: String? = nil, callerState: String? = nil,
        revenue: Money? = nil, payout: Money? = nil, converted: Bool? = nil,
        recordingURL: String? = nil, tags: Tags = Tags()
    ) {
        self.callerPhone = callerPhone
        self.trackingNumber = trackingNumber
        self.destinationNumber = destinationNumber
        self.durationSeconds = durationSeconds
        self.callStartedAt = callStartedAt
        self.callAnsweredAt = callAnsweredAt
        self.callEndedAt = callEndedAt
        self.status = status
        self.campaignID = campaignID
        self.publisherID = publisherID
        self.targetID = targetID
        self.callerState = callerState
        self.revenue = revenue
        self.payout = payout
        self.converted = converted
        self.recordingURL = recordingURL
        self.tags = tags
    }

    typealias CodingKeys = CallField

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        callerPhone = try c.decodeIfPresent(PhoneNumber.self, forKey: .callerPhone)
        trackingNumber = try c.decodeIfPresent(PhoneNumber.self, forKey: .trackingNumber)
        destinationNumber = try c.decodeIfPresent(PhoneNumber.self, forKey: .destinationNumber)
        durationSeconds = try Self.duration(in: c)
        callStartedAt = try c.decodeIfPresent(Timestamp.self, forKey: .callStartedAt)
        callAnsweredAt = try c.decodeIfPresent(Timestamp.self, forKey: .callAnsweredAt)
        callEndedAt = try c.decodeIfPresent(Timestamp.self, forKey: .callEndedAt)
        status = try c.decodeIfPresent(CallStatus.self, forKey: .status)
        campaignID = try c.decodeIfPresent(String.self, forKey: .campaignID)
        publisherID = try c.decodeIfPresent(String.self, forKey: .publisherID)
        targetID = try c.decodeIfPresent(String.self, forKey: .targetID)
        callerState = try c.decodeIfPresent(String.self, forKey: .callerState)
        revenue = try c.decodeIfPresent(Money.self, forKey: .revenue)
        payout = try c.decodeIfPresent(Money.self, forKey: .payout)
        converted = try c.decodeIfPresent(Bool.self, forKey: .converted)
        recordingURL = try c.decodeIfPresent(String.self, forKey: .recordingURL)
        tags = try c.decodeIfPresent(Tags.self, forKey: .tags) ?? Tags()
    }

    /// `duration_seconds` as a whole number (`180`, `180.0`) under 366 days; anything
    /// else is refused naming the key, however far out of range the number is.
    private static func duration(in c: KeyedDecodingContainer<CodingKeys>) throws -> Int? {
        guard c.contains(.durationSeconds), try !c.decodeNil(forKey: .durationSeconds) else { return nil }
        do {
            if let whole = try? c.decode(Int.self, forKey: .durationSeconds) { return try CallDuration.seconds(whole) }
            return try CallDuration.seconds(try c.decode(Double.self, forKey: .durationSeconds))
        } catch let error as CallDuration.ParseError {
            throw DecodingError.dataCorruptedError(forKey: .durationSeconds, in: c, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(callerPhone, forKey: .callerPhone)
        try c.encodeIfPresent(trackingNumber, forKey: .trackingNumber)
        try c.encodeIfPresent(destinationNumber, forKey: .destinationNumber)
        try c.encodeIfPresent(durationSeconds, forKey: .durationSeconds)
        try c.encodeIfPresent(callStartedAt, forKey: .callStartedAt)
        try c.encodeIfPresent(callAnsweredAt, forKey: .callAnsweredAt)
        try c.encodeIfPresent(callEndedAt, forKey: .callEndedAt)
        try c.encodeIfPresent(status, forKey: .status)
        try c.encodeIfPresent(campaignID, forKey: .campaignID)
        try c.encodeIfPresent(publisherID, forKey: .publisherID)
        try c.encodeIfPresent(targetID, forKey: .targetID)
        try c.encodeIfPresent(callerState, forKey: .callerState)
        try c.encodeIfPresent(revenue, forKey: .revenue)
        try c.encodeIfPresent(payout, forKey: .payout)
        try c.encodeIfPresent(converted, forKey: .converted)
        try c.encodeIfPresent(recordingURL, forKey: .recordingURL)
        if !tags.isEmpty { try c.encode(tags, forKey: .tags) }
    }
}

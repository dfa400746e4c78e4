/// RingCentral's notification wire types (seed 001 and RingCentral's webhook reference):
/// the envelope, telephony-session bodies, presence bodies with `detailedTelephonyState`,
/// and the seed's `Notify_CallSession` shape. Names mirror RingCentral's JSON.
public struct RingCentralNotification: Decodable, Sendable {
    public var uuid: String?
    public var event: String?
    public var timestamp: String?
    public var subscriptionId: String?
    public var ownerId: String?
    public var body: Body?

    public struct Body: Decodable, Sendable {
        // Telephony sessions and Notify_CallSession
        public var sequence: Int?
        public var sessionId: String?
        public var telephonySessionId: String?
        public var eventTime: String?
        public var recordingId: String?
        public var parties: [Party]?
        // Presence with detailedTelephonyState
        public var extensionId: LooseText?
        public var telephonyStatus: String?
        public var activeCalls: [ActiveCall]?
    }

    public struct Party: Decodable, Sendable {
        public var id: String?
        public var direction: String?
        public var from: Endpoint?
        public var to: Endpoint?
        public var status: Status?
        /// The seed's `Notify_CallSession` spells the status `state`.
        public var state: State?
        public var missedCall: LooseBool?
        public var recordings: [Recording]?
        public var uiCallInfo: UICallInfo?
        public var sessionId: String?
        public var recordingId: String?
    }

    public struct Endpoint: Decodable, Sendable {
        public var phoneNumber: String?
        /// The seed's `Notify_CallSession` spells it `number`.
        public var number: String?
        public var name: String?
        public var extensionId: LooseText?
        public var mailboxId: LooseText?

        var anyNumber: String? { phoneNumber ?? number }
    }

    public struct Status: Decodable, Sendable {
        public var code: String?
        public var reason: String?
    }

    public struct State: Decodable, Sendable {
        public var name: String?
        public var missedCall: LooseBool?
    }

    public struct Recording: Decodable, Sendable {
        public var id: LooseText?
        public var active: LooseBool?
    }

    public struct UICallInfo: Decodable, Sendable {
        public var primary: Info?
        public var additional: Info?
        public struct Info: Decodable, Sendable {
            public var type: String?
            public var value: String?
        }
    }

    public struct ActiveCall: Decodable, Sendable {
        public var id: String?
        public var direction: String?
        public var from: String?
        public var to: String?
        public var telephonyStatus: String?
        public var sessionId: String?
        public var telephonySessionId: String?
        public var partyId: String?
        public var startTime: String?
        public var missedCall: LooseBool?
        public var recordingId: String?
    }
}

/// A JSON value RingCentral sends as a string in one event and a number in another.
public struct LooseText: Decodable, Sendable, Hashable {
    public let text: String
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { text = s }
        else if let i = try? c.decode(Int64.self) { text = String(i) }
        else { text = String(try c.decode(Double.self)) }
    }
}

/// `true` or `"true"` (the seed's `"missedCall": "true"`).
public struct LooseBool: Decodable, Sendable, Hashable {
    public let value: Bool
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { value = b }
        else { value = try c.decode(String.self).lowercased() == "true" }
    }
}

import DCEJSON
import DCEDomain

/// RingCentral's notification wire types (seed 001 and RingCentral's webhook reference):
/// the envelope, telephony-session bodies, presence bodies with `detailedTelephonyState`,
/// and the seed's `Notify_CallSession` shape. Names mirror RingCentral's JSON.
///
/// RingCentral's published telephony-session examples carry the envelope inside
/// `pn_apns` (its mobile-push shape); that envelope is read when the top level has no body.
///
/// Read from `JSONValue.parse`'s document (`init(body:)`); a member of the wrong type is
/// refused with its path. Ids that RingCentral sends as a string in one event and a
/// number in another are read either way, as is `missedCall` as `true` or `"true"`.
public struct RingCentralNotification: Sendable {
    public var uuid: String?
    public var event: String?
    public var timestamp: String?
    public var subscriptionId: String?
    public var ownerId: String?
    public var body: Body?

    public struct Body: Sendable {
        // Telephony sessions and Notify_CallSession
        public var sequence: Int?
        public var sessionId: String?
        public var telephonySessionId: String?
        public var eventTime: String?
        public var recordingId: String?
        public var parties: [Party]?
        // Presence with detailedTelephonyState
        public var extensionId: String?
        public var telephonyStatus: String?
        public var activeCalls: [ActiveCall]?
        /// The body as sent: a delivery that names no session is told apart by it.
        public var raw: JSONValue = .null
    }

    public struct Party: Sendable {
        public var id: String?
        /// The account's extension this party belongs to; absent for an outside party.
        public var extensionId: String?
        public var direction: String?
        public var from: Endpoint?
        public var to: Endpoint?
        public var status: Status?
        /// The seed's `Notify_CallSession` spells the status `state`.
        public var state: State?
        public var missedCall: Bool?
        public var recordings: [Recording]?
        public var uiCallInfo: UICallInfo?
        public var sessionId: String?
        public var recordingId: String?
        /// The party as sent, stored with its event.
        public var raw: JSONValue = .null
    }

    public struct Endpoint: Sendable {
        public var phoneNumber: String?
        /// The seed's `Notify_CallSession` spells it `number`.
        public var number: String?
        public var name: String?
        public var extensionId: String?
        public var mailboxId: String?

        var anyNumber: String? { phoneNumber ?? number }
    }

    public struct Status: Sendable {
        public var code: String?
        public var reason: String?
    }

    public struct State: Sendable {
        public var name: String?
        public var missedCall: Bool?
    }

    public struct Recording: Sendable {
        public var id: String?
        public var active: Bool?
    }

    public struct UICallInfo: Sendable {
        public var primary: Info?
        public var additional: Info?
        public struct Info: Sendable {
            public var type: String?
            public var value: String?
        }
    }

    public struct ActiveCall: Sendable {
        public var id: String?
        public var direction: String?
        public var from: String?
        public var to: String?
        public var telephonyStatus: String?
        public var sessionId: String?
        public var telephonySessionId: String?
        public var partyId: String?
        public var startTime: String?
        public var missedCall: Bool?
        public var recordingId: String?
        /// The call as sent, stored with its event.
        public var raw: JSONValue = .null
    }
}

extension RingCentralNotification {
    init(body: [UInt8]) throws(VendorError) {
        let top = try JSONMembers(body: body)
        let json = top.members["body"] == nil ? try top.object("pn_apns") ?? top : top
        uuid = try json.string("uuid")
        event = try json.string("event")
        timestamp = try json.string("timestamp")
        subscriptionId = try json.string("subscriptionId")
        ownerId = try json.text("ownerId")
        if let members = try json.object("body"), let raw = json.members["body"] {
            self.body = try Body(members, raw: raw)
        }
    }
}

extension RingCentralNotification.Body {
    init(_ json: JSONMembers, raw: JSONValue) throws(VendorError) {
        sequence = try json.integer("sequence")
        sessionId = try json.text("sessionId")
        telephonySessionId = try json.text("telephonySessionId")
        eventTime = try json.string("eventTime")
        recordingId = try json.text("recordingId")
        parties = try json.objects("parties")?.map { object throws(VendorError) in
            try RingCentralNotification.Party(object.members, raw: object.value)
        }
        extensionId = try json.text("extensionId")
        telephonyStatus = try json.string("telephonyStatus")
        activeCalls = try json.objects("activeCalls")?.map { object throws(VendorError) in
            try RingCentralNotification.ActiveCall(object.members, raw: object.value)
        }
        self.raw = raw
    }
}

extension RingCentralNotification.Party {
    init(_ json: JSONMembers, raw: JSONValue) throws(VendorError) {
        id = try json.text("id")
        extensionId = try json.text("extensionId")
        direction = try json.string("direction")
        from = try json.object("from").map { members throws(VendorError) in try RingCentralNotification.Endpoint(members) }
        to = try json.object("to").map { members throws(VendorError) in try RingCentralNotification.Endpoint(members) }
        status = try json.object("status").map { members throws(VendorError) in
            RingCentralNotification.Status(code: try members.string("code"), reason: try members.string("reason"))
        }
        state = try json.object("state").map { members throws(VendorError) in
            RingCentralNotification.State(name: try members.string("name"), missedCall: try members.flag("missedCall"))
        }
        missedCall = try json.flag("missedCall")
        recordings = try json.objects("recordings")?.map { object throws(VendorError) in
            RingCentralNotification.Recording(id: try object.members.text("id"), active: try object.members.flag("active"))
        }
        uiCallInfo = try json.object("uiCallInfo").map { members throws(VendorError) in
            func info(_ key: String) throws(VendorError) -> RingCentralNotification.UICallInfo.Info? {
                try members.object(key).map { info throws(VendorError) in .init(type: try info.string("type"), value: try info.string("value")) }
            }
            return RingCentralNotification.UICallInfo(primary: try info("primary"), additional: try info("additional"))
        }
        sessionId = try json.text("sessionId")
        recordingId = try json.text("recordingId")
        self.raw = raw
    }
}

extension RingCentralNotification.Endpoint {
    init(_ json: JSONMembers) throws(VendorError) {
        phoneNumber = try json.string("phoneNumber")
        number = try json.string("number")
        name = try json.string("name")
        extensionId = try json.text("extensionId")
        mailboxId = try json.text("mailboxId")
    }
}

extension RingCentralNotification.ActiveCall {
    init(_ json: JSONMembers, raw: JSONValue) throws(VendorError) {
        id = try json.text("id")
        direction = try json.string("direction")
        from = try json.string("from")
        to = try json.string("to")
        telephonyStatus = try json.string("telephonyStatus")
        sessionId = try json.text("sessionId")
        telephonySessionId = try json.text("telephonySessionId")
        partyId = try json.text("partyId")
        startTime = try json.string("startTime")
        missedCall = try json.flag("missedCall")
        recordingId = try json.text("recordingId")
        self.raw = raw
    }
}

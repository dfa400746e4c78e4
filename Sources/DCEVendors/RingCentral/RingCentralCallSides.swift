import DCEDomain

/// A number RingCentral puts in a `from` or `to`: a phone number, or the extension number
/// of a user of the account. Calls between extensions carry extension numbers (`"103"`,
/// `"4591"`, `"11101"` in RingCentral's own examples), which are not phone numbers and are
/// kept as they were sent.
public enum RingCentralNumber: Hashable, Sendable {
    case phone(PhoneNumber)
    case extensionNumber(String)
    /// Neither: a withheld caller id (`anonymous`, `Restricted`), a SIP address, or a
    /// number dce cannot read. Kept as sent, as a tag: a caller id is no reason to refuse
    /// a call's delivery.
    case other(String)

    /// At most this many digits, without a `+`, make an extension number: fewer than any
    /// phone number dce reads without a country code (ten, North American), and room for
    /// RingCentral's full extension numbers (a site code and a short extension).
    static let extensionDigits = 1...9

    /// Absent or empty is nil; an extension number (digits only, or a star code such as
    /// a park location `*801`) is kept as it is; a phone number is read as one; anything
    /// else is kept as `other`.
    public init?(_ text: String?) {
        guard let text = text?.trimmingWhitespace(), !text.isEmpty else { return nil }
        let digits = text.first == "*" || text.first == "#" ? text.dropFirst() : Substring(text)
        if Self.extensionDigits.contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
            self = .extensionNumber(text)
            return
        }
        if let phone = try? PhoneNumber(parsing: text) {
            self = .phone(phone)
        } else {
            self = .other(String(text.prefix(Tags.maximumValueLength)))
        }
    }

    public var phone: PhoneNumber? {
        if case .phone(let number) = self { number } else { nil }
    }

    public var extensionNumber: String? {
        if case .extensionNumber(let number) = self { number } else { nil }
    }

    public var other: String? {
        if case .other(let text) = self { text } else { nil }
    }
}

/// Which way a call went for the account: RingCentral's `direction` is a party's own
/// ("technical") direction, which an outside party reports too, so the call's direction
/// is decided from which ends belong to the account.
public enum RingCentralDirection: String, Sendable {
    case inbound, outbound, `internal`

    /// `callerIsOurs`/`calleeIsOurs`: whether the end is the account's (an extension
    /// number, or an end RingCentral names by `extensionId`/`mailboxId`). When neither end
    /// says, the party's direction decides: the account's party keeps it, an outside
    /// party's is the other way round (an outside caller's leg is its `Outbound`).
    static func decide(callerIsOurs: Bool, calleeIsOurs: Bool, party direction: String?, partyIsOurs: Bool) -> RingCentralDirection? {
        switch (callerIsOurs, calleeIsOurs) {
        case (true, true): return .internal
        case (true, false): return .outbound
        case (false, true): return .inbound
        case (false, false):
            switch direction?.lowercased() {
            case "inbound"?: return partyIsOurs ? .inbound : .outbound
            case "outbound"?: return partyIsOurs ? .outbound : .inbound
            default: return nil
            }
        }
    }
}

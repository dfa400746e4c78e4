import DCEDomain
import DCEJSON
import Foundation

/// RingCentral: telephony session notifications, authenticated by the subscription's verification token, the campaign decided by the account's numbers.
public struct RingCentralAdapter: VendorAdapter {
    public static let source = Source(rawValue: "ringcentral")
    public var name: String { Self.source.rawValue }
    public var credential: WebhookCredential {
        .header(name: "Verification-Token", missingSecret: "this RingCentral integration has no verification token: set one with "
            + "'dce integrations set-secret' and give it to the subscription as its verificationToken")
    }
    public var campaignFromNumbers: Bool { true }
    public var secretHeaders: Set<String> { ["verification-token", "validation-token"] }

    /// The subscription's verificationToken: letters and digits, well within its 64
    /// characters.
    public func makeSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijkmnopqrstuvwxyz23456789")
        return String((0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    /// RingCentral checks a new webhook by expecting its Validation-Token echoed back.
    public func handshake(header: (String) -> String?) -> VendorReply? {
        guard let token = header("Validation-Token") else { return nil }
        return VendorReply(headers: ["Validation-Token": token], body: #"{"validated":true}"#)
    }

    public func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        try RingCentralMapping.decode(delivery, integration: integration)
    }

    public init() {}

    public var pull: (any PullClient)? { RingCentralPull() }

    public func simulatedDeliveries(for c: SimulatedCall) -> [SimulatedDelivery] {
        var sequence = 0
        func notification(_ status: String, at offset: Int) -> SimulatedDelivery {
            sequence += 1
            let party: JSONValue = .object([
                "id": .string("p-\(c.id)-1"), "direction": .string("Inbound"), "missedCall": .bool(!c.answered && status == "Disconnected"),
                "from": .object(["phoneNumber": .string(c.caller), "name": .string("Caller")]),
                "to": .object(["phoneNumber": .string(c.tracking), "name": .string("Sales")]),
                "status": .object(["code": .string(status)]),
                "uiCallInfo": .object(["primary": .object(["type": .string("InDIDLabel"), "value": .string(c.destination)])]),
                "recordings": .array(c.answered && status == "Answered" ? [.object(["id": .string("rec-\(c.id)"), "active": .bool(true)])] : []),
            ])
            let body: JSONValue = .object([
                "uuid": .string("uuid-\(c.id)-\(sequence)"), "event": .string("/restapi/v1.0/account/~/telephony/sessions"),
                "timestamp": .string(c.iso(offset)), "subscriptionId": .string("sub-dce"),
                "body": .object(["sequence": .integer(sequence), "sessionId": .string("s-\(c.id)"), "telephonySessionId": .string("ts-\(c.id)"),
                                 "eventTime": .string(c.iso(offset)), "parties": .array([party])]),
            ])
            return SimulatedDelivery(method: "POST", query: [], headers: TrafficGenerator.jsonHeaders, body: TrafficGenerator.json(body),
                                     callID: "s-\(c.id)", stage: status.lowercased(), isRetry: false)
        }
        var list = [notification("Setup", at: 0)]
        if c.answered { list.append(notification("Answered", at: 5)) }
        list.append(notification("Disconnected", at: c.duration + 5))
        return list
    }
}

extension VendorAdapter where Self == RingCentralAdapter {
    public static var ringcentral: RingCentralAdapter { RingCentralAdapter() }
}

extension Source {
    public static let ringcentral = RingCentralAdapter.source
}

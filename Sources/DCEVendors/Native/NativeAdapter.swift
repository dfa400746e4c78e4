import DCEDomain
import DCEJSON
import Foundation

/// dce's own events from a signed sender: the `/v1/events` body, signed with Standard Webhooks.
public struct NativeAdapter: VendorAdapter {
    public static let source = Source(rawValue: "native")
    public var name: String { Self.source.rawValue }
    public var credential: WebhookCredential { .signatureOnly }

    public func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        try NativeEvents.decode(delivery.body, receivedAt: delivery.receivedAt).events
    }

    public init() {}

    public func simulatedDeliveries(for c: SimulatedCall) -> [SimulatedDelivery] {
        let started: JSONValue = .object([
            "idempotency_key": .string("\(c.id):started"), "external_call_id": .string(c.id), "caller_phone": .string(c.caller),
            "tracking_number": .string(c.tracking), "status": .string("ringing"), "call_started_at": .string(c.iso(0)),
            "campaign_id": .string(c.campaign), "occurred_at": .string(c.iso(0)),
        ])
        let ended: JSONValue = .object([
            "idempotency_key": .string("\(c.id):ended"), "external_call_id": .string(c.id),
            "status": .string(c.answered ? "completed" : "no_answer"), "duration_seconds": .integer(c.duration),
            "revenue": .string(c.money), "converted": .bool(c.converted), "occurred_at": .string(c.iso(c.duration + 5)),
        ])
        return [started, ended].map { object in
            SimulatedDelivery(method: "POST", query: [], headers: TrafficGenerator.jsonHeaders, body: TrafficGenerator.json(object),
                              callID: c.id, stage: object["idempotency_key"]?.string ?? "", isRetry: false)
        }
    }
}

extension VendorAdapter where Self == NativeAdapter {
    public static var native: NativeAdapter { NativeAdapter() }
}

import DCEDomain
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
        let started: [String: Any] = ["idempotency_key": "\(c.id):started", "external_call_id": c.id, "caller_phone": c.caller,
                                      "tracking_number": c.tracking, "status": "ringing", "call_started_at": c.iso(0),
                                      "campaign_id": c.campaign, "occurred_at": c.iso(0)]
        let ended: [String: Any] = ["idempotency_key": "\(c.id):ended", "external_call_id": c.id,
                                    "status": c.answered ? "completed" : "no_answer", "duration_seconds": c.duration,
                                    "revenue": c.money, "converted": c.converted, "occurred_at": c.iso(c.duration + 5)]
        return [started, ended].map { object in
            SimulatedDelivery(method: "POST", query: [], headers: TrafficGenerator.jsonHeaders, body: TrafficGenerator.json(object),
                              callID: c.id, stage: object["idempotency_key"] as? String ?? "", isRetry: false)
        }
    }
}

extension VendorAdapter where Self == NativeAdapter {
    public static var native: NativeAdapter { NativeAdapter() }
}

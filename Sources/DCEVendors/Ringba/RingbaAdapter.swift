import DCEDomain
import Foundation

/// Ringba: pixels and the conversion webhook, by GET or POST, fields renameable by its Call and Revenue tokens.
public struct RingbaAdapter: VendorAdapter {
    public static let source = Source(rawValue: "ringba")
    public var name: String { Self.source.rawValue }
    public var acceptsGET: Bool { true }
    public var mappableNames: Set<String> { Set(RingbaWebhook.Parameter.allCases.map(\.rawValue)) }

    public func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        try RingbaWebhook.decode(delivery, integration: integration)
    }

    /// Call-log rows posted to the webhook, one or a page, as Ringba's API lists them.
    public func decodeRows(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [PulledRow]? {
        try RingbaWebhook.callLogRows(delivery, integration: integration)
    }

    public init() {}

    /// Its own record of calls, pulled from its API.
    public var pull: (any PullClient)? { RingbaPull() }

    public func simulatedDeliveries(for c: SimulatedCall) -> [SimulatedDelivery] {
        func pixel(_ event: String, _ extra: [(String, String)]) -> SimulatedDelivery {
            SimulatedDelivery(method: "GET", query: [("event", event), ("call_id", c.id)] + extra, headers: [], body: [],
                              callID: c.id, stage: event.lowercased(), isRetry: false)
        }
        var list = [pixel("Incoming", [("caller_id", c.caller), ("inbound_number", c.tracking), ("call_date_time", c.iso(0)),
                                       ("campaign_id", c.campaign), ("publisher_id", c.publisher), ("caller_state", c.state)])]
        if c.answered {
            list.append(pixel("Connected", [("target_number", c.destination)]))
        }
        list.append(pixel("Completed", [("call_length", String(c.duration)), ("call_status", c.answered ? "completed" : "no_answer")]))
        if c.converted {
            // Ringba's conversion webhook, sometimes with its own misspelling.
            let sale = c.duration % 2 == 0 ? "sale_successful" : "sale_sucesful"
            list.append(SimulatedDelivery(
                method: "POST",
                query: [("call_id", c.id), ("call_revenue", c.money), (sale, "yes"), ("caller_id", c.caller),
                        ("inbound_number", c.tracking), ("call_length", String(c.duration))],
                headers: [], body: [], callID: c.id, stage: "conversion", isRetry: false
            ))
        }
        return list
    }
}

extension VendorAdapter where Self == RingbaAdapter {
    public static var ringba: RingbaAdapter { RingbaAdapter() }
}

extension Source {
    public static let ringba = RingbaAdapter.source
}

import DCEDomain
import DCEJSON
import Foundation

/// Invoca: transaction rows, one per call or correction of an earlier one.
public struct InvocaAdapter: VendorAdapter {
    public static let source = Source(rawValue: "invoca")
    public var name: String { Self.source.rawValue }
    public var mappableNames: Set<String> { Set(InvocaTransaction.Field.allCases.map(\.rawValue)) }

    public func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        try InvocaTransaction.decode(delivery, integration: integration)
    }

    public init() {}

    public var pull: (any PullClient)? { InvocaPull() }

    public func simulatedDeliveries(for c: SimulatedCall) -> [SimulatedDelivery] {
        func row(_ transaction: String, revenue: Int, corrects: String?) -> SimulatedDelivery {
            var object: [String: JSONValue] = [
                "transaction_id": .string(transaction), "complete_call_id": .string(c.id), "transaction_type": .string("Call"),
                "calling_phone_number": .string(c.caller), "destination_phone_number": .string(c.destination),
                "start_time_utc": .integer(Int64(c.startedAt.timeIntervalSince1970 * 1000)), "duration": .integer(c.duration),
                "advertiser_campaign_id_from_network": .string(c.campaign), "affiliate_id_from_network": .string(c.publisher),
                "advertiser_payin_localized": .string(String(format: "%d.%02d", revenue / 100, revenue % 100)),
                "affiliate_payout_localized": .string(c.payout), "region": .string(c.state),
                "call_result_description_detail": .string(c.answered ? "Connected" : "No Answer"),
                "tracking_number": .string(c.tracking),
            ]
            if let corrects { object["corrects_transaction_id"] = .string(corrects) }
            return SimulatedDelivery(method: "POST", query: [], headers: TrafficGenerator.jsonHeaders, body: TrafficGenerator.json(.object(object)),
                                     callID: c.id, stage: transaction, isRetry: false)
        }
        var list = [row("T-\(c.id)", revenue: c.revenueCents, corrects: nil)]
        if c.converted, c.duration % 3 == 0 {
            list.append(row("T-\(c.id)-c", revenue: c.revenueCents / 2, corrects: "T-\(c.id)"))
        }
        return list
    }
}

extension VendorAdapter where Self == InvocaAdapter {
    public static var invoca: InvocaAdapter { InvocaAdapter() }
}

extension Source {
    public static let invoca = InvocaAdapter.source
}

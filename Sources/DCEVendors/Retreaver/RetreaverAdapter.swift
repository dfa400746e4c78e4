import DCEDomain
import DCEJSON
import Foundation

/// Retreaver: a webhook per call stage, JSON or form, answered with tags it applies to its call.
public struct RetreaverAdapter: VendorAdapter {
    public static let source = Source(rawValue: "retreaver")
    public var name: String { Self.source.rawValue }
    public var acceptsGET: Bool { true }
    public var mappableNames: Set<String> { Set(RetreaverWebhook.Field.allCases.map(\.rawValue)) }
    public var answer: VendorAnswer {
        .callTags { RetreaverWebhook.responseTags(callID: $0.callID, status: $0.status, duplicate: $0.duplicate) }
    }

    public func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        try RetreaverWebhook.decode(delivery, integration: integration)
    }

    /// A page of its call objects posted as JSON.
    public func decodeRows(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [PulledRow]? {
        try RetreaverWebhook.pageRows(delivery, integration: integration)
    }

    public init() {}

    /// Its own record of calls, pulled from its API.
    public var pull: (any PullClient)? { RetreaverPull() }

    public func simulatedDeliveries(for c: SimulatedCall) -> [SimulatedDelivery] {
        let tags: [String: String] = ["utm_source": ["google", "bing", "facebook"][c.duration % 3], "caller_state": c.state]
        func stage(_ name: String, _ fields: [String: JSONValue]) -> SimulatedDelivery {
            var object: [String: JSONValue] = ["id": .string(c.id), "caller_number": .string(c.caller), "dialed_number": .string(c.tracking),
                                               "campaign_id": .string(c.campaign), "affiliate_id": .string(c.publisher), "created_at": .string(c.iso(0))]
            object.merge(fields) { _, new in new }
            if c.duration % 4 == 1 {
                // Some accounts configure Retreaver to post forms.
                var pairs: [(String, String)] = object.compactMap { key, value -> (String, String)? in
                    switch value {
                    case .string(let text), .number(let text): (key, text)
                    case .bool(let flag): (key, flag ? "true" : "false")
                    default: nil
                    }
                }
                pairs += tags.map { ("tags[\($0.key)]", $0.value) }
                return SimulatedDelivery(method: "POST", query: [("stage", name)], headers: TrafficGenerator.formHeaders,
                                         body: TrafficGenerator.form(pairs.sorted { $0.0 < $1.0 }), callID: c.id, stage: name, isRetry: false)
            }
            object["tags"] = .object(tags.mapValues(JSONValue.string))
            return SimulatedDelivery(method: "POST", query: [("stage", name)], headers: TrafficGenerator.jsonHeaders,
                                     body: TrafficGenerator.json(.object(object)), callID: c.id, stage: name, isRetry: false)
        }
        var list = [stage("start", [:])]
        if c.answered {
            list.append(stage("selected", ["target_number": .string(c.destination), "target_id": .string("buyer-\(c.duration % 4)")]))
            list.append(stage("answered", ["answered_at": .string(c.iso(5))]))
            if c.converted { list.append(stage("timer", ["converted": .bool(true), "revenue": .string(c.money), "payout": .string(c.payout)])) }
        }
        list.append(stage("always", ["status": .string(c.answered ? "completed" : "no-answer"), "duration": .integer(c.duration),
                                     "ended_at": .string(c.iso(c.duration + 5))]))
        return list
    }
}

extension VendorAdapter where Self == RetreaverAdapter {
    public static var retreaver: RetreaverAdapter { RetreaverAdapter() }
}

extension Source {
    public static let retreaver = RetreaverAdapter.source
}

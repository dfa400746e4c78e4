import DCEDomain
import DCEStorage
import Foundation

/// What the call page shows: the call as the ledger folded it, and each routing decision
/// dce stored for it (found by any of the call's vendor ids), with names for the ids.
struct DashboardCallView {
    let call: CallRecord
    let vendorIDs: [VendorCallID]
    let routes: [RoutedCall]
    let names: [String: String]

    /// The ids whose names the page shows.
    static func namedIDs(_ call: CallRecord, routes: [RoutedCall]) -> Set<String> {
        var ids = Set([call.fields.campaignID, call.fields.publisherID, call.fields.targetID].compactMap { $0 })
        for route in routes {
            ids.insert(route.campaignID.rawValue)
            if let publisher = route.publisherID { ids.insert(publisher.rawValue) }
            for considered in route.decision.considered {
                ids.insert(considered.target.rawValue)
                ids.insert(considered.buyer.rawValue)
            }
        }
        return ids
    }

    var context: [String: Any] {
        let f = call.fields
        let status = f.status ?? .unknown
        var facts: [[String: Any]] = [
            ["label": "Started (UTC)", "value": f.callStartedAt.map(DashboardView.dateTime) ?? DashboardView.dateTime(call.createdAt)],
            ["label": "Caller", "value": f.callerPhone?.nationalFormat ?? "—"],
            ["label": "Tracking number", "value": f.trackingNumber?.nationalFormat ?? "—"],
            ["label": "Status", "value": status.rawValue.replacingOccurrences(of: "_", with: " ")],
            ["label": "Duration", "value": f.durationSeconds.map(DashboardView.duration) ?? "—"],
            ["label": "Revenue", "value": f.revenue.map(ExchangeWords.money) ?? "—"],
            ["label": "Payout", "value": f.payout.map(ExchangeWords.money) ?? "—"],
            ["label": "Converted", "value": f.converted.map { $0 ? "yes" : "no" } ?? "—"],
        ]
        for (label, id, kind) in [("Campaign", f.campaignID, ExchangeKind.campaign), ("Publisher", f.publisherID, .publisher), ("Target", f.targetID, .target)] {
            guard let id else { continue }
            var fact: [String: Any] = ["label": label, "value": names[id].map { "\($0) (\(id))" } ?? id]
            if names[id] != nil { fact["href"] = "/dashboard/\(kind.plural)/\(id)" }
            facts.append(fact)
        }
        return [
            "title": "Call \(call.id.rawValue)",
            "callID": call.id.rawValue,
            "facts": facts,
            "vendorIDs": vendorIDs.map { ["source": $0.source.rawValue, "id": $0.externalCallID] },
            "routes": routes.map(route),
            "hasRoutes": !routes.isEmpty,
        ]
    }

    private func link(_ kind: ExchangeKind, _ id: String) -> [String: Any] {
        var context: [String: Any] = ["text": ExchangeWords.name(id, names)]
        if names[id] != nil { context["href"] = "/dashboard/\(kind.plural)/\(id)" }
        return context
    }

    private func route(_ route: RoutedCall) -> [String: Any] {
        let decision = route.decision
        let order = Dictionary(decision.route.enumerated().map { ($0.element.target, $0.offset) }, uniquingKeysWith: { first, _ in first })
        let considered: [[String: Any]] = decision.considered.enumerated().map { index, target in
            var row: [String: Any] = [
                "position": index + 1,
                "target": link(.target, target.target.rawValue),
                "buyer": link(.buyer, target.buyer.rawValue),
            ]
            if let reason = target.reason {
                row["result"] = reason.code
                row["resultClass"] = "skipped"
                row["explanation"] = Self.explain(reason) + (target.heldBy == .buyer ? " (the buyer's limit)" : "")
            } else if target.target == decision.chosen {
                row["result"] = "chosen"
                row["resultClass"] = "chosen"
                row["explanation"] = "first in the ringing order"
            } else {
                row["result"] = "eligible"
                row["resultClass"] = "eligible"
                row["explanation"] = order[target.target].map { "rings as number \($0 + 1) if the ones before do not answer" } ?? "eligible"
            }
            return row
        }
        var context: [String: Any] = [
            "routeID": route.routeID,
            "campaign": link(.campaign, route.campaignID.rawValue),
            "publisher": route.publisherID.map { link(.publisher, $0.rawValue) } ?? ["text": "none"],
            "duplicate": route.duplicate,
            "considered": considered,
            "hasRinging": !route.ringing.isEmpty,
            "ringing": route.ringing.map { ExchangeWords.name($0.target.rawValue, names) + " · " + ExchangeWords.destination($0.destination) + " · \($0.ringTimeoutSeconds) s" },
        ]
        if let fallback = route.fallback ?? decision.fallback {
            context["fallback"] = "\(ExchangeWords.fallback(fallback.action)), because \(fallback.reason.rawValue): \(Self.explain(fallback.reason))"
        }
        return context
    }

    static func explain(_ reason: SkipReason) -> String {
        switch reason {
        case .closed: "outside its business hours"
        case .cap(.hour): "its hourly cap is reached"
        case .cap(.day): "its daily cap is reached"
        case .cap(.month): "its monthly cap is reached"
        case .cap(.total): "its total cap is reached"
        case .concurrency: "as many live calls as it takes at once"
        case .duplicate: "the caller called this buyer within its duplicate window"
        case .filter(let field): "the call's \(field) does not match its filter"
        }
    }

    static func explain(_ reason: FallbackReason) -> String {
        switch reason {
        case .noTargets: "the campaign routes to no targets"
        case .noEligibleTarget: "every target was skipped"
        case .targetsExhausted: "every target in the ringing order was tried"
        case .routingError: "routing failed, so the campaign's fallback was used"
        }
    }
}

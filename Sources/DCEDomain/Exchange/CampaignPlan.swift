extension CampaignSpec {
    /// The routing plan this campaign's settings give with today's targets and buyers.
    /// `field` paths name the campaign's own entries (`routing[2].target_id`), so an
    /// edit that leaves a campaign pointing at a deleted target is refused by name.
    public func plan(targets: [TargetID: Target], buyers: [BuyerID: Buyer]) throws(RoutingPlanError) -> RoutingPlan {
        var routingTargets: [RoutingTarget] = []
        var routingBuyers: [BuyerID: RoutingBuyer] = [:]
        for (index, entry) in routing.enumerated() {
            guard let target = targets[entry.targetID] else {
                throw RoutingPlanError(field: "routing[\(index)].target_id", problem: .unknownID(entry.targetID.rawValue))
            }
            let spec = target.spec
            guard let buyer = buyers[spec.buyerID] else {
                throw RoutingPlanError(field: "routing[\(index)].target_id", problem: .unknownBuyer(spec.buyerID.rawValue))
            }
            routingTargets.append(RoutingTarget(
                id: entry.targetID, buyer: spec.buyerID, destination: spec.destination, priority: entry.priority,
                weight: entry.weight, ringTimeoutSeconds: spec.ringTimeoutSeconds, timeZone: spec.timeZone,
                hours: spec.hours.map(BusinessHours.init), filters: spec.filters, caps: spec.caps, ringGroup: entry.ringGroup))
            routingBuyers[spec.buyerID] = RoutingBuyer(
                id: spec.buyerID, caps: buyer.spec.caps, duplicateWindowDays: buyer.spec.duplicateWindowDays, timeZone: buyer.spec.timeZone)
        }
        return try RoutingPlan(
            targets: routingTargets, buyers: routingBuyers.keys.sorted().compactMap { routingBuyers[$0] }, fallback: fallback)
    }
}

extension BuyerID: Comparable {
    public static func < (lhs: BuyerID, rhs: BuyerID) -> Bool { lhs.rawValue < rhs.rawValue }
}

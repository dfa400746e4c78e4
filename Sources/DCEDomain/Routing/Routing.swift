extension RoutingPlan {
    /// Decides where a call goes. Each target is checked in the plan's order, and the
    /// first rule it fails is its reason: its filters, its hours, its buyer's duplicate
    /// window, its own caps, then its buyer's caps (periods before concurrency, shortest
    /// period first). The eligible ones are ordered by priority (lowest first) and, within
    /// a priority, drawn by weight from `random`, so a seeded generator gives the same
    /// order every time.
    public func route(
        _ call: RoutingCall, usage: RoutingUsage, places: some CallerPlaces,
        random: inout some RandomNumberGenerator
    ) -> RoutingDecision {
        guard !targets.isEmpty else {
            return RoutingDecision(route: [], considered: [], fallback: AppliedFallback(action: fallback, reason: .noTargets))
        }
        let place = call.caller.flatMap(places.place(of:))
        var buyerVerdicts: [BuyerID: Verdict?] = [:]
        // Targets mostly share a few time zones: read each zone's clock once per call.
        var clocks: [String: Int?] = [:]
        var considered: [ConsideredTarget] = []
        var eligible: [RoutingTarget] = []
        considered.reserveCapacity(targets.count)
        for target in targets {
            let verdict = verdict(for: target, call: call, place: place, usage: usage, buyerVerdicts: &buyerVerdicts, clocks: &clocks)
            considered.append(ConsideredTarget(target: target.id, buyer: target.buyer, reason: verdict?.reason, heldBy: verdict?.heldBy))
            if verdict == nil { eligible.append(target) }
        }
        let route = Self.ringingOrder(eligible, random: &random).map {
            RoutedTarget(
                target: $0.id, buyer: $0.buyer, destination: $0.destination, ringTimeoutSeconds: $0.ringTimeoutSeconds, ringGroup: $0.ringGroup)
        }
        let applied = route.isEmpty ? AppliedFallback(action: fallback, reason: .noEligibleTarget) : nil
        return RoutingDecision(route: route, considered: considered, fallback: applied)
    }

    private func verdict(
        for target: RoutingTarget, call: RoutingCall, place: CallerPlace?, usage: RoutingUsage,
        buyerVerdicts: inout [BuyerID: Verdict?], clocks: inout [String: Int?]
    ) -> Verdict? {
        for filter in target.filters where !filter.admits(call.value(of: filter.field, place: place)) {
            return Verdict(reason: .filter(field: filter.field))
        }
        if let hours = target.hours {
            let zone = target.timeZone
            let minute: Int?
            if let known = clocks[zone.identifier] {
                minute = known
            } else {
                minute = zone.minuteOfWeek(at: call.time)
                clocks[zone.identifier] = .some(minute)
            }
            if !hours.isOpen(atMinuteOfWeek: minute) { return Verdict(reason: .closed) }
        }
        // A plan is only built with every target's buyer present.
        guard let buyer = self.buyer(target.buyer) else { return Verdict(reason: .closed) }
        if buyer.duplicateWindowDays > 0, Self.calledWithin(buyer.duplicateWindowDays, of: call.time, history: usage.callerHistory[buyer.id] ?? []) {
            return Verdict(reason: .duplicate, heldBy: .buyer)
        }
        if let breach = target.caps.reached(by: usage.targets[target.id] ?? .zero) { return Verdict(reason: breach.reason, heldBy: .target) }
        // A buyer's caps are the same for each of its targets: read them once per call.
        if let known = buyerVerdicts[buyer.id] { return known }
        let buyerVerdict = buyer.caps.reached(by: usage.buyers[buyer.id] ?? .zero).map { Verdict(reason: $0.reason, heldBy: .buyer) }
        buyerVerdicts[buyer.id] = .some(buyerVerdict)
        return buyerVerdict
    }

    /// Whether a connected or converted call lies less than `days` before `time`. A time
    /// after `time` counts as inside: nodes' clocks differ by a little.
    static func calledWithin(_ days: Int, of time: Timestamp, history: [Timestamp]) -> Bool {
        // `days` is at most 3650 (validated), so the product is far from overflowing.
        let windowStart = time.subtracting(seconds: Int64(days) * 86_400)
        return history.contains { $0 > windowStart }
    }

    /// Priority first (lowest number first, plan order among equals), then within each
    /// priority a weighted draw without replacement: each next target is drawn with
    /// probability weight / remaining weight. Targets of weight 0 follow the weighted
    /// ones of their priority in plan order, as backups.
    static func ringingOrder(_ eligible: [RoutingTarget], random: inout some RandomNumberGenerator) -> [RoutingTarget] {
        let priorities = Set(eligible.map(\.priority)).sorted()
        var order: [RoutingTarget] = []
        order.reserveCapacity(eligible.count)
        for priority in priorities {
            var weighted = eligible.filter { $0.priority == priority && $0.weight > 0 }
            let backups = eligible.filter { $0.priority == priority && $0.weight == 0 }
            // Weights are at most 1,000,000 on at most 1000 targets: the sum fits an Int.
            var remaining = weighted.reduce(0) { $0 + $1.weight }
            while weighted.count > 1 {
                var draw = Int.random(in: 0..<remaining, using: &random)
                var index = 0
                while draw >= weighted[index].weight {
                    draw -= weighted[index].weight
                    index += 1
                }
                remaining -= weighted[index].weight
                order.append(weighted.remove(at: index))
            }
            order += weighted
            order += backups
        }
        return order
    }
}

/// Why one target is skipped, and whose rule it was.
struct Verdict: Hashable, Sendable {
    var reason: SkipReason
    var heldBy: LimitHolder?
}

extension CapBreach {
    var reason: SkipReason {
        switch self {
        case .period(let period): .cap(period)
        case .concurrency: .concurrency
        }
    }
}

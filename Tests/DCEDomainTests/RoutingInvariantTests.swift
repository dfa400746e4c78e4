import DCEDomain
import Testing

/// Routing over many generated plans, counts and times (a fixed seed, so a failure
/// repeats): it never traps, and every decision keeps its own promises.
@Suite struct RoutingInvariantTests {
    typealias F = RoutingFixtures

    static let filters: [RoutingFilter] = [
        F.filter("caller_state", "in", ["CA", "NY"]), F.filter("caller_state", "not_in", ["NV"]),
        F.filter("utm_source", "exists"), F.filter("lead_score", "range", minimum: "-5", maximum: "5"),
        F.filter("caller_area_code", "equals", ["415"]),
    ]
    static let zones = [F.newYork, F.losAngeles, F.zone("Asia/Kolkata"), F.zone("Australia/Lord_Howe"), IANATimeZone.utc]
    static let callers: [String?] = [nil, "+14155550100", "+12125550100", "+17025550100", "+442071838750"]
    static let extremeTimes = [
        Timestamp(millisecondsSince1970: .min), Timestamp(millisecondsSince1970: .max),
        Timestamp(millisecondsSince1970: -1), Timestamp.latestAccepted,
    ]

    static func plan(_ random: inout SeededRandom) -> RoutingPlan? {
        let buyerIDs = (0..<random.int(1..<4)).map { BuyerID(rawValue: "b\($0)") }
        let buyers = buyerIDs.map { id in
            RoutingBuyer(id: id, caps: caps(&random), duplicateWindowDays: random.int(0..<3), timeZone: zones[random.int(zones.count)])
        }
        let targets = (0..<random.int(0..<12)).map { index in
            var hours: BusinessHours?
            if random.int(2) == 0 {
                // One window a day, each ending before the next day's starts.
                hours = BusinessHours(Weekday.allCases.map { day in
                    F.window(day, "\(random.int(0..<12)):00", "\(random.int(12..<24)):30")
                })
            }
            return F.target(
                TargetID(rawValue: "t\(index)"), buyer: buyerIDs[random.int(buyerIDs.count)], priority: random.int(1..<4),
                weight: random.int(0..<4), ring: random.int(5..<60), timeZone: zones[random.int(zones.count)], hours: hours,
                filters: (0..<random.int(0..<3)).map { _ in filters[random.int(filters.count)] }, caps: caps(&random))
        }
        return try? RoutingPlan(targets: targets, buyers: buyers, fallback: .voicemail)
    }

    static func caps(_ random: inout SeededRandom) -> Caps {
        let limits = (0..<random.int(0..<3)).map { _ in
            CapLimit(CapMetric.allCases[random.int(3)], per: CapPeriod.allCases[random.int(4)], limit: random.int(0..<4))
        }
        return Caps(limits, concurrency: random.int(3) == 0 ? random.int(0..<3) : nil)
    }

    static func counts(_ random: inout SeededRandom) -> CapCounts {
        func period(_ random: inout SeededRandom) -> PeriodCounts {
            PeriodCounts(hour: random.int(0..<5), day: random.int(0..<5), month: random.int(0..<5), total: random.int(0..<5))
        }
        return CapCounts(routed: period(&random), connected: period(&random), converted: period(&random), live: random.int(0..<4))
    }

    @Test func generatedPlansRouteWithoutTrappingAndKeepTheirPromises() throws {
        var random = SeededRandom(seed: 1616)
        var routed = 0
        for round in 0..<3000 {
            guard let plan = Self.plan(&random) else { continue }
            var usage = RoutingUsage()
            for target in plan.targets where random.int(2) == 0 { usage.targets[target.id] = Self.counts(&random) }
            for buyer in plan.buyers where random.int(2) == 0 {
                usage.buyers[buyer.id] = Self.counts(&random)
                usage.callerHistory[buyer.id] = [Timestamp(millisecondsSince1970: Int64(random.int(0..<Int(Int32.max))) * 1000)]
            }
            let time = round % 50 == 0
                ? Self.extremeTimes[random.int(Self.extremeTimes.count)]
                : Timestamp(millisecondsSince1970: Int64(random.int(0..<7_289_654_399)) * 1000)
            var tags: [String: String] = [:]
            if random.int(2) == 0 { tags["utm_source"] = "google" }
            if random.int(2) == 0 { tags["lead_score"] = ["3", "-7", "x", "5.000001"][random.int(4)] }
            let call = RoutingCall(caller: Self.callers[random.int(Self.callers.count)].map(F.number), tags: try Tags(validating: tags), time: time)
            let decision = plan.route(call, usage: usage, places: F.geo, random: &random)
            routed += 1

            #expect(decision.considered.map(\.target) == plan.targets.map(\.id))
            let eligible = decision.considered.filter { $0.reason == nil }.map(\.target)
            #expect(Set(decision.route.map(\.target)) == Set(eligible) && decision.route.count == eligible.count)
            #expect(decision.chosen == decision.route.first?.target)
            #expect((decision.fallback == nil) == !decision.route.isEmpty)
            let byID = Dictionary(uniqueKeysWithValues: plan.targets.map { ($0.id, $0) })
            let ranks = decision.route.compactMap { byID[$0.target] }.map { [$0.priority, $0.weight == 0 ? 1 : 0] }
            #expect(ranks == ranks.sorted { $0.lexicographicallyPrecedes($1) })
            #expect(decision.route.allSatisfy { $0.ringTimeoutSeconds == byID[$0.target]?.ringTimeoutSeconds })
        }
        #expect(routed > 1000)
    }

    @Test func capPeriodsAtTheEndsOfTimeDoNotTrap() {
        for time in Self.extremeTimes {
            for zone in Self.zones {
                for period in CapPeriod.allCases {
                    if let interval = period.interval(containing: time, in: zone) {
                        #expect(interval.lowerBound <= interval.upperBound)
                    }
                }
                _ = BusinessHours([F.window(.monday, "00:00", "24:00")]).isOpen(at: time, in: zone)
            }
        }
    }
}

import ArgumentParser
import DCEDomain
import Foundation

/// How fast the routing decision itself is, in this process and on one thread: the pure
/// `RoutingPlan.route` over a plan of 50 targets with filters, business hours in several
/// time zones and caps, against usage counts like those the storage layer fills in.
struct RouteBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "Routing decisions per second and p99, in process (no HTTP, no storage)."
    )

    @Option(help: "Targets in the plan.") var targets = 50
    @Option(help: "Decisions to time.") var count = 200_000

    func run() async throws {
        guard (1...RoutingPlan.maximumTargets).contains(targets) else { throw ValidationError("--targets must be 1 to \(RoutingPlan.maximumTargets)") }
        guard (100...10_000_000).contains(count) else { throw ValidationError("--count must be 100 to 10,000,000") }
        let plan = try Self.plan(targets: targets)
        let usage = Self.usage(plan)
        var random = SeededRandom(seed: 7)
        let states = ["CA", "NY", "TX", "FL", "NV"]
        let calls = try (0..<1_000).map { index in
            RoutingCall(
                caller: try PhoneNumber(parsing: "+1415555\(String(format: "%04d", index))"),
                tags: try Tags(validating: ["caller_state": states[index % states.count], "age": String(25 + index % 50)]),
                // A week of calls, so every window opens and closes.
                time: Timestamp(millisecondsSince1970: 1_762_182_000_000 + Int64(index) * 600_000))
        }
        let places = NoCallerPlaces()
        var latencies: [Duration] = []
        latencies.reserveCapacity(count)
        var ringing = 0
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<count {
            let before = clock.now
            let decision = plan.route(calls[index % calls.count], usage: usage, places: places, random: &random)
            latencies.append(clock.now - before)
            ringing &+= decision.route.count
        }
        let elapsed = clock.now - start
        latencies.sort()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        func micros(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
        }
        let p50 = latencies[latencies.count / 2], p99 = latencies[latencies.count * 99 / 100]
        print(String(format: "route: %.0f decisions/s over %d targets; p50 %.1f µs, p99 %.1f µs (%d decisions, %.1f eligible on average)",
                     Double(count) / seconds, targets, micros(p50), micros(p99), count, Double(ringing) / Double(count)))
    }

    /// Targets of 10 buyers in three time zones: weekday hours on most, a filter or two on
    /// each, a daily cap on every third, buyer caps on every other buyer.
    static func plan(targets count: Int) throws -> RoutingPlan {
        let zones = try ["America/New_York", "America/Chicago", "America/Los_Angeles"].map { try IANATimeZone(identifier: $0, field: "time_zone") }
        let opens = try ClockTime(hour: 8, field: "opens"), closes = try ClockTime(hour: 20, field: "closes")
        let weekdays: [Weekday] = [.monday, .tuesday, .wednesday, .thursday, .friday]
        let hours = BusinessHours(weekdays.map { HoursWindow($0, opens: opens, closes: closes) })
        let buyers = (0..<10).map { index in
            RoutingBuyer(id: BuyerID(rawValue: "buy_\(index)"),
                         caps: index % 2 == 0 ? Caps([CapLimit(.routed, per: .day, limit: 500)], concurrency: 20) : Caps(),
                         duplicateWindowDays: index % 3 == 0 ? 30 : 0, timeZone: zones[index % zones.count])
        }
        let targets = try (0..<count).map { index in
            var filters = [try RoutingFilter(field: "caller_state", operator: "not_in", values: ["AK", "HI"], path: "filters[0]")]
            if index % 4 == 0 { filters.append(try RoutingFilter(field: "age", operator: "range", minimum: "30", maximum: "65", path: "filters[1]")) }
            return RoutingTarget(
                id: TargetID(rawValue: "tgt_\(index)"), buyer: BuyerID(rawValue: "buy_\(index % buyers.count)"),
                destination: .number(try PhoneNumber(parsing: "+1212555\(String(format: "%04d", index))")),
                priority: 1 + index % 3, weight: 1 + index % 5, timeZone: zones[index % zones.count],
                hours: index % 5 == 4 ? nil : hours, filters: filters,
                caps: index % 3 == 0 ? Caps([CapLimit(.routed, per: .day, limit: 100), CapLimit(.converted, per: .month, limit: 400)]) : Caps())
        }
        return try RoutingPlan(targets: targets, buyers: buyers, fallback: .voicemail)
    }

    /// Counts partway through a day: some targets at their cap, the rest below it.
    static func usage(_ plan: RoutingPlan) -> RoutingUsage {
        var usage = RoutingUsage()
        for (index, target) in plan.targets.enumerated() {
            let day = index % 7 == 0 ? 100 : 40
            usage.targets[target.id] = CapCounts(routed: PeriodCounts(hour: 5, day: day, month: 900, total: 5_000),
                                                 converted: PeriodCounts(day: 10, month: 200), live: index % 4)
        }
        for buyer in plan.buyers {
            usage.buyers[buyer.id] = CapCounts(routed: PeriodCounts(hour: 30, day: 300, month: 4_000, total: 20_000), live: 8)
        }
        return usage
    }
}

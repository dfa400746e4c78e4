import DCEDomain
import Foundation

/// Small plans and calls for the routing tests, built from plain values.
enum RoutingFixtures {
    static let newYork = zone("America/New_York")
    static let losAngeles = zone("America/Los_Angeles")

    static func zone(_ identifier: String) -> IANATimeZone {
        do { return try IANATimeZone(identifier: identifier, field: "time_zone") } catch { fatalError("\(error)") }
    }

    static func time(_ text: String) -> Timestamp {
        do { return try Timestamp.parse(text) } catch { fatalError("\(error)") }
    }

    static func number(_ text: String) -> PhoneNumber {
        do { return try PhoneNumber(parsing: text) } catch { fatalError("\(error)") }
    }

    static func clock(_ text: String) -> ClockTime {
        do { return try ClockTime(parsing: text, field: "time") } catch { fatalError("\(error)") }
    }

    static func window(_ day: Weekday, _ opens: String, _ closes: String) -> HoursWindow {
        HoursWindow(day, opens: clock(opens), closes: clock(closes))
    }

    static func filter(_ field: String, _ op: String, _ values: [String] = [], minimum: String? = nil, maximum: String? = nil) -> RoutingFilter {
        do { return try RoutingFilter(field: field, operator: op, values: values, minimum: minimum, maximum: maximum, path: "filter") } catch { fatalError("\(error)") }
    }

    /// A target of buyer `b1` ringing +1 555 010 00NN.
    static func target(
        _ id: TargetID, buyer: BuyerID = "b1", priority: Int = 1, weight: Int = 1, ring: Int = 30,
        timeZone: IANATimeZone = newYork, hours: BusinessHours? = nil, filters: [RoutingFilter] = [], caps: Caps = Caps()
    ) -> RoutingTarget {
        let suffix = String(id.rawValue.utf8.reduce(0) { ($0 * 31 + Int($1)) % 10_000 })
        let digits = String(repeating: "0", count: 4 - suffix.count) + suffix
        return RoutingTarget(
            id: id, buyer: buyer, destination: .number(number("+1555010" + digits)), priority: priority, weight: weight,
            ringTimeoutSeconds: ring, timeZone: timeZone, hours: hours, filters: filters, caps: caps)
    }

    static func plan(_ targets: [RoutingTarget], buyers: [RoutingBuyer] = [RoutingBuyer(id: "b1")], fallback: RoutingFallback = .hangUp) -> RoutingPlan {
        do { return try RoutingPlan(targets: targets, buyers: buyers, fallback: fallback) } catch { fatalError("\(error)") }
    }

    static let geo: GeoDirectory = {
        do {
            return try GeoDirectory(parsing: """
                A 415 CA 37.78 -122.43
                A 212 NY 40.75 -73.98
                A 702 NV 36.17 -115.14
                """)
        } catch { fatalError("\(error)") }
    }()

    static let noon = time("2026-06-10T16:00:00Z")

    /// Routes with a fixed seed, so each case states its whole expected decision.
    static func route(_ plan: RoutingPlan, caller: String? = "+14155550100", tags: [String: String] = [:], at time: Timestamp = noon,
                      usage: RoutingUsage = RoutingUsage(), seed: UInt64 = 7) -> RoutingDecision {
        var random = SeededRandom(seed: seed)
        let tagValues: Tags
        do { tagValues = try Tags(validating: tags) } catch { fatalError("\(error)") }
        let call = RoutingCall(caller: caller.map(number), dialed: number("+18005550199"), tags: tagValues, time: time)
        return plan.route(call, usage: usage, places: geo, random: &random)
    }

    /// The ids of targets in ringing order.
    static func order(_ decision: RoutingDecision) -> [TargetID] { decision.route.map(\.target) }

    /// Each target's reason code, `nil` for an eligible one.
    static func reasons(_ decision: RoutingDecision) -> [String?] { decision.considered.map { $0.reason?.code } }
}

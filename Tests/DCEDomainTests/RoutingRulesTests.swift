import DCEDomain
import Foundation
import Testing

/// The routing decision against plain values: filters, caps, concurrency, duplicate
/// callers, priority and weight, fall-through order and the fallback.
@Suite struct RoutingRulesTests {
    typealias F = RoutingFixtures

    struct FilterCase: CustomTestStringConvertible, Sendable {
        let name: String
        let filter: RoutingFilter
        let caller: String?
        let tags: [String: String]
        let admitted: Bool
        var testDescription: String { name }
    }

    /// The caller +1 415… is in California by its area code; +1 702… in Nevada.
    static let filterCases: [FilterCase] = [
        FilterCase(name: "equals a derived state", filter: F.filter("caller_state", "equals", ["ca"]), caller: "+14155550100", tags: [:], admitted: true),
        FilterCase(name: "equals fails", filter: F.filter("caller_state", "equals", ["NY"]), caller: "+14155550100", tags: [:], admitted: false),
        FilterCase(name: "in", filter: F.filter("caller_state", "in", ["NY", "CA"]), caller: "+14155550100", tags: [:], admitted: true),
        FilterCase(name: "in fails", filter: F.filter("caller_state", "in", ["NY", "TX"]), caller: "+17025550100", tags: [:], admitted: false),
        FilterCase(name: "not in", filter: F.filter("caller_state", "not_in", ["NY"]), caller: "+17025550100", tags: [:], admitted: true),
        FilterCase(name: "not in fails", filter: F.filter("caller_state", "not_in", ["NV"]), caller: "+17025550100", tags: [:], admitted: false),
        FilterCase(name: "not in passes an unknown state", filter: F.filter("caller_state", "not_in", ["NV"]), caller: "+13125550100", tags: [:], admitted: true),
        FilterCase(name: "a state tag stands in for an unknown area code", filter: F.filter("caller_state", "equals", ["IL"]), caller: "+13125550100", tags: ["caller_state": "IL"], admitted: true),
        FilterCase(name: "the derived state wins over a tag", filter: F.filter("caller_state", "equals", ["IL"]), caller: "+14155550100", tags: ["caller_state": "IL"], admitted: false),
        FilterCase(name: "area code", filter: F.filter("caller_area_code", "in", ["415", "628"]), caller: "+14155550100", tags: [:], admitted: true),
        FilterCase(name: "no caller, no area code", filter: F.filter("caller_area_code", "exists"), caller: nil, tags: [:], admitted: false),
        FilterCase(name: "ZIP from a tag", filter: F.filter("caller_zip", "in", ["94103"]), caller: "+14155550100", tags: ["caller_zip": "94103"], admitted: true),
        FilterCase(name: "exists", filter: F.filter("utm_source", "exists"), caller: nil, tags: ["utm_source": "google"], admitted: true),
        FilterCase(name: "exists fails on a blank tag", filter: F.filter("utm_source", "exists"), caller: nil, tags: ["utm_source": "  "], admitted: false),
        FilterCase(name: "exists fails without the tag", filter: F.filter("utm_source", "exists"), caller: nil, tags: [:], admitted: false),
        FilterCase(name: "range inside", filter: F.filter("lead_score", "range", minimum: "7", maximum: "9.5"), caller: nil, tags: ["lead_score": "9.5"], admitted: true),
        FilterCase(name: "range at its minimum", filter: F.filter("lead_score", "range", minimum: "7"), caller: nil, tags: ["lead_score": "7.000"], admitted: true),
        FilterCase(name: "range below", filter: F.filter("lead_score", "range", minimum: "7"), caller: nil, tags: ["lead_score": "6.999999"], admitted: false),
        FilterCase(name: "range above", filter: F.filter("age", "range", minimum: "-1", maximum: "64"), caller: nil, tags: ["age": "65"], admitted: false),
        FilterCase(name: "range on text", filter: F.filter("age", "range", maximum: "64"), caller: nil, tags: ["age": "sixty"], admitted: false),
        FilterCase(name: "range on a huge number", filter: F.filter("age", "range", maximum: "64"), caller: nil, tags: ["age": "99999999999999999999999"], admitted: false),
        FilterCase(name: "the dialled number", filter: F.filter("dialed", "equals", ["+18005550199"]), caller: nil, tags: [:], admitted: true),
    ]

    @Test(arguments: filterCases) func eachFilterOperator(_ test: FilterCase) {
        let plan = F.plan([F.target("t1", filters: [test.filter])])
        let decision = F.route(plan, caller: test.caller, tags: test.tags)
        let expected = test.admitted ? nil : SkipReason.filter(field: test.filter.field)
        #expect(decision.considered == [ConsideredTarget(target: "t1", buyer: "b1", reason: expected)])
        #expect(F.order(decision) == (test.admitted ? ["t1"] : []))
    }

    @Test func theFirstFailingFilterNamesItsField() {
        let plan = F.plan([F.target("t1", filters: [F.filter("utm_source", "exists"), F.filter("caller_state", "equals", ["NY"])])])
        #expect(F.reasons(F.route(plan, tags: ["utm_source": "bing"])) == ["filter:caller_state"])
    }

    struct CapCase: CustomTestStringConvertible, Sendable {
        let name: String
        let caps: Caps
        let counts: CapCounts
        let reason: SkipReason?
        var testDescription: String { name }
    }

    static let capCases: [CapCase] = [
        CapCase(name: "one below the hourly cap", caps: Caps([CapLimit(.routed, per: .hour, limit: 5)]), counts: CapCounts(routed: PeriodCounts(hour: 4)), reason: nil),
        CapCase(name: "at the hourly cap", caps: Caps([CapLimit(.routed, per: .hour, limit: 5)]), counts: CapCounts(routed: PeriodCounts(hour: 5)), reason: .cap(.hour)),
        CapCase(name: "one below the daily cap", caps: Caps([CapLimit(.connected, per: .day, limit: 10)]), counts: CapCounts(connected: PeriodCounts(day: 9)), reason: nil),
        CapCase(name: "at the daily cap", caps: Caps([CapLimit(.connected, per: .day, limit: 10)]), counts: CapCounts(connected: PeriodCounts(day: 10)), reason: .cap(.day)),
        CapCase(name: "at the monthly cap", caps: Caps([CapLimit(.converted, per: .month, limit: 100)]), counts: CapCounts(converted: PeriodCounts(month: 100)), reason: .cap(.month)),
        CapCase(name: "past the total cap", caps: Caps([CapLimit(.converted, per: .total, limit: 1000)]), counts: CapCounts(converted: PeriodCounts(total: 1001)), reason: .cap(.total)),
        CapCase(name: "a zero cap pauses", caps: Caps([CapLimit(.routed, per: .day, limit: 0)]), counts: .zero, reason: .cap(.day)),
        CapCase(name: "another metric does not count", caps: Caps([CapLimit(.converted, per: .day, limit: 3)]), counts: CapCounts(routed: PeriodCounts(day: 50)), reason: nil),
        CapCase(name: "the shortest period is named first", caps: Caps([CapLimit(.routed, per: .total, limit: 3), CapLimit(.routed, per: .hour, limit: 3)]),
                counts: CapCounts(routed: PeriodCounts(hour: 3, day: 3, month: 3, total: 3)), reason: .cap(.hour)),
        CapCase(name: "one below concurrency", caps: Caps(concurrency: 2), counts: CapCounts(live: 1), reason: nil),
        CapCase(name: "at concurrency", caps: Caps(concurrency: 2), counts: CapCounts(live: 2), reason: .concurrency),
    ]

    @Test(arguments: capCases) func capsSkipATargetAtTheBoundary(_ test: CapCase) {
        let plan = F.plan([F.target("t1", caps: test.caps), F.target("t2", priority: 2)])
        let decision = F.route(plan, usage: RoutingUsage(targets: ["t1": test.counts]))
        #expect(decision.considered == [
            ConsideredTarget(target: "t1", buyer: "b1", reason: test.reason, heldBy: test.reason == nil ? nil : .target),
            ConsideredTarget(target: "t2", buyer: "b1"),
        ])
        #expect(F.order(decision) == (test.reason == nil ? ["t1", "t2"] : ["t2"]))
    }

    @Test(arguments: capCases) func aBuyersCapsSkipEveryTargetOfIt(_ test: CapCase) {
        let buyers = [RoutingBuyer(id: "b1", caps: test.caps), RoutingBuyer(id: "b2")]
        let plan = F.plan([F.target("t1"), F.target("t2"), F.target("t3", buyer: "b2")], buyers: buyers)
        let decision = F.route(plan, usage: RoutingUsage(buyers: ["b1": test.counts]))
        let held: LimitHolder? = test.reason == nil ? nil : .buyer
        #expect(decision.considered == [
            ConsideredTarget(target: "t1", buyer: "b1", reason: test.reason, heldBy: held),
            ConsideredTarget(target: "t2", buyer: "b1", reason: test.reason, heldBy: held),
            ConsideredTarget(target: "t3", buyer: "b2"),
        ])
    }

    struct DuplicateCase: CustomTestStringConvertible, Sendable {
        let name: String
        let windowDays: Int
        let previous: [String]
        let duplicate: Bool
        var testDescription: String { name }
    }

    /// The call is at 2026-06-10T16:00:00Z.
    static let duplicateCases: [DuplicateCase] = [
        DuplicateCase(name: "inside the window", windowDays: 30, previous: ["2026-05-20T10:00:00Z"], duplicate: true),
        DuplicateCase(name: "a millisecond inside", windowDays: 30, previous: ["2026-05-11T16:00:00.001Z"], duplicate: true),
        DuplicateCase(name: "exactly the window ago", windowDays: 30, previous: ["2026-05-11T16:00:00Z"], duplicate: false),
        DuplicateCase(name: "outside the window", windowDays: 30, previous: ["2026-04-01T00:00:00Z"], duplicate: false),
        DuplicateCase(name: "any call inside counts", windowDays: 7, previous: ["2026-01-01T00:00:00Z", "2026-06-09T00:00:00Z"], duplicate: true),
        DuplicateCase(name: "a window of 0 days is off", windowDays: 0, previous: ["2026-06-10T15:59:00Z"], duplicate: false),
        DuplicateCase(name: "a later time (another node's clock) is inside", windowDays: 1, previous: ["2026-06-10T16:00:02Z"], duplicate: true),
    ]

    @Test(arguments: duplicateCases) func aRepeatCallerSkipsTheBuyerInsideItsWindow(_ test: DuplicateCase) {
        let buyers = [RoutingBuyer(id: "b1", duplicateWindowDays: test.windowDays), RoutingBuyer(id: "b2", duplicateWindowDays: test.windowDays)]
        let plan = F.plan([F.target("t1"), F.target("t2", buyer: "b2", priority: 2)], buyers: buyers)
        let usage = RoutingUsage(callerHistory: ["b1": test.previous.map(F.time)])
        let decision = F.route(plan, usage: usage)
        #expect(decision.considered == [
            ConsideredTarget(target: "t1", buyer: "b1", reason: test.duplicate ? .duplicate : nil, heldBy: test.duplicate ? .buyer : nil),
            ConsideredTarget(target: "t2", buyer: "b2"),
        ])
        #expect(decision.chosen == (test.duplicate ? "t2" : "t1"))
    }

    @Test func priorityComesFirstAndTheRestIsTheFallThroughOrderWithRingTimeouts() {
        let plan = F.plan([
            F.target("backup", priority: 3, ring: 45),
            F.target("primary", priority: 1, ring: 20),
            F.target("second", priority: 2),
        ])
        let decision = F.route(plan)
        #expect(decision == RoutingDecision(
            route: [
                RoutedTarget(target: "primary", buyer: "b1", destination: plan.targets[1].destination, ringTimeoutSeconds: 20),
                RoutedTarget(target: "second", buyer: "b1", destination: plan.targets[2].destination, ringTimeoutSeconds: 30),
                RoutedTarget(target: "backup", buyer: "b1", destination: plan.targets[0].destination, ringTimeoutSeconds: 45),
            ],
            considered: [
                ConsideredTarget(target: "backup", buyer: "b1"),
                ConsideredTarget(target: "primary", buyer: "b1"),
                ConsideredTarget(target: "second", buyer: "b1"),
            ],
            fallback: nil))
        #expect(decision.chosen == "primary")
    }

    @Test func weightsSplitCallsWithinTwoPercentOver10000SeededDraws() {
        let plan = F.plan([
            F.target("a", weight: 50), F.target("b", weight: 30), F.target("c", weight: 20),
            F.target("standby", weight: 0), F.target("later", priority: 2, weight: 1),
        ])
        let call = RoutingCall(caller: F.number("+14155550100"), time: F.noon)
        var random = SeededRandom(seed: 16)
        var firsts: [TargetID: Int] = [:]
        for _ in 0..<10_000 {
            let decision = plan.route(call, usage: RoutingUsage(), places: F.geo, random: &random)
            firsts[decision.chosen ?? "none", default: 0] += 1
            // Every eligible target is in the fall-through, the weightless one after its
            // priority's weighted ones, and the lower priority last.
            #expect(Set(decision.route.prefix(3).map(\.target)) == ["a", "b", "c"])
            #expect(decision.route.suffix(2).map(\.target) == ["standby", "later"])
        }
        #expect(abs(Double(firsts["a", default: 0]) / 10_000 - 0.5) < 0.02)
        #expect(abs(Double(firsts["b", default: 0]) / 10_000 - 0.3) < 0.02)
        #expect(abs(Double(firsts["c", default: 0]) / 10_000 - 0.2) < 0.02)
        #expect(firsts["standby"] == nil && firsts["later"] == nil)
    }

    @Test func theSameSeedGivesTheSameOrder() {
        let plan = F.plan((1...8).map { F.target(TargetID(rawValue: "t\($0)"), weight: $0) })
        #expect(F.route(plan, seed: 99) == F.route(plan, seed: 99))
        let orders = Set((0..<20).map { F.order(F.route(plan, seed: $0)) })
        #expect(orders.count > 1)
    }

    @Test func withNoEligibleTargetTheFallbackIsGivenWithTheReason() {
        let fallback = RoutingFallback.number(F.number("+18005550123"))
        let plan = F.plan([
            F.target("t1", hours: BusinessHours([F.window(.monday, "09:00", "17:00")])),
            F.target("t2", filters: [F.filter("caller_state", "equals", ["NY"])]),
            F.target("t3", caps: Caps(concurrency: 1)),
        ], fallback: fallback)
        let decision = F.route(plan, usage: RoutingUsage(targets: ["t3": CapCounts(live: 1)]))
        #expect(decision == RoutingDecision(
            route: [],
            considered: [
                ConsideredTarget(target: "t1", buyer: "b1", reason: .closed),
                ConsideredTarget(target: "t2", buyer: "b1", reason: .filter(field: "caller_state")),
                ConsideredTarget(target: "t3", buyer: "b1", reason: .concurrency, heldBy: .target),
            ],
            fallback: AppliedFallback(action: fallback, reason: .noEligibleTarget)))
        #expect(decision.chosen == nil)
    }

    @Test func aPlanWithoutTargetsFallsBackSayingSo() {
        let decision = F.route(F.plan([], fallback: .voicemail))
        #expect(decision == RoutingDecision(route: [], considered: [], fallback: AppliedFallback(action: .voicemail, reason: .noTargets)))
    }

    @Test func theDecisionIsStoredAsJSONWithTheReasonCodes() throws {
        let plan = F.plan([
            F.target("t1", caps: Caps([CapLimit(.routed, per: .day, limit: 1)])),
            F.target("t2", filters: [F.filter("caller_state", "equals", ["NY"])]),
            RoutingTarget(id: "t3", buyer: "b1", destination: try RouteDestination(parsing: "sip:sales@pbx.example.com", field: "destination")),
        ])
        let decision = F.route(plan, usage: RoutingUsage(targets: ["t1": CapCounts(routed: PeriodCounts(day: 1))]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(decision), as: UTF8.self)
        #expect(json == #"{"chosen":"t3","considered":[{"buyer":"b1","held_by":"target","reason":"cap_daily","target":"t1"},"#
            + #"{"buyer":"b1","reason":"filter:caller_state","target":"t2"},{"buyer":"b1","target":"t3"}],"#
            + #""route":[{"buyer":"b1","destination":"sip:sales@pbx.example.com","ring_timeout_seconds":30,"target":"t3"}]}"#)
        #expect(try JSONDecoder().decode(RoutingDecision.self, from: Data(json.utf8)) == decision)
        let fallback = F.route(F.plan([], fallback: .number(F.number("+18005550123"))))
        let fallbackJSON = String(decoding: try encoder.encode(fallback), as: UTF8.self)
        #expect(fallbackJSON == #"{"considered":[],"fallback":{"action":{"action":"number","number":"+18005550123"},"reason":"no_targets"},"route":[]}"#)
    }

    @Test func everyReasonCodeReadsBack() {
        let reasons: [SkipReason] = [.closed, .cap(.hour), .cap(.day), .cap(.month), .cap(.total), .concurrency, .duplicate, .filter(field: "caller_state")]
        #expect(reasons.map(\.code) == ["closed", "cap_hourly", "cap_daily", "cap_monthly", "cap_total", "concurrency", "duplicate", "filter:caller_state"])
        #expect(reasons.map { SkipReason(code: $0.code) } == reasons)
        #expect(SkipReason(code: "filter:") == nil && SkipReason(code: "cap_weekly") == nil)
    }
}

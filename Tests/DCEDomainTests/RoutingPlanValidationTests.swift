import DCEDomain
import Foundation
import Testing

/// A plan that could misroute is refused before any call reaches it, with the field
/// that is wrong, so the API can answer 400 naming it.
@Suite struct RoutingPlanValidationTests {
    typealias F = RoutingFixtures

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let targets: [RoutingTarget]
        var buyers: [RoutingBuyer] = [RoutingBuyer(id: "b1")]
        let error: RoutingPlanError
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "two windows overlap",
             targets: [F.target("t1"), F.target("t2", hours: BusinessHours([F.window(.monday, "09:00", "12:00"), F.window(.tuesday, "09:00", "17:00"), F.window(.monday, "11:00", "14:00")]))],
             error: RoutingPlanError(field: "targets[1].hours[2]", problem: .overlappingHours(with: "targets[1].hours[0]"))),
        Case(name: "an overnight window runs into the next day's",
             targets: [F.target("t1", hours: BusinessHours([F.window(.tuesday, "01:00", "05:00"), F.window(.monday, "22:00", "02:00")]))],
             error: RoutingPlanError(field: "targets[0].hours[1]", problem: .overlappingHours(with: "targets[0].hours[0]"))),
        Case(name: "Saturday night runs into Sunday morning",
             targets: [F.target("t1", hours: BusinessHours([F.window(.sunday, "00:30", "08:00"), F.window(.saturday, "20:00", "01:00")]))],
             error: RoutingPlanError(field: "targets[0].hours[1]", problem: .overlappingHours(with: "targets[0].hours[0]"))),
        Case(name: "a window that opens as it closes",
             targets: [F.target("t1", hours: BusinessHours([F.window(.monday, "09:00", "09:00")]))],
             error: RoutingPlanError(field: "targets[0].hours[0]", problem: .emptyWindow)),
        Case(name: "a window that opens at 24:00",
             targets: [F.target("t1", hours: BusinessHours([F.window(.monday, "24:00", "02:00")]))],
             error: RoutingPlanError(field: "targets[0].hours[0].opens", problem: .invalidClockTime("24:00"))),
        Case(name: "hours without windows",
             targets: [F.target("t1", hours: BusinessHours([]))],
             error: RoutingPlanError(field: "targets[0].hours", problem: .noWindows)),
        Case(name: "every weight of a priority is 0",
             targets: [F.target("t1", priority: 1, weight: 3), F.target("t2", priority: 2, weight: 0), F.target("t3", priority: 2, weight: 0)],
             error: RoutingPlanError(field: "targets[1].weight", problem: .everyWeightZero(priority: 2))),
        Case(name: "a negative weight",
             targets: [F.target("t1", weight: -1)],
             error: RoutingPlanError(field: "targets[0].weight", problem: .outOfRange(RoutingPlan.weights))),
        Case(name: "a negative target cap",
             targets: [F.target("t1", caps: Caps([CapLimit(.routed, per: .day, limit: 5), CapLimit(.connected, per: .hour, limit: -1)]))],
             error: RoutingPlanError(field: "targets[0].caps.limits[1].limit", problem: .negativeCap)),
        Case(name: "a negative concurrency",
             targets: [F.target("t1", caps: Caps(concurrency: -2))],
             error: RoutingPlanError(field: "targets[0].caps.concurrency", problem: .negativeCap)),
        Case(name: "a negative buyer cap",
             targets: [F.target("t1")], buyers: [RoutingBuyer(id: "b1", caps: Caps([CapLimit(.converted, per: .month, limit: -5)]))],
             error: RoutingPlanError(field: "buyers[0].caps.limits[0].limit", problem: .negativeCap)),
        Case(name: "a ring timeout of 0",
             targets: [F.target("t1", ring: 0)],
             error: RoutingPlanError(field: "targets[0].ring_timeout_seconds", problem: .outOfRange(RoutingPlan.ringTimeouts))),
        Case(name: "a buyer the plan does not have",
             targets: [F.target("t1", buyer: "b9")],
             error: RoutingPlanError(field: "targets[0].buyer", problem: .unknownBuyer("b9"))),
        Case(name: "a target id used twice",
             targets: [F.target("t1"), F.target("t1")],
             error: RoutingPlanError(field: "targets[1].id", problem: .duplicateID("t1"))),
        Case(name: "a negative duplicate window",
             targets: [F.target("t1")], buyers: [RoutingBuyer(id: "b1", duplicateWindowDays: -1)],
             error: RoutingPlanError(field: "buyers[0].duplicate_window_days", problem: .outOfRange(RoutingPlan.duplicateWindows))),
        Case(name: "a priority far out of range",
             targets: [F.target("t1", priority: Int.max)],
             error: RoutingPlanError(field: "targets[0].priority", problem: .outOfRange(RoutingPlan.priorities))),
    ]

    @Test(arguments: cases) func aBadPlanIsRefusedNamingTheField(_ test: Case) {
        #expect(throws: test.error) { try RoutingPlan(targets: test.targets, buyers: test.buyers, fallback: .hangUp) }
    }

    @Test func windowsThatOnlyTouchAreFine() throws {
        let hours = BusinessHours([
            F.window(.monday, "09:00", "12:00"), F.window(.monday, "12:00", "17:00"),
            F.window(.monday, "22:00", "02:00"), F.window(.tuesday, "02:00", "06:00"),
            F.window(.saturday, "20:00", "00:30"), F.window(.sunday, "00:30", "08:00"),
        ])
        _ = try RoutingPlan(targets: [F.target("t1", hours: hours)], buyers: [RoutingBuyer(id: "b1")], fallback: .hangUp)
    }

    struct FilterCase: CustomTestStringConvertible, Sendable {
        let name: String
        let field: String
        let op: String
        var values: [String] = []
        var minimum: String?
        var maximum: String?
        let error: RoutingPlanError
        var testDescription: String { name }
    }

    static let filterCases: [FilterCase] = [
        FilterCase(name: "an unknown operator", field: "caller_state", op: "contains", values: ["CA"],
                   error: RoutingPlanError(field: "targets[0].filters[1].operator", problem: .unknownOperator("contains"))),
        FilterCase(name: "an empty field", field: "", op: "exists",
                   error: RoutingPlanError(field: "targets[0].filters[1].field", problem: .required)),
        FilterCase(name: "in without values", field: "caller_state", op: "in",
                   error: RoutingPlanError(field: "targets[0].filters[1].values", problem: .valuesRequired(operator: "in"))),
        FilterCase(name: "equals with two values", field: "caller_state", op: "equals", values: ["CA", "NY"],
                   error: RoutingPlanError(field: "targets[0].filters[1].values", problem: .valuesRequired(operator: "equals"))),
        FilterCase(name: "exists with a value", field: "utm_source", op: "exists", values: ["x"],
                   error: RoutingPlanError(field: "targets[0].filters[1].values", problem: .valuesNotAllowed(operator: "exists"))),
        FilterCase(name: "a range bound that is no number", field: "age", op: "range", minimum: "1e3",
                   error: RoutingPlanError(field: "targets[0].filters[1].minimum", problem: .notANumber("1e3"))),
        FilterCase(name: "a range bound too large", field: "age", op: "range", maximum: "1234567890123",
                   error: RoutingPlanError(field: "targets[0].filters[1].maximum", problem: .notANumber("1234567890123"))),
        FilterCase(name: "a range upside down", field: "age", op: "range", minimum: "65", maximum: "18",
                   error: RoutingPlanError(field: "targets[0].filters[1]", problem: .emptyRange)),
        FilterCase(name: "a range without bounds", field: "age", op: "range",
                   error: RoutingPlanError(field: "targets[0].filters[1]", problem: .emptyRange)),
    ]

    @Test(arguments: filterCases) func aBadFilterIsRefusedNamingTheField(_ test: FilterCase) {
        #expect(throws: test.error) {
            try RoutingFilter(field: test.field, operator: test.op, values: test.values, minimum: test.minimum, maximum: test.maximum, path: "targets[0].filters[1]")
        }
    }

    @Test func destinationsAreANumberOrASIPAddress() throws {
        #expect(try RouteDestination(parsing: "(415) 555-0100", field: "d") == .number(F.number("+14155550100")))
        #expect(try RouteDestination(parsing: "sips:agent@pbx.example.com:5061", field: "d") == .sip("sips:agent@pbx.example.com:5061"))
        for bad in ["", "sip:", "sip:a b@x", "sip:<x>", "call me", "+1415555010", "sip:" + String(repeating: "a", count: 600)] {
            #expect(throws: RoutingPlanError(field: "targets[3].destination", problem: .invalidDestination)) {
                try RouteDestination(parsing: bad, field: "targets[3].destination")
            }
        }
    }

    @Test func timesDaysAndZonesAreParsedNamingTheField() throws {
        #expect(try ClockTime(parsing: "9:05", field: "f").minutes == 545)
        #expect(try ClockTime(parsing: "24:00", field: "f") == .endOfDay)
        for bad in ["24:01", "12:60", "-1:00", "12", "12:5", "noon", "１２:００"] {
            #expect(throws: RoutingPlanError(field: "hours[0].opens", problem: .invalidClockTime(bad))) { try ClockTime(parsing: bad, field: "hours[0].opens") }
        }
        #expect(try Weekday(parsing: "Mon", field: "f") == .monday)
        #expect(throws: RoutingPlanError(field: "hours[0].weekday", problem: .unknownWeekday("funday"))) { try Weekday(parsing: "funday", field: "hours[0].weekday") }
        #expect(throws: RoutingPlanError(field: "time_zone", problem: .unknownTimeZone("Mars/Olympus"))) { try IANATimeZone(identifier: "Mars/Olympus", field: "time_zone") }
    }

    @Test func aStoredPlanReadsBackAndIsCheckedAgain() throws {
        let plan = F.plan([
            F.target("t1", priority: 1, weight: 2, hours: BusinessHours([F.window(.friday, "22:00", "02:00")]),
                     filters: [F.filter("caller_state", "in", ["CA", "NV"]), F.filter("lead_score", "range", minimum: "7.5")],
                     caps: Caps([CapLimit(.converted, per: .month, limit: 40)], concurrency: 3)),
        ], buyers: [RoutingBuyer(id: "b1", caps: Caps([CapLimit(.routed, per: .day, limit: 100)]), duplicateWindowDays: 30, timeZone: F.losAngeles)],
        fallback: .number(F.number("+18005550123")))
        let data = try JSONEncoder().encode(plan)
        #expect(try JSONDecoder().decode(RoutingPlan.self, from: data) == plan)
        // The same plan with a weight of 0 is refused on reading, naming the field.
        let tampered = Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: #""weight":2"#, with: #""weight":0"#).utf8)
        #expect(throws: RoutingPlanError(field: "targets[0].weight", problem: .everyWeightZero(priority: 1))) {
            try JSONDecoder().decode(RoutingPlan.self, from: tampered)
        }
    }
}

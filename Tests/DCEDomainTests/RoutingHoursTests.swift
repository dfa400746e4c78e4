import DCEDomain
import Testing

/// Business hours and cap periods read on the target's own wall clock, across midnight
/// and across America/New_York's 2026 DST changes (spring forward Sunday 8 March at
/// 02:00 EST, fall back Sunday 1 November at 02:00 EDT).
@Suite struct RoutingHoursTests {
    typealias F = RoutingFixtures

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let windows: [HoursWindow]
        let time: String
        let open: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // Wednesday 10 June 2026, EDT (UTC-4).
        Case(name: "a minute before opening", windows: [F.window(.wednesday, "09:00", "17:00")], time: "2026-06-10T12:59:00Z", open: false),
        Case(name: "at opening", windows: [F.window(.wednesday, "09:00", "17:00")], time: "2026-06-10T13:00:00Z", open: true),
        Case(name: "the last minute", windows: [F.window(.wednesday, "09:00", "17:00")], time: "2026-06-10T20:59:59Z", open: true),
        Case(name: "at closing", windows: [F.window(.wednesday, "09:00", "17:00")], time: "2026-06-10T21:00:00Z", open: false),
        Case(name: "another weekday", windows: [F.window(.wednesday, "09:00", "17:00")], time: "2026-06-11T16:00:00Z", open: false),
        Case(name: "until midnight", windows: [F.window(.wednesday, "18:00", "24:00")], time: "2026-06-11T03:59:00Z", open: true),
        Case(name: "midnight is the next day", windows: [F.window(.wednesday, "18:00", "24:00")], time: "2026-06-11T04:00:00Z", open: false),
        // Two windows on one Monday (8 June), with a lunch break.
        Case(name: "morning window", windows: [F.window(.monday, "09:00", "12:00"), F.window(.monday, "13:00", "17:00")], time: "2026-06-08T15:00:00Z", open: true),
        Case(name: "lunch break", windows: [F.window(.monday, "09:00", "12:00"), F.window(.monday, "13:00", "17:00")], time: "2026-06-08T16:30:00Z", open: false),
        Case(name: "afternoon window", windows: [F.window(.monday, "09:00", "12:00"), F.window(.monday, "13:00", "17:00")], time: "2026-06-08T17:30:00Z", open: true),
        // Friday 22:00 to Saturday 02:00.
        Case(name: "overnight, Friday evening", windows: [F.window(.friday, "22:00", "02:00")], time: "2026-06-13T02:00:00Z", open: true),
        Case(name: "overnight, after midnight", windows: [F.window(.friday, "22:00", "02:00")], time: "2026-06-13T05:30:00Z", open: true),
        Case(name: "overnight, at its end", windows: [F.window(.friday, "22:00", "02:00")], time: "2026-06-13T06:00:00Z", open: false),
        Case(name: "overnight, the night before", windows: [F.window(.friday, "22:00", "02:00")], time: "2026-06-12T02:30:00Z", open: false),
        Case(name: "closing at midnight", windows: [F.window(.friday, "22:00", "00:00")], time: "2026-06-13T03:59:00Z", open: true),
        // Saturday 23:00 to Sunday 01:00 wraps round the end of the week.
        Case(name: "overnight into Sunday", windows: [F.window(.saturday, "23:00", "01:00")], time: "2026-06-14T04:30:00Z", open: true),
        Case(name: "overnight into Sunday, after", windows: [F.window(.saturday, "23:00", "01:00")], time: "2026-06-14T05:00:00Z", open: false),
        // Spring forward: 8 March 2026, 02:00 EST becomes 03:00 EDT.
        Case(name: "spring forward: 09:30 EDT is open", windows: [F.window(.sunday, "09:00", "17:00")], time: "2026-03-08T13:30:00Z", open: true),
        Case(name: "spring forward: 08:59 EDT is closed", windows: [F.window(.sunday, "09:00", "17:00")], time: "2026-03-08T12:59:00Z", open: false),
        Case(name: "spring forward: the day before, 09:30 EST", windows: [F.window(.saturday, "09:00", "17:00")], time: "2026-03-07T14:30:00Z", open: true),
        Case(name: "spring forward overnight: 01:59 EST", windows: [F.window(.saturday, "22:00", "03:00")], time: "2026-03-08T06:59:00Z", open: true),
        Case(name: "spring forward overnight: 03:00 EDT", windows: [F.window(.saturday, "22:00", "03:00")], time: "2026-03-08T07:00:00Z", open: false),
        Case(name: "spring forward: the skipped hour never opens", windows: [F.window(.sunday, "02:00", "03:00")], time: "2026-03-08T07:00:00Z", open: false),
        // Fall back: 1 November 2026, 02:00 EDT becomes 01:00 EST; 01:00-02:00 happens twice.
        Case(name: "fall back: 01:30 EDT", windows: [F.window(.sunday, "01:00", "02:00")], time: "2026-11-01T05:30:00Z", open: true),
        Case(name: "fall back: 01:30 EST, the second time", windows: [F.window(.sunday, "01:00", "02:00")], time: "2026-11-01T06:30:00Z", open: true),
        Case(name: "fall back: 02:00 EST", windows: [F.window(.sunday, "01:00", "02:00")], time: "2026-11-01T07:00:00Z", open: false),
        Case(name: "fall back: 09:00 EST is open", windows: [F.window(.sunday, "09:00", "17:00")], time: "2026-11-01T14:00:00Z", open: true),
        Case(name: "fall back: 08:30 EST is closed", windows: [F.window(.sunday, "09:00", "17:00")], time: "2026-11-01T13:30:00Z", open: false),
        Case(name: "fall back overnight: 01:30 EST", windows: [F.window(.saturday, "22:00", "02:00")], time: "2026-11-01T06:30:00Z", open: true),
    ]

    @Test(arguments: cases) func hoursFollowTheTargetsWallClock(_ test: Case) {
        #expect(BusinessHours(test.windows).isOpen(at: F.time(test.time), in: F.newYork) == test.open)
    }

    @Test func theSameInstantIsOpenInOneZoneAndClosedInAnother() {
        let hours = BusinessHours([F.window(.wednesday, "09:00", "17:00")])
        // 14:00Z is 10:00 in New York and 07:00 in Los Angeles.
        #expect(hours.isOpen(at: F.time("2026-06-10T14:00:00Z"), in: F.newYork))
        #expect(!hours.isOpen(at: F.time("2026-06-10T14:00:00Z"), in: F.losAngeles))
    }

    @Test func aClosedTargetIsSkippedAsClosedAndAnOpenOneTakesTheCall() {
        let plan = F.plan([
            F.target("night", hours: BusinessHours([F.window(.wednesday, "20:00", "06:00")])),
            F.target("day", hours: BusinessHours([F.window(.wednesday, "09:00", "17:00")])),
        ])
        let decision = F.route(plan, at: F.time("2026-06-10T16:00:00Z"))
        #expect(decision.considered == [
            ConsideredTarget(target: "night", buyer: "b1", reason: .closed),
            ConsideredTarget(target: "day", buyer: "b1"),
        ])
        #expect(F.order(decision) == ["day"])
    }

    struct PeriodCase: CustomTestStringConvertible, Sendable {
        let period: CapPeriod
        let time: String
        let start: String
        let end: String
        var testDescription: String { "\(period) containing \(time)" }
    }

    static let periods: [PeriodCase] = [
        PeriodCase(period: .hour, time: "2026-06-10T16:30:00Z", start: "2026-06-10T16:00:00Z", end: "2026-06-10T17:00:00Z"),
        PeriodCase(period: .day, time: "2026-06-10T03:30:00Z", start: "2026-06-09T04:00:00Z", end: "2026-06-10T04:00:00Z"),
        // The spring-forward day has 23 hours, the fall-back day 25.
        PeriodCase(period: .day, time: "2026-03-08T12:00:00Z", start: "2026-03-08T05:00:00Z", end: "2026-03-09T04:00:00Z"),
        PeriodCase(period: .day, time: "2026-11-01T12:00:00Z", start: "2026-11-01T04:00:00Z", end: "2026-11-02T05:00:00Z"),
        // 01:30 happens twice on 1 November; each is its own hour.
        PeriodCase(period: .hour, time: "2026-11-01T05:30:00Z", start: "2026-11-01T05:00:00Z", end: "2026-11-01T06:00:00Z"),
        PeriodCase(period: .hour, time: "2026-11-01T06:30:00Z", start: "2026-11-01T06:00:00Z", end: "2026-11-01T07:00:00Z"),
        PeriodCase(period: .month, time: "2026-03-15T12:00:00Z", start: "2026-03-01T05:00:00Z", end: "2026-04-01T04:00:00Z"),
        PeriodCase(period: .month, time: "2026-07-01T03:00:00Z", start: "2026-06-01T04:00:00Z", end: "2026-07-01T04:00:00Z"),
    ]

    @Test(arguments: periods) func capPeriodsAreTheOwnersLocalHourDayAndMonth(_ test: PeriodCase) {
        #expect(test.period.interval(containing: F.time(test.time), in: F.newYork) == F.time(test.start)..<F.time(test.end))
    }

    @Test func theTotalNeverResets() {
        #expect(CapPeriod.total.interval(containing: F.noon, in: F.newYork) == nil)
    }
}

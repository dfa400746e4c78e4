import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import SQLKit
import Testing

/// An account's exchange set up through the directory, and a desk routing its calls.
struct RoutingExchange {
    let database: any Database
    let accountID: AccountID
    let directory: ExchangeDirectory
    let desk: RouteDesk

    /// Tuesday 2026-11-03 15:00 UTC.
    static let noon = Timestamp(millisecondsSince1970: 1_762_182_000_000)
    static let conversion = ConversionRule(minimumSeconds: 90, revenue: Money(cents: 4_000))

    static func make(_ database: any Database, name: String = "acme") async throws -> RoutingExchange {
        let account = try await TestAccount.make(database, name: name)
        let directory = ExchangeDirectory(database: database)
        return RoutingExchange(
            database: database, accountID: account.account.id, directory: directory,
            desk: RouteDesk(database: database, directory: directory, places: NoCallerPlaces()))
    }

    func buyer(_ name: String, caps: Caps = Caps(), duplicateWindowDays: Int = 0, minimumSeconds: Int = 90) async throws -> BuyerID {
        let spec = BuyerSpec(name: name, conversion: ConversionRule(minimumSeconds: minimumSeconds, revenue: Money(cents: 4_000)),
                             caps: caps, duplicateWindowDays: duplicateWindowDays)
        return BuyerID(rawValue: try await directory.create(spec, accountID: accountID).id)
    }

    func target(_ name: String, buyer: BuyerID, number: String, caps: Caps = Caps()) async throws -> TargetID {
        let spec = TargetSpec(name: name, buyerID: buyer, destination: .number(try PhoneNumber(parsing: number)), caps: caps)
        return TargetID(rawValue: try await directory.create(spec, accountID: accountID).id)
    }

    func campaign(
        _ routing: [RoutingEntry], simultaneousRing: Int = 1, duplicateWindowDays: Int = 0,
        fallback: RoutingFallback = .voicemail, publisher: PublisherID? = nil
    ) async throws -> CampaignID {
        let spec = CampaignSpec(name: "Solar", defaultPublisherID: publisher, routing: routing, simultaneousRing: simultaneousRing,
                                duplicateWindowDays: duplicateWindowDays, fallback: fallback)
        return CampaignID(rawValue: try await directory.create(spec, accountID: accountID).id)
    }

    func route(
        _ campaign: CampaignID, caller: String = "+14155550100", at time: Timestamp = noon, callID: String? = nil,
        source: Source = "carrier", seed: UInt64 = 1
    ) async throws -> RoutedCall {
        var random = SeededRandom(seed: seed)
        let request = RouteRequest(campaignID: campaign, caller: try PhoneNumber(parsing: caller), dialed: nil, tags: Tags(),
                                   source: source, externalCallID: callID, time: time)
        return try await desk.route(request, accountID: accountID, random: &random)
    }
}

extension RoutedCall {
    var ringingTargets: [TargetID] { ringing.map(\.target) }
    func reason(of target: TargetID) -> String? { decision.considered.first { $0.target == target }?.reason?.code }
}

@Suite struct RouteDeskTests {
    @Test(arguments: TestEngine.all)
    func aDailyCapOfTwoSkipsTheThirdCallWithCapDaily(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let exchange = try await RoutingExchange.make(database)
            let buyer = try await exchange.buyer("Acme Solar")
            let capped = try await exchange.target("East", buyer: buyer, number: "+12125550101",
                                                   caps: Caps([CapLimit(.routed, per: .day, limit: 2)]))
            let backup = try await exchange.target("West", buyer: buyer, number: "+13105550102")
            let campaign = try await exchange.campaign([RoutingEntry(targetID: capped, priority: 1), RoutingEntry(targetID: backup, priority: 2)])
            // run
            var calls: [RoutedCall] = []
            for minute in 0..<3 {
                calls.append(try await exchange.route(campaign, caller: "+1415555010\(minute)", at: RoutingExchange.noon.adding(seconds: Int64(minute) * 60)))
            }
            let nextDay = try await exchange.route(campaign, caller: "+14155550199", at: RoutingExchange.noon.adding(seconds: 86_400))
            // validate
            #expect(calls.map(\.ringingTargets) == [[capped], [capped], [backup]])
            #expect(calls[2].reason(of: capped) == "cap_daily")
            #expect(calls[2].decision.considered.first { $0.target == capped }?.heldBy == .target)
            #expect(nextDay.ringingTargets == [capped], "a new day on the target's clock frees the cap")
        }
    }

    @Test(arguments: TestEngine.all)
    func aBuyersCapCountsCallsToAllItsTargets(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let exchange = try await RoutingExchange.make(database)
            let buyer = try await exchange.buyer("Capped", caps: Caps([CapLimit(.routed, per: .hour, limit: 1)]))
            let other = try await exchange.buyer("Open")
            let first = try await exchange.target("A", buyer: buyer, number: "+12125550101")
            let second = try await exchange.target("B", buyer: buyer, number: "+12125550102")
            let open = try await exchange.target("C", buyer: other, number: "+12125550103")
            let campaign = try await exchange.campaign([
                RoutingEntry(targetID: first, priority: 1), RoutingEntry(targetID: second, priority: 2), RoutingEntry(targetID: open, priority: 3),
            ])
            let one = try await exchange.route(campaign)
            let two = try await exchange.route(campaign, caller: "+14155550111")
            #expect(one.ringingTargets == [first])
            #expect(two.ringingTargets == [open])
            #expect(two.reason(of: second) == "cap_hourly")
            #expect(two.decision.considered.first { $0.target == second }?.heldBy == .buyer)
        }
    }

    @Test(arguments: TestEngine.all)
    func concurrencyCountsCallsStillLive(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let exchange = try await RoutingExchange.make(database)
            let buyer = try await exchange.buyer("Acme")
            let single = try await exchange.target("One line", buyer: buyer, number: "+12125550101", caps: Caps(concurrency: 1))
            let backup = try await exchange.target("Backup", buyer: buyer, number: "+12125550102")
            let campaign = try await exchange.campaign([RoutingEntry(targetID: single, priority: 1), RoutingEntry(targetID: backup, priority: 2)])
            let start = RoutingExchange.noon
            let first = try await exchange.route(campaign, at: start)
            try await exchange.desk.connected(routeID: first.routeID, accountID: exchange.accountID, at: start.adding(seconds: 5))
            let whileLive = try await exchange.route(campaign, caller: "+14155550111", at: start.adding(seconds: 30))
            try await exchange.desk.ended(routeID: first.routeID, accountID: exchange.accountID, at: start.adding(seconds: 60), durationSeconds: 55)
            let afterwards = try await exchange.route(campaign, caller: "+14155550112", at: start.adding(seconds: 90))
            try await exchange.desk.connected(routeID: afterwards.routeID, accountID: exchange.accountID, at: start.adding(seconds: 95))
            // An answered attempt whose end never arrived stops counting as live after 4 hours.
            let stillTalking = try await exchange.route(campaign, caller: "+14155550114", at: start.adding(seconds: 3 * 3600))
            let muchLater = try await exchange.route(campaign, caller: "+14155550113", at: start.adding(seconds: 5 * 3600))
            // One that was never answered and never called back stops after the longest ring and a minute.
            let ringingStill = try await exchange.route(campaign, caller: "+14155550115", at: start.adding(seconds: 5 * 3600 + 300))
            let ringLost = try await exchange.route(campaign, caller: "+14155550116", at: start.adding(seconds: 5 * 3600 + 661))
            #expect(first.ringingTargets == [single])
            #expect(whileLive.ringingTargets == [backup])
            #expect(whileLive.reason(of: single) == "concurrency")
            #expect(afterwards.ringingTargets == [single])
            #expect(stillTalking.reason(of: single) == "concurrency", "the call that rang at +90 s was answered")
            #expect(muchLater.ringingTargets == [single])
            #expect(ringingStill.reason(of: single) == "concurrency")
            #expect(ringLost.ringingTargets == [single])
        }
    }

    @Test(arguments: TestEngine.all)
    func fallingThroughRingsTheStoredOrderThenTheFallback(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let exchange = try await RoutingExchange.make(database)
            let first = try await exchange.buyer("First", minimumSeconds: 60)
            let second = try await exchange.buyer("Second", minimumSeconds: 120)
            let a = try await exchange.target("A", buyer: first, number: "+12125550101")
            let b = try await exchange.target("B", buyer: second, number: "+12125550102")
            let c = try await exchange.target("C", buyer: second, number: "+12125550103", caps: Caps([CapLimit(.routed, per: .day, limit: 1)]))
            let campaign = try await exchange.campaign([
                RoutingEntry(targetID: a, priority: 1), RoutingEntry(targetID: b, priority: 2), RoutingEntry(targetID: c, priority: 3),
            ])
            let at = RoutingExchange.noon
            let routed = try await exchange.route(campaign, at: at)
            #expect(routed.ringingTargets == [a])
            #expect(routed.rules.conversion?.minimumSeconds == 60)
            // C's only call of the day goes to another caller while this one rings A.
            let other = try await exchange.route(campaign, caller: "+14155550999", at: at.adding(seconds: 1))
            _ = try await exchange.desk.fallThrough(routeID: other.routeID, accountID: exchange.accountID, outcome: .noAnswer, at: at.adding(seconds: 2))
            let third = try await exchange.desk.fallThrough(routeID: other.routeID, accountID: exchange.accountID, outcome: .busy, at: at.adding(seconds: 3))
            #expect(third.ringingTargets == [c])

            let toB = try await exchange.desk.fallThrough(routeID: routed.routeID, accountID: exchange.accountID, outcome: .noAnswer, at: at.adding(seconds: 30))
            #expect(toB.ringingTargets == [b])
            #expect(toB.rules.conversion?.minimumSeconds == 120, "the buyer now taking the call prices it")
            let capped = try await exchange.desk.fallThrough(routeID: routed.routeID, accountID: exchange.accountID, outcome: .busy, at: at.adding(seconds: 60))
            #expect(capped.ringingTargets == [])
            #expect(capped.fallback == AppliedFallback(action: .voicemail, reason: .targetsExhausted))
            // validate: the stored route reads the same, and a late callback changes nothing.
            let stored = try await exchange.desk.route(id: routed.routeID, accountID: exchange.accountID)
            #expect(stored == capped)
            let again = try await exchange.desk.fallThrough(routeID: routed.routeID, accountID: exchange.accountID, outcome: .failed, at: at.adding(seconds: 61))
            #expect(again == capped)
            #expect(stored?.decision == routed.decision, "the decision made on arrival is never rewritten")
        }
    }

    @Test(arguments: TestEngine.all)
    func simultaneousRingDialsTheFirstTargetsOfTheOrderAtOnce(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let exchange = try await RoutingExchange.make(database)
            let buyer = try await exchange.buyer("Acme", caps: Caps([CapLimit(.routed, per: .day, limit: 2)]))
            let targets = try await [
                exchange.target("A", buyer: buyer, number: "+12125550101"),
                exchange.target("B", buyer: buyer, number: "+12125550102"),
                exchange.target("C", buyer: buyer, number: "+12125550103"),
            ]
            let campaign = try await exchange.campaign(
                targets.enumerated().map { RoutingEntry(targetID: $1, priority: $0 + 1) }, simultaneousRing: 3)
            let routed = try await exchange.route(campaign)
            #expect(routed.ringingTargets == Array(targets.prefix(2)), "the buyer's cap of 2 holds within one call's ring")
            try await exchange.desk.connected(routeID: routed.routeID, accountID: exchange.accountID, at: RoutingExchange.noon.adding(seconds: 4), target: targets[1])
            let answered = try await exchange.desk.route(id: routed.routeID, accountID: exchange.accountID)
            #expect(answered?.ringingTargets == [targets[1]], "the other leg is cancelled")
        }
    }

    @Test(arguments: TestEngine.all)
    func aRingGroupRingsTogetherWhenTheOrderReachesItAndOtherTargetsRingWithoutIt(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let exchange = try await RoutingExchange.make(database)
            let buyer = try await exchange.buyer("Acme")
            let a = try await exchange.target("A", buyer: buyer, number: "+12125550101")
            let b = try await exchange.target("B", buyer: buyer, number: "+12125550102")
            let c = try await exchange.target("C", buyer: buyer, number: "+12125550103")
            let d = try await exchange.target("D", buyer: buyer, number: "+12125550104")
            let campaign = try await exchange.campaign([
                RoutingEntry(targetID: a, priority: 1), RoutingEntry(targetID: b, priority: 2, ringGroup: "floor"),
                RoutingEntry(targetID: c, priority: 3), RoutingEntry(targetID: d, priority: 4, ringGroup: "floor"),
            ], simultaneousRing: 2)

            let routed = try await exchange.route(campaign)
            let next = try await exchange.desk.fallThrough(
                routeID: routed.routeID, accountID: exchange.accountID, outcome: .noAnswer, at: RoutingExchange.noon.adding(seconds: 30))
            let last = try await exchange.desk.fallThrough(
                routeID: routed.routeID, accountID: exchange.accountID, outcome: .busy, at: RoutingExchange.noon.adding(seconds: 40))

            #expect(routed.ringingTargets == [a, c], "two at once outside the group, the group's members left for its turn")
            #expect(routed.ringing.map(\.ringGroup) == [nil, nil])
            #expect(next.ringingTargets == [b, d], "the group rings together when the order reaches its first member")
            #expect(next.ringing.map(\.ringGroup) == ["floor", "floor"])
            #expect(last.ringingTargets == [])
            #expect(last.fallback?.reason == .targetsExhausted)
            let stored = try await exchange.desk.route(id: routed.routeID, accountID: exchange.accountID)
            #expect(stored?.decision.route.map(\.ringGroup) == [nil, "floor", nil, "floor"], "the stored order keeps each target's group")
        }
    }

    @Test(arguments: TestEngine.all)
    func aRingGroupRingsOnlyItsMembersTheCapsStillAllow(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let exchange = try await RoutingExchange.make(database)
            let capped = try await exchange.buyer("Capped", caps: Caps([CapLimit(.routed, per: .day, limit: 2)]))
            let members = try await [
                exchange.target("One", buyer: capped, number: "+12125550101"),
                exchange.target("Two", buyer: capped, number: "+12125550102"),
                exchange.target("Three", buyer: capped, number: "+12125550103"),
            ]
            let campaign = try await exchange.campaign(
                members.enumerated().map { RoutingEntry(targetID: $1, priority: $0 + 1, ringGroup: "sales") })

            let routed = try await exchange.route(campaign)

            #expect(routed.ringingTargets == Array(members.prefix(2)), "the buyer's cap of 2 holds within one group's ring")
        }
    }

    @Test(arguments: TestEngine.all)
    func repeatCallersAreDuplicatesForTheCampaignAndSkippedByTheBuyer(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let exchange = try await RoutingExchange.make(database)
            let strict = try await exchange.buyer("Strict", duplicateWindowDays: 30)
            let lenient = try await exchange.buyer("Lenient")
            let first = try await exchange.target("Strict line", buyer: strict, number: "+12125550101")
            let second = try await exchange.target("Lenient line", buyer: lenient, number: "+12125550102")
            let campaign = try await exchange.campaign(
                [RoutingEntry(targetID: first, priority: 1), RoutingEntry(targetID: second, priority: 2)], duplicateWindowDays: 7)
            let at = RoutingExchange.noon
            let call = try await exchange.route(campaign, caller: "+14155550100", at: at)
            try await exchange.desk.connected(routeID: call.routeID, accountID: exchange.accountID, at: at.adding(seconds: 5))
            try await exchange.desk.ended(routeID: call.routeID, accountID: exchange.accountID, at: at.adding(seconds: 200), durationSeconds: 195)

            let repeatCall = try await exchange.route(campaign, caller: "+14155550100", at: at.adding(seconds: 86_400))
            let stranger = try await exchange.route(campaign, caller: "+14155550177", at: at.adding(seconds: 86_400))
            let weekLater = try await exchange.route(campaign, caller: "+14155550100", at: at.adding(seconds: 8 * 86_400))
            let monthLater = try await exchange.route(campaign, caller: "+14155550100", at: at.adding(seconds: 31 * 86_400))
            #expect(!call.duplicate)
            #expect(repeatCall.duplicate)
            #expect(repeatCall.reason(of: first) == "duplicate")
            #expect(repeatCall.ringingTargets == [second])
            #expect(!stranger.duplicate)
            #expect(stranger.ringingTargets == [first])
            #expect(!weekLater.duplicate, "the campaign's window is 7 days")
            #expect(weekLater.ringingTargets == [second], "the buyer's window is 30 days")
            #expect(monthLater.ringingTargets == [first])
        }
    }

    @Test(arguments: TestEngine.all)
    func aConvertedCallCountsAgainstAConvertedCap(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let exchange = try await RoutingExchange.make(database)
            let buyer = try await exchange.buyer("Acme", caps: Caps([CapLimit(.converted, per: .day, limit: 1)]), minimumSeconds: 90)
            let line = try await exchange.target("Line", buyer: buyer, number: "+12125550101")
            let campaign = try await exchange.campaign([RoutingEntry(targetID: line)])
            let at = RoutingExchange.noon
            let short = try await exchange.route(campaign, at: at)
            try await exchange.desk.connected(routeID: short.routeID, accountID: exchange.accountID, at: at.adding(seconds: 2))
            try await exchange.desk.ended(routeID: short.routeID, accountID: exchange.accountID, at: at.adding(seconds: 40), durationSeconds: 38)
            let afterShort = try await exchange.route(campaign, caller: "+14155550111", at: at.adding(seconds: 60))
            try await exchange.desk.connected(routeID: afterShort.routeID, accountID: exchange.accountID, at: at.adding(seconds: 62))
            try await exchange.desk.ended(routeID: afterShort.routeID, accountID: exchange.accountID, at: at.adding(seconds: 300), durationSeconds: nil)
            let afterLong = try await exchange.route(campaign, caller: "+14155550112", at: at.adding(seconds: 400))
            #expect(afterShort.ringingTargets == [line], "38 s did not convert")
            #expect(afterLong.ringingTargets == [], "238 s since it connected converted")
            #expect(afterLong.fallback == AppliedFallback(action: .voicemail, reason: .noEligibleTarget))
            #expect(afterLong.reason(of: line) == "cap_daily")
        }
    }

    @Test(arguments: TestEngine.all)
    func countsAreKeptPerOwnerAndPeriodAsCallsRingConnectAndConvert(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup: a buyer on New York's clock with two targets, West on Los Angeles' clock and East on UTC
            let exchange = try await RoutingExchange.make(database)
            let buyerSpec = BuyerSpec(name: "Acme", timeZone: try IANATimeZone(identifier: "America/New_York", field: "time_zone"),
                                      conversion: RoutingExchange.conversion)
            let buyer = BuyerID(rawValue: try await exchange.directory.create(buyerSpec, accountID: exchange.accountID).id)
            let westSpec = TargetSpec(name: "West", buyerID: buyer, destination: .number(try PhoneNumber(parsing: "+12135550101")),
                                      timeZone: try IANATimeZone(identifier: "America/Los_Angeles", field: "time_zone"))
            let west = TargetID(rawValue: try await exchange.directory.create(westSpec, accountID: exchange.accountID).id)
            let east = try await exchange.target("East", buyer: buyer, number: "+12125550102")
            let campaign = try await exchange.campaign([RoutingEntry(targetID: west, priority: 1), RoutingEntry(targetID: east, priority: 2)])
            let at = RoutingExchange.noon  // 2025-11-03 15:00 UTC: 10:00 in New York, 07:00 in Los Angeles

            // run: a call rings West, falls through to East, which answers and talks 120 s; a
            // late duration of 30 s then takes the conversion back
            let call = try await exchange.route(campaign, at: at)
            _ = try await exchange.desk.fallThrough(routeID: call.routeID, accountID: exchange.accountID, outcome: .noAnswer, at: at.adding(seconds: 20))
            try await exchange.desk.connected(routeID: call.routeID, accountID: exchange.accountID, at: at.adding(seconds: 25))
            try await exchange.desk.ended(routeID: call.routeID, accountID: exchange.accountID, at: at.adding(seconds: 145), durationSeconds: 120)
            let converted = try await Self.counters(database)
            try await exchange.desk.ended(routeID: call.routeID, accountID: exchange.accountID, at: at.adding(seconds: 600), durationSeconds: 30)
            let takenBack = try await Self.counters(database)

            // validate: each owner's periods on its own clock; the buyer counts the call once
            let utcDay = "1762128000000"  // 2025-11-03 00:00 UTC
            let westDay = "1762156800000"  // 2025-11-03 00:00 Los Angeles (UTC-8)
            let buyerDay = "1762146000000"  // 2025-11-03 00:00 New York (UTC-5)
            #expect(converted["\(west.rawValue) routed day \(westDay)"] == 1)
            #expect(converted["\(west.rawValue) routed total 0"] == 1)
            #expect(converted["\(west.rawValue) connected total 0"] == nil)
            #expect(converted["\(east.rawValue) routed day \(utcDay)"] == 1)
            #expect(converted["\(east.rawValue) connected day \(utcDay)"] == 1)
            #expect(converted["\(east.rawValue) converted month 1761955200000"] == 1)  // 2025-11-01 00:00 UTC
            #expect(converted["\(buyer.rawValue) routed day \(buyerDay)"] == 1, "two of its targets rang: one call to the buyer")
            #expect(converted["\(buyer.rawValue) routed hour \(at.millisecondsSince1970)"] == 1)
            #expect(converted["\(buyer.rawValue) converted month 1761969600000"] == 1)  // 2025-11-01 00:00 New York (UTC-4)
            #expect(converted["\(buyer.rawValue) converted total 0"] == 1)
            #expect(takenBack["\(buyer.rawValue) converted total 0"] == 0)
            #expect(takenBack["\(east.rawValue) converted day \(utcDay)"] == 0)
            #expect(takenBack["\(east.rawValue) connected day \(utcDay)"] == 1)
        }
    }

    /// Every counter as "owner metric period start" → count.
    static func counters(_ database: any Database) async throws -> [String: Int] {
        try await database.read { sql in
            try await sql.raw("SELECT owner_id, metric, period, period_start, count FROM cap_counters").all()
        }.reduce(into: [:]) { counters, row in
            let key = [try row.decode(column: "owner_id", as: String.self), try row.decode(column: "metric", as: String.self),
                       try row.decode(column: "period", as: String.self), String(try row.decode(column: "period_start", as: Int64.self))]
            counters[key.joined(separator: " ")] = try row.decode(column: "count", as: Int.self)
        }
    }

    @Test(arguments: TestEngine.all)
    func attemptsStoredBeforeTheCountersStillCountAgainstCaps(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup: a target capped at 2 a day that already rang twice today, in attempts stored
            // before the counters were kept (no counters, `counted = 0`)
            let exchange = try await RoutingExchange.make(database)
            let buyer = try await exchange.buyer("Acme")
            let line = try await exchange.target("Line", buyer: buyer, number: "+12125550101", caps: Caps([CapLimit(.routed, per: .day, limit: 2)]))
            let campaign = try await exchange.campaign([RoutingEntry(targetID: line)])
            let earlier = try await [exchange.route(campaign, caller: "+14155550111"), exchange.route(campaign, caller: "+14155550112")]
            try await database.write { sql in
                try await sql.raw("UPDATE route_attempts SET counted = 0, target_hour = NULL, target_day = NULL, target_month = NULL").run()
                try await sql.raw("DELETE FROM cap_counters").run()
            }

            // run: a process started after the upgrade
            let restarted = RoutingExchange(
                database: database, accountID: exchange.accountID, directory: exchange.directory,
                desk: RouteDesk(database: database, directory: exchange.directory, places: NoCallerPlaces()))
            let third = try await restarted.route(campaign, caller: "+14155550113")

            // validate
            #expect(earlier.map(\.ringingTargets) == [[line], [line]])
            #expect(third.reason(of: line) == "cap_daily")
            #expect(third.ringingTargets == [])
        }
    }

    @Test(arguments: TestEngine.all)
    func aLateDurationDecidesTheConversionAgain(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let exchange = try await RoutingExchange.make(database)
            let buyer = try await exchange.buyer("Acme", caps: Caps([CapLimit(.converted, per: .day, limit: 1)]), minimumSeconds: 90)
            let line = try await exchange.target("Line", buyer: buyer, number: "+12125550101")
            let campaign = try await exchange.campaign([RoutingEntry(targetID: line)])
            let at = RoutingExchange.noon
            let call = try await exchange.route(campaign, at: at)
            try await exchange.desk.connected(routeID: call.routeID, accountID: exchange.accountID, at: at.adding(seconds: 2))
            try await exchange.desk.ended(routeID: call.routeID, accountID: exchange.accountID, at: at.adding(seconds: 10), durationSeconds: nil)
            // A repeated end without a duration still measures to the first end.
            try await exchange.desk.ended(routeID: call.routeID, accountID: exchange.accountID, at: at.adding(seconds: 600), durationSeconds: nil)
            let beforeLate = try await exchange.route(campaign, caller: "+14155550111", at: at.adding(seconds: 700))
            _ = try await exchange.desk.fallThrough(routeID: beforeLate.routeID, accountID: exchange.accountID, outcome: .noAnswer, at: at.adding(seconds: 710))
            // The carrier's own duration arrives late: 120 s converts.
            try await exchange.desk.ended(routeID: call.routeID, accountID: exchange.accountID, at: at.adding(seconds: 800), durationSeconds: 120)
            let afterLate = try await exchange.route(campaign, caller: "+14155550112", at: at.adding(seconds: 900))
            #expect(beforeLate.ringingTargets == [line])
            #expect(afterLate.reason(of: line) == "cap_daily")
        }
    }

    @Test(arguments: TestEngine.all)
    func theStoredDecisionReadsBackAndOutlivesAnEdit(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let exchange = try await RoutingExchange.make(database)
            let publisher = try await exchange.directory.create(
                PublisherSpec(name: "Affiliate", payout: PayoutRule(minimumSeconds: 60, amount: .fixed(Money(cents: 1_500)))),
                accountID: exchange.accountID)
            let buyer = try await exchange.buyer("Acme")
            let line = try await exchange.target("Line", buyer: buyer, number: "+12125550101")
            let campaign = try await exchange.campaign([RoutingEntry(targetID: line)], publisher: PublisherID(rawValue: publisher.id))
            let routed = try await exchange.route(campaign, callID: "CA100")
            let stored = try await exchange.desk.route(id: routed.routeID, accountID: exchange.accountID)
            #expect(stored == routed)
            #expect(routed.routeID.hasPrefix("rte_"))
            #expect(routed.publisherID == PublisherID(rawValue: publisher.id))
            #expect(routed.rules == PricingRules(
                conversion: RoutingExchange.conversion, payout: PayoutRule(minimumSeconds: 60, amount: .fixed(Money(cents: 1_500)))))
            #expect(routed.decision.route.first?.destination == .number(try PhoneNumber(parsing: "+12125550101")))

            // An edit takes effect for the next call only.
            var spec = try #require(try await exchange.directory.get(TargetSpec.self, id: line.rawValue, accountID: exchange.accountID)).spec
            spec.destination = .number(try PhoneNumber(parsing: "+12125550199"))
            _ = try await exchange.directory.replace(spec, id: line.rawValue, accountID: exchange.accountID)
            let next = try await exchange.route(campaign, caller: "+14155550111")
            #expect(try await exchange.desk.route(id: routed.routeID, accountID: exchange.accountID) == routed)
            #expect(next.ringing.first?.destination == .number(try PhoneNumber(parsing: "+12125550199")))
            // Another account cannot read it.
            let stranger = try await RoutingExchange.make(database, name: "other")
            #expect(try await stranger.desk.route(id: routed.routeID, accountID: stranger.accountID) == nil)
        }
    }

    @Test(arguments: TestEngine.all)
    func routingTheSameCallSidTwiceAnswersTheStoredRoute(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let exchange = try await RoutingExchange.make(database)
            let buyer = try await exchange.buyer("Acme")
            let a = try await exchange.target("A", buyer: buyer, number: "+12125550101")
            let b = try await exchange.target("B", buyer: buyer, number: "+12125550102")
            let campaign = try await exchange.campaign([RoutingEntry(targetID: a), RoutingEntry(targetID: b)])
            let first = try await exchange.route(campaign, callID: "CA42", seed: 1)
            // A retried webhook with another draw still answers the first decision.
            let retried = try await exchange.route(campaign, callID: "CA42", seed: 999)
            let byID = try await exchange.desk.route(source: "carrier", externalCallID: "CA42", accountID: exchange.accountID)
            let otherSource = try await exchange.route(campaign, callID: "CA42", source: "native")
            #expect(retried == first)
            #expect(byID == first)
            #expect(otherSource.routeID != first.routeID)
            let attempts = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM route_attempts WHERE route_id = \(bind: first.routeID)").first()?
                    .decode(column: "n", as: Int.self)
            }
            #expect(attempts == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func aPlanThatNoLongerBuildsGivesTheFallbackWithTheReason(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let exchange = try await RoutingExchange.make(database)
            let buyer = try await exchange.buyer("Acme")
            let line = try await exchange.target("Line", buyer: buyer, number: "+12125550101")
            let campaign = try await exchange.campaign([RoutingEntry(targetID: line)], fallback: .number(try PhoneNumber(parsing: "+18005550100")))
            // A stored campaign naming a target that is gone (written around the directory's checks).
            try await database.write { sql in
                try await sql.raw("""
                    UPDATE exchange_entities SET spec = REPLACE(spec, \(bind: line.rawValue), 'tgt_gone')
                    WHERE id = \(bind: campaign.rawValue)
                    """).run()
            }
            let routed = try await exchange.route(campaign, callID: "CA7")
            #expect(routed.ringing.isEmpty)
            #expect(routed.fallback == AppliedFallback(action: .number(try PhoneNumber(parsing: "+18005550100")), reason: .routingError))
            #expect(try await exchange.desk.route(id: routed.routeID, accountID: exchange.accountID) == routed)
            await #expect(throws: ExchangeError.notFound) {
                try await exchange.route(CampaignID(rawValue: "cmp_missing"))
            }
        }
    }

    /// Two connection pools on one database, as two dce nodes have, route 200 calls at
    /// once to a buyer capped at 50 a day: exactly 50 go to it.
    @Test(arguments: TestEngine.all)
    func concurrentRoutingNeverOversellsACappedBuyer(engine: TestEngine) async throws {
        let created = try await TestDatabases.create(engine)
        let first = try await openDatabase(created.location, logger: TestDatabases.logger)
        let second = engine == .postgres ? try await openDatabase(created.location, logger: TestDatabases.logger) : first
        do {
            try await Migrations.migrate(first)
            let exchange = try await RoutingExchange.make(first)
            let buyer = try await exchange.buyer("Capped", caps: Caps([CapLimit(.routed, per: .day, limit: 50)]))
            let other = try await exchange.buyer("Overflow")
            let capped = try await exchange.target("Capped line", buyer: buyer, number: "+12125550101")
            let overflow = try await exchange.target("Overflow line", buyer: other, number: "+12125550102")
            let campaign = try await exchange.campaign([RoutingEntry(targetID: capped, priority: 1), RoutingEntry(targetID: overflow, priority: 2)])
            let desks = [first, second].map { RouteDesk(database: $0, directory: ExchangeDirectory(database: $0), places: NoCallerPlaces()) }
            let routed = try await withThrowingTaskGroup(of: RoutedCall.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        var random = SeededRandom(seed: UInt64(index))
                        let request = RouteRequest(campaignID: campaign, caller: try PhoneNumber(parsing: "+1415555\(String(format: "%04d", index))"),
                                                   source: "native", externalCallID: "call-\(index)", time: RoutingExchange.noon)
                        return try await desks[index % 2].route(request, accountID: exchange.accountID, random: &random)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(routed.filter { $0.ringingTargets == [capped] }.count == 50)
            #expect(routed.filter { $0.ringingTargets == [overflow] }.count == 150)
        } catch {
            await first.close()
            if engine == .postgres { await second.close() }
            try? await created.drop()
            throw error
        }
        await first.close()
        if engine == .postgres { await second.close() }
        try await created.drop()
    }
}

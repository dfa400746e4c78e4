import DCEDomain
import DCEStorage
import Foundation
import Logging

/// A month of believable pay-per-call traffic for the demo account, written through the
/// ledger exactly as real events would be.
enum DemoData {
    static let accountName = "demo"

    struct Prepared {
        let key: String
        let callsCreated: Int
    }

    /// Creates the demo account and its calls the first time; on later runs only issues a
    /// fresh key (keys are shown once, so the previous one cannot be printed again).
    static func prepare(database: any Database, routes: RouteDesk, calls: Int, logger: Logger) async throws -> Prepared {
        let directory = AccountDirectory(database: database)
        let ledger = Ledger(database: database)
        var created = 0
        let account: Account
        if let existing = try await directory.account(named: accountName) {
            account = existing
        } else {
            account = try await directory.create(name: accountName)
            // Every demo call is routed and answered through the exchange as it would be live,
            // a few writes each: a minute for 3000 calls on a laptop's disk.
            logger.info("routing the demo calls through the demo exchange", metadata: ["calls": "\(calls)"])
            let exchange = try await DemoExchange.seed(directory: ExchangeDirectory(database: database), accountID: account.id)
            created = try await seed(ledger: ledger, routes: routes, exchange: exchange, accountID: account.id, calls: calls, now: .now())
            logger.info("demo data created", metadata: ["calls": "\(created)"])
        }
        let key = try await directory.issueKey(for: account.id, label: "demo")
        return Prepared(key: key.plaintext, callsCreated: created)
    }

    static let states: [(code: String, areaCodes: [String], weight: Int)] = [
        ("CA", ["213", "310", "415", "619", "714"], 12), ("TX", ["214", "512", "713", "210"], 9),
        ("FL", ["305", "407", "813", "904"], 8), ("NY", ["212", "718", "516", "585"], 7),
        ("PA", ["215", "412", "717"], 4), ("IL", ["312", "773", "630"], 4), ("OH", ["216", "614", "513"], 4),
        ("GA", ["404", "678", "912"], 3), ("NC", ["704", "919", "336"], 3), ("MI", ["313", "248", "616"], 3),
        ("AZ", ["602", "480", "520"], 2), ("WA", ["206", "425", "509"], 2), ("CO", ["303", "720", "719"], 2),
        ("NJ", ["201", "973", "732"], 3), ("VA", ["703", "804", "757"], 2), ("TN", ["615", "901", "865"], 2),
    ]

    /// One demo call before it is routed: when, who, which number of which campaign.
    struct Arrival {
        let start: Timestamp
        let caller: PhoneNumber?
        let state: String
        let campaign: Int
        let number: PhoneNumber
    }

    /// Routes each demo call through the demo exchange in time order (so caps, hours and
    /// duplicate windows apply as they would have), then writes what the call did to the
    /// ledger, priced by the rules its route kept.
    static func seed(ledger: Ledger, routes: RouteDesk, exchange: DemoExchange.Seeded, accountID: AccountID, calls: Int, now: Timestamp) async throws -> Int {
        var random = SeededRandom(seed: 20261122)
        let stateBag = states.flatMap { state in Array(repeating: state, count: state.weight) }
        var arrivals: [Arrival] = []
        arrivals.reserveCapacity(calls)
        for _ in 0..<calls {
            // More calls on recent days and in business hours.
            let daysAgo = Int(Double(30) * pow(random.unit(), 1.3))
            let hour = [13, 14, 14, 15, 15, 16, 17, 18, 18, 19, 20, 21, 22, 23, 0, 12, 1][random.int(0..<17)]
            let dayStart = (now.millisecondsSince1970 / 86_400_000 - Int64(daysAgo)) * 86_400_000
            var start = Timestamp(millisecondsSince1970: dayStart + Int64(hour) * 3_600_000 + Int64(random.int(0..<3_600_000)))
            if start > now { start = now.adding(seconds: -Int64(random.int(60..<7200))) }
            let campaign = random.int(0..<exchange.campaigns.count)
            let numbers = exchange.campaigns[campaign].numbers
            let state = stateBag[random.int(0..<stateBag.count)]
            // One caller in eight calls again: duplicate windows have something to catch.
            let caller = arrivals.count > 50 && random.unit() < 0.125
                ? arrivals[random.int(0..<arrivals.count)].caller
                : try? PhoneNumber(parsing: "+1\(state.areaCodes[random.int(0..<state.areaCodes.count)])\(random.int(200..<999))\(String(format: "%04d", random.int(0..<10000)))")
            arrivals.append(Arrival(start: start, caller: caller, state: state.code, campaign: campaign, number: numbers[random.int(0..<numbers.count)]))
        }
        arrivals.sort { $0.start < $1.start }

        var batch: [IncomingEvent] = []
        let request = InboundRequest(source: .native, method: "SEED", path: "dce serve --demo", contentType: nil, headers: [:], body: Array("demo data".utf8))
        for (index, arrival) in arrivals.enumerated() {
            let externalID = "demo-\(index)"
            let campaign = exchange.campaigns[arrival.campaign].campaign
            let tags = (try? Tags(validating: [
                "utm_source": ["google", "bing", "facebook", "tv", "direct"][random.int(0..<5)],
                "utm_campaign": campaign.spec.name.lowercased().replacingOccurrences(of: " ", with: "-"),
            ])) ?? Tags()
            var route = try await routes.route(
                RouteRequest(campaignID: CampaignID(rawValue: campaign.id), caller: arrival.caller, dialed: arrival.number, tags: tags,
                             source: .native, externalCallID: externalID, time: arrival.start),
                accountID: accountID, random: &random)
            // Some first targets do not answer: the call falls through as it would on a carrier.
            var clock = arrival.start
            while !route.ringing.isEmpty, random.unit() < 0.15 {
                clock = clock.adding(seconds: Int64(random.int(8..<25)))
                route = try await routes.fallThrough(routeID: route.routeID, accountID: accountID, outcome: random.unit() < 0.7 ? .noAnswer : .busy, at: clock)
            }
            let target = route.ringing.first
            let roll = random.unit()
            let status: CallStatus = target == nil ? (roll < 0.5 ? .canceled : .failed)
                : roll < 0.82 ? .completed : roll < 0.92 ? .noAnswer : .busy
            let answered = status == .completed
            let duration = answered ? Int(20 + 400 * pow(random.unit(), 1.8)) : 0
            let answeredAt = clock.adding(seconds: Int64(random.int(2..<15)))
            let end = answeredAt.adding(seconds: Int64(duration + random.int(1..<5)))
            if answered, let target {
                try await routes.connected(routeID: route.routeID, accountID: accountID, at: answeredAt, target: target.target)
            }
            if target != nil {
                try await routes.ended(routeID: route.routeID, accountID: accountID, at: end, durationSeconds: answered ? duration : nil)
            }
            let figures = CallFigures.price(PricedCall(status: status, connectedSeconds: duration, isDuplicate: route.duplicate), rules: route.rules)
            var startFields = CallFields(
                callerPhone: arrival.caller, trackingNumber: arrival.number, callStartedAt: arrival.start, status: .ringing,
                campaignID: campaign.id, publisherID: route.publisherID?.rawValue, targetID: target?.target.rawValue, callerState: arrival.state)
            startFields.tags = tags
            batch.append(IncomingEvent(
                event: CallEvent(source: .native, externalCallID: externalID, idempotencyKey: "\(externalID):started",
                                 occurredAt: arrival.start, type: "call.started", fields: startFields),
                payload: "{}"))
            var destination: PhoneNumber?
            if case .number(let number)? = target?.destination { destination = number }
            let endFields = CallFields(
                destinationNumber: destination, durationSeconds: duration, callAnsweredAt: answered ? answeredAt : nil,
                callEndedAt: end, status: status, revenue: figures.revenue, payout: figures.payout, converted: figures.converted,
                recordingURL: answered ? "https://recordings.example.com/demo/\(externalID).mp3" : nil)
            batch.append(IncomingEvent(
                event: CallEvent(source: .native, externalCallID: externalID, idempotencyKey: "\(externalID):ended",
                                 occurredAt: end, type: "call.ended", fields: endFields),
                payload: "{}"))
            if batch.count >= 500 {
                _ = try await ledger.append(batch, accountID: accountID, request: request)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { _ = try await ledger.append(batch, accountID: accountID, request: request) }
        return calls
    }
}

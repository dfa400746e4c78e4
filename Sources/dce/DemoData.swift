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
    static func prepare(database: any Database, calls: Int, logger: Logger) async throws -> Prepared {
        let directory = AccountDirectory(database: database)
        let ledger = Ledger(database: database)
        var created = 0
        let account: Account
        if let existing = try await directory.account(named: accountName) {
            account = existing
        } else {
            account = try await directory.create(name: accountName)
            created = try await seed(ledger: ledger, accountID: account.id, calls: calls, now: .now())
            logger.info("demo data created", metadata: ["calls": "\(created)"])
        }
        let key = try await directory.issueKey(for: account.id, label: "demo")
        return Prepared(key: key.plaintext, callsCreated: created)
    }

    static let campaigns: [(id: String, revenue: ClosedRange<Int>, payoutShare: Double, convertAfter: Int)] = [
        ("auto-insurance", 1800...4500, 0.65, 90),
        ("medicare-advantage", 3500...7000, 0.70, 120),
        ("home-services", 1500...3500, 0.60, 60),
        ("debt-relief", 4000...9000, 0.65, 120),
        ("solar", 2500...6000, 0.60, 90),
        ("legal-injury", 6000...15000, 0.55, 180),
    ]
    static let publishers = ["pub-adwise", "pub-callmedia", "pub-leadgenix", "pub-searchpro", "pub-socialreach", "pub-tvdirect"]
    static let states: [(code: String, areaCodes: [String], weight: Int)] = [
        ("CA", ["213", "310", "415", "619", "714"], 12), ("TX", ["214", "512", "713", "210"], 9),
        ("FL", ["305", "407", "813", "904"], 8), ("NY", ["212", "718", "516", "585"], 7),
        ("PA", ["215", "412", "717"], 4), ("IL", ["312", "773", "630"], 4), ("OH", ["216", "614", "513"], 4),
        ("GA", ["404", "678", "912"], 3), ("NC", ["704", "919", "336"], 3), ("MI", ["313", "248", "616"], 3),
        ("AZ", ["602", "480", "520"], 2), ("WA", ["206", "425", "509"], 2), ("CO", ["303", "720", "719"], 2),
        ("NJ", ["201", "973", "732"], 3), ("VA", ["703", "804", "757"], 2), ("TN", ["615", "901", "865"], 2),
    ]
    static let trackingNumbers = ["+18885550101", "+18885550102", "+18885550103", "+18775550104", "+18665550105", "+18555550106", "+18445550107", "+18335550108"]
    static let buyers = ["buyer-acme", "buyer-northstar", "buyer-pinnacle", "buyer-summit"]

    static func seed(ledger: Ledger, accountID: AccountID, calls: Int, now: Timestamp) async throws -> Int {
        var random = SeededRandom(seed: 20261122)
        var batch: [IncomingEvent] = []
        let request = InboundRequest(source: .native, method: "SEED", path: "dce serve --demo", contentType: nil, headers: [:], body: Array("demo data".utf8))
        let stateBag = states.flatMap { state in Array(repeating: state, count: state.weight) }
        for index in 0..<calls {
            // More calls on recent days and in business hours.
            let daysAgo = Int(Double(30) * pow(random.unit(), 1.3))
            let hour = [9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 16, 17, 18, 19, 20, 8, 21][random.int(0..<17)]
            let dayStart = (now.millisecondsSince1970 / 86_400_000 - Int64(daysAgo)) * 86_400_000
            var start = Timestamp(millisecondsSince1970: dayStart + Int64(hour) * 3_600_000 + Int64(random.int(0..<3_600_000)))
            if start > now { start = now.adding(seconds: -Int64(random.int(60..<7200))) }
            let campaign = campaigns[random.int(0..<campaigns.count)]
            let state = stateBag[random.int(0..<stateBag.count)]
            let caller = "+1\(state.areaCodes[random.int(0..<state.areaCodes.count)])\(random.int(200..<999))\(String(format: "%04d", random.int(0..<10000)))"
            let roll = random.unit()
            let status: CallStatus = roll < 0.70 ? .completed : roll < 0.82 ? .noAnswer : roll < 0.88 ? .busy : roll < 0.93 ? .canceled : .failed
            let answered = status == .completed
            let duration = answered ? Int(20 + 400 * pow(random.unit(), 1.8)) : 0
            let converted = answered && duration >= campaign.convertAfter && random.unit() < 0.8
            let revenueCents = converted ? Int64(random.int(campaign.revenue.lowerBound..<(campaign.revenue.upperBound + 1))) : 0
            let externalID = "demo-\(index)"
            var startFields = CallFields(
                callerPhone: try? PhoneNumber(parsing: caller),
                trackingNumber: try? PhoneNumber(parsing: trackingNumbers[random.int(0..<trackingNumbers.count)]),
                callStartedAt: start, status: .ringing, campaignID: campaign.id,
                publisherID: publishers[random.int(0..<publishers.count)], callerState: state.code
            )
            startFields.tags = (try? Tags(validating: [
                "utm_source": ["google", "bing", "facebook", "tv", "direct"][random.int(0..<5)],
                "utm_campaign": campaign.id,
            ])) ?? Tags()
            batch.append(IncomingEvent(
                event: CallEvent(source: .native, externalCallID: externalID, idempotencyKey: "\(externalID):started",
                                 occurredAt: start, type: "call.started", fields: startFields),
                payload: "{}"
            ))
            let end = start.adding(seconds: Int64(duration + random.int(3..<25)))
            let endFields = CallFields(
                destinationNumber: answered ? try? PhoneNumber(parsing: "+1800555\(String(format: "%04d", 1000 + random.int(0..<40))))") : nil,
                durationSeconds: duration,
                callAnsweredAt: answered ? start.adding(seconds: Int64(random.int(2..<20))) : nil,
                callEndedAt: end, status: status,
                targetID: answered ? buyers[random.int(0..<buyers.count)] : nil,
                revenue: Money(cents: revenueCents),
                payout: Money(cents: Int64(Double(revenueCents) * campaign.payoutShare)),
                converted: converted,
                recordingURL: answered ? "https://recordings.example.com/demo/\(externalID).mp3" : nil
            )
            batch.append(IncomingEvent(
                event: CallEvent(source: .native, externalCallID: externalID, idempotencyKey: "\(externalID):ended",
                                 occurredAt: end, type: "call.ended", fields: endFields),
                payload: "{}"
            ))
            if batch.count >= 500 {
                _ = try await ledger.append(batch, accountID: accountID, request: request)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { _ = try await ledger.append(batch, accountID: accountID, request: request) }
        return calls
    }
}

import DCEDomain
import Foundation
import Testing

/// Campaigns, publishers, buyers and targets as an operator writes them in JSON: read,
/// checked field by field, turned into a routing plan, and written back unchanged.
@Suite struct ExchangeSpecTests {
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(json.utf8))
    }

    static let buyerJSON = """
        {"name": "Acme Insurance", "time_zone": "America/New_York",
         "conversion": {"min_seconds": 90, "revenue": "35.00"},
         "caps": {"limits": [{"metric": "routed", "period": "day", "limit": 50}], "concurrency": 5},
         "duplicate_window_days": 30, "external_ids": {"ringba": ["TA1b2c3"], "retreaver": ["8812"]}}
        """
    static let targetJSON = """
        {"name": "Acme East", "buyer_id": "buy_acme", "destination": "+18005550100",
         "time_zone": "America/New_York",
         "hours": [{"weekday": "monday", "opens": "09:00", "closes": "17:00"},
                   {"weekday": "friday", "opens": "22:00", "closes": "02:00"}],
         "filters": [{"field": "caller_state", "operator": "in", "values": ["NY", "NJ"]}]}
        """

    @Test func aBuyerReadsWithItsRulesAndWritesBackTheSame() throws {
        let buyer = try Self.decode(BuyerSpec.self, Self.buyerJSON)
        #expect(buyer.conversion == ConversionRule(minimumSeconds: 90, revenue: Money(cents: 3500)))
        #expect(buyer.caps.concurrency == 5)
        #expect(buyer.externalIDs.pairs.map(\.id) == ["8812", "TA1b2c3"], "retreaver sorts before ringba")
        try buyer.validate()
        let again = try JSONDecoder().decode(BuyerSpec.self, from: JSONEncoder().encode(buyer))
        #expect(again == buyer)
    }

    @Test func aTargetTakesDefaultsForWhatItLeavesOut() throws {
        let target = try Self.decode(TargetSpec.self, Self.targetJSON)
        #expect(target.ringTimeoutSeconds == 30)
        #expect(target.caps.isEmpty)
        #expect(target.hours?.count == 2)
        try target.validate()
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        let name: String
        let check: @Sendable () throws -> Void
        let field: String
        var testDescription: String { name }
    }

    static let invalid: [Invalid] = [
        Invalid(name: "an empty buyer name", check: {
            var buyer = try decode(BuyerSpec.self, buyerJSON); buyer.name = " "; try buyer.validate()
        }, field: "name"),
        Invalid(name: "a negative revenue", check: {
            var buyer = try decode(BuyerSpec.self, buyerJSON); buyer.conversion.revenue = Money(cents: -1); try buyer.validate()
        }, field: "conversion.revenue"),
        Invalid(name: "a cap below 0", check: {
            var buyer = try decode(BuyerSpec.self, buyerJSON); buyer.caps.limits[0].limit = -1; try buyer.validate()
        }, field: "caps.limits[0].limit"),
        Invalid(name: "a vendor name with capitals", check: {
            var buyer = try decode(BuyerSpec.self, buyerJSON); buyer.externalIDs = ExternalIDs(["Ringba": ["x"]]); try buyer.validate()
        }, field: "external_ids.Ringba"),
        Invalid(name: "overlapping hours", check: {
            var target = try decode(TargetSpec.self, targetJSON)
            target.hours?.append(try decode(HoursWindow.self, #"{"weekday": "monday", "opens": "16:00", "closes": "18:00"}"#))
            try target.validate()
        }, field: "hours[2]"),
        Invalid(name: "a ring timeout of 0", check: {
            var target = try decode(TargetSpec.self, targetJSON); target.ringTimeoutSeconds = 0; try target.validate()
        }, field: "ring_timeout_seconds"),
        Invalid(name: "a revenue share above 100", check: {
            try PublisherSpec(name: "P", payout: PayoutRule(minimumSeconds: 0, amount: .revenueShare(percent: 101))).validate()
        }, field: "payout.revenue_share_percent"),
        Invalid(name: "every weight 0", check: {
            try CampaignSpec(name: "C", routing: [RoutingEntry(targetID: "tgt_a", weight: 0), RoutingEntry(targetID: "tgt_b", weight: 0)]).validate()
        }, field: "routing[0].weight"),
        Invalid(name: "a target twice", check: {
            try CampaignSpec(name: "C", routing: [RoutingEntry(targetID: "tgt_a"), RoutingEntry(targetID: "tgt_a")]).validate()
        }, field: "routing[1].target_id"),
        Invalid(name: "eleven targets ringing at once", check: {
            try CampaignSpec(name: "C", simultaneousRing: 11).validate()
        }, field: "simultaneous_ring"),
        Invalid(name: "a ring group of eleven", check: {
            try CampaignSpec(name: "C", routing: (0..<11).map { RoutingEntry(targetID: TargetID(rawValue: "tgt_\($0)"), ringGroup: "floor") }).validate()
        }, field: "routing[10].ring_group"),
        Invalid(name: "a blank ring group", check: {
            try CampaignSpec(name: "C", routing: [RoutingEntry(targetID: "tgt_a", ringGroup: " ")]).validate()
        }, field: "routing[0].ring_group"),
        Invalid(name: "a ring group name past 64 characters", check: {
            try CampaignSpec(name: "C", routing: [RoutingEntry(targetID: "tgt_a", ringGroup: String(repeating: "g", count: 65))]).validate()
        }, field: "routing[0].ring_group"),
        Invalid(name: "a number twice", check: {
            let number = try PhoneNumber(parsing: "+18885550100")
            try CampaignSpec(name: "C", numbers: [CampaignNumber(number: number), CampaignNumber(number: number)]).validate()
        }, field: "numbers[1].number"),
    ]

    @Test(arguments: invalid) func anInvalidSpecNamesItsField(_ example: Invalid) {
        #expect {
            try example.check()
        } throws: { error in
            (error as? RoutingPlanError)?.field == example.field
        }
    }

    @Test func aPayoutNeedsExactlyOneAmount() {
        #expect(throws: DecodingError.self) {
            try Self.decode(PayoutRule.self, #"{"min_seconds": 30, "fixed": "5.00", "revenue_share_percent": 50}"#)
        }
        #expect(throws: DecodingError.self) { try Self.decode(PayoutRule.self, #"{"min_seconds": 30}"#) }
    }

    @Test func aCampaignBecomesARoutingPlanWithItsOwnOrder() throws {
        let now = Timestamp(millisecondsSince1970: 0)
        let buyer = Buyer(id: "buy_acme", spec: try Self.decode(BuyerSpec.self, Self.buyerJSON), createdAt: now, updatedAt: now)
        let target = Target(id: "tgt_east", spec: try Self.decode(TargetSpec.self, Self.targetJSON), createdAt: now, updatedAt: now)
        let campaign = CampaignSpec(name: "Auto", routing: [RoutingEntry(targetID: "tgt_east", priority: 2, weight: 70)], fallback: .voicemail)
        let plan = try campaign.plan(targets: ["tgt_east": target], buyers: ["buy_acme": buyer])
        #expect(plan.targets.map(\.priority) == [2])
        #expect(plan.targets.map(\.weight) == [70])
        #expect(plan.buyers == [RoutingBuyer(id: "buy_acme", caps: buyer.spec.caps, duplicateWindowDays: 30, timeZone: buyer.spec.timeZone)])
        #expect(plan.fallback == .voicemail)

        #expect(throws: RoutingPlanError(field: "routing[0].target_id", problem: .unknownID("tgt_east"))) {
            try campaign.plan(targets: [:], buyers: ["buy_acme": buyer])
        }
    }

    @Test func anEntityIsOneFlatObject() throws {
        let now = Timestamp(millisecondsSince1970: 1_767_225_600_000)
        let publisher = Publisher(id: "pub_1", spec: PublisherSpec(name: "Leads Co", payout: PayoutRule(minimumSeconds: 60, amount: .fixed(Money(cents: 1200)))),
                                  createdAt: now, updatedAt: now)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(publisher), as: UTF8.self)
        #expect(json == #"{"created_at":"2026-01-01T00:00:00.000Z","external_ids":{},"id":"pub_1","name":"Leads Co","payout":{"fixed":"12.00","min_seconds":60},"updated_at":"2026-01-01T00:00:00.000Z"}"#)
    }
}

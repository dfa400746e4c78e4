import DCEDomain
import Testing

/// Who earns what for one call: the buyer's conversion rule, the publisher's payout rule,
/// duplicates, and the vendor's own figures, each with the rule that decided it.
@Suite struct CallFiguresTests {
    static let buyer = ConversionRule(minimumSeconds: 90, revenue: Money(cents: 3500))
    static let fixed = PayoutRule(minimumSeconds: 30, amount: .fixed(Money(cents: 1200)))
    static let share = PayoutRule(minimumSeconds: 30, amount: .revenueShare(percent: 40))

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let call: PricedCall
        var rules = PricingRules(conversion: buyer, payout: fixed)
        let converted: Bool
        let revenue: Int64
        let payable: Bool
        let payout: Int64
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "a long call converts and pays", call: PricedCall(status: .completed, connectedSeconds: 95),
             converted: true, revenue: 3500, payable: true, payout: 1200),
        Case(name: "a call of exactly the minimum converts", call: PricedCall(status: .completed, connectedSeconds: 90),
             converted: true, revenue: 3500, payable: true, payout: 1200),
        Case(name: "a call that pays the publisher but does not bill the buyer", call: PricedCall(status: .completed, connectedSeconds: 45),
             converted: false, revenue: 0, payable: true, payout: 1200),
        Case(name: "an unanswered call earns nothing", call: PricedCall(status: .noAnswer, connectedSeconds: 120),
             converted: false, revenue: 0, payable: false, payout: 0),
        Case(name: "a share of revenue", call: PricedCall(status: .completed, connectedSeconds: 100),
             rules: PricingRules(conversion: buyer, payout: share), converted: true, revenue: 3500, payable: true, payout: 1400),
        Case(name: "a share of no revenue is nothing", call: PricedCall(status: .completed, connectedSeconds: 60),
             rules: PricingRules(conversion: buyer, payout: share), converted: false, revenue: 0, payable: true, payout: 0),
        Case(name: "a duplicate is neither payable nor receivable by default", call: PricedCall(status: .completed, connectedSeconds: 200, isDuplicate: true),
             converted: false, revenue: 0, payable: false, payout: 0),
        Case(name: "a campaign that bills duplicates", call: PricedCall(status: .completed, connectedSeconds: 200, isDuplicate: true),
             rules: PricingRules(conversion: buyer, payout: fixed, duplicates: DuplicatePolicy(payable: false, receivable: true)),
             converted: true, revenue: 3500, payable: false, payout: 0),
        Case(name: "the vendor's figures count where the campaign says so",
             call: PricedCall(status: .completed, connectedSeconds: 20, vendorRevenue: Money(cents: 5000), vendorPayout: Money(cents: 2000)),
             rules: PricingRules(conversion: buyer, payout: fixed, figures: .vendor), converted: true, revenue: 5000, payable: true, payout: 2000),
        Case(name: "without vendor figures dce's count", call: PricedCall(status: .completed, connectedSeconds: 95),
             rules: PricingRules(conversion: buyer, payout: fixed, figures: .vendor), converted: true, revenue: 3500, payable: true, payout: 1200),
    ]

    @Test(arguments: cases) func aCallIsPricedByItsRules(_ example: Case) {
        let figures = CallFigures.price(example.call, rules: example.rules)
        #expect(figures.converted == example.converted)
        #expect(figures.revenue == Money(cents: example.revenue))
        #expect(figures.payable == example.payable)
        #expect(figures.payout == Money(cents: example.payout))
        #expect(figures.profit == Money(cents: example.revenue - example.payout))
    }

    @Test func aLateDurationConvertsACallThatWasShortAtFirst() {
        let rules = PricingRules(conversion: Self.buyer, payout: Self.fixed)
        let early = CallFigures.price(PricedCall(status: .inProgress, connectedSeconds: 10), rules: rules)
        let late = CallFigures.price(PricedCall(status: .completed, connectedSeconds: 140), rules: rules)
        #expect(early.dce.conversionRule == "connected 10 s < 90 s")
        #expect(!early.converted)
        #expect(late.dce.conversionRule == "connected 140 s ≥ 90 s")
        #expect(late.revenue == Money(cents: 3500))
    }

    @Test func bothFiguresAreShownAndOneCounts() {
        let rules = PricingRules(conversion: Self.buyer, payout: Self.fixed, figures: .dce)
        let figures = CallFigures.price(PricedCall(status: .completed, connectedSeconds: 95, vendorRevenue: Money(cents: 4000), cost: Money(cents: 25)), rules: rules)
        #expect(figures.counted == .dce)
        #expect(figures.vendor?.revenue == Money(cents: 4000))
        #expect(figures.dce.revenue == Money(cents: 3500))
        #expect(figures.profit == Money(cents: 3500 - 1200 - 25))
    }
}

import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import Testing

/// Every create and replace keeps a revision valid from its moment, so a call dce did not
/// route is priced by the rules in force when it happened, never by a later edit.
@Suite struct ExchangeRevisionsTests {
    typealias Fixture = ExchangeDirectoryTests

    static let beforeSetup = Timestamp(millisecondsSince1970: Fixture.created.millisecondsSince1970 - 86_400_000)
    static let betweenEdits = Timestamp(millisecondsSince1970: Fixture.created.millisecondsSince1970 + 3_600_000)
    static let afterEdit = Timestamp(millisecondsSince1970: Fixture.edited.millisecondsSince1970 + 3_600_000)

    @Test(arguments: TestEngine.all)
    func aCallIsPricedByTheRevisionsInForceWhenItHappened(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup: the buyer converts after 90 s for 40.00; later after 120 s for 55.00
            let accountID = try await TestAccount.make(database).account.id
            let directory = ExchangeDirectory(database: database)
            let exchange = try await Fixture.exchange(directory, accountID: accountID)
            var raised = exchange.buyer.spec
            raised.conversion = ConversionRule(minimumSeconds: 120, revenue: Money(cents: 5_500))
            _ = try await directory.replace(raised, id: exchange.buyer.id, accountID: accountID, now: Fixture.edited)
            let campaignID = CampaignID(rawValue: exchange.campaign.id)
            let targetID = TargetID(rawValue: exchange.target.id)

            // run
            func inForce(at time: Timestamp) async throws -> RulesInForce {
                try #require(try await directory.rulesInForce(
                    campaignID: campaignID, targetID: targetID, publisherID: nil, at: time, accountID: accountID))
            }
            let before = try await inForce(at: Self.betweenEdits)
            let after = try await inForce(at: Self.afterEdit)
            let beforeSetup = try await inForce(at: Self.beforeSetup)

            // validate: the first rule before the edit (and before the setup: the first revision), the new one after
            let original = ConversionRule(minimumSeconds: 90, revenue: Money(cents: 4_000))
            let payout = PayoutRule(minimumSeconds: 60, amount: .fixed(Money(cents: 1_500)))
            #expect(before.rules == PricingRules(conversion: original, payout: payout))
            #expect(beforeSetup.rules == before.rules && beforeSetup.revisions == before.revisions)
            #expect(after.rules == PricingRules(conversion: raised.conversion, payout: payout))
            #expect(before.buyerID == BuyerID(rawValue: exchange.buyer.id))
            #expect(before.publisherID == PublisherID(rawValue: exchange.publisher.id))
            #expect(before.revisions.campaign == after.revisions.campaign && before.revisions.target == after.revisions.target)
            #expect(before.revisions.publisher == after.revisions.publisher)
            #expect(before.revisions.buyer != after.revisions.buyer)
            let firstBuyer = try #require(try await directory.revision(
                BuyerSpec.self, id: exchange.buyer.id, at: Self.betweenEdits, accountID: accountID))
            #expect(firstBuyer.id == before.revisions.buyer && firstBuyer.spec == exchange.buyer.spec)
            #expect(firstBuyer.validFrom == Fixture.created && firstBuyer.id.hasPrefix("rev_"))
        }
    }

    @Test(arguments: TestEngine.all)
    func editsWithinOneMillisecondKeepTheirOrderAndRevisionsGoWithTheirEntity(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let accountID = try await TestAccount.make(database).account.id
            let directory = ExchangeDirectory(database: database)
            let publisher = try await directory.create(Fixture.publisher(), accountID: accountID, now: Fixture.created)

            // run: two edits stamped with the creation's own moment
            var edited = publisher.spec
            edited.payout.amount = .fixed(Money(cents: 2_000))
            _ = try await directory.replace(edited, id: publisher.id, accountID: accountID, now: Fixture.created)
            edited.payout.amount = .fixed(Money(cents: 2_500))
            _ = try await directory.replace(edited, id: publisher.id, accountID: accountID, now: Fixture.created)

            // validate: each a millisecond after the one before, the last one in force after them
            let latest = try #require(try await directory.revision(
                PublisherSpec.self, id: publisher.id, at: Self.betweenEdits, accountID: accountID))
            #expect(latest.spec == edited)
            #expect(latest.validFrom == Timestamp(millisecondsSince1970: Fixture.created.millisecondsSince1970 + 2))

            // run: delete
            try await directory.delete(PublisherSpec.self, id: publisher.id, accountID: accountID)
            // validate
            #expect(try await directory.revision(PublisherSpec.self, id: publisher.id, at: Self.betweenEdits, accountID: accountID) == nil)
        }
    }
}

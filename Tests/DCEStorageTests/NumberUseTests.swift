import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import Testing

/// Only numbers whose use is `pool` fill pools: an ad's number (with a campaign), a
/// RingCentral CTN labelled with its destination, or any number set `static` is never
/// leased to a website visitor, whose calls would then be credited to a visit.
@Suite struct NumberUseTests {
    static func pool(size: Int) -> RingPool {
        let now = Timestamp.now()
        return RingPool(
            id: 0, key: "", scope: .init(networkID: "1", advertiserID: "a", campaignID: "c"), idFromNetwork: "tf-\(size)",
            maxPoolSize: size, createdAt: now, updatedAt: now
        )
    }

    @Test func aNumberWithoutAnExplicitUseIsStaticWhenItNamesACampaignOrALabel() throws {
        let number = try PhoneNumber(parsing: "+18885550100")
        #expect(TrackingNumber(number: number).use == .pool)
        #expect(TrackingNumber(number: number, label: "+14155550199").use == .static)
        #expect(TrackingNumber(number: number, campaignID: "spring-ad").use == .static)
        #expect(TrackingNumber(number: number, campaignID: "spring-ad", use: .pool).use == .pool)
    }

    @Test(arguments: TestEngine.all)
    func aPoolNeverTakesAStaticLabelledOrCampaignNumber(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup: six toll-free numbers, three of them an ad's or labelled or set static
            let account = try await TestAccount.make(database)
            let inventory = NumberInventory(database: database)
            let numbers: [TrackingNumber] = [
                TrackingNumber(number: try PhoneNumber(parsing: "+18885550100"), label: "+14155550199"),
                TrackingNumber(number: try PhoneNumber(parsing: "+18885550101"), campaignID: "billboard"),
                TrackingNumber(number: try PhoneNumber(parsing: "+18885550102"), use: .static),
                TrackingNumber(number: try PhoneNumber(parsing: "+18885550103")),
                TrackingNumber(number: try PhoneNumber(parsing: "+18885550104")),
                TrackingNumber(number: try PhoneNumber(parsing: "+18885550105"), campaignID: "web", use: .pool),
            ]
            for number in numbers { _ = try await inventory.add(number, accountID: account.account.id) }
            let store = RingPoolStore(database: database)
            let (pool, _) = try await store.save(Self.pool(size: 6), accountID: account.account.id)
            // run
            _ = try await PoolAllocator(database: database, geo: try GeoDirectory(parsing: "")).allocateDue()
            // validate: only the three pool-use numbers joined
            let members = try await inventory.list(.init(poolID: pool.key), accountID: account.account.id)
            #expect(members.map(\.number.number.e164) == ["+18885550103", "+18885550104", "+18885550105"])
            var staticOnly = NumberInventory.Filter()
            staticOnly.use = .static
            let statics = try await inventory.list(staticOnly, accountID: account.account.id)
            #expect(statics.map(\.number.number.e164) == ["+18885550100", "+18885550101", "+18885550102"])
            #expect(statics.allSatisfy { $0.number.poolID == nil })
        }
    }
}

import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import Testing

@Suite struct PoolAllocatorTests {
    static let geo = try! GeoDirectory(parsing: """
        A 415 CA 37.78 -122.43
        A 510 CA 37.80 -122.20
        A 805 CA 34.44 -119.72
        A 212 NY 40.75 -73.98
        S CA
        94103 3777 -12241
        """)

    static func inventory(_ database: any Database, accountID: AccountID, _ numbers: [String]) async throws {
        let inventory = NumberInventory(database: database)
        for text in numbers {
            _ = try await inventory.add(TrackingNumber(number: try PhoneNumber(parsing: text)), accountID: accountID)
        }
    }

    static func localPool(_ center: LocalCenter, size: Int, fallback: LocalNumberPreferences.Fallback) -> RingPool {
        let now = Timestamp.now()
        return RingPool(
            id: 0, key: "", scope: .init(networkID: "1", advertiserID: "a", campaignID: "c"), idFromNetwork: "local-\(size)",
            maxPoolSize: size, localCenter: center,
            localPreferences: LocalNumberPreferences(allocationFallbackStrategy: fallback), createdAt: now, updatedAt: now
        )
    }

    @Test(arguments: TestEngine.all)
    func aLocalPoolTakesTheNearestLocalNumbersThenTollFree(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let account = try await TestAccount.make(database)
            try await Self.inventory(database, accountID: account.account.id,
                                     ["+18055550100", "+15105550100", "+14155550100", "+12125550100", "+18885550100", "+18885550101"])
            let store = RingPoolStore(database: database)
            let (pool, _) = try await store.save(Self.localPool(.tnPrefix("415"), size: 4, fallback: .useTollFree), accountID: account.account.id)
            // run
            let results = try await PoolAllocator(database: database, geo: Self.geo).allocateDue()
            // validate
            #expect(results.map(\.state) == [.allocated])
            let members = try await NumberInventory(database: database).list(.init(poolID: pool.key), accountID: account.account.id)
            // Santa Barbara (805) is beyond the default 240 miles; New York is another state.
            #expect(members.map(\.number.number.e164) == ["+14155550100", "+15105550100", "+18885550100", "+18885550101"])
            let stored = try #require(try await store.pool(key: pool.key)?.1)
            #expect(stored.allocationState == .allocated)
            #expect(stored.allocationNote?.contains("2 local and 2 toll-free") == true)
        }
    }

    @Test(arguments: TestEngine.all)
    func aWaitingPoolTakesLocalNumbersOnlyAndWaitsForMore(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            try await Self.inventory(database, accountID: account.account.id, ["+14155550100", "+18885550100"])
            let store = RingPoolStore(database: database)
            let (pool, _) = try await store.save(Self.localPool(.zipcode("94103"), size: 3, fallback: .wait), accountID: account.account.id)
            let results = try await PoolAllocator(database: database, geo: Self.geo).allocateDue()
            #expect(results.map(\.state) == [.waiting])
            let members = try await NumberInventory(database: database).list(.init(poolID: pool.key), accountID: account.account.id)
            #expect(members.map(\.number.number.e164) == ["+14155550100"])
            // Not due again until the retry time.
            #expect(try await PoolAllocator(database: database, geo: Self.geo).allocateDue().isEmpty)
        }
    }

    @Test(arguments: TestEngine.all)
    func twoPoolsNeverClaimTheSameNumber(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let account = try await TestAccount.make(database)
            try await Self.inventory(database, accountID: account.account.id, (0..<10).map { "+1888555010\($0)" })
            let store = RingPoolStore(database: database)
            let now = Timestamp.now()
            var keys: [String] = []
            for index in 0..<3 {
                let draft = RingPool(id: 0, key: "", scope: .init(networkID: "1", advertiserID: "a", campaignID: "c"),
                                     idFromNetwork: "p\(index)", maxPoolSize: 4, createdAt: now, updatedAt: now)
                keys.append(try await store.save(draft, accountID: account.account.id).0.key)
            }
            let allocator = PoolAllocator(database: database, geo: Self.geo)
            async let first = allocator.allocateDue()
            async let second = allocator.allocateDue()
            _ = try await (first, second)
            let all = try await NumberInventory(database: database).list(.init(), accountID: account.account.id)
            let sizes = keys.map { key in all.filter { $0.number.poolID == key }.count }
            #expect(sizes.reduce(0, +) == 10)
            #expect(sizes.sorted() == [2, 4, 4])
        }
    }
}

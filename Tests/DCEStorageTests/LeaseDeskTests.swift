import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import Testing

/// A pool with `count` numbers on a fresh database, for lease tests.
struct PoolFixture {
    let database: any Database
    let accountID: AccountID
    let pool: RingPool
    let numbers: [PhoneNumber]

    static func make(_ database: any Database, count: Int, lifetimeSeconds: Int = 60, allowOverflow: Bool = false) async throws -> PoolFixture {
        let account = try await TestAccount.make(database)
        let now = Timestamp.now()
        let draft = RingPool(
            id: 0, key: "", scope: .init(networkID: "1", advertiserID: "adv", campaignID: "camp"), idFromNetwork: "pool-1",
            lifetimeSeconds: lifetimeSeconds, maxPoolSize: count, allowOverflow: allowOverflow, createdAt: now, updatedAt: now
        )
        let (pool, _) = try await RingPoolStore(database: database).save(draft, accountID: account.account.id)
        let inventory = NumberInventory(database: database)
        var numbers: [PhoneNumber] = []
        for index in 0..<count {
            let number = try PhoneNumber(parsing: "+1888555\(String(format: "%04d", index))")
            _ = try await inventory.add(TrackingNumber(number: number, poolID: pool.key), accountID: account.account.id)
            numbers.append(number)
        }
        return PoolFixture(database: database, accountID: account.account.id, pool: pool, numbers: numbers)
    }

    var desk: LeaseDesk { LeaseDesk(database: database) }

    func lease(_ visitor: String? = nil, at now: Timestamp = .now()) async throws -> LeaseOutcome {
        try await desk.lease(from: pool, accountID: accountID, session: VisitorSession(visitorID: visitor), now: now)
    }
}

@Suite struct LeaseDeskTests {
    @Test(arguments: TestEngine.all)
    func everyNumberIsLeasedOnceThenRequestsMissAndAreCounted(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let fixture = try await PoolFixture.make(database, count: 3)
            // run
            var leased: [PhoneNumber] = []
            for _ in 0..<3 { leased.append(try #require(try await fixture.lease().lease).number) }
            let fourth = try await fixture.lease()
            // validate
            #expect(Set(leased) == Set(fixture.numbers))
            #expect(fourth == .miss(overflow: nil))
            let stats = try await RingPoolStore(database: database).statistics(of: [fixture.pool], accountID: fixture.accountID)
            #expect(stats[fixture.pool.id] == PoolStatistics(size: 3, leased: 3, misses: 1, leases: 3))
        }
    }

    @Test(arguments: TestEngine.all)
    func theLeastRecentlyReleasedNumberIsLeasedFirstAndNeverLeasedOnesBeforeThat(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let fixture = try await PoolFixture.make(database, count: 4, lifetimeSeconds: 15)
            let start = Timestamp(millisecondsSince1970: 1_800_000_000_000)
            // Leased at 0 s, 5 s, 10 s: released (expired) at 15 s, 20 s, 25 s. The fourth is never leased.
            var order: [PhoneNumber] = []
            for offset in [0, 5, 10] as [Int64] {
                order.append(try #require(try await fixture.lease(at: start.adding(seconds: offset)).lease).number)
            }
            let never = try #require(Set(fixture.numbers).subtracting(order).first)
            let later = start.adding(seconds: 60)
            var next: [PhoneNumber] = []
            for _ in 0..<4 { next.append(try #require(try await fixture.lease(at: later).lease).number) }
            #expect(next == [never] + order)
        }
    }

    @Test(arguments: TestEngine.all)
    func keepAliveExtendsOnlyWithTheRightTokenAndTheVisitorGetsTheSameNumberBack(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let fixture = try await PoolFixture.make(database, count: 2, lifetimeSeconds: 30)
            let start = Timestamp(millisecondsSince1970: 1_800_000_000_000)
            let lease = try #require(try await fixture.lease("visitor-1", at: start).lease)
            #expect(lease.expiresAt == start.adding(seconds: 30))

            let pinged = try await fixture.desk.keepAlive([(lease.id, lease.token), (lease.id, "wrong")], now: start.adding(seconds: 20))
            #expect(pinged.count == 1)
            #expect(pinged.first?.expiresAt == start.adding(seconds: 50))

            let again = try await fixture.lease("visitor-1", at: start.adding(seconds: 40))
            guard case .renewed(let renewed) = again else { Issue.record("expected a renewal, got \(again)"); return }
            #expect(renewed.id == lease.id)
            #expect(renewed.expiresAt == start.adding(seconds: 70))

            // Past its lifetime a lease cannot be kept alive.
            #expect(try await fixture.desk.keepAlive([(lease.id, lease.token)], now: start.adding(seconds: 71)).isEmpty)
        }
    }

    @Test(arguments: TestEngine.all)
    func anOverflowPoolKeepsOneNumberBackForVisitorsWhoFindItFull(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let fixture = try await PoolFixture.make(database, count: 3, allowOverflow: true)
            try await PoolAllocator(database: database, geo: GeoDirectory(areaCodes: [:], zipCodes: [:])).allocateDue()
            let pool = try #require(try await RingPoolStore(database: database).pool(key: fixture.pool.key)?.1)
            let overflow = try #require(pool.overflowNumber)
            let desk = LeaseDesk(database: database)
            var leased: [PhoneNumber] = []
            for _ in 0..<2 { leased.append(try #require(try await desk.lease(from: pool, accountID: fixture.accountID, session: VisitorSession()).lease).number) }
            #expect(!leased.contains(overflow))
            #expect(try await desk.lease(from: pool, accountID: fixture.accountID, session: VisitorSession()) == .miss(overflow: overflow))
        }
    }

    @Test(arguments: TestEngine.all)
    func concurrentRequestsNeverShareANumber(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let fixture = try await PoolFixture.make(database, count: 40)
            let outcomes = try await withThrowingTaskGroup(of: LeaseOutcome.self) { group in
                for _ in 0..<120 { group.addTask { try await fixture.lease() } }
                return try await group.reduce(into: [LeaseOutcome]()) { $0.append($1) }
            }
            let numbers = outcomes.compactMap(\.lease?.number)
            #expect(numbers.count == 40)
            #expect(Set(numbers).count == 40)
            #expect(outcomes.filter { if case .miss = $0 { true } else { false } }.count == 80)
            let live = try await fixture.desk.liveLeases(accountID: fixture.accountID)
            #expect(Set(live.map(\.number)).count == live.count)
        }
    }
}

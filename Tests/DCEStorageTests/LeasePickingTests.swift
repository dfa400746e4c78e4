import DCEDomain
@testable import DCEStorage
import DCETestSupport
import Foundation
import SQLKit
import Testing

/// Picking a pool's next number reads one entry of the index of free numbers, and that
/// index stays true to the leases.
@Suite struct LeasePickingTests {
    /// A pool of `count` numbers made in one transaction (large pools are slow to add one by one).
    static func pool(_ database: any Database, count: Int, lifetimeSeconds: Int = 60) async throws -> (AccountID, RingPool) {
        let account = try await TestAccount.make(database)
        let now = Timestamp.now()
        let draft = RingPool(
            id: 0, key: "", scope: .init(networkID: "1", advertiserID: "adv", campaignID: "camp"), idFromNetwork: "big",
            lifetimeSeconds: lifetimeSeconds, maxPoolSize: count, createdAt: now, updatedAt: now
        )
        let (pool, _) = try await RingPoolStore(database: database).save(draft, accountID: account.account.id)
        let numbers = try (0..<count).map { index in
            TrackingNumber(number: try PhoneNumber(parsing: "+1877555\(String(format: "%04d", index))"), poolID: pool.key)
        }
        _ = try await NumberInventory(database: database).importNumbers(numbers, accountID: account.account.id)
        return (account.account.id, pool)
    }

    @Test(arguments: TestEngine.all)
    func thePickReadsTheIndexOfFreeNumbersInOrderWithoutSorting(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup
            let (accountID, pool) = try await Self.pool(database, count: 3000)
            let desk = LeaseDesk(database: database)
            for _ in 0..<20 { _ = try await desk.lease(from: pool, accountID: accountID, session: VisitorSession()) }
            let pick = LeaseDesk.pickQuery(pool: pool, accountID: accountID, engine: database.engine)
            // run
            let plan: [String] = try await database.write { sql in
                switch engine {
                case .sqlite:
                    return try await sql.raw("EXPLAIN QUERY PLAN \(pick)").all().map { try $0.decode(column: "detail", as: String.self) }
                case .postgres:
                    try await sql.raw("ANALYZE tracking_numbers").run()
                    return try await sql.raw("EXPLAIN \(pick)").all().map { try $0.decode(column: "QUERY PLAN", as: String.self) }
                }
            }
            // validate: an index search of the pool's free numbers, already in pick order.
            let text = plan.joined(separator: "\n")
            #expect(text.contains("tracking_numbers_free"), "\(text)")
            #expect(!text.contains("TEMP B-TREE"), "\(text)")
            #expect(!text.contains("Sort"), "\(text)")
            #expect(!text.contains("Seq Scan"), "\(text)")
            #expect(!text.contains("SCAN tracking_numbers"), "\(text)")
        }
    }

    @Test(arguments: TestEngine.all)
    func aVisitorsLeaseIsFoundByVisitorNotByReadingThePoolsLiveLeases(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let (accountID, pool) = try await Self.pool(database, count: 2000)
            let desk = LeaseDesk(database: database)
            for index in 0..<1000 { _ = try await desk.lease(from: pool, accountID: accountID, session: VisitorSession(visitorID: "v\(index)")) }
            let renew = LeaseDesk.renewStatement(visitorID: "v7", pool: pool, now: .now())
            let plan: [String] = try await database.write { sql in
                switch database.engine {
                case .sqlite:
                    return try await sql.raw("EXPLAIN QUERY PLAN \(renew)").all().map { try $0.decode(column: "detail", as: String.self) }
                case .postgres:
                    try await sql.raw("ANALYZE pool_leases").run()
                    return try await sql.raw("EXPLAIN \(renew)").all().map { try $0.decode(column: "QUERY PLAN", as: String.self) }
                }
            }
            let text = plan.joined(separator: "\n")
            #expect(text.contains("pool_leases_visitor"), "\(text)")
        }
    }

    @Test(arguments: TestEngine.all)
    func aLargePoolLeasesEachNumberOnceInLeastRecentlyReleasedOrder(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let (accountID, pool) = try await Self.pool(database, count: 300, lifetimeSeconds: 3600)
            let desk = LeaseDesk(database: database)
            let start = Timestamp(millisecondsSince1970: 1_800_000_000_000)
            // Every number once: never-leased numbers come in number order.
            var first: [PhoneNumber] = []
            for offset in 0..<300 {
                first.append(try #require(try await desk.lease(from: pool, accountID: accountID, session: VisitorSession(),
                                                               now: start.adding(seconds: Int64(offset))).lease).number)
            }
            #expect(first == first.sorted { $0.e164 < $1.e164 })
            #expect(try await desk.lease(from: pool, accountID: accountID, session: VisitorSession(), now: start.adding(seconds: 300)) == .miss(overflow: nil))
            // All expire; they come back in the order they were released (= leased, same lifetime).
            try await desk.releaseExpired(now: start.adding(seconds: 5000))
            var second: [PhoneNumber] = []
            for _ in 0..<300 {
                second.append(try #require(try await desk.lease(from: pool, accountID: accountID, session: VisitorSession(),
                                                                now: start.adding(seconds: 5000)).lease).number)
            }
            #expect(second == first)
        }
    }

    @Test(arguments: TestEngine.all)
    func aNumberLeasedAsTheIndexDidNotKnowIsSkippedAndNoRequestMisses(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let (accountID, pool) = try await Self.pool(database, count: 3)
            let desk = LeaseDesk(database: database)
            let numbers = NumberInventory(database: database)
            // A number removed while leased and added again: its lease is still live.
            let leased = try #require(try await desk.lease(from: pool, accountID: accountID, session: VisitorSession()).lease)
            #expect(try await numbers.remove(leased.number, accountID: accountID))
            _ = try await numbers.add(TrackingNumber(number: leased.number, poolID: pool.key), accountID: accountID)
            // run: the two other numbers are leased, then the pool is full.
            var next: [PhoneNumber] = []
            for _ in 0..<2 { next.append(try #require(try await desk.lease(from: pool, accountID: accountID, session: VisitorSession()).lease).number) }
            // validate
            #expect(!next.contains(leased.number))
            #expect(Set(next).count == 2)
            #expect(try await desk.lease(from: pool, accountID: accountID, session: VisitorSession()) == .miss(overflow: nil))
        }
    }

    @Test(arguments: TestEngine.all)
    func numbersOfADeletedPoolAreFreeInTheNextPool(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let (accountID, pool) = try await Self.pool(database, count: 2)
            let desk = LeaseDesk(database: database)
            for _ in 0..<2 { _ = try #require(try await desk.lease(from: pool, accountID: accountID, session: VisitorSession()).lease) }
            let store = RingPoolStore(database: database)
            #expect(try await store.delete(pool.idFromNetwork, in: pool.scope, accountID: accountID))
            // run: a new pool takes the same numbers.
            let now = Timestamp.now()
            let draft = RingPool(id: 0, key: "", scope: pool.scope, idFromNetwork: "next", lifetimeSeconds: 60, maxPoolSize: 2, createdAt: now, updatedAt: now)
            let (next, _) = try await store.save(draft, accountID: accountID)
            try await PoolAllocator(database: database, geo: GeoDirectory(areaCodes: [:], zipCodes: [:])).allocateDue()
            // validate
            for _ in 0..<2 { #expect(try await desk.lease(from: next, accountID: accountID, session: VisitorSession()).lease != nil) }
        }
    }

    @Test(arguments: TestEngine.all)
    func theMigrationCarriesReleaseTimesAndLiveLeasesOver(engine: TestEngine) async throws {
        try await TestDatabases.with(engine, migrate: false) { database in
            // setup: the schema before lease picking, with a pool of three numbers: one leased,
            // one released at 5000, one never leased.
            try await database.write { sql in
                try await sql.raw("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)").run()
                for migration in Migrations.all where migration.version < 7 {
                    for statement in migration.statements(database.engine) { try await sql.raw(SQLQueryString(statement)).run() }
                    try await sql.raw("INSERT INTO schema_migrations VALUES (\(bind: migration.version), \(bind: migration.name), 0)").run()
                }
            }
            let account = try await TestAccount.make(database)
            let id = account.account.id.rawValue
            let pool = try await RingPoolStore(database: database).save(
                RingPool(id: 0, key: "", scope: .init(networkID: "1", advertiserID: "a", campaignID: "c"), idFromNetwork: "p",
                         lifetimeSeconds: 60, maxPoolSize: 3, createdAt: .now(), updatedAt: .now()), accountID: account.account.id).0
            try await database.write { sql in
                for number in ["+18775550001", "+18775550002", "+18775550003"] {
                    try await sql.raw("""
                        INSERT INTO tracking_numbers (account_id, number, pool_id, kind, created_at, updated_at)
                        VALUES (\(bind: id), \(bind: number), \(bind: pool.key), 'toll_free', 0, 0)
                        """).run()
                }
                try await sql.raw("""
                    INSERT INTO pool_leases (account_id, pool_id, number, token, session_tags, lifetime_seconds, leased_at, last_seen_at, expires_at)
                    VALUES (\(bind: id), \(bind: pool.id), '+18775550001', 't', '{}', 60, 0, 0, 60000)
                    """).run()
                try await sql.raw("INSERT INTO pool_number_releases VALUES (\(bind: id), '+18775550002', 5000)").run()
            }
            // run
            try await Migrations.migrate(database)
            // validate
            let freeSince = try await database.read { sql in
                try await sql.raw("SELECT number, free_since FROM tracking_numbers ORDER BY number").all().map {
                    try $0.decode(column: "free_since", as: Int64?.self)
                }
            }
            #expect(freeSince == [nil, 5000, 0])
            #expect(try await Migrations.appliedVersions(database) == Migrations.all.map(\.version))
        }
    }
}

import AsyncHTTPClient
import DCEDomain
import DCEJSON
import DCEStorage
import DCETestSupport
import Foundation
import NIOCore
import Testing

@Suite(.serialized) struct PoolConcurrencyTests {
    /// A pool of `size` numbers, made directly in the database; returns its key.
    static func preparePool(_ location: DatabaseLocation, size: Int) async throws -> (key: String, account: AccountID) {
        let database = try await openDatabase(location, logger: TestDatabases.logger)
        do {
            let prepared = try await Self.fill(database, size: size)
            await database.close()
            return prepared
        } catch {
            await database.close()
            throw error
        }
    }

    static func fill(_ database: any Database, size: Int) async throws -> (key: String, account: AccountID) {
        try await Migrations.migrate(database)
        let account = try await TestAccount.make(database)
        let now = Timestamp.now()
        let draft = RingPool(id: 0, key: "", scope: .init(networkID: "n", advertiserID: "a", campaignID: "c"),
                             idFromNetwork: "concurrency", lifetimeSeconds: 600, maxPoolSize: size, createdAt: now, updatedAt: now)
        let (pool, _) = try await RingPoolStore(database: database).save(draft, accountID: account.account.id)
        let numbers = (0..<size).map { TrackingNumber(number: try! PhoneNumber(parsing: "+1877555\(String(format: "%04d", $0))"), poolID: pool.key) }
        _ = try await NumberInventory(database: database).importNumbers(numbers, accountID: account.account.id)
        return (pool.key, account.account.id)
    }

    /// Fires `count` number requests spread over `servers`, all at once; returns the leased numbers.
    static func storm(_ servers: [DCEProcess], key: String, count: Int) async throws -> (leased: [String], misses: Int) {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: .seconds(60)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: count)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await storm(client, servers, key: key, count: count)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func storm(_ client: HTTPClient, _ servers: [DCEProcess], key: String, count: Int) async throws -> (leased: [String], misses: Int) {
        let page = Data("https://shop.example/?utm_source=load".utf8).base64EncodedString()
        let results = try await withThrowingTaskGroup(of: (String?, Bool).self) { group in
            for index in 0..<count {
                let server = servers[index % servers.count]
                group.addTask {
                    var request = HTTPClientRequest(url: "\(server.baseURL)/api/v1/numbers?campaign_key=\(key)")
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: #"{"u": "\#(page)", "visitor_id": "visitor-\#(index)"}"#))
                    let response = try await client.execute(request, timeout: .seconds(60))
                    let body = try await response.body.collect(upTo: 1 << 20)
                    let number = JSONValue.parse(bytes: Array(buffer: body))?["number"]
                    let perVisitor = number?["is_per_visitor"] == true
                    return (perVisitor ? number?["number"]?.string : nil, response.status == .ok)
                }
            }
            return try await group.reduce(into: [(String?, Bool)]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.1 }, "every request is answered 200")
        let leased = results.compactMap(\.0)
        return (leased, results.count - leased.count)
    }

    /// Checks in the database that no two live leases share a number.
    static func liveLeases(_ location: DatabaseLocation, account: AccountID) async throws -> [Lease] {
        let database = try await openDatabase(location, logger: TestDatabases.logger)
        let leases = try await LeaseDesk(database: database).liveLeases(accountID: account)
        await database.close()
        return leases
    }

    @Test func twoProcessesOnOnePostgreSQLNeverLeaseOneNumberTwice() async throws {
        guard TestEngine.all.contains(.postgres) else { return }
        let created = try await TestDatabases.create(.postgres)
        let (key, account) = try await Self.preparePool(created.location, size: 150)
        let first = try await DCEProcess(database: created.location, arguments: ["--log-level", "warning"])
        let second = try await DCEProcess(database: created.location, arguments: ["--log-level", "warning"])
        do {
            let (leased, misses) = try await Self.storm([first, second], key: key, count: 400)
            #expect(leased.count == 150)
            #expect(Set(leased).count == leased.count, "a number was leased to two sessions")
            #expect(misses == 250)
            let live = try await Self.liveLeases(created.location, account: account)
            #expect(live.count == 150)
            #expect(Set(live.map(\.number)).count == live.count)
        } catch {
            await first.terminate(); await second.terminate()
            try? await created.drop()
            throw error
        }
        await first.terminate(); await second.terminate()
        try await created.drop()
    }

    @Test func oneProcessOnSQLiteNeverLeasesOneNumberTwice() async throws {
        guard TestEngine.all.contains(.sqlite) else { return }
        let created = try await TestDatabases.create(.sqlite)
        let (key, account) = try await Self.preparePool(created.location, size: 150)
        let server = try await DCEProcess(database: created.location, arguments: ["--log-level", "warning"])
        do {
            let (leased, misses) = try await Self.storm([server], key: key, count: 400)
            #expect(leased.count == 150)
            #expect(Set(leased).count == leased.count, "a number was leased to two sessions")
            #expect(misses == 250)
            let live = try await Self.liveLeases(created.location, account: account)
            #expect(Set(live.map(\.number)).count == live.count)
            #expect(live.count == 150)
        } catch {
            await server.terminate()
            try? await created.drop()
            throw error
        }
        await server.terminate()
        try await created.drop()
    }
}

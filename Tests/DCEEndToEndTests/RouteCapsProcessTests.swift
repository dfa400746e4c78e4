import AsyncHTTPClient
import DCEDomain
import DCEJSON
import DCEStorage
import DCETestSupport
import Foundation
import NIOCore
import SQLKit
import Testing

/// Two `dce serve` processes on one PostgreSQL route calls for the same account at once:
/// a buyer capped at 50 calls a day gets exactly 50, never more.
@Suite(.serialized) struct RouteCapsProcessTests {
    struct Prepared {
        let key: String
        let account: AccountID
        let campaign: String
        let capped: String
        let overflow: String
    }

    /// A campaign whose first target's buyer takes 50 calls a day, and an uncapped overflow target.
    static func prepare(_ location: DatabaseLocation) async throws -> Prepared {
        let database = try await openDatabase(location, logger: TestDatabases.logger)
        do {
            try await Migrations.migrate(database)
            let account = try await TestAccount.make(database)
            let id = account.account.id
            let directory = ExchangeDirectory(database: database)
            let conversion = ConversionRule(minimumSeconds: 90, revenue: Money(cents: 4_000))
            let buyer = try await directory.create(
                BuyerSpec(name: "Capped", conversion: conversion, caps: Caps([CapLimit(.routed, per: .day, limit: 50)])), accountID: id)
            let other = try await directory.create(BuyerSpec(name: "Overflow", conversion: conversion), accountID: id)
            let capped = try await directory.create(
                TargetSpec(name: "Capped line", buyerID: BuyerID(rawValue: buyer.id), destination: .number(try PhoneNumber(parsing: "+12125550101"))),
                accountID: id)
            let overflow = try await directory.create(
                TargetSpec(name: "Overflow line", buyerID: BuyerID(rawValue: other.id), destination: .number(try PhoneNumber(parsing: "+12125550102"))),
                accountID: id)
            let campaign = try await directory.create(
                CampaignSpec(name: "Solar", routing: [RoutingEntry(targetID: TargetID(rawValue: capped.id), priority: 1),
                                                      RoutingEntry(targetID: TargetID(rawValue: overflow.id), priority: 2)]),
                accountID: id)
            await database.close()
            return Prepared(key: account.key, account: id, campaign: campaign.id, capped: capped.id, overflow: overflow.id)
        } catch {
            await database.close()
            throw error
        }
    }

    /// Posts `count` routing requests spread over `servers`, all at once; returns each answer's target id.
    static func storm(_ servers: [DCEProcess], prepared: Prepared, count: Int) async throws -> [String?] {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: .seconds(60)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: count)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let targets = try await withThrowingTaskGroup(of: (Bool, String?).self) { group in
                for index in 0..<count {
                    let server = servers[index % servers.count]
                    group.addTask {
                        var request = HTTPClientRequest(url: "\(server.baseURL)/v1/route")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(prepared.key)")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        let caller = "+1415555" + String(format: "%04d", index)
                        request.body = .bytes(ByteBuffer(string: #"{"campaign_id": "\#(prepared.campaign)", "caller": "\#(caller)", "call_id": "call-\#(index)"}"#))
                        let response = try await client.execute(request, timeout: .seconds(60))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        let json = JSONValue.parse(bytes: Array(buffer: body))
                        return (response.status == .ok, json?["target"]?["id"]?.string)
                    }
                }
                return try await group.reduce(into: [(Bool, String?)]()) { $0.append($1) }
            }
            try await client.shutdown()
            #expect(targets.allSatisfy { $0.0 }, "every request is answered 200")
            return targets.map(\.1)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test func twoProcessesOnOnePostgreSQLNeverRoutePastABuyersCap() async throws {
        guard TestEngine.all.contains(.postgres) else { return }
        let created = try await TestDatabases.create(.postgres)
        let prepared = try await Self.prepare(created.location)
        let first = try await DCEProcess(database: created.location, arguments: ["--log-level", "warning"])
        let second = try await DCEProcess(database: created.location, arguments: ["--log-level", "warning"])
        do {
            let targets = try await Self.storm([first, second], prepared: prepared, count: 200)
            #expect(targets.filter { $0 == prepared.capped }.count == 50)
            #expect(targets.filter { $0 == prepared.overflow }.count == 150)
            // And in the database: 50 attempts at the capped target, whichever node made them.
            let database = try await openDatabase(created.location, logger: TestDatabases.logger)
            let stored = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM route_attempts WHERE target_id = \(bind: prepared.capped)").first()?
                    .decode(column: "n", as: Int.self)
            }
            await database.close()
            #expect(stored == 50)
        } catch {
            await first.terminate(); await second.terminate()
            try? await created.drop()
            throw error
        }
        await first.terminate(); await second.terminate()
        try await created.drop()
    }
}

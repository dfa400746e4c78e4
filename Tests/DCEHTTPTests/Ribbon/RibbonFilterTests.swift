import DCEJSON
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `startDate` / `endDate` as dates (whole UTC days) and as date-times (instants), the other
/// filters, and the edges of call-log pagination.
@Suite struct RibbonFilterTests {
    /// Four completed calls around the 2025-10-11 / 2025-10-12 boundary.
    static func seed(_ client: any TestClientProtocol, _ key: String) async throws {
        try await client.logCompletedCall(key: key, callSid: "A", start: "2025-10-10T23:30:00Z", customerID: "C1", direction: "inbound", duration: 20)
        try await client.logCompletedCall(key: key, callSid: "B", start: "2025-10-11T10:00:00Z", customerID: "C1", duration: 45)
        try await client.logCompletedCall(key: key, callSid: "C", start: "2025-10-12T00:00:00Z", customerID: "C2", duration: 200)
        try await client.logCompletedCall(key: key, callSid: "D", start: "2025-10-12T18:00:00Z", customerID: "C2", duration: 400)
    }

    static func totalCalls(_ client: any TestClientProtocol, _ key: String, _ query: String) async throws -> Int? {
        let response = try await client.ribbonGet("/api/ribbon/analytics?\(query)", key: key)
        return response.value["summary"]?["totalCalls"]?.int
    }

    @Test(arguments: TestEngine.all)
    func datesCoverWholeDaysAndDateTimesAreInstants(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let key = try await RibbonTestClient.make(services.database).key
            try await Self.seed(client, key)
            let cases: [(query: String, calls: Int)] = [
                ("", 4),
                ("startDate=2025-10-11&endDate=2025-10-11", 1),
                ("startDate=2025-10-11", 3),
                ("endDate=2025-10-11", 2),
                ("startDate=2025-10-12", 2),
                ("startDate=2025-10-11T00:00:00Z&endDate=2025-10-12T00:00:00Z", 2),
                ("startDate=2025-10-11T10:00:01Z&endDate=2025-10-12T17:59:59Z", 1),
                ("startDate=2025-10-11T12:00:00%2B05:30", 3),
                ("startDate=2025-10-13", 0),
                ("customerId=C1", 2),
                ("customerId=C2&startDate=2025-10-12T12:00:00Z", 1),
            ]
            for item in cases {
                #expect(try await Self.totalCalls(client, key, item.query) == item.calls, "\(item.query)")
            }
            let byDate = try await client.ribbonGet("/api/ribbon/analytics?startDate=2025-10-11", key: key)
            #expect(byDate.value["callsByDate"] == ["2025-10-11": 1, "2025-10-12": 2])

            let export = try await client.ribbonGet("/api/ribbon/export/calls?format=csv&startDate=2025-10-12&endDate=2025-10-12", key: key)
            #expect(CSVReader.rows(export.text).count == 3)

            let detailed = try await client.ribbonGet("/api/ribbon/analytics/detailed?endDate=2025-10-11", key: key)
            #expect(detailed.value["durationBuckets"] == ["0-30s": 1, "30s-1m": 1, "1m-3m": 0, "3m-5m": 0, "5m+": 0])
            let all = try await client.ribbonGet("/api/ribbon/analytics/detailed", key: key)
            #expect(all.value["durationBuckets"] == ["0-30s": 1, "30s-1m": 1, "1m-3m": 0, "3m-5m": 1, "5m+": 1])
            let top = try #require(all.value["topCustomers"]?.array)
            #expect(top.map { $0["customerId"]?.string } == ["C2", "C1"])
            #expect(top.first?["totalDuration"] == 600)
        }
    }

    @Test(arguments: TestEngine.all)
    func callLogsFilterByEventDirectionCustomerAndTime(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let key = try await RibbonTestClient.make(services.database).key
            try await Self.seed(client, key)
            func total(_ query: String) async throws -> Int? {
                let response = try await client.ribbonGet("/api/ribbon/call-logs?\(query)", key: key)
                return response.value["pagination"]?["total"]?.int
            }
            #expect(try await total("") == 12)
            #expect(try await total("event=callEnded") == 4)
            #expect(try await total("event=transferred") == 0)
            #expect(try await total("callDirection=inbound") == 3)
            #expect(try await total("callDirection=outbound&event=connected") == 3)
            #expect(try await total("customerId=C2") == 6)
            #expect(try await total("startDate=2025-10-12T00:00:00Z") == 6)
            #expect(try await total("endDate=2025-10-10") == 3)
        }
    }

    @Test(arguments: TestEngine.all)
    func paginationEdges(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let key = try await RibbonTestClient.make(services.database).key
            for index in 0..<5 {
                try await client.logCall(key: key, event: "incoming", callSid: "CA\(index)", at: "2025-10-12T10:0\(index):00Z")
            }
            func page(_ query: String) async throws -> (sids: [String], pagination: JSONValue?) {
                let response = try await client.ribbonGet("/api/ribbon/call-logs?\(query)", key: key)
                #expect(response.status == .ok)
                let logs = response.value["logs"]?.array ?? []
                return (logs.compactMap { $0["data"]?["callSid"]?.string },
                        response.value["pagination"])
            }
            let first = try await page("page=1&pageSize=2")
            #expect(first.sids == ["CA4", "CA3"])
            #expect(first.pagination == ["page": 1, "pageSize": 2, "total": 5, "totalPages": 3])
            let last = try await page("page=3&pageSize=2")
            #expect(last.sids == ["CA0"])
            #expect(last.pagination == ["page": 3, "pageSize": 2, "total": 5, "totalPages": 3])
            let beyond = try await page("page=4&pageSize=2")
            #expect(beyond.sids.isEmpty)
            #expect(beyond.pagination == ["page": 4, "pageSize": 2, "total": 5, "totalPages": 3])
            let oversized = try await page("pageSize=100000")
            #expect(oversized.sids.count == 5)
            #expect(oversized.pagination == ["page": 1, "pageSize": 500, "total": 5, "totalPages": 1])
            let defaults = try await page("")
            #expect(defaults.pagination == ["page": 1, "pageSize": 50, "total": 5, "totalPages": 1])
            let nothing = try await page("event=missed")
            #expect(nothing.sids.isEmpty)
            #expect(nothing.pagination == ["page": 1, "pageSize": 50, "total": 0, "totalPages": 0])

            let limited = try await client.ribbonGet("/api/ribbon/analytics?limit=2", key: key)
            #expect(limited.value["recentCalls"]?.array?.count == 2)
            let customerCalls = try await client.ribbonGet("/api/ribbon/customer/CUST001/calls?limit=3", key: key)
            #expect(customerCalls.value["calls"]?.array?.count == 3)
            #expect(customerCalls.value["totalCalls"] == 5)
        }
    }
}

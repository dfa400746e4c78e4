import DCEDomain
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The export: the seed's CSV header, RFC 4180 quoting, and an export longer than one page
/// of the streamed reading.
@Suite struct RibbonExportTests {
    @Test(arguments: TestEngine.all)
    func csvQuotesCommasQuotesAndLineBreaks(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let key = try await RibbonTestClient.make(services.database).key
            let names = ["Doe, John", "John \"JD\" Doe", "Line\nBreak", "Carriage\r\nReturn", "Plain Name"]
            for (index, name) in names.enumerated() {
                try await client.logCompletedCall(key: key, callSid: "CA\(index)", start: "2025-10-12T10:0\(index):00Z",
                                                  customerID: "C,\(index)", name: name)
            }
            let response = try await client.ribbonGet("/api/ribbon/export/calls?format=csv", key: key)
            #expect(response.status == .ok)
            #expect(response.headers[HTTPField.Name("Content-Disposition")!] == "attachment; filename=\"calls-client-demo.csv\"")
            let text = response.text
            #expect(text.hasPrefix(try RibbonFixture.text("export-calls.csv").split(separator: "\n")[0] + "\n"))
            #expect(text.contains("\"Doe, John\""))
            #expect(text.contains("\"John \"\"JD\"\" Doe\""))
            #expect(text.contains("\"Line\nBreak\""))
            #expect(text.contains("\"Carriage\r\nReturn\""))
            let rows = CSVReader.rows(text)
            #expect(rows.count == names.count + 1)
            try #require(rows.allSatisfy { $0.count == 8 })
            #expect(rows.dropFirst().map { $0[1] } == names)
            #expect(rows.dropFirst().map { $0[7] } == names.indices.map { "C,\($0)" })
        }
    }

    @Test(arguments: TestEngine.all)
    func anExportLongerThanOnePageIsWholeAndInOrder(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database, limit: 1000)
            let count = 503
            let start = Date(timeIntervalSince1970: 1_760_000_000)
            for index in 0..<count {
                let at = RibbonFormatting.time(.init(start.addingTimeInterval(Double(index / 2) * 60)))
                let response = try await client.logCall(key: ribbon.key, event: "incoming", callSid: "CA\(index)", at: at)
                #expect(response.status == .ok)
            }
            let csv = try await client.ribbonGet("/api/ribbon/export/calls?format=csv", key: ribbon.key)
            let rows = CSVReader.rows(csv.text).dropFirst()
            #expect(rows.count == count)
            #expect(Set(rows.map { $0[0] }).count == count)
            #expect(rows.map { $0[4] } == rows.map { $0[4] }.sorted())

            let json = try await client.ribbonGet("/api/ribbon/export/calls", key: ribbon.key)
            let calls = try #require(json.value["calls"]?.array)
            #expect(calls.count == count)
            #expect(calls.map { $0["sessionId"]?.string } == rows.map { $0[0] })
        }
    }
}

import DCEJSON
import DCETestSupport
import Foundation
import Testing

/// `dce buyers|targets|publishers|campaigns`: an exchange set up from spec files, with the
/// API's checks.
@Suite struct ExchangeCommandTests {
    static func write(_ text: String, named name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    static func id(_ output: String) throws -> String {
        try #require(JSONValue.parse(output)?["id"]?.string, "no id in \(output)")
    }

    @Test func anExchangeIsSetUpChangedAndTornDownFromFiles() async throws {
        // setup
        let created = try await TestDatabases.create(.sqlite)
        let database = created.location.connectionString
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("dce-exchange-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: files) }
        #expect(try await DCEProcess.run(["accounts", "create", "acme", "--database", database]).status == 0)
        func dce(_ arguments: String...) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await DCEProcess.run(arguments + ["--account", "acme", "--database", database])
        }

        // run: a buyer, its target, a publisher and a campaign routing to the target
        let buyerFile = try Self.write(#"""
            {"name": "Acme Home Insurance", "time_zone": "America/New_York", "conversion": {"min_seconds": 120, "revenue": "45.00"},
             "caps": {"limits": [{"metric": "converted", "period": "day", "limit": 20}]}}
            """#, named: "buyer.json", in: files)
        let buyerRun = try await dce("buyers", "create", "--file", buyerFile)
        #expect(buyerRun.status == 0, "\(buyerRun.stderr)")
        let buyer = try Self.id(buyerRun.stdout)
        #expect(buyer.hasPrefix("buy_"))
        #expect(buyerRun.stdout.contains("\n  \"caps\" : {"), "pretty JSON: \(buyerRun.stdout)")

        let targetFile = try Self.write(#"""
            {"name": "Acme call centre", "buyer_id": "\#(buyer)", "destination": "+18005550101", "time_zone": "America/New_York",
             "hours": [{"weekday": "monday", "opens": "09:00", "closes": "17:00"}]}
            """#, named: "target.json", in: files)
        let target = try Self.id(try await dce("targets", "create", "--file", targetFile).stdout)
        let publisher = try Self.id(try await dce("publishers", "create", "--file", try Self.write(
            #"{"name": "Lead Gen Partners", "payout": {"min_seconds": 90, "revenue_share_percent": 40}, "external_ids": {"retreaver": ["afid-2231"]}}"#,
            named: "publisher.json", in: files)).stdout)
        let campaignFile = try Self.write(#"""
            {"name": "Home Insurance", "default_publisher_id": "\#(publisher)", "numbers": [{"number": "+18885550100"}],
             "routing": [{"target_id": "\#(target)", "weight": 100}], "fallback": {"action": "voicemail"}}
            """#, named: "campaign.json", in: files)
        let campaign = try Self.id(try await dce("campaigns", "create", "--file", campaignFile).stdout)

        // validate
        let listed = try await dce("buyers", "list")
        #expect(listed.status == 0)
        let lines = listed.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("ID") == true)
        #expect(lines.count == 2 && lines[1].hasPrefix(buyer) && lines[1].contains("Acme Home Insurance"), "\(listed.stdout)")
        let shown = try await dce("campaigns", "show", campaign)
        #expect(try Self.id(shown.stdout) == campaign)
        #expect(shown.stdout.contains("\"target_id\" : \"\(target)\""))

        let inUse = try await dce("buyers", "delete", buyer)
        #expect(inUse.status != 0)
        #expect(inUse.stderr.contains(target), "\(inUse.stderr)")

        let badHours = try Self.write(#"""
            {"name": "Acme call centre", "buyer_id": "\#(buyer)", "destination": "+18005550101",
             "hours": [{"weekday": "monday", "opens": "09:00", "closes": "17:00"}, {"weekday": "mon", "opens": "12:00", "closes": "13:00"}]}
            """#, named: "bad-hours.json", in: files)
        let refused = try await dce("targets", "update", target, "--file", badHours)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("hours[1]"), "\(refused.stderr)")
        let badZone = try await dce("buyers", "create", "--file", try Self.write(
            #"{"name": "b", "time_zone": "Mars/Olympus", "conversion": {"min_seconds": 1, "revenue": "1.00"}}"#, named: "bad-zone.json", in: files))
        #expect(badZone.status != 0)
        #expect(badZone.stderr.contains("time_zone"), "\(badZone.stderr)")

        let renamed = try Self.write(#"{"name": "Acme evening line", "buyer_id": "\#(buyer)", "destination": "sip:evening@pbx.acme.example.com"}"#,
                                     named: "renamed.json", in: files)
        let updated = try await dce("targets", "update", target, "--file", renamed)
        #expect(updated.status == 0, "\(updated.stderr)")
        #expect(updated.stdout.contains("sip:evening@pbx.acme.example.com"))

        for (kind, id) in [("campaigns", campaign), ("targets", target), ("buyers", buyer), ("publishers", publisher)] {
            let deleted = try await dce(kind, "delete", id)
            #expect(deleted.status == 0, "\(kind): \(deleted.stderr)")
            #expect(try await dce(kind, "show", id).status != 0)
        }
        try await created.drop()
    }
}

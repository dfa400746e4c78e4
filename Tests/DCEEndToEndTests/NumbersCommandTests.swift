import DCETestSupport
import Foundation
import Testing

/// `dce numbers`: a number's use is set from the command line as through the API.
@Suite struct NumbersCommandTests {
    @Test func numbersAreAddedListedAndTheirUseChanged() async throws {
        let created = try await TestDatabases.create(.sqlite)
        let database = created.location.connectionString
        #expect(try await DCEProcess.run(["accounts", "create", "acme", "--database", database]).status == 0)
        let ad = try await DCEProcess.run(["numbers", "add", "+18885550100", "--account", "acme", "--campaign", "billboard", "--database", database])
        #expect(ad.status == 0, "\(ad.stderr)")
        #expect(ad.stdout.contains("+18885550100\tstatic"))
        let plain = try await DCEProcess.run(["numbers", "add", "+18885550101", "--account", "acme", "--database", database])
        #expect(plain.stdout.contains("+18885550101\tpool"))
        let changed = try await DCEProcess.run(["numbers", "set-use", "+18885550101", "static", "--account", "acme", "--database", database])
        #expect(changed.status == 0, "\(changed.stderr)")
        let listed = try await DCEProcess.run(["numbers", "list", "--account", "acme", "--use", "static", "--database", database])
        #expect(listed.stdout.split(separator: "\n").map { $0.split(separator: "\t").first.map(String.init) } == ["+18885550100", "+18885550101"])
        let wrong = try await DCEProcess.run(["numbers", "add", "+18885550102", "--account", "acme", "--use", "dni", "--database", database])
        #expect(wrong.status != 0)
    }
}

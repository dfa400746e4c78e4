import ArgumentParser
import DCEDomain
import DCEHTTP
import DCEStorage
import Foundation

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Read the kept webhook bodies, events, ribbon calls and pulled pages again with today's mappings.",
        discussion: """
            The calls having events from the requests received in --from … --to … (dates or date-times, UTC; a date \
            as --to means through that day), for --integration when given, are folded again from every request that \
            reported them, read as their routes read them today: a mapping fix applies to history, and a dead letter \
            that today's mapping reads is one no longer. The requests themselves are never changed. One transaction: \
            a replay that fails changes nothing.
            """
    )

    @Option(help: "Only requests delivered to this integration (int_…): its webhooks and pulled pages.") var integration: String?
    @Option(help: "Start: 2026-01-01 or 2026-01-01T08:00:00Z. Default: the first request kept.") var from: String?
    @Option(help: "End: 2026-01-31 (through that day) or a date-time. Default: now.") var to: String?
    @OptionGroup var options: DatabaseOptions

    func run() async throws {
        let filter = try Self.filter(integration: integration, from: from, to: to)
        let settings = try Settings.resolve(options)
        let report = try await withDatabase(settings) { database, _ in
            try await Replay(services: AppServices(database: database, adminKey: nil)).run(filter)
        }
        print(Self.summary(report))
    }

    static func summary(_ report: ReplayReport) -> String {
        "replayed \(report.requests) requests (\(report.selected) selected): \(report.events) events, \(report.calls) calls refolded, "
            + "\(report.revived) dead letters read, \(report.deadLetters) still refused"
    }

    static func filter(integration: String?, from: String?, to: String?) throws -> ReplayFilter {
        var filter = ReplayFilter(integrationID: integration)
        filter.from = try from.map { try time($0, option: "--from") }
        if let to {
            // A bare date as the end means through that day.
            filter.to = try time(to, option: "--to").adding(seconds: to.contains(":") ? 0 : 86400)
        }
        if let start = filter.from, let end = filter.to, !(start < end) { throw ValidationError("--from must be before --to") }
        if let integration, integration.isEmpty { throw ValidationError("--integration must not be empty") }
        return filter
    }

    private static func time(_ text: String, option: String) throws -> Timestamp {
        do {
            return try Timestamp.parse(text)
        } catch {
            throw ValidationError("\(option): \(error.description) (use 2026-01-01 or 2026-01-01T08:00:00Z)")
        }
    }
}

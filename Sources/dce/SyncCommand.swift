import ArgumentParser
import DCEDomain
import DCEHTTP
import DCEStorage
import DCEVendors
import Foundation

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Pull an integration's calls from its vendor's API and store every page.",
        discussion: """
            Pulls the window --from … --to … (dates or date-times, UTC; a date as --to means the end of that day), or \
            without them, from the integration's cursor (or 24 hours ago) to now. Run again after a failure, it resumes \
            where it stopped. Exits 0 when every page was stored, else 1 with the reason.
            """
    )

    @Argument(help: "The integration's id (int_…).") var integration: String
    @Option(help: "Start of the window: 2026-01-01 or 2026-01-01T08:00:00Z.") var from: String?
    @Option(help: "End of the window: 2026-01-31 (through that day) or a date-time. Default: now.") var to: String?
    @Option(help: "The address vendors reach dce at (https://dce.example.com): RingCentral's webhook subscription delivers there. Default: DCE_PUBLIC_URL, else no subscription is made.")
    var publicURL: String?
    @OptionGroup var options: DatabaseOptions

    func run() async throws {
        let window = try Self.window(from: from, to: to, now: .now())
        // The settings `dce serve` reads, so that a sync from the command line downloads
        // recordings to the same folder and subscribes webhooks to the same address.
        let server = try ServerSettings(reader: ConfigurationLayers.reader(
            commandLine: options.given.merging([.publicURL: publicURL]) { first, _ in first }))
        let settings = Settings(server.base)
        let integration = integration
        let outcome: Result<SyncReport, any Error> = try await withDatabase(settings) { database, _ in
            var services = AppServices(database: database, adminKey: nil)
            services.secretBox = settings.secretBox
            services.publicURL = server.publicURL
            services.recordingsDirectory = settings.recordingsFolder
            let engine = SyncEngine(services: services, transport: HTTPPullTransport())
            let meter = ProgressMeter(terminal: isatty(STDERR_FILENO) != 0)
            // A scheduled sync of `dce serve` on the same database holds the integration's
            // lease while it runs; this one waits for it to end (at most one lease's time,
            // after which a lease whose holder died has expired) rather than pull the same
            // window at once.
            let patience = ContinuousClock.now + SyncPolicy.standard.lease + .seconds(5)
            var told = false
            while true {
                do {
                    let report = try await engine.sync(integrationID: integration, window: window) { meter.show($0) }
                    meter.finish()
                    return .success(report)
                } catch SyncError.busy where ContinuousClock.now < patience {
                    if !told {
                        FileHandle.standardError.write(Data("dce sync: another process is syncing \(integration); waiting for it to finish\n".utf8))
                        told = true
                    }
                    try await Task.sleep(for: .seconds(1))
                } catch {
                    meter.finish()
                    return .failure(error)
                }
            }
        }
        switch outcome {
        case .success(let report):
            print("synced \(integration) from \(report.window.from) to \(report.window.to): \(report.pages) pages, \(report.rows) rows, "
                + "\(report.newEvents) new events, \(report.duplicates) already stored, \(report.deadLetters) dead letters")
        case .failure(let error):
            FileHandle.standardError.write(Data("dce sync: \(integration): \((error as? SyncError)?.description ?? String(describing: error))\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The window the options ask for; nil when they ask for none (the scheduled window).
    static func window(from: String?, to: String?, now: Timestamp) throws -> PullWindow? {
        guard from != nil || to != nil else { return nil }
        guard let from else { throw ValidationError("--to needs --from") }
        let start = try time(from, option: "--from")
        var end = try to.map { try time($0, option: "--to") } ?? now
        // A bare date as the end means through that day.
        if let to, !to.contains(":") { end = end.adding(seconds: 86400) }
        guard start < end else { throw ValidationError("--from must be before --to") }
        return PullWindow(from: start, to: end)
    }

    private static func time(_ text: String, option: String) throws -> Timestamp {
        do {
            return try Timestamp.parse(text)
        } catch {
            throw ValidationError("\(option): \(error.description) (use 2026-01-01 or 2026-01-01T08:00:00Z)")
        }
    }
}

/// Shows a sync's progress on standard error: a bar redrawn in place on a terminal (rows,
/// rate, ETA), else a plain line at most once a second.
final class ProgressMeter: @unchecked Sendable {
    private let terminal: Bool
    private let started = ContinuousClock.now
    private var lastLine = ContinuousClock.now - .seconds(10)
    private var drawn = false
    private let lock = NSLock()

    init(terminal: Bool) { self.terminal = terminal }

    func show(_ progress: SyncProgress) {
        lock.withLock {
            let now = ContinuousClock.now
            let elapsed = max((now - started).seconds, 0.001)
            let rate = Double(progress.rows) / elapsed
            if terminal {
                let width = 24
                let filled = Int((progress.fraction * Double(width)).rounded(.down))
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                var eta = "--"
                if progress.fraction > 0.01 { eta = Self.clock(elapsed * (1 - progress.fraction) / progress.fraction) }
                write("\r[\(bar)] \(Int(progress.fraction * 100))% \(progress.rows) rows \(Int(rate)) rows/s ETA \(eta)   ")
                drawn = true
            } else if now - lastLine >= .seconds(1) {
                lastLine = now
                write("sync: \(progress.pages) pages, \(progress.rows) rows, \(progress.deadLetters) dead letters, \(Int(rate)) rows/s, "
                    + "\(Int(progress.fraction * 100))% of the window\n")
            }
        }
    }

    func finish() {
        lock.withLock { if drawn { write("\n") } }
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    static func clock(_ seconds: Double) -> String {
        let total = Int(min(seconds, 359_999))
        return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

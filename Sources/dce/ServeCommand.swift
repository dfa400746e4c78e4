import ArgumentParser
import DCEDomain
import DCEHTTP
import DCEStorage
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the dce server.")

    @Option(help: "Address to listen on. Default: DCE_HOST, else 127.0.0.1.") var host: String?
    @Option(help: "Port to listen on (0 picks a free one). Default: DCE_PORT, else 8080.") var port: String?
    @Flag(help: "Create a demo account and key, fill a month of realistic calls, and print how to sign in.") var demo = false
    @Option(help: "Number of demo calls to create (with --demo).") var demoCalls = 3000
    @Option(help: "The address carriers reach dce at (https://dce.example.com), which their voice webhook signatures cover. Default: DCE_PUBLIC_URL, else each request's scheme and Host.")
    var publicURL: String?
    @OptionGroup var options: DatabaseOptions
    @OptionGroup var limitOptions: LimitOptions

    func run() async throws {
        let given = options.given.merging(limitOptions.given) { first, _ in first }
            .merging([.host: host, .port: port, .publicURL: publicURL]) { first, _ in first }
        var settings = try ServerSettings(reader: ConfigurationLayers.reader(commandLine: given))
        _ = LoggingSetup.once
        let logger = settings.base.makeLogger()

        let banner = DemoBanner()
        if demo, settings.base.adminKey == nil {
            let generated = "dce_admin_" + Token.random(length: 32)
            settings.base.adminKey = generated
            banner.lines.append("Admin key (for /v1/admin; set DCE_ADMIN_KEY to choose your own): \(generated)")
        }

        let demoCalls = demoCalls
        let host = settings.host, databaseLabel = settings.base.database.description
        var built: AppServices?
        let app = try await buildApplication(settings: settings, logger: logger, allowsLoginLinks: demo, prepare: { services in
            built = services
            guard demo else { return }
            let result = try await DemoData.prepare(database: services.database, routes: services.routes, calls: demoCalls, logger: logger)
            banner.signInKey = result.key
            banner.lines.insert("Demo account '\(DemoData.accountName)': \(result.callsCreated) calls created; API key (shown once): \(result.key)", at: 0)
        }, onServerRunning: { boundPort in
            let base = "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(boundPort)"
            var lines = ["dce \(DCEVersion.current) listening on \(base) (database: \(databaseLabel))"]
            lines += banner.lines
            lines.append("Dashboard: \(base)/dashboard")
            if let signInKey = banner.signInKey {
                lines.append("Sign in directly: \(base)/dashboard/login?key=\(signInKey)")
            }
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        })
        // The application's own group closes the database (`DatabaseService`) after the server stops;
        // the due syncs, listed after it, stop before it.
        var running: [any Service] = [app]
        if let built { running.append(SyncService(engine: SyncEngine(services: built, transport: HTTPPullTransport()))) }
        let group = ServiceGroup(configuration: .init(
            services: running, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            FileHandle.standardError.write(Data(
                "dce serve: cannot listen on \(host):\(settings.port): the address is in use (by another dce serve, or another program)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// What `--demo` prints once the server listens. Written while the application is built,
/// read once the server runs, never both at once.
private final class DemoBanner: @unchecked Sendable {
    var lines: [String] = []
    var signInKey: String?
}

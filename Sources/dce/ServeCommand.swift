import ArgumentParser
import DCEDomain
import DCEHTTP
import DCEStorage
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the dce server.")

    @Option(help: "Address to listen on. Default: DCE_HOST, else 127.0.0.1.") var host: String?
    @Option(help: "Port to listen on (0 picks a free one). Default: DCE_PORT, else 8080.") var port: Int?
    @Flag(help: "Create a demo account and key, fill a month of realistic calls, and print how to sign in.") var demo = false
    @Option(help: "Number of demo calls to create (with --demo).") var demoCalls = 3000
    @Option(help: "The address carriers reach dce at (https://dce.example.com), which their voice webhook signatures cover. Default: DCE_PUBLIC_URL, else each request's scheme and Host.")
    var publicURL: String?
    @OptionGroup var options: DatabaseOptions
    @OptionGroup var limitOptions: LimitOptions

    func run() async throws {
        var settings = try Settings.resolve(options)
        let limits = try limitOptions.resolve()
        let host = try host ?? Self.environmentHost()
        let port = try port ?? Self.environmentPort()
        guard (0...65535).contains(port) else { throw Settings.Invalid(key: "--port", reason: "\(port) is not a port number (0-65535)") }
        let publicAddress = try Self.publicURL(publicURL)
        _ = LoggingSetup.once
        let logger = settings.makeLogger()

        var demoLines: [String] = []
        if demo, settings.adminKey == nil {
            let generated = "dce_admin_" + Token.random(length: 32)
            settings.adminKey = generated
            demoLines.append("Admin key (for /v1/admin; set DCE_ADMIN_KEY to choose your own): \(generated)")
        }

        let database = try await openDatabase(settings.database, logger: logger)
        do {
            try await Migrations.migrate(database)
            var signInKey: String?
            var services = AppServices(database: database, adminKey: settings.adminKey, allowsLoginLinks: demo, limits: limits)
            services.publicURL = publicAddress
            if demo {
                let result = try await DemoData.prepare(database: database, routes: services.routes, calls: demoCalls, logger: logger)
                signInKey = result.key
                demoLines.insert("Demo account '\(DemoData.accountName)': \(result.callsCreated) calls created; API key (shown once): \(result.key)", at: 0)
            }
            let banner = demoLines
            let loginKey = signInKey
            let databaseLabel = settings.database.description
            let app = try buildApplication(services: services, host: host, port: port, logger: logger) { boundPort in
                let base = "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(boundPort)"
                var lines = ["dce \(DCEVersion.current) listening on \(base) (database: \(databaseLabel))"]
                lines += banner
                lines.append("Dashboard: \(base)/dashboard")
                if let signInKey = loginKey {
                    lines.append("Sign in directly: \(base)/dashboard/login?key=\(signInKey)")
                }
                FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
            }
            let group = ServiceGroup(configuration: .init(
                services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
            ))
            try await group.run()
            logger.info("stopped; closing the database")
            await database.close()
        } catch {
            await database.close()
            throw error
        }
    }

    /// `--public-url`, else DCE_PUBLIC_URL: an http(s) origin, without a trailing slash.
    static func publicURL(_ option: String?) throws -> String? {
        let given: (String, String)? = option.map { ("--public-url", $0) } ?? Settings.environment.string(forKey: "dce.public.url").map { ("DCE_PUBLIC_URL", $0) }
        guard let (key, value) = given else { return nil }
        let trimmed = value.hasSuffix("/") ? String(value.dropLast()) : value
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil, url.query == nil, url.path.isEmpty
        else { throw Settings.Invalid(key: key, reason: "'\(value)' is not an http(s) address such as https://dce.example.com") }
        return trimmed
    }

    static func environmentHost() throws -> String {
        guard let value = Settings.environment.string(forKey: "dce.host") else { return "127.0.0.1" }
        guard !value.isEmpty, !value.contains(" ") else { throw Settings.Invalid(key: "DCE_HOST", reason: "'\(value)' is not a host name or address") }
        return value
    }

    static func environmentPort() throws -> Int {
        guard let value = Settings.environment.string(forKey: "dce.port") else { return 8080 }
        guard let port = Int(value), (0...65535).contains(port) else {
            throw Settings.Invalid(key: "DCE_PORT", reason: "'\(value)' is not a port number (0-65535)")
        }
        return port
    }
}

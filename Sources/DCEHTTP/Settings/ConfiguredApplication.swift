import Configuration
import DCEStorage
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the whole of dce from configuration: reads and checks every setting, opens and
/// migrates the database, and returns the application with the database as one of its
/// services. `prepare` runs once the services exist, before the server starts (the demo
/// fills its data there). Tests build the real thing from an `InMemoryProvider`.
public func buildApplication(
    reader: ConfigReader, logger: Logger? = nil, allowsLoginLinks: Bool = false,
    prepare: (AppServices) async throws -> Void = { _ in },
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try await buildApplication(
        settings: try ServerSettings(reader: reader), logger: logger, allowsLoginLinks: allowsLoginLinks,
        prepare: prepare, onServerRunning: onServerRunning
    )
}

/// `buildApplication(reader:)` for settings already read.
public func buildApplication(
    settings: ServerSettings, logger: Logger? = nil, allowsLoginLinks: Bool = false,
    prepare: (AppServices) async throws -> Void = { _ in },
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let logger = logger ?? settings.base.makeLogger()
    let database = try await openDatabase(settings.base.database, logger: logger)
    do {
        try await Migrations.migrate(database)
        var services = AppServices(
            database: database, adminKey: settings.base.adminKey, allowsLoginLinks: allowsLoginLinks, limits: settings.limits
        )
        services.publicURL = settings.publicURL
        services.secretBox = settings.base.secretBox
        services.recordingsDirectory = settings.base.recordingsFolder
        try await prepare(services)
        return try buildApplication(
            services: services, host: settings.host, port: settings.port, logger: logger,
            running: [DatabaseService(database: database, logger: logger)], onServerRunning: onServerRunning
        )
    } catch {
        await database.close()
        throw error
    }
}

/// Holds the database open while the application runs. Listed before the server, it is
/// shut down after it, so the database closes only once in-flight requests are done.
public struct DatabaseService: Service {
    public let database: any Database
    let logger: Logger

    public init(database: any Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func run() async throws {
        // Cancellation also ends the wait; the database is closed either way.
        try? await gracefulShutdown()
        logger.info("stopped; closing the database")
        await database.close()
    }
}

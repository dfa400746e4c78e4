import ArgumentParser
import Configuration
import DCEStorage
import Foundation
import Logging

/// Options every command that opens the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Database: a SQLite file path, sqlite:PATH, or postgres://user:pass@host:port/db. Default: DATABASE_URL, else ./dce.sqlite.")
    var database: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical. Default: DCE_LOG_LEVEL, else info.")
    var logLevel: String?
}

/// Settings resolved from the command line first, then the environment, then defaults.
/// A value that is present but wrong stops dce at once, naming where it came from.
struct Settings {
    var database: DatabaseLocation
    var logLevel: Logger.Level
    var adminKey: String?

    struct Invalid: Error, CustomStringConvertible {
        let key: String
        let reason: String
        var description: String { "configuration error: \(key): \(reason)" }
    }

    static let environment = ConfigReader(provider: EnvironmentVariablesProvider())

    static func resolve(_ options: DatabaseOptions) throws -> Settings {
        let env = environment
        let databaseValue: (String, String)? = options.database.map { ("--database", $0) }
            ?? env.string(forKey: "database.url").map { ("DATABASE_URL", $0) }
        let database: DatabaseLocation
        if let (key, value) = databaseValue {
            do { database = try DatabaseLocation(parsing: value) } catch {
                throw Invalid(key: key, reason: error.description)
            }
        } else {
            database = .sqlite(path: "dce.sqlite")
        }
        let levelValue: (String, String)? = options.logLevel.map { ("--log-level", $0) }
            ?? env.string(forKey: "dce.log.level").map { ("DCE_LOG_LEVEL", $0) }
        var level = Logger.Level.info
        if let (key, value) = levelValue {
            guard let parsed = Logger.Level(rawValue: value.lowercased()) else {
                throw Invalid(key: key, reason: "'\(value)' is not a log level (trace, debug, info, notice, warning, error, critical)")
            }
            level = parsed
        }
        var adminKey: String?
        if let value = env.string(forKey: "dce.admin.key", isSecret: true) {
            guard value.count >= 16 else {
                throw Invalid(key: "DCE_ADMIN_KEY", reason: "must be at least 16 characters")
            }
            adminKey = value
        }
        return Settings(database: database, logLevel: level, adminKey: adminKey)
    }

    func makeLogger(label: String = "dce") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }
}

enum LoggingSetup {
    /// Logs go to standard error so that standard output carries only what a command prints.
    static let once: Void = LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
}

/// Opens and migrates the database, runs `body`, and closes it.
func withDatabase<T>(_ settings: Settings, _ body: (any Database, Logger) async throws -> T) async throws -> T {
    _ = LoggingSetup.once
    let logger = settings.makeLogger()
    let database = try await openDatabase(settings.database, logger: logger)
    do {
        try await Migrations.migrate(database)
        let result = try await body(database, logger)
        await database.close()
        return result
    } catch {
        await database.close()
        throw error
    }
}

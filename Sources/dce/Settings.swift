import ArgumentParser
import Configuration
import DCEHTTP
import DCEStorage
import Foundation
import Logging

/// Options every command that opens the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Database: a SQLite file path, sqlite:PATH, or postgres://user:pass@host:port/db. Default: DATABASE_URL, else ./dce.sqlite.")
    var database: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical. Default: DCE_LOG_LEVEL, else info.")
    var logLevel: String?

    @Option(name: .long, help: "64 hex characters: the key vendor credentials and webhook secrets are encrypted with. Default: DCE_SECRET_KEY, else none.")
    var secretKey: String?

    var given: [Setting: String?] { [.database: database, .logLevel: logLevel, .secretKey: secretKey] }
}

/// The database options of a command that needs the secret key, and that key.
struct SecretOptions: ParsableArguments {
    @OptionGroup var database: DatabaseOptions

    /// What `--secret-key` / DCE_SECRET_KEY seal with; nil when neither is set.
    func secretBox() throws -> SecretBox? { try Settings.resolve(database).secretBox }
}

/// dce's configuration, in layers: the command line, then the environment, then a `.env`
/// file in the working directory; the typed settings (`ServerSettings`) hold the defaults.
/// Swift Argument Parser owns the command line (subcommands, `--help`), so the options it
/// parsed become the first provider; they are declared as text so that a wrong one is
/// reported together with every other wrong setting instead of alone.
enum ConfigurationLayers {
    /// The `.env` file, read once before any command runs (`DCECommand.main`).
    nonisolated(unsafe) private(set) static var environmentFile: EnvironmentVariablesProvider?

    static func loadEnvironmentFile() async throws {
        environmentFile = try await EnvironmentVariablesProvider(environmentFilePath: ".env", allowMissing: true, secretsSpecifier: secrets)
    }

    private static let secrets = SecretsSpecifier<String, String>.specific(
        [Setting.adminKey.environment, Setting.database.environment, Setting.secretKey.environment]
    )

    static func reader(commandLine given: [Setting: String?]) -> ConfigReader {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for case let (setting, value?) in given {
            values[AbsoluteConfigKey(ConfigKey(setting.key))] = ConfigValue(.string(value), isSecret: setting == .database || setting == .secretKey)
        }
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "command line", values: values),
            EnvironmentVariablesProvider(secretsSpecifier: secrets),
        ]
        if let environmentFile { providers.append(environmentFile) }
        return ConfigReader(providers: providers)
    }
}

/// The settings of a command that opens the database.
struct Settings {
    var database: DatabaseLocation
    var logLevel: Logger.Level
    var adminKey: String?
    var secretBox: SecretBox?
    /// Where call recordings are downloaded to (`DCE_RECORDINGS_DIR`, else beside the database).
    var recordingsFolder: String

    init(_ read: DatabaseSettings) {
        database = read.database
        logLevel = read.logLevel
        adminKey = read.adminKey
        secretBox = read.secretBox
        recordingsFolder = read.recordingsFolder
    }

    static func resolve(_ options: DatabaseOptions) throws -> Settings {
        Settings(try DatabaseSettings(reader: ConfigurationLayers.reader(commandLine: options.given)))
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

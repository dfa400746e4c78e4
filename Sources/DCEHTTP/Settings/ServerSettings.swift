import Configuration
import DCEStorage
import Foundation
import Logging

/// What every command that opens the database reads: where it is, how much to log,
/// and the admin key (checked by every command, so a wrong one is found before serving).
public struct DatabaseSettings: Sendable, Equatable {
    public var database: DatabaseLocation = .sqlite(path: "dce.sqlite")
    public var logLevel: Logger.Level = .info
    public var adminKey: String?
    /// `DCE_SECRET_KEY`, checked to be 64 hex characters; nil when none is set.
    public var secretKey: String?
    /// `DCE_RECORDINGS_DIR`; nil: `recordingsFolder`'s default.
    public var recordingsDirectory: String?

    public init() {}

    public init(reader: ConfigReader) throws(InvalidSettings) {
        var collector = SettingsCollector(reader: reader)
        self.init(collecting: &collector)
        try collector.finish()
    }

    init(collecting collector: inout SettingsCollector) {
        let defaults = DatabaseSettings()
        database = collector.value(.database, default: defaults.database) { text throws(SettingRejected) in
            do {
                return try DatabaseLocation(parsing: text)
            } catch let error as DatabaseLocation.InvalidURL {
                throw SettingRejected(error.description)
            } catch {
                throw SettingRejected("\(error)")
            }
        }
        logLevel = collector.value(.logLevel, default: defaults.logLevel) { text throws(SettingRejected) in
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw SettingRejected("'\(text)' is not a log level (trace, debug, info, notice, warning, error, critical)")
            }
            return level
        }
        adminKey = collector.value(.adminKey, default: defaults.adminKey, isSecret: true) { text throws(SettingRejected) in
            // The key itself is never echoed.
            guard text.count >= 16 else { throw SettingRejected("must be at least 16 characters") }
            return text
        }
        secretKey = collector.value(.secretKey, default: defaults.secretKey, isSecret: true) { text throws(SettingRejected) in
            // Checked, never echoed.
            guard (try? SecretBox(hexKey: text)) != nil else { throw SettingRejected(SecretBoxError.invalidKey.description) }
            return text
        }
        recordingsDirectory = collector.value(.recordingsDir, default: defaults.recordingsDirectory) { text throws(SettingRejected) in
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw SettingRejected("must name a folder") }
            return text
        }
    }

    /// Where call recordings are downloaded to: `DCE_RECORDINGS_DIR`, else `recordings/`
    /// beside the SQLite file (or in the working directory with PostgreSQL).
    public var recordingsFolder: String {
        if let recordingsDirectory { return recordingsDirectory }
        guard case .sqlite(let path) = database, path != ":memory:" else { return "recordings" }
        return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("recordings").path
    }

    /// What seals vendor credentials and webhook secrets; nil without `DCE_SECRET_KEY`.
    public var secretBox: SecretBox? { secretKey.flatMap { try? SecretBox(hexKey: $0) } }

    public func makeLogger(label: String = "dce") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }
}

/// Everything `dce serve` reads, typed, with its defaults.
public struct ServerSettings: Sendable, Equatable {
    public var base = DatabaseSettings()
    public var host = "127.0.0.1"
    public var port = 8080
    /// The address carriers reach dce at, without a trailing slash.
    public var publicURL: String?
    public var limits = ServerLimits()

    public init() {}

    /// Reads every setting from `reader` and throws all the wrong ones together.
    public init(reader: ConfigReader) throws(InvalidSettings) {
        var collector = SettingsCollector(reader: reader)
        let defaults = ServerSettings()
        base = DatabaseSettings(collecting: &collector)
        host = collector.value(.host, default: defaults.host) { text throws(SettingRejected) in
            guard !text.isEmpty, !text.contains(" ") else { throw SettingRejected("'\(text)' is not a host name or address") }
            return text
        }
        port = collector.value(.port, default: defaults.port, SettingsCollector.integer(0...65535, "a port number"))
        publicURL = collector.value(.publicURL, default: defaults.publicURL, Self.parsePublicURL)
        limits = Self.readLimits(&collector)
        try collector.finish()
    }

    static func parsePublicURL(_ text: String) throws(SettingRejected) -> String? {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil, url.query == nil, url.path.isEmpty
        else { throw SettingRejected("'\(text)' is not an http(s) address such as https://dce.example.com") }
        return trimmed
    }

    static func readLimits(_ collector: inout SettingsCollector) -> ServerLimits {
        let ranges = ServerLimits.ranges
        var limits = ServerLimits()
        limits.requestsPerSecond = collector.value(.rateLimit, default: limits.requestsPerSecond) { text throws(SettingRejected) in
            guard let rate = Double(text.trimmingCharacters(in: .whitespaces)), rate.isFinite, ranges.rate.contains(rate) else {
                throw SettingRejected("'\(text)' is not a number in \(ranges.rate.lowerBound)...\(ranges.rate.upperBound)")
            }
            return rate
        }
        limits.burst = collector.value(.rateBurst, default: limits.burst, SettingsCollector.integer(ranges.burst))
        limits.maximumConnections = collector.value(.maxConnections, default: limits.maximumConnections, SettingsCollector.integer(ranges.connections))
        limits.idleTimeoutSeconds = collector.value(.idleTimeout, default: limits.idleTimeoutSeconds, SettingsCollector.integer(ranges.idle))
        // The range keeps the product far inside Int.
        let mebibytes = collector.value(.bodyMemoryMiB, default: limits.bodyMemoryBytes / (1024 * 1024), SettingsCollector.integer(ranges.bodyMiB))
        limits.bodyMemoryBytes = mebibytes * 1024 * 1024
        return limits
    }
}

import Configuration
import Foundation

/// One setting as a user meets it: its key in the configuration (`dce.port`), the
/// environment variable that key reads (`DCE_PORT`), and its command-line option.
public struct Setting: Sendable, Hashable {
    public let key: String
    public let option: String?

    public init(_ key: String, option: String? = nil) {
        self.key = key
        self.option = option
    }

    /// The variable `EnvironmentVariablesProvider` reads for `key`, in the process's
    /// environment and in a `.env` file alike.
    public var environment: String { key.uppercased().replacingOccurrences(of: ".", with: "_") }

    /// How an error names the setting: every way to set it.
    public var label: String { [option, environment].compactMap { $0 }.joined(separator: " / ") }

    public static let database = Setting("database.url", option: "--database")
    public static let logLevel = Setting("dce.log.level", option: "--log-level")
    public static let adminKey = Setting("dce.admin.key")
    public static let host = Setting("dce.host", option: "--host")
    public static let port = Setting("dce.port", option: "--port")
    public static let publicURL = Setting("dce.public.url", option: "--public-url")
    public static let rateLimit = Setting("dce.rate.limit", option: "--rate-limit")
    public static let rateBurst = Setting("dce.rate.burst", option: "--rate-burst")
    public static let maxConnections = Setting("dce.max.connections", option: "--max-connections")
    public static let idleTimeout = Setting("dce.idle.timeout", option: "--idle-timeout")
    public static let bodyMemoryMiB = Setting("dce.body.memory.mb", option: "--body-memory-mb")
    /// 64 hex characters: the AES-GCM key vendor credentials and webhook secrets are sealed with.
    public static let secretKey = Setting("dce.secret.key", option: "--secret-key")
    /// The folder call recordings are downloaded to; default `recordings/` beside the SQLite file.
    public static let recordingsDir = Setting("dce.recordings.dir", option: "--recordings-dir")

    /// Every setting `dce serve` reads; the README's configuration table lists each one.
    public static let all: [Setting] = [
        host, port, database, logLevel, adminKey, rateLimit, rateBurst, maxConnections, idleTimeout, bodyMemoryMiB, publicURL,
        secretKey, recordingsDir,
    ]
}

/// Every setting that was present but wrong, found in one pass so that a start-up
/// names them all at once instead of one per attempt.
public struct InvalidSettings: Error, Equatable, CustomStringConvertible {
    public struct Problem: Sendable, Equatable {
        public let setting: Setting
        public let reason: String
    }

    public let problems: [Problem]

    public var description: String {
        let lines = problems.map { "  \($0.setting.label): \($0.reason)" }
        return "configuration error: \(problems.count == 1 ? "1 setting is" : "\(problems.count) settings are") wrong\n"
            + lines.joined(separator: "\n")
    }
}

/// A setting's text, turned into a typed value, or the reason it cannot be.
public struct SettingRejected: Error {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// Reads settings from a `ConfigReader`, keeping every problem rather than stopping at
/// the first. Values are read as text and parsed here, so that every setting reports a
/// wrong value the same way whichever provider supplied it.
public struct SettingsCollector {
    public let reader: ConfigReader
    public private(set) var problems: [InvalidSettings.Problem] = []

    public init(reader: ConfigReader) {
        self.reader = reader
    }

    /// The parsed value of `setting`, or `fallback` when no provider has it. A value that
    /// does not parse is recorded and `fallback` stands in, so reading can go on.
    public mutating func value<T>(
        _ setting: Setting, default fallback: T, isSecret: Bool = false, _ parse: (String) throws(SettingRejected) -> T
    ) -> T {
        guard let text = reader.string(forKey: ConfigKey(setting.key), isSecret: isSecret) else { return fallback }
        do {
            return try parse(text)
        } catch {
            problems.append(.init(setting: setting, reason: error.reason))
            return fallback
        }
    }

    /// Throws every problem found so far, if any.
    public func finish() throws(InvalidSettings) {
        guard problems.isEmpty else { throw InvalidSettings(problems: problems) }
    }

    /// A whole number in `range`.
    public static func integer(_ range: ClosedRange<Int>, _ what: String = "a number") -> (String) throws(SettingRejected) -> Int {
        { text throws(SettingRejected) in
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                throw SettingRejected("'\(text)' is not \(what) in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
    }
}

import ArgumentParser
import Configuration
import DCEHTTP

/// The server's limits, from the command line first, then the environment, then defaults.
struct LimitOptions: ParsableArguments {
    @Option(help: "Requests per second per API key, ribbon client or webhook integration (0: no limit). Default: DCE_RATE_LIMIT, else 1000.")
    var rateLimit: Double?
    @Option(help: "Requests a key may send at once above its rate. Default: DCE_RATE_BURST, else 2000.")
    var rateBurst: Int?
    @Option(help: "Open connections accepted at once. Default: DCE_MAX_CONNECTIONS, else 4096.")
    var maxConnections: Int?
    @Option(help: "Seconds a silent connection is kept open. Default: DCE_IDLE_TIMEOUT, else 30.")
    var idleTimeout: Int?
    @Option(help: "MiB of request bodies held in memory at once. Default: DCE_BODY_MEMORY_MB, else 256.")
    var bodyMemoryMb: Int?

    func resolve() throws -> ServerLimits {
        var limits = ServerLimits()
        let ranges = ServerLimits.ranges
        limits.requestsPerSecond = try Self.value(rateLimit, option: "--rate-limit", environment: "DCE_RATE_LIMIT", key: "dce.rate.limit",
                                                  range: ranges.rate, default: limits.requestsPerSecond)
        limits.burst = try Self.value(rateBurst, option: "--rate-burst", environment: "DCE_RATE_BURST", key: "dce.rate.burst",
                                      range: ranges.burst, default: limits.burst)
        limits.maximumConnections = try Self.value(maxConnections, option: "--max-connections", environment: "DCE_MAX_CONNECTIONS",
                                                   key: "dce.max.connections", range: ranges.connections, default: limits.maximumConnections)
        limits.idleTimeoutSeconds = try Self.value(idleTimeout, option: "--idle-timeout", environment: "DCE_IDLE_TIMEOUT", key: "dce.idle.timeout",
                                                   range: ranges.idle, default: limits.idleTimeoutSeconds)
        let mebibytes = try Self.value(bodyMemoryMb, option: "--body-memory-mb", environment: "DCE_BODY_MEMORY_MB", key: "dce.body.memory.mb",
                                       range: ranges.bodyMiB, default: limits.bodyMemoryBytes / (1024 * 1024))
        limits.bodyMemoryBytes = mebibytes * 1024 * 1024
        return limits
    }

    private static func value<T: Comparable & LosslessStringConvertible>(
        _ option: T?, option name: String, environment: String, key: String, range: ClosedRange<T>, default fallback: T
    ) throws -> T {
        if let option {
            guard range.contains(option) else { throw Settings.Invalid(key: name, reason: "\(option) is outside \(range.lowerBound)...\(range.upperBound)") }
            return option
        }
        guard let text = Settings.environment.string(forKey: ConfigKey(key)) else { return fallback }
        guard let parsed = T(text), range.contains(parsed) else {
            throw Settings.Invalid(key: environment, reason: "'\(text)' is not a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return parsed
    }
}

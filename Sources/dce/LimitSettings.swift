import ArgumentParser
import DCEHTTP

/// The server's limits on the command line. Read as text and checked with every other
/// setting (`ServerSettings`), after the environment and `.env` are layered beneath them.
struct LimitOptions: ParsableArguments {
    @Option(help: "Requests per second per API key, ribbon client or webhook integration (0: no limit). Default: DCE_RATE_LIMIT, else 1000.")
    var rateLimit: String?
    @Option(help: "Requests a key may send at once above its rate. Default: DCE_RATE_BURST, else 2000.")
    var rateBurst: String?
    @Option(help: "Open connections accepted at once. Default: DCE_MAX_CONNECTIONS, else 4096.")
    var maxConnections: String?
    @Option(help: "Seconds a silent connection is kept open. Default: DCE_IDLE_TIMEOUT, else 30.")
    var idleTimeout: String?
    @Option(help: "MiB of request bodies held in memory at once. Default: DCE_BODY_MEMORY_MB, else 256.")
    var bodyMemoryMb: String?

    var given: [Setting: String?] {
        [.rateLimit: rateLimit, .rateBurst: rateBurst, .maxConnections: maxConnections, .idleTimeout: idleTimeout, .bodyMemoryMiB: bodyMemoryMb]
    }
}

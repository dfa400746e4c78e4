/// How much one caller, and all callers together, may ask of one dce process.
///
/// Rate limits are kept per node: behind a load balancer of N nodes a key may send up to
/// N times its rate. They protect a node from one runaway client, not bill usage.
public struct ServerLimits: Sendable, Equatable {
    /// Requests per second one API key, ribbon client or webhook integration may send,
    /// sustained; 0 turns rate limiting off.
    public var requestsPerSecond: Double
    /// Requests one key may send at once above its rate, after a quiet spell.
    public var burst: Int
    /// Open connections the server accepts; past it, new connections wait in the backlog.
    public var maximumConnections: Int
    /// Seconds a connection may stay silent (also while sending a request's head or
    /// body) before it is closed.
    public var idleTimeoutSeconds: Int
    /// Bytes of request bodies all requests in flight may hold together; past it, a new
    /// request with a body is answered 503 with `Retry-After` before its body is read.
    public var bodyMemoryBytes: Int

    public init(
        requestsPerSecond: Double = 1000, burst: Int = 2000, maximumConnections: Int = 4096,
        idleTimeoutSeconds: Int = 30, bodyMemoryBytes: Int = 256 * 1024 * 1024
    ) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.maximumConnections = maximumConnections
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.bodyMemoryBytes = bodyMemoryBytes
    }

    /// The ranges a configured value must fall in, named as the settings name them.
    public static let ranges: (rate: ClosedRange<Double>, burst: ClosedRange<Int>, connections: ClosedRange<Int>, idle: ClosedRange<Int>, bodyMiB: ClosedRange<Int>) =
        (0...1_000_000, 1...10_000_000, 1...1_000_000, 1...3600, 8...65536)
}

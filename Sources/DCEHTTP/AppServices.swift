import DCEStorage
import DCEVendors
import Foundation
import Logging

/// Everything the routes need, built once at start-up.
public struct AppServices: Sendable {
    public let database: any Database
    public let ledger: Ledger
    public let accounts: AccountDirectory
    /// The account's campaigns, publishers, buyers and targets.
    public let exchange: ExchangeDirectory
    /// Routing at the moment of the call, with caps counted by the database.
    public let routes: RouteDesk
    public let metrics: AppMetrics
    /// The vendors whose webhooks dce serves (`VendorRegistry.all` unless a test adds one).
    public let vendors: VendorRegistry
    /// Number pools, leases and their background allocation.
    public let pools: PoolServices
    /// The keyed hash of the admin key, or nil when admin routes are closed.
    public let adminKeyHash: String?
    /// Lets `/dashboard/login?key=…` sign a browser in from a link (for `--demo` only).
    public let allowsLoginLinks: Bool
    public let version: String
    public let startedAt: ContinuousClock.Instant
    /// Rate, connection, time and memory limits (`ServerLimits`).
    public let limits: ServerLimits
    /// The address carriers reach dce at (`https://dce.example.com`), which their request
    /// signatures cover; nil: the request's own scheme and Host.
    public var publicURL: String?
    /// How long the voice webhook waits for routing before it answers the campaign's
    /// fallback: carriers give up after a few seconds (SignalWire and Sinch read for 5 s).
    public var voiceDeadline: Duration = .milliseconds(2500)
    /// Seals vendor credentials and webhook secrets (`DCE_SECRET_KEY`); nil: credentials
    /// cannot be stored and new webhook secrets are kept plain.
    public var secretBox: SecretBox?
    /// Where recordings downloaded from vendors are kept (`DCE_RECORDINGS_DIR`).
    public var recordingsDirectory = "recordings"
    let rateLimiter: RateLimiter
    let bodyBudget: BodyBudget

    public init(
        database: any Database, adminKey: String?, allowsLoginLinks: Bool = false,
        limits: ServerLimits = ServerLimits(), version: String = DCEVersion.current,
        vendors: [any VendorAdapter] = VendorRegistry.all
    ) {
        self.database = database
        self.ledger = Ledger(database: database)
        self.accounts = AccountDirectory(database: database)
        self.exchange = ExchangeDirectory(database: database)
        self.metrics = AppMetrics()
        self.vendors = VendorRegistry(vendors)
        self.pools = PoolServices(database: database, metrics: metrics, logger: database.logger)
        self.routes = RouteDesk(database: database, directory: exchange, places: pools.geo)
        self.adminKeyHash = adminKey.map(SecretHash.hex(of:))
        self.allowsLoginLinks = allowsLoginLinks
        self.version = version
        self.startedAt = .now
        self.limits = limits
        self.rateLimiter = RateLimiter(rate: limits.requestsPerSecond, burst: limits.burst)
        self.bodyBudget = BodyBudget(capacity: limits.bodyMemoryBytes)
    }
}

public enum DCEVersion {
    public static let current = "0.1.0"
}

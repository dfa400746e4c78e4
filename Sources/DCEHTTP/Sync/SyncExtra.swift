import DCEDomain
import DCEStorage
import DCEVendors

/// Work a vendor's sync does besides pulling its call log (recordings, numbers, a
/// webhook subscription), after each successful run.
protocol SyncExtra: Sendable {
    /// Names the work in logs and errors: `ringcentral-recordings`.
    var name: String { get }
    func run(_ context: SyncContext) async throws
}

/// What an extra gets from the run it follows.
struct SyncContext: Sendable {
    let integration: Integration
    let credentials: PullCredentials
    let services: AppServices
    let window: PullWindow
    let now: Timestamp
    /// Sends a request authorized with the integration's credentials or token, with the
    /// engine's retries, rate limit and token renewal; the response is kept verbatim as a
    /// page when `keep` is true.
    let send: @Sendable (PullRequest, _ keep: Bool) async throws -> PullResponse
    /// Appends the events of rows read from a response, kept as that request's page (rows
    /// that cannot be read are dead letters).
    let ingest: @Sendable (PullRequest, PullResponse, [PulledRow]) async throws -> SyncReport
}

/// The extras each vendor's sync runs, one line each, in the order they run.
enum SyncExtras {
    static let registered: [(vendor: String, extra: any SyncExtra)] = [
        ("ringcentral", RingCentralNumbers()),
        ("ringcentral", RingCentralSubscription()),
        ("ringcentral", RingCentralRecordings()),
        ("exotel", ExotelCallCompletion()),
        ("retreaver", RetreaverExchangeImport()),
    ]

    static func standard(for vendor: String) -> [any SyncExtra] {
        registered.filter { $0.vendor == vendor }.map(\.extra)
    }
}

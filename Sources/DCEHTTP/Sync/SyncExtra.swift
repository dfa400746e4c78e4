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

/// A vendor whose sync does more than pull its call log. Its adapter names its extras, in
/// the order they run, beside them (`Extras/`): a vendor is still registered once, by its
/// adapter in `VendorRegistry`, and one without extras needs nothing here.
protocol SyncExtrasVendor: VendorAdapter {
    var syncExtras: [any SyncExtra] { get }
}

enum SyncExtras {
    static func standard(for adapter: any VendorAdapter) -> [any SyncExtra] {
        (adapter as? any SyncExtrasVendor)?.syncExtras ?? []
    }
}

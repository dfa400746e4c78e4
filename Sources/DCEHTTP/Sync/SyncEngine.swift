import DCEDomain
import DCEStorage
import DCEVendors
import Foundation
import Logging

/// Pulls integrations' call records from their vendors' APIs: each page kept verbatim and
/// its rows' events appended like a webhook's, a cursor per integration so that a restart
/// resumes where it stopped, under a lease so that one process at a time pulls an
/// integration, behind a circuit breaker.
public struct SyncEngine: Sendable {
    let services: AppServices
    let transport: any PullTransport
    let holder: String
    let policy: SyncPolicy
    let sleep: @Sendable (Duration) async throws -> Void
    let now: @Sendable () -> Timestamp
    let log: Logger
    let extras: @Sendable (any VendorAdapter) -> [any SyncExtra]

    public init(
        services: AppServices, transport: any PullTransport, holder: String = SyncEngine.processHolder, policy: SyncPolicy = .standard,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Timestamp = { .now() }
    ) {
        self.init(services: services, transport: transport, holder: holder, policy: policy, sleep: sleep, now: now,
                  extras: { SyncExtras.standard(for: $0) })
    }

    init(
        services: AppServices, transport: any PullTransport, holder: String, policy: SyncPolicy,
        sleep: @escaping @Sendable (Duration) async throws -> Void, now: @escaping @Sendable () -> Timestamp,
        extras: @escaping @Sendable (any VendorAdapter) -> [any SyncExtra]
    ) {
        self.services = services
        self.transport = transport
        self.holder = holder
        self.policy = policy
        self.sleep = sleep
        self.now = now
        self.log = services.database.logger
        self.extras = extras
    }

    /// This process, as a lease holder: `host:pid`.
    public static var processHolder: String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    var states: SyncStateStore { SyncStateStore(database: services.database, box: services.secretBox) }

    /// The transport with the request timeout enforced here as well, whatever the
    /// transport does with it.
    var timed: TimedTransport { TimedTransport(base: transport) }

    /// Pulls `window` (nil: from the cursor minus the overlap, or `firstLookback` ago the
    /// first time, to now; or the run a restart interrupted). A scheduled run (nil window)
    /// waits for an open breaker; a window asked for runs regardless. Throws `SyncError`
    /// with the reason when a page could not be stored.
    public func sync(integrationID: String, window: PullWindow?, progress: @Sendable (SyncProgress) -> Void = { _ in }) async throws -> SyncReport {
        guard let integration = try await IntegrationStore(database: services.database, box: services.secretBox).integration(id: integrationID) else {
            throw SyncError.unknownIntegration(integrationID)
        }
        guard let adapter = services.vendors.adapter(named: integration.vendor), let pull = adapter.pull else {
            throw SyncError.noPull(vendor: integration.vendor)
        }
        guard let stored = try await CredentialStore(database: services.database, box: services.secretBox)
            .credentials(integrationID: integrationID) else {
            throw SyncError.noCredentials(integrationID)
        }
        let startedAt = now()
        guard try await states.acquireLease(integrationID: integrationID, holder: holder,
                                            until: startedAt.adding(milliseconds: policy.lease.milliseconds), now: startedAt) else {
            throw SyncError.busy(integrationID)
        }
        do {
            let report = try await locked(integration, adapter: adapter, pull: pull, stored: stored, window: window, progress: progress)
            try await states.releaseLease(integrationID: integrationID, holder: holder)
            return report
        } catch {
            try? await states.releaseLease(integrationID: integrationID, holder: holder)
            throw error
        }
    }

    private func locked(
        _ integration: Integration, adapter: any VendorAdapter, pull: any PullClient, stored: StoredCredentials,
        window asked: PullWindow?, progress: @Sendable (SyncProgress) -> Void
    ) async throws -> SyncReport {
        let startedAt = now()
        var state = try await states.state(integrationID: integration.id)
            ?? SyncState(integrationID: integration.id, accountID: integration.accountID)
        if asked == nil, case .refused(let until) = SyncBreaker.admission(state, now: startedAt) {
            throw SyncError.breakerOpen(until: until)
        }
        let (window, resumeFrom) = plan(asked, state: state, now: startedAt)
        let credentials = PullCredentials(values: stored.values, apiBaseURL: stored.apiBaseURL ?? pull.defaultBaseURL)
        let interval = Int64(stored.syncIntervalSeconds ?? pull.defaultIntervalSeconds)
        let run = SyncRun(engine: self, integration: integration, adapter: adapter, pull: pull, credentials: credentials,
                          window: window, token: state.token)
        state.lastAttemptAt = startedAt
        state.runWindow = window
        if state.breaker == .open { state.breaker = .halfOpen }
        do {
            try await run.signInIfNeeded()
            var request = resumeFrom ?? pull.firstRequest(window: window, credentials: credentials)
            var (response, page) = try await run.fetch(request)
            while true {
                // The next page is fetched and read while this one is stored: the vendor's
                // answer, reading it and the ledger's commit overlap instead of taking turns.
                // The cursor still moves only after this page's commit.
                let fetch = page.next.map { next in Task { try await run.fetch(next) } }
                do {
                    let added = try await run.ingest(request, response, page.rows)
                    state.nextRequest = page.next
                    state.rowsPulled += Int64(added.rows)
                    state.token = await run.token
                    progress(await run.progress)
                    try await states.save(state)
                } catch {
                    fetch?.cancel()
                    throw error
                }
                guard let next = page.next, let fetch else { break }
                request = next
                (response, page) = try await withTaskCancellationHandler { try await fetch.value } onCancel: { fetch.cancel() }
            }
            try await runExtras(run, integration: integration, state: &state)
        } catch is CancellationError {
            // Stopped, not failed (a shutdown): the cursor saved after the last page resumes it.
            throw CancellationError()
        } catch {
            state = SyncBreaker.failed(state, now: now(), policy: policy)
            state.token = await run.token
            state.lastError = (error as? SyncError)?.description ?? "\(error)"
            state.nextRunAt = max(now().adding(seconds: interval), state.breakerUntil ?? .earliestAccepted)
            services.metrics.syncFailed(vendor: adapter.name)
            log.warning("sync failed", metadata: ["integration": "\(integration.id)", "reason": "\(state.lastError ?? "")"])
            try? await states.save(state)
            throw error
        }
        let finishedAt = now()
        state = SyncBreaker.succeeded(state)
        state.token = await run.token
        state.runWindow = nil
        state.nextRequest = nil
        state.lastError = nil
        state.lastSuccessAt = finishedAt
        state.nextRunAt = finishedAt.adding(seconds: interval)
        // A window asked for advances the cursor only when it reaches back to it.
        if asked == nil || state.syncedTo.map({ window.from <= $0 }) == true {
            state.syncedTo = max(state.syncedTo ?? window.to, window.to)
        }
        try await states.save(state)
        if let syncedTo = state.syncedTo {
            services.metrics.syncLag(integration: integration.id, seconds: Double(finishedAt.millisecondsSince1970 - syncedTo.millisecondsSince1970) / 1000)
        }
        return await run.report
    }

    /// The window of this run and where it starts: an interrupted run of the same window
    /// resumes at its next request.
    func plan(_ asked: PullWindow?, state: SyncState, now: Timestamp) -> (PullWindow, PullRequest?) {
        if let running = state.runWindow, let next = state.nextRequest, asked == nil || asked == running {
            return (running, next)
        }
        if let asked { return (asked, nil) }
        let from = state.syncedTo.map { $0.adding(milliseconds: -policy.overlap.milliseconds) }
            ?? now.adding(milliseconds: -policy.firstLookback.milliseconds)
        return (PullWindow(from: min(from, now), to: now), nil)
    }

    private func runExtras(_ run: SyncRun, integration: Integration, state: inout SyncState) async throws {
        let extras = self.extras(run.adapter)
        guard !extras.isEmpty else { return }
        let context = SyncContext(
            integration: integration, credentials: run.credentials, services: services, window: run.window, now: now(),
            send: { request, keep in
                let response = try await run.send(request)
                if keep { _ = try await run.ingest(request, response, []) }
                return response
            },
            ingest: { request, response, rows in try await run.ingest(request, response, rows) }
        )
        for extra in extras {
            do {
                try await extra.run(context)
            } catch let error as SyncError {
                throw SyncError.extraFailed(name: extra.name, reason: error.description)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw SyncError.extraFailed(name: extra.name, reason: "\(error)")
            }
        }
    }

    /// Takes the lease again for another `lease` from now; a run whose lease another
    /// process took (it outlived it) stops.
    func renewLease(_ integrationID: String) async throws {
        let at = now()
        guard try await states.acquireLease(integrationID: integrationID, holder: holder,
                                            until: at.adding(milliseconds: policy.lease.milliseconds), now: at) else {
            throw SyncError.leaseLost(integrationID)
        }
    }

    /// One scheduler pass: every due integration, one after the other, each under its
    /// lease. Failures are recorded in each integration's state, not thrown.
    public func runDue() async {
        let due: [String]
        do {
            due = try await states.due(now: now())
        } catch {
            log.error("listing due syncs failed", metadata: ["error": "\(String(reflecting: error))"])
            return
        }
        for integrationID in due {
            if Task.isCancelled { return }
            do {
                let report = try await sync(integrationID: integrationID, window: nil)
                log.info("synced", metadata: ["integration": "\(integrationID)", "rows": "\(report.rows)", "pages": "\(report.pages)"])
            } catch SyncError.busy, SyncError.breakerOpen {
                continue
            } catch {
                // Recorded in the integration's state by the run.
                continue
            }
        }
    }
}

/// How far a run has come.
public struct SyncProgress: Sendable, Hashable {
    public var pages: Int
    public var rows: Int
    public var deadLetters: Int
    public var window: PullWindow
    /// The earliest and latest call times seen so far: how much of the window is covered,
    /// whichever order the vendor pages in.
    public var earliest: Timestamp?
    public var latest: Timestamp?

    /// The share of the window the rows seen so far span, 0…1.
    public var fraction: Double {
        let span = window.to.millisecondsSince1970 - window.from.millisecondsSince1970
        guard span > 0, let earliest, let latest else { return 0 }
        let seen = Double(latest.millisecondsSince1970 - earliest.millisecondsSince1970) / Double(span)
        return min(max(seen, 0), 1)
    }
}

/// What a run did.
public struct SyncReport: Sendable, Hashable {
    public var pages = 0
    public var rows = 0
    public var newEvents = 0
    public var duplicates = 0
    public var deadLetters = 0
    public var window: PullWindow

    public init(window: PullWindow) { self.window = window }

    mutating func add(_ other: SyncReport) {
        pages += other.pages
        rows += other.rows
        newEvents += other.newEvents
        duplicates += other.duplicates
        deadLetters += other.deadLetters
    }
}

/// Why a sync did not finish.
public enum SyncError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownIntegration(String)
    case noPull(vendor: String)
    case noCredentials(String)
    /// Another process holds the integration's lease.
    case busy(String)
    case leaseLost(String)
    case breakerOpen(until: Timestamp)
    case signInRefused(String)
    /// The vendor refused a request (a 4xx other than a rate limit, or a token refused
    /// again after renewal).
    case refused(endpoint: String, status: Int, reason: String)
    /// A request failed on every try.
    case requestFailed(endpoint: String, reason: String)
    /// A page that is not the vendor's documented shape (kept as a dead letter).
    case unreadablePage(endpoint: String, reason: String)
    case extraFailed(name: String, reason: String)

    public var description: String {
        switch self {
        case .unknownIntegration(let id): "no integration '\(id)'"
        case .noPull(let vendor): "dce cannot pull \(vendor)'s call records"
        case .noCredentials(let id): "integration '\(id)' has no API credentials: set them with dce integrations credentials \(id) --set KEY=VALUE"
        case .busy(let id): "another process is syncing integration '\(id)'"
        case .leaseLost(let id): "another process took over syncing integration '\(id)'"
        case .breakerOpen(let until): "the circuit breaker is open after repeated failures, until \(until)"
        case .signInRefused(let reason): reason
        case .refused(let endpoint, let status, let reason): "\(endpoint): the vendor refused the request (HTTP \(status)): \(reason)"
        case .requestFailed(let endpoint, let reason): "\(endpoint): \(reason)"
        case .unreadablePage(let endpoint, let reason): "\(endpoint): a page could not be read: \(reason)"
        case .extraFailed(let name, let reason): "\(name): \(reason)"
        }
    }
}

/// No answer within the request timeout.
struct SyncTimeout: Error {}

/// A transport whose requests give up after their timeout, enforced by racing a timer.
struct TimedTransport: PullTransport {
    let base: any PullTransport

    func send(_ request: PullRequest, timeout: Duration) async throws -> PullResponse {
        try await withThrowingTaskGroup(of: PullResponse?.self) { group in
            group.addTask { try await base.send(request, timeout: timeout) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else { throw SyncTimeout() }
            return response
        }
    }
}

import DCEDomain
import DCEStorage
import DCEVendors
import Foundation

/// One run of one integration's sync: sends its requests (rate limit, retries, token
/// renewal, the lease renewed before each), keeps each page verbatim and appends its rows'
/// events. The engine decides the window and saves the state around it.
actor SyncRun {
    let engine: SyncEngine
    let integration: Integration
    let adapter: any VendorAdapter
    let pull: any PullClient
    let credentials: PullCredentials
    let window: PullWindow
    private(set) var token: AccessToken?
    private(set) var report: SyncReport
    private let gate: SyncRateGate
    private var earliest: Timestamp?
    private var latest: Timestamp?

    init(engine: SyncEngine, integration: Integration, adapter: any VendorAdapter, pull: any PullClient,
         credentials: PullCredentials, window: PullWindow, token: AccessToken?) {
        self.engine = engine
        self.integration = integration
        self.adapter = adapter
        self.pull = pull
        self.credentials = credentials
        self.window = window
        self.token = token
        self.report = SyncReport(window: window)
        self.gate = SyncRateGate(pull.rateLimit)
    }

    var progress: SyncProgress {
        SyncProgress(pages: report.pages, rows: report.rows, deadLetters: report.deadLetters, window: window,
                     earliest: earliest, latest: latest)
    }

    /// Signs in when the vendor issues tokens and the one held is missing or expiring.
    func signInIfNeeded() async throws {
        if let token, !token.isExpiring(at: engine.now()) { return }
        try await renewToken()
    }

    private func renewToken() async throws {
        var attempt = 0
        while true {
            do {
                token = try await pull.signIn(credentials, current: token, now: engine.now(), transport: engine.timed)
                return
            } catch let refused as PullSignInError {
                throw SyncError.signInRefused(refused.description)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                attempt += 1
                guard attempt < engine.policy.tries else { throw SyncError.requestFailed(endpoint: "sign-in", reason: "\(error)") }
                try await engine.sleep(engine.policy.jitter(SyncBackoff.bound(
                    attempt: attempt, base: engine.policy.backoffBase, cap: engine.policy.backoffCap)))
            }
        }
    }

    /// The vendor's answer to `request`, once it is a page: server errors, timeouts and
    /// lost connections are retried with backoff (429 after its `Retry-After`), a refused
    /// token is renewed once.
    func send(_ request: PullRequest) async throws -> PullResponse {
        var attempt = 0
        var renewed = false
        while true {
            try Task.checkCancellation()
            try await engine.renewLease(integration.id)
            let wait = gate.wait(now: engine.now())
            if wait > .zero { try await engine.sleep(wait) }
            let authorized = pull.authorize(request, credentials: credentials, token: token)
            let failure: String
            var retryAfter: Duration?
            do {
                let response = try await engine.timed.send(authorized, timeout: engine.policy.requestTimeout)
                switch SyncAnswer.of(response, now: engine.now()) {
                case .page:
                    return response
                case .renewToken where !renewed:
                    renewed = true
                    try await renewToken()
                    continue
                case .renewToken, .refused:
                    throw SyncError.refused(endpoint: request.endpoint, status: response.status,
                                            reason: masked(Self.excerpt(response.body)))
                case .retry(let after):
                    failure = "HTTP \(response.status)"
                    retryAfter = after
                }
            } catch let error as SyncError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failure = error is SyncTimeout ? "no answer within \(engine.policy.requestTimeout)" : "\(error)"
            }
            attempt += 1
            guard attempt < engine.policy.tries else {
                throw SyncError.requestFailed(endpoint: request.endpoint, reason: "\(failure) after \(attempt) tries")
            }
            if let retryAfter, retryAfter > engine.policy.longestRetryAfter {
                throw SyncError.requestFailed(endpoint: request.endpoint, reason: "\(failure): the vendor asks to wait \(retryAfter)")
            }
            let delay = retryAfter ?? engine.policy.jitter(SyncBackoff.bound(
                attempt: attempt, base: engine.policy.backoffBase, cap: engine.policy.backoffCap))
            engine.log.notice("sync request retried", metadata: [
                "integration": "\(integration.id)", "endpoint": "\(request.endpoint)", "reason": "\(failure)",
                "attempt": "\(attempt)", "wait": "\(delay)",
            ])
            try await engine.sleep(delay)
        }
    }

    /// `request`'s page, sent and read.
    func fetch(_ request: PullRequest) async throws -> (PullResponse, PulledPage) {
        let response = try await send(request)
        return (response, try await read(response, of: request))
    }

    /// Reads a page into its rows and the next request; a page that is not the vendor's
    /// shape at all is kept as a dead letter and ends the run.
    func read(_ response: PullResponse, of request: PullRequest) async throws -> PulledPage {
        do {
            return try pull.read(response, of: request, window: window, credentials: credentials, integration: profile)
        } catch {
            let kept = keptRequest(request, response)
            try await engine.services.ledger.deadLetter(kept, accountID: integration.accountID, reason: error.message, field: error.field)
            engine.services.metrics.syncDeadLetter(vendor: adapter.name)
            report.deadLetters += 1
            throw SyncError.unreadablePage(endpoint: request.endpoint, reason: error.message)
        }
    }

    /// Keeps `response` as `request`'s page with the events of `rows` and, in the same
    /// commit, a dead letter for each row that cannot be read; counts them; returns what this
    /// page added.
    func ingest(_ request: PullRequest, _ response: PullResponse, _ rows: [PulledRow]) async throws -> SyncReport {
        let kept = keptRequest(request, response)
        var added = SyncReport(window: window)
        added.pages = 1
        added.rows = rows.count
        // A page stored before exactly as it is now adds nothing: it is not kept again.
        let pages = PulledPages(database: engine.services.database)
        let digest = PulledPages.digest(url: kept.headers["x-dce-pull-url"] ?? kept.path, requestBody: kept.headers["x-dce-pull-body"],
                                        responseBody: response.body)
        if try await pages.stored(digest, integrationID: integration.id) {
            added.duplicates = rows.reduce(0) { count, row in
                if case .success(let events) = row.outcome { count + events.count } else { count }
            }
            report.add(added)
            engine.services.metrics.syncPage(vendor: adapter.name, rows: rows.count)
            return added
        }
        let read = try await PulledRows.read(rows, vendor: adapter, accountID: integration.accountID,
                                             lookups: WebhookLookups(database: engine.services.database))
        let ingest = Ingest(services: engine.services)
        let outcomes = try await ingest.append(read.events, ingest.begin(kept, accountID: integration.accountID, label: adapter.name),
                                               refusedRows: read.refusals)
        if !read.refusals.isEmpty { engine.services.metrics.syncDeadLetter(vendor: adapter.name, count: read.refusals.count) }
        try await pages.note(digest, integrationID: integration.id, at: engine.now())
        added.duplicates = outcomes.count(where: \.duplicate)
        added.newEvents = outcomes.count - added.duplicates
        added.deadLetters = read.refusals.count
        report.add(added)
        for event in read.events.map(\.event.occurredAt) {
            earliest = min(earliest ?? event, event)
            latest = max(latest ?? event, event)
        }
        engine.services.metrics.syncPage(vendor: adapter.name, rows: rows.count)
        return added
    }

    private var profile: IntegrationProfile {
        IntegrationProfile(id: integration.id, fieldMapping: integration.fieldMapping)
    }

    /// A page as stored: the request's URL before it was authorized, with any credential
    /// the vendor echoed into a next-page link masked all the same, and the request's own
    /// body (a report's filters, a call list's ids), which a replay reads the page with.
    private func keptRequest(_ request: PullRequest, _ response: PullResponse) -> InboundRequest {
        var headers = ["x-dce-pull-url": masked(request.url)]
        if let body = request.body, body.count <= Self.keptRequestBodyLimit, let text = String(validating: body, as: UTF8.self) {
            headers["x-dce-pull-body"] = masked(text)
        }
        return InboundRequest(
            source: adapter.source, method: request.method,
            path: "/sync/\(adapter.name)/\(integration.id)/\(request.endpoint)",
            contentType: response.headers["content-type"],
            headers: headers, body: response.body, receivedAt: engine.now()
        )
    }

    /// The longest request body kept beside its page (Ringba's detail of 1000 calls is
    /// about 40 KiB).
    static let keptRequestBodyLimit = 256 << 10

    private func masked(_ url: String) -> String {
        var secrets = credentials.values.values.filter { $0.count >= 6 }
        if let token { secrets += [token.value] + (token.refreshToken.map { [$0] } ?? []) }
        var text = url
        for secret in secrets.sorted(by: { $0.count > $1.count }) {
            text = text.replacingOccurrences(of: secret, with: "***")
            if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != secret {
                text = text.replacingOccurrences(of: encoded, with: "***")
            }
        }
        return text
    }

    /// The start of an error body, for the reason a run failed.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.isEmpty ? "(no body)" : text
    }
}

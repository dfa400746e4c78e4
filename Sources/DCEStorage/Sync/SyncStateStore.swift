import DCEDomain
import DCEVendors
import Foundation
import SQLKit

/// A per-integration circuit breaker: open after repeated failed runs, half-open to let
/// one run probe, closed again on success.
public enum BreakerState: String, Sendable, Codable {
    case closed, open, halfOpen = "half_open"
}

/// Where an integration's sync stands.
public struct SyncState: Sendable, Hashable {
    public var integrationID: String
    public var accountID: AccountID
    /// Everything before it was pulled (the cursor).
    public var syncedTo: Timestamp?
    /// The window of a run in progress (resumed after a restart).
    public var runWindow: PullWindow?
    /// Where that run stopped.
    public var nextRequest: PullRequest?
    public var lastAttemptAt: Timestamp?
    public var lastSuccessAt: Timestamp?
    public var lastError: String?
    public var failures: Int
    public var breaker: BreakerState
    public var breakerUntil: Timestamp?
    public var rowsPulled: Int64
    public var nextRunAt: Timestamp?
    /// Stored sealed.
    public var token: AccessToken?

    public init(
        integrationID: String, accountID: AccountID, syncedTo: Timestamp? = nil, runWindow: PullWindow? = nil,
        nextRequest: PullRequest? = nil, lastAttemptAt: Timestamp? = nil, lastSuccessAt: Timestamp? = nil,
        lastError: String? = nil, failures: Int = 0, breaker: BreakerState = .closed, breakerUntil: Timestamp? = nil,
        rowsPulled: Int64 = 0, nextRunAt: Timestamp? = nil, token: AccessToken? = nil
    ) {
        self.integrationID = integrationID
        self.accountID = accountID
        self.syncedTo = syncedTo
        self.runWindow = runWindow
        self.nextRequest = nextRequest
        self.lastAttemptAt = lastAttemptAt
        self.lastSuccessAt = lastSuccessAt
        self.lastError = lastError
        self.failures = failures
        self.breaker = breaker
        self.breakerUntil = breakerUntil
        self.rowsPulled = rowsPulled
        self.nextRunAt = nextRunAt
        self.token = token
    }
}

/// The sync state of every integration, and the lease that lets one process at a time
/// (a `dce serve` node, a `dce sync` run) pull an integration.
public struct SyncStateStore: Sendable {
    let database: any Database
    let box: SecretBox?

    public init(database: any Database, box: SecretBox?) {
        self.database = database
        self.box = box
    }

    public func state(integrationID: String) async throws -> SyncState? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM sync_state WHERE integration_id = \(bind: integrationID)").first()
                .map { try decode($0) }
        }
    }

    /// The sync states of the account's integrations, by integration id.
    public func states(accountID: AccountID) async throws -> [String: SyncState] {
        try await database.read { sql in
            let rows = try await sql.raw("SELECT * FROM sync_state WHERE account_id = \(bind: accountID.rawValue)").all()
            var found: [String: SyncState] = [:]
            for row in rows {
                let state = try decode(row)
                found[state.integrationID] = state
            }
            return found
        }
    }

    /// Inserts or replaces the state; the lease columns are left to the lease methods.
    public func save(_ state: SyncState) async throws {
        let tokenSealed: String?
        if let token = state.token {
            guard let box else { throw CredentialStoreError.noSecretKey }
            tokenSealed = box.seal(try CredentialStore.json(token))
        } else {
            tokenSealed = nil
        }
        let nextRequest = try state.nextRequest.map { try CredentialStore.json($0) }
        let ms: @Sendable (Timestamp?) -> Int64? = { $0?.millisecondsSince1970 }
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO sync_state (integration_id, account_id, synced_to, run_from, run_to, next_request, last_attempt_at,
                    last_success_at, last_error, failures, breaker, breaker_until, rows_pulled, next_run_at, token_sealed)
                VALUES (\(bind: state.integrationID), \(bind: state.accountID.rawValue), \(bind: ms(state.syncedTo)),
                    \(bind: ms(state.runWindow?.from)), \(bind: ms(state.runWindow?.to)), \(bind: nextRequest),
                    \(bind: ms(state.lastAttemptAt)), \(bind: ms(state.lastSuccessAt)), \(bind: state.lastError),
                    \(bind: Int64(state.failures)), \(bind: state.breaker.rawValue), \(bind: ms(state.breakerUntil)),
                    \(bind: state.rowsPulled), \(bind: ms(state.nextRunAt)), \(bind: tokenSealed))
                ON CONFLICT (integration_id) DO UPDATE SET
                    account_id = excluded.account_id, synced_to = excluded.synced_to, run_from = excluded.run_from,
                    run_to = excluded.run_to, next_request = excluded.next_request, last_attempt_at = excluded.last_attempt_at,
                    last_success_at = excluded.last_success_at, last_error = excluded.last_error, failures = excluded.failures,
                    breaker = excluded.breaker, breaker_until = excluded.breaker_until, rows_pulled = excluded.rows_pulled,
                    next_run_at = excluded.next_run_at, token_sealed = excluded.token_sealed
                """).run()
        }
    }

    /// Integrations with credentials whose next run is due (or never scheduled), whose
    /// breaker is not open past `now`, and that no process holds a live lease on.
    public func due(now: Timestamp) async throws -> [String] {
        let at = now.millisecondsSince1970
        return try await database.read { sql in
            try await sql.raw("""
                SELECT c.integration_id FROM integration_credentials c
                LEFT JOIN sync_state s ON s.integration_id = c.integration_id
                WHERE (s.next_run_at IS NULL OR s.next_run_at <= \(bind: at))
                  AND (s.breaker IS NULL OR s.breaker <> 'open' OR s.breaker_until IS NULL OR s.breaker_until <= \(bind: at))
                  AND (s.lease_holder IS NULL OR s.lease_until IS NULL OR s.lease_until < \(bind: at))
                ORDER BY COALESCE(s.next_run_at, 0), c.integration_id
                """).all().map { try $0.decode(column: "integration_id", as: String.self) }
        }
    }

    /// Takes the lease when it is free, expired or already `holder`'s, in one conditional
    /// update; false when another holder has a live one (or the integration is gone).
    public func acquireLease(integrationID: String, holder: String, until: Timestamp, now: Timestamp) async throws -> Bool {
        try await database.write { sql in
            // The state row must exist for the update to have something to take.
            try await sql.raw("""
                INSERT INTO sync_state (integration_id, account_id)
                SELECT id, account_id FROM integrations WHERE id = \(bind: integrationID)
                ON CONFLICT (integration_id) DO NOTHING
                """).run()
            return try await sql.raw("""
                UPDATE sync_state SET lease_holder = \(bind: holder), lease_until = \(bind: until.millisecondsSince1970)
                WHERE integration_id = \(bind: integrationID)
                  AND (lease_holder IS NULL OR lease_until IS NULL OR lease_until < \(bind: now.millisecondsSince1970)
                       OR lease_holder = \(bind: holder))
                RETURNING integration_id
                """).first() != nil
        }
    }

    /// Gives the lease up, when `holder` has it.
    public func releaseLease(integrationID: String, holder: String) async throws {
        try await database.write { sql in
            try await sql.raw("""
                UPDATE sync_state SET lease_holder = NULL, lease_until = NULL
                WHERE integration_id = \(bind: integrationID) AND lease_holder = \(bind: holder)
                """).run()
        }
    }

    func decode(_ row: any SQLRow) throws -> SyncState {
        func time(_ column: String) throws -> Timestamp? {
            try row.decode(column: column, as: Int64?.self).map { Timestamp(millisecondsSince1970: $0) }
        }
        let runWindow: PullWindow? = if let from = try time("run_from"), let to = try time("run_to") {
            PullWindow(from: from, to: to)
        } else {
            nil
        }
        let nextRequest = try row.decode(column: "next_request", as: String?.self)
            .flatMap { try? JSONDecoder().decode(PullRequest.self, from: Data($0.utf8)) }
        // A token that cannot be opened (no key, another key) is as good as none: the engine signs in again.
        let token = try row.decode(column: "token_sealed", as: String?.self).flatMap { sealed -> AccessToken? in
            guard let box, let text = try? box.open(sealed) else { return nil }
            return try? JSONDecoder().decode(AccessToken.self, from: Data(text.utf8))
        }
        let failures = try row.decode(column: "failures", as: Int64.self)
        return SyncState(
            integrationID: try row.decode(column: "integration_id", as: String.self),
            accountID: AccountID(rawValue: try row.decode(column: "account_id", as: String.self)),
            syncedTo: try time("synced_to"), runWindow: runWindow, nextRequest: nextRequest,
            lastAttemptAt: try time("last_attempt_at"), lastSuccessAt: try time("last_success_at"),
            lastError: try row.decode(column: "last_error", as: String?.self),
            failures: Int(clamping: failures),
            breaker: BreakerState(rawValue: try row.decode(column: "breaker", as: String.self)) ?? .closed,
            breakerUntil: try time("breaker_until"), rowsPulled: try row.decode(column: "rows_pulled", as: Int64.self),
            nextRunAt: try time("next_run_at"), token: token
        )
    }
}

import DCEDomain
import SQLKit

/// What today's reader made of a kept request.
public enum ReplayReading: Sendable {
    /// Its events (none, for a delivery that reports no call).
    case events([IncomingEvent])
    /// A pulled page: the events of the rows read, and the rows that still cannot be read,
    /// each a dead letter of the page again.
    case page(events: [IncomingEvent], refusedRows: [DeadLetterReason])
    /// Refused as bad input: it stays (or becomes) a dead letter with this reason.
    case refused(reason: String, field: String?)
}

/// What a replay did.
public struct ReplayReport: Sendable, Hashable {
    /// Requests the filter selected.
    public var selected = 0
    /// Requests read again: the selected ones and every other one with events on their calls.
    public var requests = 0
    /// Events written (a repeated key within the replay counts once).
    public var events = 0
    /// Calls folded again: those the written events went to (new rows for the removed calls,
    /// and stored calls that events read differently today joined).
    public var calls = 0
    /// Requests refused again, kept as dead letters.
    public var deadLetters = 0
    /// Dead letters that today's readers accept.
    public var revived = 0

    public init() {}
}

extension Ledger {
    /// Reads kept requests again with today's readers and folds their calls again, so that
    /// a mapping fix applies to history.
    ///
    /// The calls having events from the requests `filter` selects lose their derived rows
    /// (events, vendor id claims, the call rows; the requests stay, and so do call routes,
    /// which are keyed by vendor ids), and every request that contributed to them is
    /// appended again in the order it was received, each as its own commit group would
    /// have, reusing its stored row. All of it is one transaction: a failed replay
    /// changes nothing.
    ///
    /// `read` is called once per request, in received order, before anything is removed,
    /// so that what it looks up in the ledger (a correction's call) is as a fresh ingest
    /// found it.
    public func replay(_ filter: ReplayFilter, read: (KeptRequest) async throws -> ReplayReading) async throws -> ReplayReport {
        let scope = try await database.read { sql in try await ReplayScope.load(filter, on: sql) }
        var readings: [(KeptRequest, ReplayReading)] = []
        for kept in scope.requests { readings.append((kept, try await read(kept))) }
        let (clock, ids) = (clock, ids)
        let replayed = readings
        var report = try await database.write { sql in
            let logs = try await RibbonLogLinks.detach(calls: scope.calls, on: sql)
            try await Self.remove(scope, on: sql)
            var report = ReplayReport()
            var touched: Set<CallID> = []
            for (kept, reading) in replayed {
                let (events, refusedRows): ([IncomingEvent], [DeadLetterReason])
                switch reading {
                case .events(let read):
                    (events, refusedRows) = (read, [])
                case .page(let read, let refused):
                    (events, refusedRows) = (read, refused)
                case .refused(let reason, let field):
                    (events, refusedRows) = ([], [DeadLetterReason(reason: reason, field: field)])
                }
                if kept.wasDeadLetter, refusedRows.isEmpty { report.revived += 1 }
                report.deadLetters += refusedRows.count
                guard !events.isEmpty || !refusedRows.isEmpty else { continue }
                let item = AppendItem(events: events, accountID: kept.accountID, request: kept.request, storedRequestID: kept.id,
                                      refusedRows: refusedRows)
                let outcomes = try await CommitGroup.apply([item], clock: clock, ids: ids, on: sql)
                for outcome in outcomes.joined() where !outcome.duplicate {
                    report.events += 1
                    touched.insert(outcome.callID)
                }
            }
            try await RibbonLogLinks.attach(logs, on: sql)
            report.calls = touched.count
            return report
        }
        report.selected = scope.selected
        report.requests = scope.requests.count
        return report
    }

    /// Removes the derived rows of the scope's calls, and its requests' dead letters.
    static func remove(_ scope: ReplayScope, on sql: any SQLDatabase) async throws {
        let calls = scope.calls.map(\.rawValue).sorted()
        for chunk in CommitGroup.chunks(calls) {
            try await sql.raw("DELETE FROM raw_events WHERE call_id IN (\(binds: Array(chunk)))").run()
            try await sql.raw("DELETE FROM call_vendor_ids WHERE call_id IN (\(binds: Array(chunk)))").run()
            try await sql.raw("DELETE FROM calls WHERE id IN (\(binds: Array(chunk)))").run()
        }
        for chunk in CommitGroup.chunks(scope.requests.map(\.id)) {
            try await sql.raw("DELETE FROM dead_letters WHERE request_id IN (\(binds: Array(chunk)))").run()
        }
    }
}

/// The ribbon's log and sessions refer to events and calls: a replay unlinks them from the
/// rows it removes and links them again, by idempotency key, to the events written again.
enum RibbonLogLinks {
    struct Log: Sendable {
        let logID: String
        let accountID: String
        let sessionID: String
        let event: String
        let occurredAt: Int64
        let idempotencyKey: String
    }

    static func detach(calls: Set<CallID>, on sql: any SQLDatabase) async throws -> [Log] {
        var logs: [Log] = []
        for chunk in CommitGroup.chunks(calls.map(\.rawValue).sorted()) {
            logs += try await sql.raw("""
                SELECT l.log_id, l.account_id, l.session_id, l.event, l.occurred_at, e.idempotency_key
                FROM ribbon_call_logs l JOIN raw_events e ON e.id = l.raw_event_id
                WHERE e.call_id IN (\(binds: Array(chunk)))
                """).all().map { row in
                Log(logID: try row.decode(column: "log_id", as: String.self),
                    accountID: try row.decode(column: "account_id", as: String.self),
                    sessionID: try row.decode(column: "session_id", as: String.self),
                    event: try row.decode(column: "event", as: String.self),
                    occurredAt: try row.decode(column: "occurred_at", as: Int64.self),
                    idempotencyKey: try row.decode(column: "idempotency_key", as: String.self))
            }
            try await sql.raw("UPDATE ribbon_sessions SET call_id = NULL WHERE call_id IN (\(binds: Array(chunk)))").run()
        }
        for chunk in CommitGroup.chunks(logs.map(\.logID)) {
            try await sql.raw("DELETE FROM ribbon_call_logs WHERE log_id IN (\(binds: Array(chunk)))").run()
        }
        return logs
    }

    /// Links each log entry whose event was written again (a refused one stays out of the
    /// log, as it would have on a fresh ingest), and its session to that event's call.
    static func attach(_ logs: [Log], on sql: any SQLDatabase) async throws {
        for log in logs {
            guard let row = try await sql.raw("""
                SELECT id, call_id FROM raw_events WHERE account_id = \(bind: log.accountID) AND idempotency_key = \(bind: log.idempotencyKey)
                """).first() else { continue }
            let eventID = try row.decode(column: "id", as: Int64.self)
            let callID = try row.decode(column: "call_id", as: String.self)
            try await sql.raw("""
                INSERT INTO ribbon_call_logs (log_id, account_id, session_id, raw_event_id, event, occurred_at)
                VALUES (\(bind: log.logID), \(bind: log.accountID), \(bind: log.sessionID), \(bind: eventID), \(bind: log.event), \(bind: log.occurredAt))
                """).run()
            try await sql.raw("UPDATE ribbon_sessions SET call_id = \(bind: callID) WHERE session_id = \(bind: log.sessionID)").run()
        }
    }
}

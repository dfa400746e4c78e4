import DCEDomain
import SQLKit

/// One real call seen by two platforms (Ringba routes a call that RingCentral then
/// answers) becomes one call in the ledger that carries both vendor ids.
///
/// The rule: an event whose vendor call id is new joins an existing call of the same
/// account when that call has the same caller and tracking number, started within
/// `window` of this event's start (`estimatedWindow` when the event gives no start and
/// its start is estimated as its time less its duration), and has no id yet from this
/// event's source (two calls that one vendor reports separately stay separate). The
/// nearest start wins. Revenue is never counted twice because a call's fields are folded,
/// not summed (`CallMerge`).
public enum CrossVendorDedupe {
    public static let window: Int64 = 10_000
    /// For reports whose start is estimated from when they were sent.
    public static let estimatedWindow: Int64 = 60_000

    /// Where the rule places an event in time, and how loosely it matches.
    static func start(of event: CallEvent) -> (start: Int64, window: Int64) {
        if let started = event.fields.callStartedAt { return (started.millisecondsSince1970, window) }
        // A report without a start time (Ringba's conversion webhook, sent when the call
        // ends) is placed at its time less the call's length, and matched more loosely.
        // Saturating arithmetic: a duration is checked where it is read, but this rule
        // must not trap on any value an event holds.
        return (event.occurredAt.subtracting(seconds: Int64(event.fields.durationSeconds ?? 0)).millisecondsSince1970, estimatedWindow)
    }

    /// The calls a commit group's new reports could join, kept up to date as the group's
    /// events are placed one after another, so that each decision sees what the events
    /// before it in the group did (a call one of them started, a caller one of them set).
    struct Board {
        struct Call {
            let accountID: String
            var caller: String?
            var tracking: String?
            var sortAt: Int64
            var sources: Set<String>
        }

        private(set) var calls: [CallID: Call] = [:]
        /// The calls by account, caller and number: a report can only join one of these, so
        /// a group of a thousand new calls looks at a handful each instead of all of them.
        private var byLine: [Line: Set<CallID>] = [:]

        struct Line: Hashable {
            let accountID: String
            let caller: String
            let tracking: String

            init?(_ call: Call) {
                guard let caller = call.caller, let tracking = call.tracking else { return nil }
                self.init(accountID: call.accountID, caller: caller, tracking: tracking)
            }

            init(accountID: String, caller: String, tracking: String) {
                self.accountID = accountID
                self.caller = caller
                self.tracking = tracking
            }
        }

        init(calls: [CallID: Call] = [:]) {
            for (id, call) in calls { set(id, call) }
        }

        /// Stores a call, keeping `byLine` in step with its caller and number.
        private mutating func set(_ id: CallID, _ call: Call) {
            if let old = calls[id], let line = Line(old) { byLine[line]?.remove(id) }
            calls[id] = call
            if let line = Line(call) { byLine[line, default: []].insert(id) }
        }

        /// Reads the calls the group's new reports could join, and the state of the calls
        /// its other events touch. On PostgreSQL it first takes a lock per caller and
        /// number, so that two nodes deciding about the same caller at once take turns:
        /// the second then sees the first's call. SQLite has one writer.
        static func load(reports: [(accountID: AccountID, event: CallEvent)], touched: [CallID], on sql: any SQLDatabase) async throws -> Board {
            var board = Board()
            guard !reports.isEmpty else { return board }
            if sql.dialect.name == "postgresql" {
                let keys = Set(reports.compactMap { report -> String? in
                    guard let caller = report.event.fields.callerPhone, let tracking = report.event.fields.trackingNumber else { return nil }
                    return "\(report.accountID.rawValue)|\(caller.e164)|\(tracking.e164)"
                })
                for key in keys.sorted() {
                    try await sql.raw("SELECT pg_advisory_xact_lock(7312004, hashtext(\(bind: key)))").run()
                }
            }
            for (account, accountReports) in Dictionary(grouping: reports, by: \.accountID.rawValue) {
                let callers = Array(Set(accountReports.compactMap { $0.event.fields.callerPhone?.e164 })).sorted()
                let starts = accountReports.map { Timestamp(millisecondsSince1970: CrossVendorDedupe.start(of: $0.event).start) }
                guard let earliest = starts.min(), let latest = starts.max() else { continue }
                // `+sort_at`: look calls up by caller (few rows), not by time (every call of the hour).
                try board.add(try await sql.raw("""
                    SELECT \(unsafeRaw: Self.callColumns) FROM calls
                    WHERE account_id = \(bind: account) AND caller_phone IN (\(binds: callers))
                      AND +sort_at BETWEEN \(bind: earliest.adding(milliseconds: -estimatedWindow).millisecondsSince1970)
                                       AND \(bind: latest.adding(milliseconds: estimatedWindow).millisecondsSince1970)
                    """).all())
            }
            let others = Array(Set(touched).subtracting(board.calls.keys))
            for chunk in CommitGroup.chunks(others) {
                try board.add(try await sql.raw("""
                    SELECT \(unsafeRaw: Self.callColumns) FROM calls WHERE id IN (\(binds: chunk.map(\.rawValue)))
                    """).all())
            }
            for chunk in CommitGroup.chunks(Array(board.calls.keys)) {
                let rows = try await sql.raw("""
                    SELECT call_id, source FROM call_vendor_ids WHERE call_id IN (\(binds: chunk.map(\.rawValue)))
                    """).all()
                for row in rows {
                    let id = CallID(rawValue: try row.decode(column: "call_id", as: String.self))
                    board.calls[id]?.sources.insert(try row.decode(column: "source", as: String.self))
                }
            }
            return board
        }

        static let callColumns = "id, account_id, caller_phone, tracking_number, sort_at"

        private mutating func add(_ rows: [any SQLRow]) throws {
            for row in rows {
                set(CallID(rawValue: try row.decode(column: "id", as: String.self)), Call(
                    accountID: try row.decode(column: "account_id", as: String.self),
                    caller: try row.decode(column: "caller_phone", as: String?.self),
                    tracking: try row.decode(column: "tracking_number", as: String?.self),
                    sortAt: try row.decode(column: "sort_at", as: Int64.self),
                    sources: []
                ))
            }
        }

        /// The call this report is the same real call as, by the rule; nil when there is none.
        /// The nearest start wins, then the smaller id.
        func match(_ event: CallEvent, accountID: AccountID) -> CallID? {
            guard let caller = event.fields.callerPhone?.e164, let tracking = event.fields.trackingNumber?.e164,
                  let candidates = byLine[Line(accountID: accountID.rawValue, caller: caller, tracking: tracking)] else { return nil }
            let (start, window) = CrossVendorDedupe.start(of: event)
            var best: (id: CallID, gap: UInt64)?
            for id in candidates {
                guard let call = calls[id] else { continue }
                let gap = Timestamp.gap(call.sortAt, start)
                guard gap <= UInt64(window), !call.sources.contains(event.source.rawValue) else { continue }
                if let current = best, current.gap < gap || (current.gap == gap && current.id.rawValue < id.rawValue) { continue }
                best = (id, gap)
            }
            return best?.id
        }

        /// Notes a call this group starts.
        mutating func start(_ id: CallID, accountID: AccountID, sortAt: Int64) {
            set(id, Call(accountID: accountID.rawValue, caller: nil, tracking: nil, sortAt: sortAt, sources: []))
        }

        /// Notes what an event placed on a call changes for later decisions.
        mutating func place(_ event: CallEvent, on id: CallID) {
            guard var call = calls[id] else { return }
            call.caller = event.fields.callerPhone?.e164 ?? call.caller
            call.tracking = event.fields.trackingNumber?.e164 ?? call.tracking
            if let started = event.fields.callStartedAt { call.sortAt = started.millisecondsSince1970 }
            call.sources.insert(event.source.rawValue)
            set(id, call)
        }
    }
}

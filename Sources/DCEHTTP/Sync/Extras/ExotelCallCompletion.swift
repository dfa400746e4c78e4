import DCEDomain
import DCEStorage
import DCEVendors
import SQLKit

/// Completes Exotel calls whose final status callback never came: a call of the
/// integration still not over `deadline` after it started is asked for by its own
/// `GET v1/Accounts/<sid>/Calls/<CallSid>.json?details=true`, and its answer read as the
/// call list's rows are. Exotel's bulk list leaves out calls in progress when it is read,
/// so a call whose last callback was lost is found here.
///
/// Each run looks at the calls whose deadline fell in its window, so a call is asked for
/// once (twice where windows overlap), and a backfill completes the calls of its range.
struct ExotelCallCompletion: SyncExtra {
    var name: String { "exotel-call-completion" }
    /// How long a call may go without its final callback before dce asks Exotel.
    var deadline: Duration = .seconds(2 * 3600)
    /// Calls read from the ledger at a time.
    var batch = 100

    /// The statuses of a call that is not over.
    static let openStatuses: [CallStatus] = [.answered, .inProgress, .ringing, .unknown]

    func run(_ context: SyncContext) async throws {
        let pull = ExotelPull()
        let profile = IntegrationProfile(id: context.integration.id, fieldMapping: context.integration.fieldMapping)
        let lateFrom = context.window.from.adding(milliseconds: -deadline.milliseconds)
        let lateTo = min(context.window.to, context.now).adding(milliseconds: -deadline.milliseconds)
        var after: CallCursor?
        while true {
            let calls = try await openCalls(context, from: lateFrom, to: lateTo, after: after)
            for call in calls {
                let request = pull.callDetails(callSid: call.sid, credentials: context.credentials)
                let response: PullResponse
                do {
                    response = try await context.send(request, false)
                } catch SyncError.refused(_, let status, _) where status == 404 {
                    // Exotel does not know the call (older than it keeps, or never placed).
                    continue
                }
                let row: PulledRow
                do {
                    row = try ExotelPull.readCall(response, receivedAt: context.now, integration: profile)
                } catch {
                    // An answer not in Exotel's shape is kept as a dead letter; the others go on.
                    row = PulledRow(payload: String(decoding: response.body, as: UTF8.self), outcome: .failure(error))
                }
                _ = try await context.ingest(request, response, [row])
            }
            guard calls.count == batch, let last = calls.last else { return }
            after = last.position
        }
    }

    /// The integration's Exotel calls that started in `from..<to` and are not over, oldest
    /// first, after `after`.
    func openCalls(_ context: SyncContext, from: Timestamp, to: Timestamp, after: CallCursor?) async throws -> [(sid: String, position: CallCursor)] {
        let account = context.integration.accountID.rawValue
        let source = ExotelAdapter.source.rawValue
        // Every key of the integration's events starts so (webhook and pull alike).
        let prefix = IdempotencyKey.make(ExotelAdapter.source, integration: context.integration.id, callID: "", stage: "")
        let keyPrefix = String(prefix.dropLast())
        let statuses = SQLList(Self.openStatuses.map { SQLBind($0.rawValue) })
        let start = after ?? CallCursor(sortAt: from.millisecondsSince1970, callID: "")
        let batch = self.batch
        return try await context.services.database.read { sql in
            try await sql.raw("""
                SELECT v.external_call_id, c.sort_at, c.id FROM calls c
                JOIN call_vendor_ids v ON v.call_id = c.id AND v.account_id = c.account_id AND v.source = \(bind: source)
                WHERE c.account_id = \(bind: account) AND c.status IN (\(statuses))
                  AND (c.sort_at > \(bind: start.sortAt) OR (c.sort_at = \(bind: start.sortAt) AND c.id > \(bind: start.callID)))
                  AND c.sort_at < \(bind: to.millisecondsSince1970)
                  AND EXISTS (SELECT 1 FROM raw_events e WHERE e.call_id = c.id
                              AND substr(e.idempotency_key, 1, CAST(\(bind: keyPrefix.unicodeScalars.count) AS INTEGER)) = \(bind: keyPrefix))
                ORDER BY c.sort_at, c.id
                LIMIT \(bind: batch)
                """).all().map { row in
                (sid: try row.decode(column: "external_call_id", as: String.self),
                 position: CallCursor(sortAt: try row.decode(column: "sort_at", as: Int64.self), callID: try row.decode(column: "id", as: String.self)))
            }
        }
    }
}

extension ExotelAdapter: SyncExtrasVendor {
    var syncExtras: [any SyncExtra] { [ExotelCallCompletion()] }
}

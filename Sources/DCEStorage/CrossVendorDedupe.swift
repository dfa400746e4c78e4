import DCEDomain
import SQLKit

/// One real call seen by two platforms (Ringba routes a call that RingCentral then
/// answers) becomes one call in the ledger that carries both vendor ids.
///
/// The rule: an event whose vendor call id is new joins an existing call of the same
/// account when that call has the same caller and tracking number, started within
/// `window` of this event's start (`estimatedWindow` when the event gives no start and
/// its start is estimated as its time less its duration), and has no id yet from this event's source (two calls
/// that one vendor reports separately stay separate). The nearest start wins. Revenue is
/// never counted twice because a call's fields are folded, not summed (`CallMerge`).
public enum CrossVendorDedupe {
    public static let window: Int64 = 10_000
    /// For reports whose start is estimated from when they were sent.
    public static let estimatedWindow: Int64 = 60_000

    /// The call this event is the same real call as, with the event's vendor id claimed
    /// for it; nil when there is none.
    static func claimExistingCall(for event: CallEvent, accountID: AccountID, on sql: any SQLDatabase) async throws -> CallID? {
        guard let caller = event.fields.callerPhone, let tracking = event.fields.trackingNumber else { return nil }
        // A report without a start time (Ringba's conversion webhook, sent when the call
        // ends) is placed at its time less the call's length, and matched more loosely.
        let start: Int64
        let window: Int64
        if let started = event.fields.callStartedAt {
            start = started.millisecondsSince1970
            window = Self.window
        } else {
            start = event.occurredAt.millisecondsSince1970 - Int64(event.fields.durationSeconds ?? 0) * 1000
            window = Self.estimatedWindow
        }
        if sql.dialect.name == "postgresql" {
            // Two dce nodes deciding about the same caller and number at once: the second
            // waits for the first's commit, then finds its call. SQLite has one writer.
            let key = "\(accountID.rawValue)|\(caller.e164)|\(tracking.e164)"
            try await sql.raw("SELECT pg_advisory_xact_lock(7312004, hashtext(\(bind: key)))").run()
        }
        guard let row = try await sql.raw("""
            SELECT c.id FROM calls c
            WHERE c.account_id = \(bind: accountID.rawValue) AND c.caller_phone = \(bind: caller.e164)
              AND c.tracking_number = \(bind: tracking.e164)
              AND c.sort_at BETWEEN \(bind: start - window) AND \(bind: start + window)
              AND NOT EXISTS (SELECT 1 FROM call_vendor_ids v WHERE v.call_id = c.id AND v.source = \(bind: event.source.rawValue))
            ORDER BY ABS(c.sort_at - \(bind: start)), c.id
            LIMIT 1
            """).first()
        else { return nil }
        let callID = CallID(rawValue: try row.decode(column: "id", as: String.self))
        let claimed = try await sql.raw("""
            INSERT INTO call_vendor_ids (account_id, source, external_call_id, call_id)
            VALUES (\(bind: accountID.rawValue), \(bind: event.source.rawValue), \(bind: event.externalCallID), \(bind: callID.rawValue))
            ON CONFLICT (account_id, source, external_call_id) DO NOTHING
            RETURNING call_id
            """).first()
        return claimed == nil ? nil : callID
    }
}

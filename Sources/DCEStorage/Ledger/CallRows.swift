import DCEDomain
import DCEJSON

/// A call's row as its fold gives it: the columns a fold writes, and the statements'
/// tails that write them.
enum CallRows {
    /// The call columns a fold writes, after the five that only a new row needs.
    static let foldedColumns = ["id", "account_id", "source", "external_call_id", "created_at"]
        + CallField.allCases.map(\.column)
        + ["event_count", "sort_at", "updated_at", "first_event_at", "last_event_at"]

    /// A call's row as its fold gives it, in `foldedColumns` order. `identity`: the source
    /// and vendor call id a new row is written with.
    static func row(_ callID: CallID, accountID: AccountID, fold: Fold, now: Int64, identity: (source: String, externalCallID: String)) -> [Cell] {
        let fields = fold.fields
        let sortAt = fields.callStartedAt?.millisecondsSince1970 ?? fold.earliest ?? now
        return [
            .text(callID.rawValue), .text(accountID.rawValue), .text(identity.source), .text(identity.externalCallID), .integer(now),
            Cell(fields.callerPhone?.e164), Cell(fields.trackingNumber?.e164), Cell(fields.destinationNumber?.e164),
            Cell(fields.durationSeconds.map(Int64.init)), Cell(fields.callStartedAt?.millisecondsSince1970),
            Cell(fields.callAnsweredAt?.millisecondsSince1970), Cell(fields.callEndedAt?.millisecondsSince1970),
            .text((fields.status ?? .unknown).rawValue), Cell(fields.campaignID), Cell(fields.publisherID), Cell(fields.targetID),
            Cell(fields.callerState), Cell(fields.revenue?.cents), Cell(fields.payout?.cents),
            Cell(fields.converted.map { Int64($0 ? 1 : 0) }), Cell(fields.recordingURL),
            .text(JSONText.object(fields.tags.values)),
            .integer(Int64(fold.count)), .integer(sortAt), .integer(now), Cell(fold.earliest), Cell(fold.latest),
        ]
    }

    /// The rows of stored calls' new folds, split by whether they change the columns the
    /// calls' indexes hold (`indexed`: each call's as stored). Most folds do not: those
    /// rows are written without them, so that SQLite leaves the indexes alone instead of
    /// rewriting each entry. The identity columns are never written: the calls exist.
    static func refolded(_ folds: [CallID: Fold], accounts: [CallID: AccountID], indexed: [CallID: [Cell]], now: Int64) -> (unmoved: [[Cell]], moved: [[Cell]]) {
        var unmoved: [[Cell]] = []
        var moved: [[Cell]] = []
        for (callID, fold) in folds.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            guard let accountID = accounts[callID] else { continue }
            let row = row(callID, accountID: accountID, fold: fold, now: now, identity: ("", ""))
            if indexed[callID] == indexedColumns.map({ row[$0] }) { unmoved.append(row) } else { moved.append(row) }
        }
        return (unmoved, moved)
    }

    /// Where the columns the calls' indexes hold beyond the account and id are in a folded
    /// row: caller, tracking number, sort time.
    static let indexedNames = ["caller_phone", "tracking_number", "sort_at"]
    static let indexedColumns = indexedNames.compactMap { foldedColumns.firstIndex(of: $0) }

    /// A fold replaces every folded column of an existing call.
    static let replaceFold = " ON CONFLICT (id) DO UPDATE SET "
        + foldedColumns.dropFirst(5).map { "\($0) = excluded.\($0)" }.joined(separator: ", ")

    /// A fold that leaves the indexed columns as stored replaces every other folded column.
    static let replaceUnindexedFold = " ON CONFLICT (id) DO UPDATE SET "
        + foldedColumns.dropFirst(5).filter { !indexedNames.contains($0) }
            .map { "\($0) = excluded.\($0)" }.joined(separator: ", ")

    static let vendorIDColumns = ["account_id", "source", "external_call_id", "call_id"]
    /// A vendor id already claimed keeps its call; the ids this statement claimed come back.
    static let claimVendorIDs = " ON CONFLICT (account_id, source, external_call_id) DO NOTHING RETURNING call_id"

    static let eventColumns = [
        "account_id", "request_id", "source", "idempotency_key", "external_call_id", "event_type",
        "occurred_at", "received_at", "payload", "normalized", "call_id",
    ]
}

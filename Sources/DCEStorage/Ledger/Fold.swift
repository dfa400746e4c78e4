import DCEDomain

/// A call's events folded in event order (`CallMerge`): the call's record, with the times
/// of its first and last events and their number.
struct Fold: Equatable, Sendable {
    /// A new event of a commit group, to fold onto its call.
    struct Added: Equatable, Sendable {
        let eventID: Int64
        let occurredAt: Int64
        let fields: CallFields
    }

    var fields = CallFields()
    var earliest: Int64?
    var latest: Int64?
    var count = 0

    mutating func add(_ later: CallFields, occurredAt: Int64) {
        fields.apply(later)
        earliest = min(earliest ?? occurredAt, occurredAt)
        latest = max(latest ?? occurredAt, occurredAt)
        count += 1
    }

    /// A call as stored, as far as folding it again needs.
    struct StoredCall: Equatable, Sendable {
        let id: CallID
        let fields: CallFields
        let eventCount: Int
        let firstEventAt: Int64?
        let lastEventAt: Int64?
    }

    /// The fold of a stored call with its new events, without reading its events again:
    /// possible when every new event comes after the call's last one, since a fold is its
    /// events applied in order. Nil when the call must be folded again from all of its
    /// events: an event older than its last, a call folded before the bounds were kept, or
    /// new events that change its tracking number or start (the visitor session it is
    /// attributed to, whose tags it carries, may change too).
    static func onto(_ stored: StoredCall, adding added: [Added]) -> Fold? {
        let new = added.sorted { ($0.occurredAt, $0.eventID) < ($1.occurredAt, $1.eventID) }
        guard let first = stored.firstEventAt, let last = stored.lastEventAt,
              let earliestNew = new.first?.occurredAt, earliestNew >= last
        else { return nil }
        var fold = Fold(fields: stored.fields, earliest: first, latest: last, count: stored.eventCount)
        for event in new { fold.add(event.fields, occurredAt: event.occurredAt) }
        if fold.fields.trackingNumber != stored.fields.trackingNumber || fold.fields.callStartedAt != stored.fields.callStartedAt {
            return nil
        }
        // The stored tags already hold the session's, under the events' own.
        return fold
    }

    /// One event of a call, as a fold reads it.
    struct Event: Equatable, Sendable {
        let callID: CallID
        let fields: CallFields
        let occurredAt: Int64
    }

    /// The folds of the calls of `events`, which come in event order (time, then id).
    static func folds(of events: [Event]) -> [CallID: Fold] {
        var folds: [CallID: Fold] = [:]
        for event in events { folds[event.callID, default: Fold()].add(event.fields, occurredAt: event.occurredAt) }
        return folds
    }

    /// What attributing `calls` to visitor sessions asks of the leases: each call's
    /// tracking number and start (or, before one is known, its first event).
    static func attributionQueries(_ folds: [CallID: Fold], calls: Set<CallID>, accounts: [CallID: AccountID]) -> [SessionAttribution.Call] {
        calls.sorted { $0.rawValue < $1.rawValue }.compactMap { callID in
            guard let fold = folds[callID], let accountID = accounts[callID], let number = fold.fields.trackingNumber,
                  let time = fold.fields.callStartedAt?.millisecondsSince1970 ?? fold.earliest
            else { return nil }
            return SessionAttribution.Call(callID: callID, accountID: accountID, number: number.e164, time: time)
        }
    }

    /// `folds` with each session's tags under the call's own events' tags.
    static func attributing(_ folds: [CallID: Fold], sessionTags: [CallID: Tags]) -> [CallID: Fold] {
        var folds = folds
        for (callID, tags) in sessionTags {
            guard let own = folds[callID]?.fields.tags else { continue }
            folds[callID]?.fields.tags = tags.merging(own)
        }
        return folds
    }
}

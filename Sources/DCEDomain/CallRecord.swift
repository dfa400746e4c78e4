/// One real call, as the ledger knows it: the fold of every event reported about it.
public struct CallRecord: Hashable, Sendable {
    public var id: CallID
    public var accountID: AccountID
    /// The source that first reported the call and its id there.
    public var source: Source
    public var externalCallID: String
    public var fields: CallFields
    public var eventCount: Int
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: CallID, accountID: AccountID, source: Source, externalCallID: String,
        fields: CallFields, eventCount: Int, createdAt: Timestamp, updatedAt: Timestamp
    ) {
        self.id = id
        self.accountID = accountID
        self.source = source
        self.externalCallID = externalCallID
        self.fields = fields
        self.eventCount = eventCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// How events become a call.
///
/// The rule: events are applied in the order of `occurredAt` (ties broken by the order
/// they arrived); a field an event sets overrides what earlier events said, a field it
/// leaves out keeps the earlier value, and tags merge key by key. Because the fold is
/// over event time and not arrival time, stages that arrive out of order (Retreaver's
/// `always` before its `start`) still yield the same call. The raw events are never
/// changed, so the call can always be rebuilt from them.
public enum CallMerge {
    public static func fold(_ events: [CallEvent]) -> CallFields {
        let ordered = events.enumerated().sorted { lhs, rhs in
            lhs.element.occurredAt == rhs.element.occurredAt
                ? lhs.offset < rhs.offset
                : lhs.element.occurredAt < rhs.element.occurredAt
        }
        return ordered.reduce(into: CallFields()) { call, item in call.apply(item.element.fields) }
    }
}

extension CallFields {
    /// Applies a later fact over this one (see `CallMerge`).
    public mutating func apply(_ later: CallFields) {
        callerPhone = later.callerPhone ?? callerPhone
        trackingNumber = later.trackingNumber ?? trackingNumber
        destinationNumber = later.destinationNumber ?? destinationNumber
        durationSeconds = later.durationSeconds ?? durationSeconds
        callStartedAt = later.callStartedAt ?? callStartedAt
        callAnsweredAt = later.callAnsweredAt ?? callAnsweredAt
        callEndedAt = later.callEndedAt ?? callEndedAt
        if let status = later.status {
            // A final status is not undone by a late "ringing" with an equal clock.
            if !(self.status?.isFinal == true && !status.isFinal) { self.status = status }
        }
        campaignID = later.campaignID ?? campaignID
        publisherID = later.publisherID ?? publisherID
        targetID = later.targetID ?? targetID
        callerState = later.callerState ?? callerState
        revenue = later.revenue ?? revenue
        payout = later.payout ?? payout
        converted = later.converted ?? converted
        recordingURL = later.recordingURL ?? recordingURL
        tags = tags.merging(later.tags)
    }
}

import DCEDomain

/// What a commit group decides for its events, from the rows it loaded, before it writes
/// anything. A pure value: the same deliveries and rows always give the same plan.
///
/// The outcome is the one appending the deliveries one after another would give, in the
/// order they joined the group:
/// - an idempotency key seen before (in the database, or earlier in the group) is a
///   duplicate carrying the first event's id and call;
/// - a vendor call id names its call; a new one first looks for the same real call
///   reported by another vendor (`CrossVendorDedupe`), else starts a call and claims the id.
struct CommitPlan: Equatable, Sendable {
    /// One delivery of the group, as the plan sees it.
    struct Delivery: Sendable {
        let accountID: AccountID
        let events: [CallEvent]
    }

    /// What the ledger already holds of the group's keys and vendor call ids.
    struct Stored: Sendable {
        /// The first outcome of each idempotency key already accepted.
        var outcomes: [EventKey: AppendOutcome] = [:]
        /// The call each known vendor call id names.
        var calls: [VendorKey: CallID] = [:]
    }

    enum Decision: Equatable, Sendable {
        /// The key was accepted before this group.
        case duplicate(AppendOutcome)
        /// The key came earlier in this group.
        case sameAsEarlier(EventKey)
        /// The event is written, to this call.
        case write(CallID)
    }

    /// Per delivery, per event.
    var decisions: [[Decision]] = []
    /// The calls the group starts.
    var newCalls: [NewCall] = []
    /// The vendor call ids the group claims, for calls it starts or found by dedupe.
    var vendorIDs: [ClaimedVendorID] = []
    /// The events the group writes, in the order they were placed.
    var events: [PlannedEvent] = []

    /// The plan for `deliveries`. `board`: the calls their new reports could join, loaded
    /// for `dedupeReports`; `newCallIDs`: ids for the calls the group starts, at least
    /// `mostNewCalls` of them, used in order.
    static func make(_ deliveries: [Delivery], stored: Stored, board: CrossVendorDedupe.Board, newCallIDs: [CallID]) -> CommitPlan {
        var plan = CommitPlan()
        var calls = stored.calls
        var board = board
        var written: Set<EventKey> = []
        var ids = newCallIDs[...]
        plan.decisions.reserveCapacity(deliveries.count)
        for (itemIndex, delivery) in deliveries.enumerated() {
            var decisions: [Decision] = []
            decisions.reserveCapacity(delivery.events.count)
            for (eventIndex, event) in delivery.events.enumerated() {
                let key = EventKey(account: delivery.accountID.rawValue, idempotencyKey: event.idempotencyKey)
                if let first = stored.outcomes[key] {
                    decisions.append(.duplicate(first.asDuplicate))
                    continue
                }
                if written.contains(key) {
                    decisions.append(.sameAsEarlier(key))
                    continue
                }
                let vendorKey = VendorKey(delivery.accountID, event)
                let callID: CallID
                if let existing = calls[vendorKey] {
                    callID = existing
                } else if let same = board.match(event, accountID: delivery.accountID) {
                    callID = same
                    plan.vendorIDs.append(ClaimedVendorID(accountID: delivery.accountID, source: event.source, externalCallID: event.externalCallID, callID: same))
                    calls[vendorKey] = callID
                } else {
                    // `mostNewCalls` ids are made: one per event whose vendor id names no call.
                    guard let id = ids.popFirst() else { preconditionFailure("fewer new call ids than mostNewCalls") }
                    callID = id
                    plan.newCalls.append(NewCall(id: callID, accountID: delivery.accountID, source: event.source, externalCallID: event.externalCallID))
                    plan.vendorIDs.append(ClaimedVendorID(accountID: delivery.accountID, source: event.source, externalCallID: event.externalCallID, callID: callID))
                    let sortAt = event.fields.callStartedAt?.millisecondsSince1970 ?? event.occurredAt.millisecondsSince1970
                    board.start(callID, accountID: delivery.accountID, sortAt: sortAt)
                    calls[vendorKey] = callID
                }
                board.place(event, on: callID)
                written.insert(key)
                decisions.append(.write(callID))
                plan.events.append(PlannedEvent(item: itemIndex, index: eventIndex, key: key, accountID: delivery.accountID, callID: callID))
            }
            plan.decisions.append(decisions)
        }
        return plan
    }

    /// How many calls the group may start: one per event whose vendor call id names no call.
    static func mostNewCalls(_ deliveries: [Delivery], stored: Stored) -> Int {
        deliveries.reduce(0) { count, delivery in
            count + delivery.events.count { stored.calls[VendorKey(delivery.accountID, $0)] == nil }
        }
    }

    /// The reports cross-vendor dedupe may place on another vendor's call: new keys under
    /// vendor ids that name no call yet, with a caller and a tracking number.
    static func dedupeReports(_ deliveries: [Delivery], stored: Stored) -> [(accountID: AccountID, event: CallEvent)] {
        deliveries.flatMap { delivery in
            delivery.events.lazy.filter { event in
                event.fields.callerPhone != nil && event.fields.trackingNumber != nil
                    && stored.outcomes[EventKey(account: delivery.accountID.rawValue, idempotencyKey: event.idempotencyKey)] == nil
                    && stored.calls[VendorKey(delivery.accountID, event)] == nil
            }.map { (delivery.accountID, $0) }
        }
    }

    /// The events of the calls the plan starts, in the order their ids will have (time,
    /// then idempotency key, as they are inserted): what those calls are folded from.
    func startedCallEvents(_ deliveries: [Delivery]) -> [Fold.Event] {
        let started = Set(newCalls.map(\.id))
        return events.filter { started.contains($0.callID) }
            .map { planned in (planned, deliveries[planned.item].events[planned.index]) }
            .sorted { ($0.1.occurredAt, $0.0.key) < ($1.1.occurredAt, $1.0.key) }
            .map { planned, event in Fold.Event(callID: planned.callID, fields: event.fields, occurredAt: event.occurredAt.millisecondsSince1970) }
    }

    /// Every call the group's events go to, with its account.
    var touchedCalls: [CallID: AccountID] {
        Dictionary(events.map { ($0.callID, $0.accountID) }, uniquingKeysWith: { first, _ in first })
    }

    /// The plan with the events of calls it started moved to the calls others started
    /// first under the same vendor id (`moved`: started call to the other's call).
    func moving(_ moved: [CallID: CallID]) -> CommitPlan {
        guard !moved.isEmpty else { return self }
        var plan = self
        for index in plan.events.indices {
            if let target = moved[plan.events[index].callID] { plan.events[index].callID = target }
        }
        plan.decisions = decisions.map { row in
            row.map { decision in
                if case .write(let callID) = decision, let target = moved[callID] { return .write(target) }
                return decision
            }
        }
        return plan
    }

    /// Each event's outcome, once the written events have their ids (`eventIDs`) and their
    /// calls their statuses.
    func outcomes(eventIDs: [EventKey: Int64], statuses: [CallID: CallStatus]) throws -> [[AppendOutcome]] {
        var outcomes: [[AppendOutcome?]] = decisions.map { row in
            row.map { decision in
                if case .duplicate(let first) = decision { return first }
                return nil
            }
        }
        var firsts: [EventKey: AppendOutcome] = [:]
        for event in events {
            // Another node accepted the same key between the group's check and its insert.
            guard let eventID = eventIDs[event.key] else { throw LedgerError.lostRace(event.key.idempotencyKey) }
            var outcome = AppendOutcome(idempotencyKey: event.key.idempotencyKey, eventID: eventID, callID: event.callID, duplicate: false)
            firsts[event.key] = outcome
            outcome.callStatus = statuses[event.callID]
            outcomes[event.item][event.index] = outcome
        }
        for (itemIndex, row) in decisions.enumerated() {
            for (eventIndex, decision) in row.enumerated() {
                guard case .sameAsEarlier(let key) = decision else { continue }
                guard let first = firsts[key] else { throw LedgerError.lostRace(key.idempotencyKey) }
                outcomes[itemIndex][eventIndex] = first.asDuplicate
            }
        }
        return try outcomes.map { row in
            try row.map { outcome in
                guard let outcome else { throw LedgerError.lostRace("an event of the group") }
                return outcome
            }
        }
    }
}

/// Ordered by account, then key: the order a group inserts its events in, and so the
/// order of their ids.
struct EventKey: Hashable, Comparable, Sendable {
    let account: String
    let idempotencyKey: String

    static func < (lhs: EventKey, rhs: EventKey) -> Bool {
        (lhs.account, lhs.idempotencyKey) < (rhs.account, rhs.idempotencyKey)
    }
}

struct VendorKey: Hashable, Sendable {
    let account: String
    let source: String
    let externalCallID: String

    init(account: String, source: String, externalCallID: String) {
        self.account = account
        self.source = source
        self.externalCallID = externalCallID
    }

    init(_ accountID: AccountID, _ event: CallEvent) {
        self.init(account: accountID.rawValue, source: event.source.rawValue, externalCallID: event.externalCallID)
    }
}

struct NewCall: Equatable, Sendable {
    let id: CallID
    let accountID: AccountID
    let source: Source
    let externalCallID: String
}

struct ClaimedVendorID: Equatable, Sendable {
    let accountID: AccountID
    let source: Source
    let externalCallID: String
    let callID: CallID
}

/// An event the group writes: which delivery and event it is, and its call.
struct PlannedEvent: Equatable, Sendable {
    let item: Int
    let index: Int
    let key: EventKey
    let accountID: AccountID
    var callID: CallID
}

extension AppendOutcome {
    var asDuplicate: AppendOutcome {
        AppendOutcome(idempotencyKey: idempotencyKey, eventID: eventID, callID: callID, duplicate: true)
    }
}

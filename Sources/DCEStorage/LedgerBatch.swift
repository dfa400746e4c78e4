import DCEDomain
import NIOCore
import SQLKit

/// One delivery's share of a commit group: its events, its account and the request they
/// came in, with their stored text made before the delivery joins the group (by the
/// request's own task, not by the one writer). A class: the group passes it around, and
/// copying a struct of this many strings retained each of them.
final class AppendItem: Sendable {
    let events: [IncomingEvent]
    let accountID: AccountID
    let request: InboundRequest
    /// Each event's normalized fields as stored, in order.
    let normalized: [String]
    let body: (bytes: ByteBuffer, encoding: String)
    let headers: String

    init(events: [IncomingEvent], accountID: AccountID, request: InboundRequest) {
        self.events = events
        self.accountID = accountID
        self.request = request
        normalized = events.map(\.event.fields.jsonText)
        body = request.storedBody
        headers = request.headersJSON
    }
}

/// Appends the deliveries of one commit group set-wise: a handful of multi-row statements
/// for the whole group instead of about ten statements per event, so that the single
/// SQLite writer (and each PostgreSQL connection) spends its time writing rows, not
/// waiting between statements.
///
/// The outcome is the one appending the deliveries one after another would give, in the
/// order they joined the group:
/// - an idempotency key seen before (in the database, or earlier in the group) is a
///   duplicate carrying the first event's id and call;
/// - a vendor call id names its call; a new one first looks for the same real call
///   reported by another vendor (`CrossVendorDedupe`), else starts a call;
/// - every touched call is folded (`CallMerge`), with the tags of the visitor session its
///   tracking number was leased to (`SessionAttribution`): a call the group starts from
///   the group's events, written once and whole; a stored call from its row when its new
///   events come after its last one, else from all of its events.
///
/// Cross-vendor dedupe reads the candidate calls of the whole group at once and keeps
/// them up to date in memory as the group's events are placed (`CrossVendorDedupe.Board`).
enum LedgerBatch {
    /// Rows per multi-row statement: well under both engines' bind limits.
    static let rowsPerStatement = 400

    static func apply(_ items: [AppendItem], on sql: any SQLDatabase) async throws -> [[AppendOutcome]] {
        let items = try await CampaignAttribution.resolve(items, on: sql)
        let requestIDs = Token.make(prefix: "req", count: items.count)
        try await storeRequests(items, ids: requestIDs, on: sql)

        var outcomes: [[AppendOutcome?]] = items.map { Array(repeating: nil, count: $0.events.count) }
        var known = try await existingOutcomes(items, on: sql)
        var calls = try await knownCalls(items, on: sql)
        var board = try await CrossVendorDedupe.Board.load(
            reports: items.flatMap { item in
                item.events.lazy.map(\.event).filter { event in
                    event.fields.callerPhone != nil && event.fields.trackingNumber != nil
                        && known[EventKey(account: item.accountID.rawValue, idempotencyKey: event.idempotencyKey)] == nil
                        && calls[VendorKey(account: item.accountID.rawValue, source: event.source.rawValue, externalCallID: event.externalCallID)] == nil
                }.map { (item.accountID, $0) }
            },
            touched: Array(calls.values),
            on: sql
        )
        var later: [(item: Int, index: Int, key: EventKey)] = []
        var writes = GroupWrites()
        // Ids for the calls the group may start, made together: at most one per event
        // whose vendor call id names no call yet.
        var callIDs = Token.make(prefix: "call", count: items.reduce(0) { count, item in
            count + item.events.count { calls[VendorKey(account: item.accountID.rawValue, source: $0.event.source.rawValue, externalCallID: $0.event.externalCallID)] == nil }
        })[...]

        for (itemIndex, item) in items.enumerated() {
            for (eventIndex, incoming) in item.events.enumerated() {
                let event = incoming.event
                let key = EventKey(account: item.accountID.rawValue, idempotencyKey: event.idempotencyKey)
                if let first = known[key] {
                    outcomes[itemIndex][eventIndex] = first.asDuplicate
                    continue
                }
                if writes.keys.contains(key) {
                    later.append((itemIndex, eventIndex, key))
                    continue
                }
                let vendorKey = VendorKey(account: item.accountID.rawValue, source: event.source.rawValue, externalCallID: event.externalCallID)
                let callID: CallID
                if let existing = calls[vendorKey] {
                    callID = existing
                } else if let same = board.match(event, accountID: item.accountID) {
                    callID = same
                    writes.vendorIDs.append(ClaimedVendorID(accountID: item.accountID, source: event.source, externalCallID: event.externalCallID, callID: same))
                    calls[vendorKey] = callID
                } else {
                    callID = CallID(rawValue: callIDs.removeFirst())
                    let sortAt = event.fields.callStartedAt?.millisecondsSince1970 ?? event.occurredAt.millisecondsSince1970
                    writes.newCalls.append(NewCall(
                        id: callID, accountID: item.accountID, source: event.source, externalCallID: event.externalCallID
                    ))
                    writes.vendorIDs.append(ClaimedVendorID(accountID: item.accountID, source: event.source, externalCallID: event.externalCallID, callID: callID))
                    board.start(callID, accountID: item.accountID, sortAt: sortAt)
                    calls[vendorKey] = callID
                }
                board.place(event, on: callID)
                writes.add(PendingEvent(
                    item: itemIndex, index: eventIndex, key: key, incoming: incoming, accountID: item.accountID,
                    requestID: requestIDs[itemIndex], receivedAt: item.request.receivedAt, callID: callID,
                    normalized: item.normalized[eventIndex]
                ))
            }
        }
        try await write(writes, outcomes: &outcomes, known: &known, on: sql)
        for (itemIndex, eventIndex, key) in later {
            guard let first = known[key] else { throw LedgerError.lostRace(key.idempotencyKey) }
            outcomes[itemIndex][eventIndex] = first.asDuplicate
        }
        return try outcomes.map { row in
            try row.map { outcome in
                guard let outcome else { throw LedgerError.lostRace("an event of the group") }
                return outcome
            }
        }
    }

    // MARK: - The group's requests and what the database already knows

    static func storeRequests(_ items: [AppendItem], ids: [String], on sql: any SQLDatabase) async throws {
        for chunk in chunks(Array(zip(items, ids))) {
            var insert = RowsStatement(insertInto: "inbound_requests", columns: [
                "id", "account_id", "source", "received_at", "method", "path", "content_type", "headers", "body", "body_encoding",
            ])
            for (item, id) in chunk {
                let request = item.request
                insert.append([
                    .text(id), .text(item.accountID.rawValue), .text(request.source.rawValue), .integer(request.receivedAt.millisecondsSince1970),
                    .text(request.method), .text(request.path), Cell(request.contentType), .text(item.headers), .bytes(item.body.bytes), .text(item.body.encoding),
                ])
            }
            try await insert.run(on: sql)
        }
    }

    /// The first outcome of every idempotency key of the group that the ledger already holds.
    static func existingOutcomes(_ items: [AppendItem], on sql: any SQLDatabase) async throws -> [EventKey: AppendOutcome] {
        var found: [EventKey: AppendOutcome] = [:]
        for (account, keys) in grouped(items, by: { $0.event.idempotencyKey }) {
            for chunk in chunks(keys) {
                let rows = try await sql.raw("""
                    SELECT idempotency_key, id, call_id FROM raw_events
                    WHERE account_id = \(bind: account) AND idempotency_key IN (\(binds: Array(chunk)))
                    """).all()
                for row in rows {
                    let key = try row.decode(column: "idempotency_key", as: String.self)
                    found[EventKey(account: account, idempotencyKey: key)] = AppendOutcome(
                        idempotencyKey: key,
                        eventID: try row.decode(column: "id", as: Int64.self),
                        callID: CallID(rawValue: try row.decode(column: "call_id", as: String.self)),
                        duplicate: true
                    )
                }
            }
        }
        return found
    }

    /// The calls the group's vendor call ids already name.
    static func knownCalls(_ items: [AppendItem], on sql: any SQLDatabase) async throws -> [VendorKey: CallID] {
        var found: [VendorKey: CallID] = [:]
        var wanted: [String: [String: Set<String>]] = [:]
        for item in items {
            for incoming in item.events {
                wanted[item.accountID.rawValue, default: [:]][incoming.event.source.rawValue, default: []].insert(incoming.event.externalCallID)
            }
        }
        for (account, sources) in wanted {
            for (source, ids) in sources {
                for chunk in chunks(ids.sorted()) {
                    let rows = try await sql.raw("""
                        SELECT external_call_id, call_id FROM call_vendor_ids
                        WHERE account_id = \(bind: account) AND source = \(bind: source) AND external_call_id IN (\(binds: Array(chunk)))
                        """).all()
                    for row in rows {
                        let key = VendorKey(account: account, source: source, externalCallID: try row.decode(column: "external_call_id", as: String.self))
                        found[key] = CallID(rawValue: try row.decode(column: "call_id", as: String.self))
                    }
                }
            }
        }
        return found
    }

    // MARK: - Writing the group

    /// Writes the group's new calls, vendor ids and events, folds every call they touch,
    /// and records the events' outcomes.
    static func write(_ writes: GroupWrites, outcomes: inout [[AppendOutcome?]], known: inout [EventKey: AppendOutcome], on sql: any SQLDatabase) async throws {
        guard !writes.events.isEmpty else { return }
        let now = Timestamp.now().millisecondsSince1970
        // A call this group starts holds only the group's events: it is folded here and
        // written once, whole, before its vendor ids and events refer to it.
        let startedFolds = try await foldStarted(writes, on: sql)
        for chunk in chunks(writes.newCalls) {
            var insert = RowsStatement(insertInto: "calls", columns: Self.foldedColumns)
            for call in chunk {
                insert.append(Self.foldedRow(
                    call.id, accountID: call.accountID, fold: startedFolds[call.id] ?? Fold(), now: now,
                    identity: (call.source.rawValue, call.externalCallID)
                ))
            }
            try await insert.run(on: sql)
        }
        // Rows go in key order, so that two groups writing the same keys at once (PostgreSQL
        // runs several) wait for each other instead of deadlocking.
        let byKey: (ClaimedVendorID, ClaimedVendorID) -> Bool = {
            ($0.accountID.rawValue, $0.source.rawValue, $0.externalCallID) < ($1.accountID.rawValue, $1.source.rawValue, $1.externalCallID)
        }
        let started = Set(writes.newCalls.map(\.id))
        // A call another group or node started first under the same vendor id is the call:
        // this group's events go to it, and the call this group started is dropped.
        var moved: [CallID: CallID] = [:]
        for chunk in chunks(writes.vendorIDs.filter { started.contains($0.callID) }.sorted(by: byKey)) {
            var insert = RowsStatement(insertInto: "call_vendor_ids", columns: Self.vendorIDColumns, tail: Self.claimVendorIDs)
            for id in chunk {
                insert.append([.text(id.accountID.rawValue), .text(id.source.rawValue), .text(id.externalCallID), .text(id.callID.rawValue)])
            }
            let claimed = Set(try await insert.all(on: sql)
                .map { CallID(rawValue: try $0.decode(column: "call_id", as: String.self)) })
            for id in chunk where !claimed.contains(id.callID) {
                guard let winner = try await sql.raw("""
                    SELECT call_id FROM call_vendor_ids
                    WHERE account_id = \(bind: id.accountID.rawValue) AND source = \(bind: id.source.rawValue) AND external_call_id = \(bind: id.externalCallID)
                    """).first().map({ CallID(rawValue: try $0.decode(column: "call_id", as: String.self)) })
                else { throw LedgerError.lostRace(id.externalCallID) }
                moved[id.callID] = winner
            }
        }
        if !moved.isEmpty {
            try await sql.raw("DELETE FROM calls WHERE id IN (\(binds: moved.keys.map(\.rawValue)))").run()
        }
        for chunk in chunks(writes.vendorIDs.filter { !started.contains($0.callID) }.sorted(by: byKey)) {
            var claim = RowsStatement(insertInto: "call_vendor_ids", columns: Self.vendorIDColumns, tail: Self.claimVendorIDs)
            for id in chunk {
                claim.append([.text(id.accountID.rawValue), .text(id.source.rawValue), .text(id.externalCallID), .text((moved[id.callID] ?? id.callID).rawValue)])
            }
            let claimed = try await claim.all(on: sql)
            // Another node claimed one of these ids for a call first: the group starts over
            // one delivery at a time, and that delivery then finds the other node's call.
            guard claimed.count == chunk.count else { throw LedgerError.lostRace("a vendor call id of the group") }
        }
        var writes = writes
        if !moved.isEmpty { writes.move(moved) }

        var eventIDs: [EventKey: Int64] = [:]
        for chunk in chunks(writes.events.sorted { $0.key < $1.key }) {
            var insert = RowsStatement(insertInto: "raw_events", columns: [
                "account_id", "request_id", "source", "idempotency_key", "external_call_id", "event_type",
                "occurred_at", "received_at", "payload", "normalized", "call_id",
            ], tail: " ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING id, account_id, idempotency_key")
            for pending in chunk {
                let event = pending.incoming.event
                insert.append([
                    .text(pending.accountID.rawValue), .text(pending.requestID), .text(event.source.rawValue), .text(event.idempotencyKey),
                    .text(event.externalCallID), Cell(event.type), .integer(event.occurredAt.millisecondsSince1970),
                    .integer(pending.receivedAt.millisecondsSince1970), .text(pending.incoming.payloadIsRequestBody ? "" : pending.incoming.payload), .text(pending.normalized), .text(pending.callID.rawValue),
                ])
            }
            let rows = try await insert.all(on: sql)
            for row in rows {
                let key = EventKey(
                    account: try row.decode(column: "account_id", as: String.self),
                    idempotencyKey: try row.decode(column: "idempotency_key", as: String.self)
                )
                eventIDs[key] = try row.decode(column: "id", as: Int64.self)
            }
        }
        var added: [CallID: [Fold.Added]] = [:]
        for pending in writes.events {
            // Another node accepted the same key between the group's check and its insert.
            guard let eventID = eventIDs[pending.key] else { throw LedgerError.lostRace(pending.key.idempotencyKey) }
            let outcome = AppendOutcome(idempotencyKey: pending.key.idempotencyKey, eventID: eventID, callID: pending.callID, duplicate: false)
            outcomes[pending.item][pending.index] = outcome
            known[pending.key] = outcome
            let event = pending.incoming.event
            added[pending.callID, default: []].append(Fold.Added(eventID: eventID, occurredAt: event.occurredAt.millisecondsSince1970, fields: event.fields))
        }
        var statuses = try await refold(writes.touchedCalls.filter { startedFolds[$0.key] == nil }, added: added, on: sql)
        for (callID, fold) in startedFolds where moved[callID] == nil {
            statuses[callID] = fold.fields.status ?? .unknown
        }
        for pending in writes.events {
            outcomes[pending.item][pending.index]?.callStatus = statuses[pending.callID]
        }
    }

    // MARK: - Folding calls

    /// Folds the calls a group touched (see `CallMerge` for the rule), writes them, and
    /// returns their statuses. `added`: each call's new events of the group.
    ///
    /// A call's fold is its events' fields applied in event order, so when every new event
    /// comes after the call's last one, the new fold is the call as stored with the new
    /// events applied: no event is read again. Otherwise (an event older than the call's
    /// last, a call folded before the bounds were kept) the call is folded again from all
    /// of its events. So is a call whose tracking number or start the new events change:
    /// the visitor session it is attributed to, whose tags it carries, may change too.
    ///
    /// On PostgreSQL the touched calls are locked first (in id order, so that two groups
    /// wait instead of deadlocking), so that a group folding after another sees that
    /// group's events and fold once it has committed.
    static func refold(_ touched: [CallID: AccountID], added: [CallID: [Fold.Added]], on sql: any SQLDatabase) async throws -> [CallID: CallStatus] {
        guard !touched.isEmpty else { return [:] }
        let lock = sql.dialect.name == "postgresql" ? " ORDER BY id FOR NO KEY UPDATE" : ""
        var folds: [CallID: Fold] = [:]
        var attribute: Set<CallID> = []
        var fromEvents: [CallID] = []
        var indexed: [CallID: [Cell]] = [:]
        for chunk in chunks(touched.keys.sorted { $0.rawValue < $1.rawValue }) {
            let rows = try await sql.raw("""
                SELECT * FROM calls
                WHERE id IN (\(binds: chunk.map(\.rawValue)))\(unsafeRaw: lock)
                """).all()
            for row in rows {
                let stored = try CallRow.decode(row)
                indexed[stored.id] = [Cell(stored.fields.callerPhone?.e164), Cell(stored.fields.trackingNumber?.e164),
                                      .integer(try row.decode(column: "sort_at", as: Int64.self))]
                let new = (added[stored.id] ?? []).sorted { ($0.occurredAt, $0.eventID) < ($1.occurredAt, $1.eventID) }
                guard let first = try row.decode(column: "first_event_at", as: Int64?.self),
                      let last = try row.decode(column: "last_event_at", as: Int64?.self),
                      let earliestNew = new.first?.occurredAt, earliestNew >= last
                else {
                    fromEvents.append(stored.id)
                    continue
                }
                var fold = Fold(fields: stored.fields, earliest: first, latest: last, count: stored.eventCount)
                for event in new { fold.add(event.fields, occurredAt: event.occurredAt) }
                if fold.fields.trackingNumber != stored.fields.trackingNumber || fold.fields.callStartedAt != stored.fields.callStartedAt {
                    fromEvents.append(stored.id)
                    continue
                }
                // The stored tags already hold the session's, under the events' own.
                folds[stored.id] = fold
            }
        }
        for chunk in chunks(fromEvents) {
            let rows = try await sql.raw("""
                SELECT call_id, normalized, occurred_at FROM raw_events
                WHERE call_id IN (\(binds: chunk.map(\.rawValue))) ORDER BY call_id, occurred_at, id
                """).all()
            var refolded: [CallID: Fold] = [:]
            for row in rows {
                let callID = CallID(rawValue: try row.decode(column: "call_id", as: String.self))
                let later = try CallFields(storedJSON: try row.decode(column: "normalized", as: String.self))
                let occurred = try row.decode(column: "occurred_at", as: Int64.self)
                refolded[callID, default: Fold()].add(later, occurredAt: occurred)
            }
            folds.merge(refolded) { _, new in new }
            attribute.formUnion(refolded.keys)
        }

        folds = try await attributing(folds, calls: attribute, accounts: touched, on: sql)
        let now = Timestamp.now().millisecondsSince1970
        // The identity columns are never written here: the call exists.
        let rows = folds.sorted { $0.key.rawValue < $1.key.rawValue }.map { callID, fold in
            (callID, Self.foldedRow(callID, accountID: touched[callID]!, fold: fold, now: now, identity: ("", "")))
        }
        // Most folds leave the indexed columns as they were: those rows do not set them,
        // so that SQLite leaves the calls' indexes alone instead of rewriting each entry.
        var unmoved: [[Cell]] = []
        var moved: [[Cell]] = []
        for (callID, row) in rows {
            if indexed[callID] == Self.indexedColumns.map({ row[$0] }) { unmoved.append(row) } else { moved.append(row) }
        }
        for (part, tail) in [(unmoved, Self.replaceUnindexedFold), (moved, Self.replaceFold)] {
            for chunk in chunks(part) {
                var upsert = RowsStatement(insertInto: "calls", columns: Self.foldedColumns, tail: tail)
                for row in chunk { upsert.append(row) }
                try await upsert.run(on: sql)
            }
        }
        return folds.mapValues { $0.fields.status ?? .unknown }
    }

    /// The folds of the calls this group starts, from the group's events in the order
    /// their ids will have (time, then idempotency key, as they are inserted), with the
    /// tags of the visitor session each is attributed to.
    static func foldStarted(_ writes: GroupWrites, on sql: any SQLDatabase) async throws -> [CallID: Fold] {
        guard !writes.newCalls.isEmpty else { return [:] }
        let started = Set(writes.newCalls.map(\.id))
        let events = writes.events.filter { started.contains($0.callID) }.sorted {
            ($0.incoming.event.occurredAt.millisecondsSince1970, $0.key) < ($1.incoming.event.occurredAt.millisecondsSince1970, $1.key)
        }
        var folds: [CallID: Fold] = [:]
        for pending in events {
            folds[pending.callID, default: Fold()].add(pending.incoming.event.fields, occurredAt: pending.incoming.event.occurredAt.millisecondsSince1970)
        }
        let accounts = Dictionary(writes.newCalls.map { ($0.id, $0.accountID) }, uniquingKeysWith: { first, _ in first })
        return try await attributing(folds, calls: started, accounts: accounts, on: sql)
    }

    /// `folds` with the tags of the visitor session each of `calls` belongs to under the
    /// events' own.
    static func attributing(_ folds: [CallID: Fold], calls: Set<CallID>, accounts: [CallID: AccountID], on sql: any SQLDatabase) async throws -> [CallID: Fold] {
        var attributions: [SessionAttribution.Call] = []
        for callID in calls {
            guard let fold = folds[callID], let accountID = accounts[callID] else { continue }
            if let number = fold.fields.trackingNumber, let time = fold.fields.callStartedAt?.millisecondsSince1970 ?? fold.earliest {
                attributions.append(.init(callID: callID, accountID: accountID, number: number.e164, time: time))
            }
        }
        guard !attributions.isEmpty else { return folds }
        var folds = folds
        for (callID, tags) in try await SessionAttribution.sessionTags(for: attributions, on: sql) {
            guard let own = folds[callID]?.fields.tags else { continue }
            folds[callID]?.fields.tags = tags.merging(own)
        }
        return folds
    }

    /// A call's row as its fold gives it, in `foldedColumns` order. `identity`: the source
    /// and vendor call id a new row is written with.
    static func foldedRow(_ callID: CallID, accountID: AccountID, fold: Fold, now: Int64, identity: (source: String, externalCallID: String)) -> [Cell] {
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

    /// The call columns a fold writes, after the five that only a new row needs.
    static let foldedColumns = [
        "id", "account_id", "source", "external_call_id", "created_at",
        "caller_phone", "tracking_number", "destination_number", "duration_seconds", "call_started_at",
        "call_answered_at", "call_ended_at", "status", "campaign_id", "publisher_id", "target_id",
        "caller_state", "revenue_cents", "payout_cents", "converted", "recording_url", "call_metadata",
        "event_count", "sort_at", "updated_at", "first_event_at", "last_event_at",
    ]

    /// A fold replaces every folded column of an existing call.
    static let replaceFold = " ON CONFLICT (id) DO UPDATE SET "
        + foldedColumns.dropFirst(5).map { "\($0) = excluded.\($0)" }.joined(separator: ", ")

    /// Where the columns the calls' indexes hold beyond the account and id are in a folded
    /// row: caller, tracking number, sort time.
    static let indexedColumns = [
        foldedColumns.firstIndex(of: "caller_phone")!, foldedColumns.firstIndex(of: "tracking_number")!, foldedColumns.firstIndex(of: "sort_at")!,
    ]

    /// A fold that leaves the indexed columns as stored replaces every other folded column.
    static let replaceUnindexedFold = " ON CONFLICT (id) DO UPDATE SET "
        + foldedColumns.dropFirst(5).filter { !["caller_phone", "tracking_number", "sort_at"].contains($0) }
            .map { "\($0) = excluded.\($0)" }.joined(separator: ", ")

    static let vendorIDColumns = ["account_id", "source", "external_call_id", "call_id"]
    /// A vendor id already claimed keeps its call; the ids this statement claimed come back.
    static let claimVendorIDs = " ON CONFLICT (account_id, source, external_call_id) DO NOTHING RETURNING call_id"

    // MARK: - Helpers

    static func chunks<T>(_ values: [T]) -> [ArraySlice<T>] {
        stride(from: 0, to: values.count, by: rowsPerStatement).map { values[$0..<min($0 + rowsPerStatement, values.count)] }
    }

    /// Distinct values of the group's events, per account.
    static func grouped(_ items: [AppendItem], by value: (IncomingEvent) -> String) -> [(String, [String])] {
        var seen: [String: Set<String>] = [:]
        var order: [String: [String]] = [:]
        for item in items {
            let account = item.accountID.rawValue
            for incoming in item.events where seen[account, default: []].insert(value(incoming)).inserted {
                order[account, default: []].append(value(incoming))
            }
        }
        return order.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
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
}

struct NewCall: Sendable {
    let id: CallID
    let accountID: AccountID
    let source: Source
    let externalCallID: String
}

struct ClaimedVendorID: Sendable {
    let accountID: AccountID
    let source: Source
    let externalCallID: String
    let callID: CallID
}

/// An event the group writes. A class, for the same reason as `AppendItem`: the group
/// sorts and filters these.
final class PendingEvent {
    let item: Int
    let index: Int
    let key: EventKey
    let incoming: IncomingEvent
    let accountID: AccountID
    let requestID: String
    let receivedAt: Timestamp
    var callID: CallID
    let normalized: String

    init(item: Int, index: Int, key: EventKey, incoming: IncomingEvent, accountID: AccountID, requestID: String, receivedAt: Timestamp, callID: CallID, normalized: String) {
        self.item = item
        self.index = index
        self.key = key
        self.incoming = incoming
        self.accountID = accountID
        self.requestID = requestID
        self.receivedAt = receivedAt
        self.callID = callID
        self.normalized = normalized
    }
}

/// What the group writes: its new calls, vendor ids and events.
struct GroupWrites {
    var events: [PendingEvent] = []
    var newCalls: [NewCall] = []
    var vendorIDs: [ClaimedVendorID] = []
    var keys: Set<EventKey> = []
    var touchedCalls: [CallID: AccountID] = [:]

    /// Moves the events of calls this group started to the calls others started first.
    mutating func move(_ moved: [CallID: CallID]) {
        for index in events.indices {
            if let target = moved[events[index].callID] { events[index].callID = target }
        }
        touchedCalls = Dictionary(events.map { ($0.callID, $0.accountID) }, uniquingKeysWith: { first, _ in first })
    }

    mutating func add(_ event: PendingEvent) {
        events.append(event)
        keys.insert(event.key)
        touchedCalls[event.callID] = event.accountID
    }
}

/// A call's events folded in event order.
struct Fold {
    /// A new event of a commit group, to fold onto its call.
    struct Added {
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
}

extension AppendOutcome {
    var asDuplicate: AppendOutcome {
        AppendOutcome(idempotencyKey: idempotencyKey, eventID: eventID, callID: callID, duplicate: true)
    }
}

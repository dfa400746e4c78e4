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
    /// The id of the request's row when it is stored already (a replay appends kept
    /// requests again without a second copy of their bodies); nil stores it with the group.
    let storedRequestID: String?
    /// Rows of a pulled page that could not be read: each a dead letter of the request.
    let refusedRows: [DeadLetterReason]

    init(events: [IncomingEvent], accountID: AccountID, request: InboundRequest, storedRequestID: String? = nil,
         refusedRows: [DeadLetterReason] = []) {
        self.events = events
        self.accountID = accountID
        self.request = request
        self.storedRequestID = storedRequestID
        self.refusedRows = refusedRows
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
/// It loads what the ledger holds of the group's keys and vendor ids, lets `CommitPlan`
/// decide, and writes the plan: the requests, the calls the group starts (folded from the
/// group's events and written once, whole), the vendor ids, the events, and the folds of
/// the stored calls they touch (`refold`).
enum CommitGroup {
    /// Rows per multi-row statement: well under both engines' bind limits.
    static let rowsPerStatement = 400

    static func apply(_ items: [AppendItem], clock: LedgerClock, ids: IDSource, on sql: any SQLDatabase) async throws -> [[AppendOutcome]] {
        let items = try await CampaignAttribution.resolve(items, on: sql)
        var fresh = ids.make("req", items.count { $0.storedRequestID == nil })[...]
        let requestIDs = items.map { $0.storedRequestID ?? fresh.popFirst() ?? ids.next("req") }
        try await storeRequests(items, ids: requestIDs, on: sql)
        try await storeRefusedRows(items, requestIDs: requestIDs, ids: ids, on: sql)

        let deliveries = items.map { CommitPlan.Delivery(accountID: $0.accountID, events: $0.events.map(\.event)) }
        let stored = CommitPlan.Stored(outcomes: try await storedOutcomes(items, on: sql), calls: try await storedCalls(items, on: sql))
        let board = try await CrossVendorDedupe.Board.load(
            reports: CommitPlan.dedupeReports(deliveries, stored: stored), touched: Array(stored.calls.values), on: sql
        )
        let newCallIDs = ids.make("call", CommitPlan.mostNewCalls(deliveries, stored: stored)).map(CallID.init(rawValue:))
        let plan = CommitPlan.make(deliveries, stored: stored, board: board, newCallIDs: newCallIDs)

        guard !plan.events.isEmpty else { return try plan.outcomes(eventIDs: [:], statuses: [:]) }
        let now = clock.now().millisecondsSince1970
        // A call this group starts holds only the group's events: it is folded here and
        // written once, whole, before its vendor ids and events refer to it.
        let startedFolds = try await attributing(
            Fold.folds(of: plan.startedCallEvents(deliveries)), calls: Set(plan.newCalls.map(\.id)),
            accounts: Dictionary(plan.newCalls.map { ($0.id, $0.accountID) }, uniquingKeysWith: { first, _ in first }), on: sql
        )
        try await insertNewCalls(plan.newCalls, folds: startedFolds, now: now, on: sql)
        let moved = try await claimVendorIDs(plan, on: sql)
        let written = plan.moving(moved)
        let eventIDs = try await insertEvents(written, items: items, requestIDs: requestIDs, on: sql)

        var added: [CallID: [Fold.Added]] = [:]
        for event in written.events {
            guard let eventID = eventIDs[event.key] else { throw LedgerError.lostRace(event.key.idempotencyKey) }
            let occurred = deliveries[event.item].events[event.index]
            added[event.callID, default: []].append(Fold.Added(eventID: eventID, occurredAt: occurred.occurredAt.millisecondsSince1970, fields: occurred.fields))
        }
        var statuses = try await refold(written.touchedCalls.filter { startedFolds[$0.key] == nil }, added: added, now: now, on: sql)
        for (callID, fold) in startedFolds where moved[callID] == nil {
            statuses[callID] = fold.fields.status ?? .unknown
        }
        return try written.outcomes(eventIDs: eventIDs, statuses: statuses)
    }

    // MARK: - The group's requests and what the ledger already holds

    static func storeRequests(_ items: [AppendItem], ids: [String], on sql: any SQLDatabase) async throws {
        for chunk in chunks(zip(items, ids).filter { $0.0.storedRequestID == nil }) {
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

    /// The dead letters of the rows a pulled page could not read, each naming its request.
    static func storeRefusedRows(_ items: [AppendItem], requestIDs: [String], ids: IDSource, on sql: any SQLDatabase) async throws {
        let letters = zip(items, requestIDs).flatMap { item, requestID in item.refusedRows.map { (item, requestID, $0) } }
        for chunk in chunks(letters) {
            var insert = RowsStatement(insertInto: "dead_letters", columns: ["id", "account_id", "request_id", "source", "received_at", "reason", "field"])
            for (item, requestID, refusal) in chunk {
                insert.append([
                    .text(ids.next("dl")), .text(item.accountID.rawValue), .text(requestID), .text(item.request.source.rawValue),
                    .integer(item.request.receivedAt.millisecondsSince1970), .text(refusal.reason), Cell(refusal.field),
                ])
            }
            try await insert.run(on: sql)
        }
    }

    /// The first outcome of every idempotency key of the group that the ledger already holds.
    static func storedOutcomes(_ items: [AppendItem], on sql: any SQLDatabase) async throws -> [EventKey: AppendOutcome] {
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
    static func storedCalls(_ items: [AppendItem], on sql: any SQLDatabase) async throws -> [VendorKey: CallID] {
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

    // MARK: - Writing the plan

    static func insertNewCalls(_ calls: [NewCall], folds: [CallID: Fold], now: Int64, on sql: any SQLDatabase) async throws {
        for chunk in chunks(calls) {
            var insert = RowsStatement(insertInto: "calls", columns: CallRows.foldedColumns)
            for call in chunk {
                insert.append(CallRows.row(
                    call.id, accountID: call.accountID, fold: folds[call.id] ?? Fold(), now: now,
                    identity: (call.source.rawValue, call.externalCallID)
                ))
            }
            try await insert.run(on: sql)
        }
    }

    /// Claims the plan's vendor ids. A call another group or node started first under the
    /// same vendor id is the call: the group's events go to it, and the call this group
    /// started is dropped. Returns those moves: started call to the other's call.
    static func claimVendorIDs(_ plan: CommitPlan, on sql: any SQLDatabase) async throws -> [CallID: CallID] {
        // Rows go in key order, so that two groups writing the same keys at once (PostgreSQL
        // runs several) wait for each other instead of deadlocking.
        let byKey: (ClaimedVendorID, ClaimedVendorID) -> Bool = {
            ($0.accountID.rawValue, $0.source.rawValue, $0.externalCallID) < ($1.accountID.rawValue, $1.source.rawValue, $1.externalCallID)
        }
        let started = Set(plan.newCalls.map(\.id))
        var moved: [CallID: CallID] = [:]
        for chunk in chunks(plan.vendorIDs.filter { started.contains($0.callID) }.sorted(by: byKey)) {
            var insert = RowsStatement(insertInto: "call_vendor_ids", columns: CallRows.vendorIDColumns, tail: CallRows.claimVendorIDs)
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
        for chunk in chunks(plan.vendorIDs.filter { !started.contains($0.callID) }.sorted(by: byKey)) {
            var claim = RowsStatement(insertInto: "call_vendor_ids", columns: CallRows.vendorIDColumns, tail: CallRows.claimVendorIDs)
            for id in chunk {
                claim.append([.text(id.accountID.rawValue), .text(id.source.rawValue), .text(id.externalCallID), .text((moved[id.callID] ?? id.callID).rawValue)])
            }
            let claimed = try await claim.all(on: sql)
            // Another node claimed one of these ids for a call first: the group starts over
            // one delivery at a time, and that delivery then finds the other node's call.
            guard claimed.count == chunk.count else { throw LedgerError.lostRace("a vendor call id of the group") }
        }
        return moved
    }

    /// Inserts the plan's events in key order and returns their ids.
    static func insertEvents(_ plan: CommitPlan, items: [AppendItem], requestIDs: [String], on sql: any SQLDatabase) async throws -> [EventKey: Int64] {
        var eventIDs: [EventKey: Int64] = [:]
        for chunk in chunks(plan.events.sorted { $0.key < $1.key }) {
            var insert = RowsStatement(insertInto: "raw_events", columns: CallRows.eventColumns,
                                       tail: " ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING id, account_id, idempotency_key")
            for planned in chunk {
                let item = items[planned.item]
                let incoming = item.events[planned.index]
                let event = incoming.event
                insert.append([
                    .text(planned.accountID.rawValue), .text(requestIDs[planned.item]), .text(event.source.rawValue), .text(event.idempotencyKey),
                    .text(event.externalCallID), Cell(event.type), .integer(event.occurredAt.millisecondsSince1970),
                    .integer(item.request.receivedAt.millisecondsSince1970), .text(incoming.payloadIsRequestBody ? "" : incoming.payload),
                    .text(item.normalized[planned.index]), .text(planned.callID.rawValue),
                ])
            }
            for row in try await insert.all(on: sql) {
                let key = EventKey(
                    account: try row.decode(column: "account_id", as: String.self),
                    idempotencyKey: try row.decode(column: "idempotency_key", as: String.self)
                )
                eventIDs[key] = try row.decode(column: "id", as: Int64.self)
            }
        }
        return eventIDs
    }

    // MARK: - Folding stored calls

    /// Folds the stored calls a group touched, writes them, and returns their statuses.
    /// `added`: each call's new events of the group. A call is folded onto its row when it
    /// can be (`Fold.onto`), else again from all of its events, and then attributed.
    ///
    /// On PostgreSQL the touched calls are locked first (in id order, so that two groups
    /// wait instead of deadlocking), so that a group folding after another sees that
    /// group's events and fold once it has committed.
    static func refold(_ touched: [CallID: AccountID], added: [CallID: [Fold.Added]], now: Int64, on sql: any SQLDatabase) async throws -> [CallID: CallStatus] {
        guard !touched.isEmpty else { return [:] }
        let lock = sql.dialect.name == "postgresql" ? " ORDER BY id FOR NO KEY UPDATE" : ""
        var folds: [CallID: Fold] = [:]
        var fromEvents: [CallID] = []
        var indexed: [CallID: [Cell]] = [:]
        for chunk in chunks(touched.keys.sorted { $0.rawValue < $1.rawValue }) {
            let rows = try await sql.raw("""
                SELECT * FROM calls
                WHERE id IN (\(binds: chunk.map(\.rawValue)))\(unsafeRaw: lock)
                """).all()
            for row in rows {
                let call = try CallRow.decode(row)
                indexed[call.id] = [Cell(call.fields.callerPhone?.e164), Cell(call.fields.trackingNumber?.e164),
                                    .integer(try row.decode(column: "sort_at", as: Int64.self))]
                let stored = Fold.StoredCall(
                    id: call.id, fields: call.fields, eventCount: call.eventCount,
                    firstEventAt: try row.decode(column: "first_event_at", as: Int64?.self),
                    lastEventAt: try row.decode(column: "last_event_at", as: Int64?.self)
                )
                if let fold = Fold.onto(stored, adding: added[call.id] ?? []) { folds[call.id] = fold } else { fromEvents.append(call.id) }
            }
        }
        var refolded: [CallID: Fold] = [:]
        for chunk in chunks(fromEvents) {
            let events = try await sql.raw("""
                SELECT call_id, normalized, occurred_at FROM raw_events
                WHERE call_id IN (\(binds: chunk.map(\.rawValue))) ORDER BY call_id, occurred_at, id
                """).all().map { row in
                Fold.Event(
                    callID: CallID(rawValue: try row.decode(column: "call_id", as: String.self)),
                    fields: try CallFields(storedJSON: try row.decode(column: "normalized", as: String.self)),
                    occurredAt: try row.decode(column: "occurred_at", as: Int64.self)
                )
            }
            refolded.merge(Fold.folds(of: events)) { _, new in new }
        }
        folds.merge(refolded) { _, new in new }
        folds = try await attributing(folds, calls: Set(refolded.keys), accounts: touched, on: sql)

        let rows = CallRows.refolded(folds, accounts: touched, indexed: indexed, now: now)
        for (part, tail) in [(rows.unmoved, CallRows.replaceUnindexedFold), (rows.moved, CallRows.replaceFold)] {
            for chunk in chunks(part) {
                var upsert = RowsStatement(insertInto: "calls", columns: CallRows.foldedColumns, tail: tail)
                for row in chunk { upsert.append(row) }
                try await upsert.run(on: sql)
            }
        }
        return folds.mapValues { $0.fields.status ?? .unknown }
    }

    /// `folds` with the tags of the visitor session each of `calls` belongs to under the
    /// events' own.
    static func attributing(_ folds: [CallID: Fold], calls: Set<CallID>, accounts: [CallID: AccountID], on sql: any SQLDatabase) async throws -> [CallID: Fold] {
        let queries = Fold.attributionQueries(folds, calls: calls, accounts: accounts)
        guard !queries.isEmpty else { return folds }
        return Fold.attributing(folds, sessionTags: try await SessionAttribution.sessionTags(for: queries, on: sql))
    }

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

import DCEDomain
import Foundation
import SQLKit

/// The call ledger: raw events in, one call record per real call out.
///
/// `append` stores the request verbatim, each event under its idempotency key, and folds
/// the events of each touched call into its record (`CallMerge`), all in one commit.
public struct Ledger: Sendable {
    let database: any Database
    private let committer: GroupCommitter<AppendItem, [AppendOutcome]>
    let ids: IDSource
    let clock: LedgerClock

    /// `clock` and `ids`: where new rows take their times and ids from.
    public init(database: any Database, clock: LedgerClock = .system, ids: IDSource = .random) {
        self.database = database
        self.ids = ids
        self.clock = clock
        self.committer = GroupCommitter(database: database) { items, sql in
            try await CommitGroup.apply(items, clock: clock, ids: ids, on: sql)
        }
    }

    /// Announces a request that will append (or keep a dead letter) soon, as soon as it is
    /// received: on SQLite the next commit group waits a moment for it to join. Pass it to
    /// `append` or `deadLetter`; released unused, it is no longer waited for.
    public func announce() -> Arrival { committer.announce() }

    /// Appends events reported in one request. Returns one outcome per event, in order.
    /// Returns only after the commit: the caller may acknowledge the request.
    /// `refusedRows`: rows of a pulled page that could not be read, kept in the same commit
    /// as dead letters of the request, so that a replay reads them again with the page.
    public func append(_ events: [IncomingEvent], accountID: AccountID, request: InboundRequest, refusedRows: [DeadLetterReason] = [],
                       arrival: Arrival? = nil) async throws -> [AppendOutcome] {
        try await committer.submit(AppendItem(events: events, accountID: accountID, request: request, refusedRows: refusedRows), arrival: arrival)
    }

    /// Keeps a delivery that could not be read, with the reason, and returns its id.
    @discardableResult
    public func deadLetter(_ request: InboundRequest, accountID: AccountID?, reason: String, field: String?, arrival: Arrival? = nil) async throws -> String {
        let (requestID, id) = (ids.next("req"), ids.next("dl"))
        return try await committer.submit({ sql in
            try await Self.storeRequest(request, id: requestID, accountID: accountID, on: sql)
            try await sql.raw("""
                INSERT INTO dead_letters (id, account_id, request_id, source, received_at, reason, field)
                VALUES (\(bind: id), \(bind: accountID?.rawValue), \(bind: requestID), \(bind: request.source.rawValue),
                        \(bind: request.receivedAt.millisecondsSince1970), \(bind: reason), \(bind: field))
                """).run()
            return id
        }, arrival: arrival)
    }

    public func deadLetters(accountID: AccountID?, limit: Int = 100) async throws -> [DeadLetter] {
        try await database.read { sql in
            let scope: SQLQueryString = accountID.map { "d.account_id = \(bind: $0.rawValue)" } ?? "d.account_id IS NULL"
            return try await sql.raw("""
                SELECT d.id, d.account_id, d.source, d.received_at, d.reason, d.field, r.body, r.body_encoding
                FROM dead_letters d JOIN inbound_requests r ON r.id = d.request_id
                WHERE \(scope) ORDER BY d.received_at DESC, d.id DESC LIMIT \(bind: limit)
                """).all().map { row in
                DeadLetter(
                    id: try row.decode(column: "id", as: String.self),
                    accountID: try row.decode(column: "account_id", as: String?.self).map(AccountID.init(rawValue:)),
                    source: Source(rawValue: try row.decode(column: "source", as: String.self)),
                    receivedAt: Timestamp(millisecondsSince1970: try row.decode(column: "received_at", as: Int64.self)),
                    reason: try row.decode(column: "reason", as: String.self),
                    field: try row.decode(column: "field", as: String?.self),
                    body: StoredBody.shown(try StoredBody.bytes(row))
                )
            }
        }
    }

    public func call(_ id: CallID, accountID: AccountID) async throws -> CallRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM calls WHERE id = \(bind: id.rawValue) AND account_id = \(bind: accountID.rawValue)")
                .first().map(CallRow.decode)
        }
    }

    /// The events of a call, oldest fact first.
    public func events(of id: CallID, accountID: AccountID) async throws -> [StoredEvent] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT e.id, e.source, e.idempotency_key, e.external_call_id, e.event_type, e.occurred_at, e.received_at,
                       e.normalized, \(unsafeRaw: StoredPayload.columns)
                FROM raw_events e \(unsafeRaw: StoredPayload.join)
                WHERE e.call_id = \(bind: id.rawValue) AND e.account_id = \(bind: accountID.rawValue)
                ORDER BY e.occurred_at, e.id
                """).all().map { row in
                StoredEvent(
                    id: try row.decode(column: "id", as: Int64.self),
                    source: Source(rawValue: try row.decode(column: "source", as: String.self)),
                    idempotencyKey: try row.decode(column: "idempotency_key", as: String.self),
                    externalCallID: try row.decode(column: "external_call_id", as: String.self),
                    type: try row.decode(column: "event_type", as: String?.self),
                    occurredAt: Timestamp(millisecondsSince1970: try row.decode(column: "occurred_at", as: Int64.self)),
                    receivedAt: Timestamp(millisecondsSince1970: try row.decode(column: "received_at", as: Int64.self)),
                    payload: try StoredPayload.text(row),
                    fields: try CallFields(storedJSON: try row.decode(column: "normalized", as: String.self))
                )
            }
        }
    }

    /// Whether an idempotency key has been accepted, and the call it went to.
    public func outcome(forKey key: String, accountID: AccountID) async throws -> AppendOutcome? {
        try await database.read { sql in
            try await Self.existing(key: key, accountID: accountID, on: sql)
        }
    }

    // MARK: - Inside the transaction

    static func storeRequest(_ request: InboundRequest, id: String, accountID: AccountID?, on sql: any SQLDatabase) async throws {
        let body = request.storedBody
        try await sql.raw("""
            INSERT INTO inbound_requests (id, account_id, source, received_at, method, path, content_type, headers, body, body_encoding)
            VALUES (\(bind: id), \(bind: accountID?.rawValue), \(bind: request.source.rawValue), \(bind: request.receivedAt.millisecondsSince1970),
                    \(bind: request.method), \(bind: request.path), \(bind: request.contentType), \(bind: request.headersJSON),
                    \(bind: body.bytes), \(bind: body.encoding))
            """).run()
    }

    static func existing(key: String, accountID: AccountID, on sql: any SQLDatabase) async throws -> AppendOutcome? {
        try await sql.raw("""
            SELECT id, call_id FROM raw_events
            WHERE account_id = \(bind: accountID.rawValue) AND idempotency_key = \(bind: key)
            """).first().map { row in
            AppendOutcome(
                idempotencyKey: key,
                eventID: try row.decode(column: "id", as: Int64.self),
                callID: CallID(rawValue: try row.decode(column: "call_id", as: String.self)),
                duplicate: true
            )
        }
    }
}

public enum LedgerError: Error, CustomStringConvertible {
    case lostRace(String)

    public var description: String {
        switch self {
        case .lostRace(let key): "a concurrent write for '\(key)' could not be reconciled; retry the request"
        }
    }
}

extension JSONEncoder {
    static var ledger: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

public struct VendorCallID: Sendable, Hashable {
    public let source: Source
    public let externalCallID: String
}

extension Ledger {
    /// Every vendor id the call is known under.
    public func vendorIDs(of id: CallID, accountID: AccountID) async throws -> [VendorCallID] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT source, external_call_id FROM call_vendor_ids
                WHERE call_id = \(bind: id.rawValue) AND account_id = \(bind: accountID.rawValue)
                ORDER BY source, external_call_id
                """).all().map {
                VendorCallID(source: Source(rawValue: try $0.decode(column: "source", as: String.self)),
                              externalCallID: try $0.decode(column: "external_call_id", as: String.self))
            }
        }
    }
}

/// Why a request that cannot be read, or a row of a pulled page that cannot, is kept as a
/// dead letter of the request.
public struct DeadLetterReason: Sendable, Hashable {
    public var reason: String
    public var field: String?

    public init(reason: String, field: String?) {
        self.reason = reason
        self.field = field
    }
}

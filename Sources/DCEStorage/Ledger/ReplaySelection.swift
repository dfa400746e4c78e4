import DCEDomain
import DCEJSON
import SQLKit

/// Which kept requests a replay reads again: those received in `from..<to` (either end
/// open), addressed to `integrationID` when one is given (webhook deliveries and pulled
/// pages name their integration in their path).
public struct ReplayFilter: Sendable, Hashable {
    public var integrationID: String?
    public var from: Timestamp?
    public var to: Timestamp?

    public init(integrationID: String? = nil, from: Timestamp? = nil, to: Timestamp? = nil) {
        self.integrationID = integrationID
        self.from = from
        self.to = to
    }

    func admits(path: String) -> Bool {
        guard let integrationID else { return true }
        return KeptRequest.integrationID(path: path) == integrationID
    }
}

/// A kept request as a replay reads it again: the stored row, as its route kept it.
public struct KeptRequest: Sendable {
    public let id: String
    public let accountID: AccountID
    public let request: InboundRequest
    /// It was refused when it came (or at the last replay).
    public let wasDeadLetter: Bool
    /// The idempotency keys its events were stored under before the replay, in the order
    /// they were written. A reader whose keys are not in the body (a ribbon event without
    /// a time of its own) reuses them, so that a replayed event keeps its identity.
    public let storedKeys: [String]

    /// The integration a webhook delivery (`/webhooks/<vendor>/<id>`) or pulled page
    /// (`/sync/<vendor>/<id>/<endpoint>`) was for; nil for other routes.
    public var integrationID: String? { Self.integrationID(path: request.path) }

    static func integrationID(path: String) -> String? {
        let plain = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parts = plain.split(separator: "/")
        guard parts.count >= 3, parts[0] == "webhooks" || parts[0] == "sync" else { return nil }
        return String(parts[2])
    }
}

/// The rows a replay starts from: the requests it reads again, in the order they were
/// received, and the calls it removes to fold again.
struct ReplayScope: Sendable {
    var requests: [KeptRequest] = []
    var calls: Set<CallID> = []
    var selected = 0

    /// The requests `filter` selects, the calls having events from them, and every other
    /// request with events on those calls (closed over: a request of a batch may touch a
    /// call none of the selected ones did).
    static func load(_ filter: ReplayFilter, on sql: any SQLDatabase) async throws -> ReplayScope {
        let from = filter.from?.millisecondsSince1970 ?? Int64.min
        let to = filter.to?.millisecondsSince1970 ?? Int64.max
        let selected = Set(try await sql.raw("""
            SELECT id, path FROM inbound_requests
            WHERE account_id IS NOT NULL AND received_at >= \(bind: from) AND received_at < \(bind: to)
            """).all().compactMap { row -> String? in
            filter.admits(path: try row.decode(column: "path", as: String.self)) ? try row.decode(column: "id", as: String.self) : nil
        })
        var scope = ReplayScope(selected: selected.count)
        guard !selected.isEmpty else { return scope }
        // One pass over the window's events finds the calls of the selected requests.
        var calls = Set(try await sql.raw("""
            SELECT e.request_id, e.call_id FROM raw_events e JOIN inbound_requests q ON q.id = e.request_id
            WHERE q.received_at >= \(bind: from) AND q.received_at < \(bind: to)
            """).all().compactMap { row -> CallID? in
            selected.contains(try row.decode(column: "request_id", as: String.self))
                ? CallID(rawValue: try row.decode(column: "call_id", as: String.self)) : nil
        })
        var requests = selected
        var keys: [String: [(Int64, String)]] = [:]
        var newCalls = calls
        while !newCalls.isEmpty {
            var newRequests: Set<String> = []
            for chunk in CommitGroup.chunks(newCalls.map(\.rawValue).sorted()) {
                for row in try await sql.raw("""
                    SELECT id, request_id, idempotency_key FROM raw_events WHERE call_id IN (\(binds: Array(chunk)))
                    """).all() {
                    let request = try row.decode(column: "request_id", as: String.self)
                    keys[request, default: []].append((try row.decode(column: "id", as: Int64.self),
                                                       try row.decode(column: "idempotency_key", as: String.self)))
                    if requests.insert(request).inserted { newRequests.insert(request) }
                }
            }
            newCalls = []
            for chunk in CommitGroup.chunks(newRequests.sorted()) {
                for row in try await sql.raw("""
                    SELECT DISTINCT call_id FROM raw_events WHERE request_id IN (\(binds: Array(chunk)))
                    """).all() {
                    let call = CallID(rawValue: try row.decode(column: "call_id", as: String.self))
                    if calls.insert(call).inserted { newCalls.insert(call) }
                }
            }
        }
        scope.calls = calls
        scope.requests = try await kept(requests, keys: keys, on: sql)
        return scope
    }

    /// The stored rows of `ids`, in the order they were received.
    static func kept(_ ids: Set<String>, keys: [String: [(Int64, String)]], on sql: any SQLDatabase) async throws -> [KeptRequest] {
        var kept: [KeptRequest] = []
        var deadLetters: Set<String> = []
        for chunk in CommitGroup.chunks(ids.sorted()) {
            for row in try await sql.raw("""
                SELECT request_id FROM dead_letters WHERE request_id IN (\(binds: Array(chunk)))
                """).all() {
                deadLetters.insert(try row.decode(column: "request_id", as: String.self))
            }
            for row in try await sql.raw("""
                SELECT id, account_id, source, received_at, method, path, content_type, headers, body, body_encoding
                FROM inbound_requests WHERE id IN (\(binds: Array(chunk)))
                """).all() {
                let id = try row.decode(column: "id", as: String.self)
                guard let account = try row.decode(column: "account_id", as: String?.self) else { continue }
                let headers = (try? JSONValue(parsing: try row.decode(column: "headers", as: String.self)))?.object ?? [:]
                let request = InboundRequest(
                    source: Source(rawValue: try row.decode(column: "source", as: String.self)),
                    method: try row.decode(column: "method", as: String.self),
                    path: try row.decode(column: "path", as: String.self),
                    contentType: try row.decode(column: "content_type", as: String?.self),
                    headers: headers.compactMapValues { value in
                        if case .string(let text) = value { return text }
                        return nil
                    },
                    body: try StoredBody.bytes(row),
                    receivedAt: Timestamp(millisecondsSince1970: try row.decode(column: "received_at", as: Int64.self))
                )
                kept.append(KeptRequest(id: id, accountID: AccountID(rawValue: account), request: request,
                                        wasDeadLetter: deadLetters.contains(id),
                                        storedKeys: (keys[id] ?? []).sorted { $0.0 < $1.0 }.map(\.1)))
            }
        }
        return kept.sorted { ($0.request.receivedAt, $0.id) < ($1.request.receivedAt, $1.id) }
    }
}

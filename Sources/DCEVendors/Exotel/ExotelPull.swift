import DCEJSON
import DCEDomain
import Foundation

/// Exotel's Bulk Call Details API (developer.exotel.com, "Call Details API (v1)", bulk):
/// `GET v1/Accounts/<sid>/Calls.json?DateCreated=gte:…;lte:…&SortBy=DateCreated:asc&PageSize=100`
/// with HTTP Basic authentication (API key and token). The answer is
/// `{"Metadata": {…, "NextPageUri": …}, "Calls": [{"Sid": …, "Status": …}]}`; the next page
/// is the `After` cursor of `NextPageUri`. Exotel answers at most a month per query, so a
/// longer window is pulled a month at a time.
///
/// Rows are read by `ExotelStatusCallback`, the webhook's mapping, with the list's names
/// given the callback's (`Sid` is `CallSid`). The list leaves out calls still in progress;
/// a row that is not yet final says nothing and is read again once it is.
public struct ExotelPull: PullClient {
    /// Exotel's largest page.
    public static let pageSize = 100
    /// Exotel filters `DateCreated` in the account's zone, written here in India's
    /// (Exotel's home and the callback's default); the margin covers accounts a few hours
    /// away (Singapore), and overlap is harmless.
    static let zoneMargin: Int64 = 3 * 3600
    /// A month at most per query, margins included.
    static let spanSeconds: Int64 = 28 * 86_400
    static let filterZone = TimeZone(identifier: ExotelStatusCallback.defaultTimeZone) ?? TimeZone(secondsFromGMT: 19_800) ?? .current
    /// The statuses of a call not over yet (Exotel's call resource, "Status").
    static let pendingStatuses: Set<String> = ["queued", "ringing", "in-progress"]

    public init() {}

    public var keys: CredentialKeys {
        CredentialKeys(alternatives: [["account_sid", "api_key", "api_token"]], optional: ["subdomain"])
    }
    /// Singapore's cluster; `subdomain` names another (`api.in.exotel.com`, Mumbai).
    public var defaultBaseURL: String { "https://api.exotel.com/" }
    /// Exotel's published limit: 200 API requests a minute per account.
    public var rateLimit: PullRateLimit? { PullRateLimit(count: 200, seconds: 60) }

    public func firstRequest(window: PullWindow, credentials: PullCredentials) -> PullRequest {
        callList(from: window.from, window: window, credentials: credentials)
    }

    public func authorize(_ request: PullRequest, credentials: PullCredentials, token: AccessToken?) -> PullRequest {
        var authorized = request
        let pair = (credentials["api_key"] ?? "") + ":" + (credentials["api_token"] ?? "")
        authorized.headers["authorization"] = "Basic " + Data(pair.utf8).base64EncodedString()
        return authorized
    }

    public func read(
        _ response: PullResponse, of request: PullRequest, window: PullWindow, credentials: PullCredentials, integration: IntegrationProfile
    ) throws(VendorError) -> PulledPage {
        guard let document = JSONValue.parse(bytes: response.body) else {
            throw VendorError(field: nil, message: "the call list is not JSON", code: "malformed_json")
        }
        guard case .array(let calls)? = document["Calls"] else {
            throw VendorError(field: "Calls", message: "the call list must be an object with a Calls array", code: "malformed_page")
        }
        let rows = calls.enumerated().map { index, item in
            Self.row(item, path: "Calls[\(index)]", receivedAt: window.to, integration: integration)
        }
        var nextPage: String?
        if case .object(let metadata)? = document["Metadata"], case .string(let uri)? = metadata["NextPageUri"], !uri.isEmpty {
            nextPage = uri
        }
        guard let nextPage else {
            return PulledPage(rows: rows, next: nextSpan(after: request, window: window, credentials: credentials))
        }
        // The next page keeps this request's path and filters, with the cursor of
        // `NextPageUri`: credentials go only where dce sends the first request.
        guard let cursor = URLComponents(string: nextPage)?.queryItems, !cursor.isEmpty,
              var components = URLComponents(string: request.url)
        else {
            throw VendorError(field: "Metadata.NextPageUri", message: "'\(nextPage.prefix(200))' carries no page cursor", code: "malformed_page")
        }
        var items = components.queryItems ?? []
        for item in cursor where ["After", "Before"].contains(item.name) || !items.contains(where: { $0.name == item.name }) {
            items.removeAll { $0.name == item.name }
            items.append(item)
        }
        components.percentEncodedQuery = Self.query(items.map { ($0.name, $0.value ?? "") })
        guard let url = components.string, url != request.url else {
            throw VendorError(field: "Metadata.NextPageUri", message: "the next page is the page just read", code: "malformed_page")
        }
        var next = request
        next.url = url
        return PulledPage(rows: rows, next: next)
    }

    /// One call of Exotel's (a list row, or the `Call` of the single call resource) read as
    /// its status callback would be.
    public static func row(_ item: JSONValue, path: String, receivedAt: Timestamp, integration: IntegrationProfile) -> PulledRow {
        let payload = item.text
        guard case .object(let object) = item else {
            return PulledRow(payload: payload, outcome: .failure(VendorError(field: path, message: "\(path) must be a JSON object")))
        }
        func scalar(_ key: String) -> String? { object[key].flatMap(FlatFields.scalarText) }
        if let status = scalar("Status"), pendingStatuses.contains(status.lowercased()) {
            // Not over yet: nothing to record until it is.
            return PulledRow(payload: payload, outcome: .success([]))
        }
        // The list's name of each callback field read from it, to name a fault in the row.
        var sources: [String: String] = [:]
        var values: [String: String] = [:]
        func give(_ field: ExotelStatusCallback.Field, from key: String, _ value: String?) {
            let name = integration.parameter(field.rawValue)
            sources[name] = key
            if let value { values[name] = value }
        }
        give(.callSid, from: "Sid", scalar("Sid"))
        give(.eventType, from: "Status", "terminal")
        for field: ExotelStatusCallback.Field in [.status, .dateCreated, .dateUpdated, .from, .to, .phoneNumberSid, .startTime, .endTime,
                                                  .direction, .recordingURL, .customField] {
            give(field, from: field.rawValue, scalar(field.rawValue))
        }
        if let talk = object["Details"]?["ConversationDuration"].flatMap(FlatFields.scalarText) {
            give(.conversationDuration, from: "Details.ConversationDuration", talk)
        } else {
            give(.conversationDuration, from: "Duration", scalar("Duration"))
        }
        let delivery = VendorDelivery(method: "GET", query: [:], contentType: "application/json",
                                      body: Array(JSONText.object(values).utf8), receivedAt: receivedAt)
        do {
            let events = try ExotelStatusCallback.decode(delivery, integration: integration).map { item in
                var event = item.event
                // A row pulled again is the same event; a row Exotel changed since is a new one.
                event.idempotencyKey = PulledRowKey.make(ExotelAdapter.source, integration: integration.id, callID: event.externalCallID, row: payload)
                return VendorEvent(event: event, payload: payload)
            }
            return PulledRow(payload: payload, outcome: .success(events))
        } catch {
            let field = [path, error.field.map { sources[$0] ?? $0 }].compactMap { $0 }.joined(separator: ".")
            return PulledRow(payload: payload, outcome: .failure(VendorError(field: field, message: "\(path): \(error.message)", code: error.code)))
        }
    }

    /// The list of calls created in `start..<min(start + a month, window.to)`.
    func callList(from start: Timestamp, window: PullWindow, credentials: PullCredentials) -> PullRequest {
        let end = min(start.adding(seconds: Self.spanSeconds), window.to)
        let created = "gte:" + Self.local(start.subtracting(seconds: Self.zoneMargin)) + ";lte:" + Self.local(end.adding(seconds: Self.zoneMargin))
        let query = Self.query([("DateCreated", created), ("SortBy", "DateCreated:asc"), ("PageSize", String(Self.pageSize))])
        return PullRequest(url: accountURL(credentials) + "Calls.json?" + query, headers: ["accept": "application/json"], endpoint: "calls")
    }

    /// The month after the one `request` lists, while the window goes on.
    func nextSpan(after request: PullRequest, window: PullWindow, credentials: PullCredentials) -> PullRequest? {
        guard let created = URLComponents(string: request.url)?.queryItems?.first(where: { $0.name == "DateCreated" })?.value,
              let upper = created.split(separator: ";").first(where: { $0.hasPrefix("lte:") }),
              let end = ExotelStatusCallback.localTime(String(upper.dropFirst(4)), zone: Self.filterZone)?.subtracting(seconds: Self.zoneMargin),
              end < window.to
        else { return nil }
        return callList(from: end, window: window, credentials: credentials)
    }

    /// `…/v1/Accounts/<sid>/` on the account's cluster.
    func accountURL(_ credentials: PullCredentials) -> String {
        var base = credentials.apiBaseURL
        if base == defaultBaseURL, let host = Self.clusterHost(credentials["subdomain"]) { base = "https://\(host)/" }
        return base + "v1/Accounts/" + PullRequest.queryEncoded(credentials["account_sid"] ?? "") + "/"
    }

    /// `api.in.exotel.com` from the subdomain as Exotel's dashboard writes it
    /// (`@api.in.exotel.com`, with or without `https://`); nil when it is not a host name.
    static func clusterHost(_ text: String?) -> String? {
        guard var host = text?.trimmingCharacters(in: .whitespaces).lowercased() else { return nil }
        for prefix in ["https://", "http://", "@"] where host.hasPrefix(prefix) { host.removeFirst(prefix.count) }
        while host.hasSuffix("/") { host.removeLast() }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        guard !host.isEmpty, host.count <= 253, host.allSatisfy(allowed.contains), host.contains("."), !host.hasPrefix("."), !host.hasPrefix("-") else {
            return nil
        }
        return host
    }

    /// The request for one call's details (`GET v1/Accounts/<sid>/Calls/<CallSid>.json?details=true`).
    public func callDetails(callSid: String, credentials: PullCredentials) -> PullRequest {
        PullRequest(url: accountURL(credentials) + "Calls/" + PullRequest.queryEncoded(callSid) + ".json?details=true",
                    headers: ["accept": "application/json"], endpoint: "call")
    }

    /// The single call resource's `{"Call": {…}}` read as one row.
    public static func readCall(_ response: PullResponse, receivedAt: Timestamp, integration: IntegrationProfile) throws(VendorError) -> PulledRow {
        guard let document = JSONValue.parse(bytes: response.body) else {
            throw VendorError(field: nil, message: "the call is not JSON", code: "malformed_json")
        }
        guard let call = document["Call"], case .object = call else {
            throw VendorError(field: "Call", message: "the answer must be an object with a Call object", code: "malformed_page")
        }
        return row(call, path: "Call", receivedAt: receivedAt, integration: integration)
    }

    /// `2026-01-31 18:30:00` in Exotel's filter zone.
    static func local(_ time: Timestamp) -> String {
        let shifted = time.adding(seconds: Int64(filterZone.secondsFromGMT(for: time.date)))
        return String(shifted.iso8601.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }

    static func query(_ items: [(String, String)]) -> String {
        items.map { PullRequest.queryEncoded($0.0) + "=" + PullRequest.queryEncoded($0.1) }.joined(separator: "&")
    }
}

import DCEJSON
import DCEDomain

/// Pulls Retreaver's call log: `GET {base}api/v2/calls.json` (Retreaver's core-api-docs,
/// "V2 - Enumerate through Calls in a specific date/time range"), each page a JSON array of
/// `{"call": {…}}` read by `RetreaverCall`, the webhook's mapping, and the next page named
/// by the `Link` header's `rel="next"`. The API key goes in the query (`api_key=`), added
/// only when a request is sent.
///
/// A window is read twice over: the calls created in it (`created_at_start`/`_end`, oldest
/// first), then the calls created before it and updated in it (`sort_by=updated_at`,
/// `updated_at_start`/`_end`), since Retreaver updates a call several times after it starts
/// (its end, its conversion). So a scheduled run sees the calls that changed since the last
/// one and a backfill every call of its range; a call listed by both is the same row, a
/// duplicate that changes nothing.
public struct RetreaverPull: PullClient {
    public init() {}

    /// After each sync the account's campaigns, affiliates and targets are imported too
    /// (`RetreaverDirectory`), unless `import_exchange=false`.
    public var keys: CredentialKeys { CredentialKeys(alternatives: [["api_key", "company_id"]], optional: [Self.importKey]) }

    public static let importKey = "import_exchange"

    /// Whether the credentials leave the import on: `true` (the default) or `false`.
    public static func importsExchange(_ credentials: PullCredentials) throws(VendorError) -> Bool {
        switch credentials[importKey]?.trimmingWhitespace().lowercased() {
        case nil, "", "true": return true
        case "false": return false
        case let other?: throw .invalid(importKey, "'\(other.prefix(32))' is not true or false")
        }
    }

    public var defaultBaseURL: String { "https://api.retreaver.com/" }

    /// Calls a page asks for (Retreaver's default is 25).
    static let perPage = 100

    static let endpoint = "calls"

    public func firstRequest(window: PullWindow, credentials: PullCredentials) -> PullRequest {
        request(credentials, [
            ("created_at_start", window.from.iso8601), ("created_at_end", window.to.iso8601),
            ("sort_by", "created_at"), ("order", "asc"),
        ])
    }

    /// The second part of a window: calls created before it that changed in it.
    func updatedRequest(window: PullWindow, credentials: PullCredentials) -> PullRequest {
        request(credentials, [
            ("updated_at_start", window.from.iso8601), ("updated_at_end", window.to.iso8601),
            ("created_at_end", window.from.iso8601), ("sort_by", "updated_at"), ("order", "desc"),
        ])
    }

    func request(_ credentials: PullCredentials, _ parameters: [(String, String)], path: String = "api/v2/calls.json",
                 endpoint: String = Self.endpoint) -> PullRequest {
        let query = [("company_id", credentials["company_id"] ?? "")] + parameters + [("per_page", String(Self.perPage))]
        return PullRequest(
            url: credentials.apiBaseURL + path + "?" + query.map { QueryText.escape($0) + "=" + QueryText.escape($1) }.joined(separator: "&"),
            headers: ["accept": "application/json"], endpoint: endpoint
        )
    }

    public func authorize(_ request: PullRequest, credentials: PullCredentials, token: AccessToken?) -> PullRequest {
        var sent = request
        let key = "api_key=" + QueryText.escape(credentials["api_key"] ?? "")
        sent.url += (sent.url.contains("?") ? "&" : "?") + key
        return sent
    }

    public func read(
        _ response: PullResponse, of request: PullRequest, window: PullWindow, credentials: PullCredentials,
        integration: IntegrationProfile
    ) throws(VendorError) -> PulledPage {
        if let list = RetreaverDirectory.List(endpoint: request.endpoint) {
            return try RetreaverDirectory.rows(response, of: request, list: list, base: credentials.apiBaseURL)
        }
        guard case .array(let items) = try JSONBody.parse(response.body) else {
            throw VendorError(field: nil, message: "Retreaver's calls.json must be a JSON array of calls", code: "malformed_json")
        }
        let tagsKey = integration.parameter(RetreaverWebhook.Field.tags.rawValue)
        let rows = items.enumerated().map { index, item in
            Self.row(item, path: "[\(index)]", tagsKey: tagsKey, integration: integration, fallbackTime: window.to)
        }
        var next: PullRequest?
        if !items.isEmpty, let link = response.headers["link"], let url = try Self.nextURL(link, base: credentials.apiBaseURL) {
            next = PullRequest(url: url, headers: request.headers, endpoint: Self.endpoint)
        }
        if next == nil, QueryText.value("sort_by", in: request.url) != "updated_at" {
            next = updatedRequest(window: window, credentials: credentials)
        }
        return PulledPage(rows: rows, next: next)
    }

    /// One `{"call": {…}}` as a pulled row, keyed by what it says.
    static func row(_ item: JSONValue, path: String, tagsKey: String, integration: IntegrationProfile, fallbackTime: Timestamp) -> PulledRow {
        let text = JSONBody.text(item)
        do throws(VendorError) {
            guard case .object(var object) = item else { throw VendorError(field: path, message: "\(path) must be a call object") }
            var place = path
            if case .object(let call)? = object["call"] {
                object = call
                place += ".call"
            }
            do throws(VendorError) {
                var read = try RetreaverCall.snapshotEvent(RetreaverCall.flatten(object, tagsKey: tagsKey), integration: integration, receivedAt: fallbackTime)
                read.event.idempotencyKey = PulledRowKey.make(
                    RetreaverAdapter.source, integration: integration.id, callID: read.event.externalCallID, row: text
                )
                return PulledRow(payload: text, outcome: .success([read]))
            } catch {
                throw CallSnapshot.locate(error, at: place)
            }
        } catch {
            return PulledRow(payload: text, outcome: .failure(error))
        }
    }

    /// The `rel="next"` target of a `Link` header, without the API key Retreaver writes into
    /// it; nil when there is none. A next page off the account's API root is refused, so the
    /// key is never sent elsewhere.
    static func nextURL(_ header: String, base: String) throws(VendorError) -> String? {
        guard let target = LinkHeader.target(header, rel: "next") else { return nil }
        guard target.hasPrefix(base), target.utf8.count <= 8192 else {
            throw VendorError(field: "link", message: "the next page is not under the API root \(base)")
        }
        return QueryText.removing("api_key", from: target)
    }
}

/// RFC 8288 `Link` headers: `<url>; rel="next", <url>; rel="last"`.
enum LinkHeader {
    static func target(_ header: String, rel wanted: String) -> String? {
        func trimmed(_ text: Substring) -> String {
            let edge: Set<Character> = [" ", "\t", ",", "\""]
            return String(text.drop { edge.contains($0) }.reversed().drop { edge.contains($0) }.reversed())
        }
        var rest = Substring(header)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { return nil }
            let url = rest[rest.index(after: open)..<close]
            let afterURL = rest[rest.index(after: close)...]
            let parameters = afterURL.prefix { $0 != "<" }
            rest = afterURL.dropFirst(parameters.count)
            for parameter in parameters.split(separator: ";") {
                let pair = parameter.split(separator: "=", maxSplits: 1).map(trimmed)
                guard pair.count == 2, pair[0].lowercased() == "rel" else { continue }
                if pair[1].lowercased().split(separator: " ").contains(Substring(wanted)) { return String(url) }
            }
        }
        return nil
    }
}

/// Query strings written and edited as text, so that what the vendor wrote stays as written.
enum QueryText {
    static func escape(_ text: String) -> String { FormEncoding.escape(text) }

    static func items(of url: String) -> (head: Substring, items: [Substring])? {
        guard let mark = url.firstIndex(of: "?") else { return nil }
        let query = url[url.index(after: mark)...].prefix { $0 != "#" }
        return (url[..<mark], query.split(separator: "&", omittingEmptySubsequences: true))
    }

    static func name(_ item: Substring) -> String {
        FlatFields.decode(item.prefix { $0 != "=" })
    }

    static func value(_ name: String, in url: String) -> String? {
        guard let item = items(of: url)?.items.first(where: { Self.name($0) == name }) else { return nil }
        return FlatFields.decode(item.drop { $0 != "=" }.dropFirst())
    }

    static func removing(_ name: String, from url: String) -> String {
        guard let (head, items) = items(of: url) else { return url }
        let kept = items.filter { Self.name($0) != name }
        return kept.isEmpty ? String(head) : head + "?" + kept.joined(separator: "&")
    }
}

import DCEJSON
import DCEDomain
import Foundation

/// Invoca's Transactions API (developer docs, "Transactions API", network user):
/// `GET api/<version>/networks/transactions/<network_id>.json` with `from`/`to` dates,
/// `limit` (at most 4000) and `start_after_transaction_id`, the `oauth_token` a query
/// parameter. The answer is a JSON array of transaction rows, oldest first; the next page
/// starts after the last row's `transaction_id`, until a page comes back short.
///
/// Rows are read by `InvocaTransaction`, the webhook's mapping, and keep its key: a
/// transaction id is unique in Invoca and never changes (a change comes as a correction, a
/// new transaction), so a transaction seen by webhook and by pull is one event, and a
/// correction finds the call it amends by the corrected transaction's key.
public struct InvocaPull: PullClient {
    /// The Transactions API version dce reads (the field table `InvocaTransaction` follows).
    public static let apiVersion = "2020-10-01"
    /// Invoca's largest page.
    public static let largestPage = 4000
    /// `from`/`to` are dates in the account's time zone, which dce does not know: the dates
    /// are widened by the widest zone offsets (UTC-12 to UTC+14), and overlap is harmless.
    static let zoneMarginBefore: Int64 = 12 * 3600
    static let zoneMarginAfter: Int64 = 14 * 3600

    /// Rows asked for per page: Invoca's largest unless a test wants smaller pages.
    public let pageSize: Int

    public init(pageSize: Int = InvocaPull.largestPage) {
        self.pageSize = min(max(pageSize, 1), Self.largestPage)
    }

    public var keys: CredentialKeys { CredentialKeys(alternatives: [["network_id", "oauth_token"]]) }
    /// The docs' endpoint host; an account on its own subdomain (`mynetwork.invoca.net`)
    /// sets `api_base_url`.
    public var defaultBaseURL: String { "https://invoca.net/" }
    /// Invoca asks to be polled no more often than every 5 minutes.
    public var defaultIntervalSeconds: Int { 300 }
    public var minimumIntervalSeconds: Int { 300 }

    public func firstRequest(window: PullWindow, credentials: PullCredentials) -> PullRequest {
        request(window: window, credentials: credentials, after: nil)
    }

    public func authorize(_ request: PullRequest, credentials: PullCredentials, token: AccessToken?) -> PullRequest {
        var authorized = request
        let separator = request.url.contains("?") ? "&" : "?"
        authorized.url += separator + "oauth_token=" + PullRequest.queryEncoded(credentials["oauth_token"] ?? "")
        return authorized
    }

    public func read(
        _ response: PullResponse, of request: PullRequest, window: PullWindow, credentials: PullCredentials, integration: IntegrationProfile
    ) throws(VendorError) -> PulledPage {
        guard let document = JSONValue.parse(bytes: response.body) else {
            throw VendorError(field: nil, message: "the transactions page is not JSON", code: "malformed_json")
        }
        guard case .array(let items) = document else {
            throw VendorError(field: nil, message: "the transactions page must be a JSON array of transactions", code: "malformed_page")
        }
        // A row without a time of its own is placed at the window's end, the same every pull.
        let delivery = VendorDelivery(method: request.method, query: [:], contentType: "application/json", body: [], receivedAt: window.to)
        let rows = items.enumerated().map { index, item in
            PulledRow(payload: item.text, outcome: Self.events(item, index: index, delivery: delivery, integration: integration))
        }
        guard items.count >= pageSize else { return PulledPage(rows: rows, next: nil) }
        guard let last = items.lazy.reversed().compactMap({ $0["transaction_id"].flatMap(FlatFields.scalarText) }).first, !last.isEmpty else {
            throw VendorError(field: "[\(items.count - 1)].transaction_id", message: "a full page names no transaction_id to continue after", code: "malformed_page")
        }
        // A vendor that answers the same page again would be asked for it forever.
        let current = URLComponents(string: request.url)?.queryItems?.first { $0.name == "start_after_transaction_id" }?.value
        guard current != last else {
            throw VendorError(field: "[\(items.count - 1)].transaction_id", message: "the page ends where it started (\(last))", code: "malformed_page")
        }
        return PulledPage(rows: rows, next: self.request(window: window, credentials: credentials, after: last))
    }

    func request(window: PullWindow, credentials: PullCredentials, after: String?) -> PullRequest {
        var query = [
            ("from", Self.date(window.from.subtracting(seconds: Self.zoneMarginBefore))),
            ("to", Self.date(window.to.adding(seconds: Self.zoneMarginAfter))),
            ("limit", String(pageSize)),
        ]
        if let after { query.append(("start_after_transaction_id", after)) }
        let network = PullRequest.queryEncoded(credentials["network_id"] ?? "")
        let url = credentials.apiBaseURL + "api/\(Self.apiVersion)/networks/transactions/\(network).json?"
            + query.map { "\($0.0)=\(PullRequest.queryEncoded($0.1))" }.joined(separator: "&")
        return PullRequest(url: url, headers: ["accept": "application/json"], endpoint: "transactions")
    }

    static func events(_ item: JSONValue, index: Int, delivery: VendorDelivery, integration: IntegrationProfile) -> Result<[VendorEvent], VendorError> {
        let path = "[\(index)]"
        guard case .object(let object) = item else {
            return .failure(VendorError(field: path, message: "\(path) must be a JSON object"))
        }
        do {
            let fields = FlatFields.json(object, tagsKey: "custom_data")
            return .success([try InvocaTransaction.event(fields, object: object, raw: item, delivery: delivery, integration: integration)])
        } catch {
            let field = [path, error.field].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ".")
            return .failure(VendorError(field: field, message: "\(path): \(error.message)", code: error.code))
        }
    }

    /// `2026-01-31`, the UTC date of a moment.
    static func date(_ time: Timestamp) -> String { String(time.iso8601.prefix(10)) }
}

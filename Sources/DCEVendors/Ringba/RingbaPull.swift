import DCEJSON
import DCEDomain

/// Pulls Ringba's call log: `POST {base}{accountId}/calllogs` over the window, 1000 rows a
/// page by `offset`/`size`, until a short page (Ringba's API reference, "Get Call Log", in
/// its published v2 collection). Rows read through `RingbaCallLog`, the webhook's mapping.
/// After each page, `POST {base}{accountId}/calllogs/detail` asks for its calls' events
/// ("Get Details About Specific Calls"), which become each call's stages
/// (`RingbaCallTimeline`); the page after it follows the detail.
///
/// Authorization is an API access token (`Authorization: Token …`), or the account's email
/// and password signed in at `{base}token` for a bearer token that is renewed with its
/// refresh token before it expires.
public struct RingbaPull: PullClient {
    /// Rows a page asks for: Ringba's maximum.
    public static let maximumPageSize = 1000

    public let pageSize: Int

    public init(pageSize: Int = RingbaPull.maximumPageSize) {
        self.pageSize = min(max(pageSize, 1), Self.maximumPageSize)
    }

    public var keys: CredentialKeys {
        CredentialKeys(alternatives: [["account_id", "api_token"], ["account_id", "email", "password"]], optional: ["campaign_id"])
    }

    public var defaultBaseURL: String { "https://api.ringba.com/v2/" }

    /// Ringba allows 5 reporting requests a second and 80 a minute: 4 every 3 seconds keeps
    /// under both whether the budget is spent as a burst or evenly.
    public var rateLimit: PullRateLimit? { PullRateLimit(count: 4, seconds: 3) }

    /// The columns `RingbaCallLog` reads, asked for by name so that Ringba's report carries
    /// them all and nothing else.
    static let valueColumns = [
        "inboundCallId", "callDt", "inboundPhoneNumber", "number", "targetNumber", "targetId", "callLengthInSeconds",
        "callConnectionDt", "callCompletedDt", "campaignId", "publisherId", "conversionAmount", "payoutAmount",
        "hasConverted", "recordingUrl", "isLive", "hasConnected",
    ] + RingbaCallLog.keptColumns

    public func firstRequest(window: PullWindow, credentials: PullCredentials) -> PullRequest {
        var body: [String: JSONValue] = [
            "reportStart": .string(window.from.iso8601),
            "reportEnd": .string(window.to.iso8601),
            // The seed's date-only range beside the report's exact one.
            "startDate": .string(String(window.from.iso8601.prefix(10))),
            "endDate": .string(String(window.to.iso8601.prefix(10))),
            "offset": .integer(0),
            "size": .integer(pageSize),
            // Oldest first, so that calls arriving while the pages are read land after them.
            "orderByColumns": .array([.object(["column": .string("callDt"), "direction": .string("asc")])]),
            "valueColumns": .array(Self.valueColumns.map { .object(["column": .string($0)]) }),
        ]
        if let campaign = credentials["campaign_id"], !campaign.isEmpty {
            body["filters"] = .array([.object(["anyConditionToMatch": .array([.object([
                "column": .string("campaignId"), "value": .string(campaign),
                "isNegativeMatch": .bool(false), "comparisonType": .string("EQUALS"),
            ])])])])
        }
        return callLogRequest(credentials: credentials, body: body)
    }

    func callLogRequest(credentials: PullCredentials, body: [String: JSONValue]) -> PullRequest {
        let account = Self.pathSegment(credentials["account_id"] ?? "")
        return PullRequest(
            method: "POST", url: credentials.apiBaseURL + account + "/calllogs",
            headers: ["content-type": "application/json", "accept": "application/json"],
            body: Array(JSONValue.object(body).text.utf8), endpoint: "calllogs"
        )
    }

    public func authorize(_ request: PullRequest, credentials: PullCredentials, token: AccessToken?) -> PullRequest {
        var sent = request
        if let apiToken = credentials["api_token"], !apiToken.isEmpty {
            sent.headers["authorization"] = "Token " + apiToken
        } else if let token {
            sent.headers["authorization"] = "Bearer " + token.value
        }
        return sent
    }

    public func read(
        _ response: PullResponse, of request: PullRequest, window: PullWindow, credentials: PullCredentials,
        integration: IntegrationProfile
    ) throws(VendorError) -> PulledPage {
        guard case .object(let document) = try JSONBody.parse(response.body) else {
            throw VendorError(field: nil, message: "Ringba's call log must be a JSON object", code: "malformed_json")
        }
        if case .bool(false)? = document["isSuccessful"] {
            let reason = document["message"].flatMap(FlatFields.scalarText).map { ": " + $0.prefix(200) } ?? ""
            throw VendorError(field: "isSuccessful", message: "Ringba answered that the report failed\(reason)")
        }
        let (items, path) = try Self.records(in: document)
        let detailed = request.endpoint == Self.detailEndpoint
        let rows = items.enumerated().map { index, item in
            Self.row(item, path: "\(path)[\(index)]", integration: integration, fallbackTime: window.to, detailed: detailed)
        }
        if detailed {
            return PulledPage(rows: rows, next: try followingPage(after: request, window: window, credentials: credentials))
        }
        let following = try nextRequest(after: request, count: items.count, credentials: credentials)
        // The calls of the rows read: a row that cannot be read has no detail that can.
        let ids = zip(items, rows).compactMap { item, row -> String? in
            guard case .success = row.outcome else { return nil }
            return item["inboundCallId"].flatMap(FlatFields.scalarText)
        }
        guard !ids.isEmpty else { return PulledPage(rows: rows, next: following) }
        return PulledPage(rows: rows, next: try detailRequest(for: ids, then: following, credentials: credentials))
    }

    /// The stored page's name of a detail request (one path segment).
    static let detailEndpoint = "calllogs-detail"

    /// Ringba's "Get Details About Specific Calls" for `ids`, in its published shape
    /// (`{"InboundCallIds": […]}`): a page's calls at once, at most `pageSize`, as Ringba sets
    /// no smaller bound. The call-log page that follows it is named in the URL's fragment
    /// (`#offset=…&size=…`, none after the last page), which stays with dce: HTTP never sends
    /// a fragment.
    func detailRequest(for ids: [String], then following: PullRequest?, credentials: PullCredentials) throws(VendorError) -> PullRequest {
        var unique: [String] = []
        var seen: Set<String> = []
        for id in ids where seen.insert(id).inserted { unique.append(id) }
        let account = Self.pathSegment(credentials["account_id"] ?? "")
        var url = credentials.apiBaseURL + account + "/calllogs/detail"
        if let following {
            let page = try Self.callLogBody(following).page
            url += "#" + String(decoding: FormEncoding.body([("offset", String(page.offset)), ("size", String(page.size))]), as: UTF8.self)
        }
        return PullRequest(
            method: "POST", url: url, headers: ["content-type": "application/json", "accept": "application/json"],
            body: Array(JSONValue.object(["InboundCallIds": .array(unique.map { .string($0) })]).text.utf8), endpoint: Self.detailEndpoint
        )
    }

    /// The call-log page a detail request's fragment names: the window's report from that
    /// offset, or nil when the detail followed the last page.
    func followingPage(after detail: PullRequest, window: PullWindow, credentials: PullCredentials) throws(VendorError) -> PullRequest? {
        guard let mark = detail.url.firstIndex(of: "#") else { return nil }
        let values = FlatFields.form(String(detail.url[detail.url.index(after: mark)...]))
        let offset: Int
        let size: Int
        do throws(VendorError) {
            offset = try Self.bounded(values, "offset", 0...Int.max)
            size = try Self.bounded(values, "size", 1...Self.maximumPageSize)
        } catch {
            throw VendorError(field: error.field, message: "the detail request's following page: \(error.message)", code: error.code)
        }
        var (body, _) = try Self.callLogBody(firstRequest(window: window, credentials: credentials))
        body["offset"] = .integer(Int64(offset))
        body["size"] = .integer(Int64(size))
        return callLogRequest(credentials: credentials, body: body)
    }

    /// A whole number in `range` from a fragment's values.
    static func bounded(_ values: FlatFields, _ name: String, _ range: ClosedRange<Int>) throws(VendorError) -> Int {
        guard let text = values.text(name), let number = Int(text), range.contains(number) else {
            throw VendorError(field: name, message: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// The rows of a page: Ringba's `report.records`, or the `callLog.data` of the seed and of
    /// Ringba's samples.
    static func records(in document: [String: JSONValue]) throws(VendorError) -> (items: [JSONValue], path: String) {
        if case .object(let report)? = document["report"], case .array(let items)? = report["records"] { return (items, "report.records") }
        if case .object(let log)? = document["callLog"], case .array(let items)? = log["data"] { return (items, "callLog.data") }
        if case .object(let result)? = document["result"], case .object(let log)? = result["callLog"],
           case .array(let items)? = log["data"] { return (items, "result.callLog.data") }
        throw VendorError(field: "report.records", message: "Ringba's call log must hold report.records (or callLog.data)", code: "missing_field")
    }

    /// One row as a pulled row: its event keyed by what the row says, with its stages when it
    /// is `detailed`, or why it cannot be read.
    static func row(_ item: JSONValue, path: String, integration: IntegrationProfile, fallbackTime: Timestamp, detailed: Bool = false) -> PulledRow {
        let text = JSONBody.text(item)
        guard case .object(let object) = item else {
            return PulledRow(payload: text, outcome: .failure(VendorError(field: path, message: "\(path) must be a call-log row (an object)")))
        }
        do throws(VendorError) {
            let row = RingbaCallLog.read(object)
            var read = try RingbaCallLog.event(row, stored: text, integration: integration, receivedAt: fallbackTime)
            read.event.idempotencyKey = PulledRowKey.make(
                RingbaAdapter.source, integration: integration.id, callID: read.event.externalCallID, row: text
            )
            let stages = detailed ? try RingbaCallTimeline.events(row.timeline, call: read.event, integration: integration) : []
            return PulledRow(payload: text, outcome: .success([read] + stages))
        } catch {
            return PulledRow(payload: text, outcome: .failure(CallSnapshot.locate(error, at: path)))
        }
    }

    /// The same report from `offset + size` while a page comes back full.
    func nextRequest(after request: PullRequest, count: Int, credentials: PullCredentials) throws(VendorError) -> PullRequest? {
        var (body, page) = try Self.callLogBody(request)
        guard count >= page.size, page.size > 0 else { return nil }
        let (nextOffset, overflow) = page.offset.addingReportingOverflow(page.size)
        guard !overflow else { throw VendorError(field: "offset", message: "the call log's offset is past what can be paged") }
        body["offset"] = .integer(Int64(nextOffset))
        var next = callLogRequest(credentials: credentials, body: body)
        next.url = request.url
        return next
    }

    /// A call-log request's body, and where it starts and how many rows it asks for.
    static func callLogBody(_ request: PullRequest) throws(VendorError) -> (body: [String: JSONValue], page: (offset: Int, size: Int)) {
        guard let sent = request.body, case .object(let body)? = JSONValue.parse(bytes: sent) else {
            throw VendorError(field: nil, message: "the call-log request has no JSON body to page from")
        }
        let size = body["size"]?.exactInteger.map { Int(clamping: $0) } ?? Self.maximumPageSize
        let offset = body["offset"]?.exactInteger.map { Int(clamping: $0) } ?? 0
        return (body, (offset, size))
    }

    /// An account id as one path segment, so that no value can reach another path.
    static func pathSegment(_ text: String) -> String {
        FormEncoding.escape(text)
    }
}

/// `application/x-www-form-urlencoded` and path escaping (RFC 3986 unreserved characters kept).
enum FormEncoding {
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (byte < 16 ? "0" + hex : hex)
            }
        }
        return out
    }

    static func body(_ pairs: [(String, String)]) -> [UInt8] {
        Array(pairs.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&").utf8)
    }
}

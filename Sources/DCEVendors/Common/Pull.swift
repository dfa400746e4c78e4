import DCEDomain
import Foundation

/// Pulling a vendor's own record of calls from its API. A vendor's `PullClient` is pure:
/// it says which request comes first, how a request is authorized, and what a response
/// page holds (rows read into events, and the next request). The sync engine sends the
/// requests, retries, keeps every page verbatim and appends the rows' events.

/// One request to a vendor's API. `url` and `body` never carry a credential: `authorize`
/// adds those just before sending, so what is stored and logged holds no secret.
public struct PullRequest: Sendable, Hashable, Codable {
    public var method: String
    /// An absolute URL.
    public var url: String
    public var headers: [String: String]
    public var body: [UInt8]?
    /// What the request fetches (`calllogs`, `calls`, `transactions`…): the stored page's
    /// path and the metrics label.
    public var endpoint: String

    public init(method: String = "GET", url: String, headers: [String: String] = [:], body: [UInt8]? = nil, endpoint: String) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.endpoint = endpoint
    }
}

extension PullRequest {
    /// A query value or path segment with everything but RFC 3986's unreserved characters
    /// escaped, as every vendor's client writes its URLs.
    public static func queryEncoded(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

/// A vendor's answer to one request.
public struct PullResponse: Sendable, Hashable {
    public var status: Int
    /// Header names in lowercase.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }
}

/// Sends requests to a vendor (AsyncHTTPClient in dce, a local fake's client in tests).
public protocol PullTransport: Sendable {
    func send(_ request: PullRequest, timeout: Duration) async throws -> PullResponse
}

/// An integration's API access: the keys the account gave, and where the API is.
public struct PullCredentials: Sendable, Hashable {
    public var values: [String: String]
    /// The vendor's API root, ending in `/`: the account's `api_base_url` or the client's
    /// `defaultBaseURL`.
    public var apiBaseURL: String

    public init(values: [String: String], apiBaseURL: String) {
        self.values = values
        self.apiBaseURL = apiBaseURL.hasSuffix("/") ? apiBaseURL : apiBaseURL + "/"
    }

    public subscript(key: String) -> String? { values[key] }
}

/// The credential keys a vendor takes: any one of `alternatives` complete, plus
/// `optional` ones.
public struct CredentialKeys: Sendable, Hashable {
    public var alternatives: [[String]]
    public var optional: [String]

    public init(alternatives: [[String]], optional: [String] = []) {
        self.alternatives = alternatives
        self.optional = optional
    }

    public var known: Set<String> { Set(alternatives.joined()).union(optional) }

    /// What is wrong with `values`: unknown keys, else the missing keys of the alternative
    /// closest to complete. Empty when they are acceptable.
    public func problems(_ values: [String: String]) -> (unknown: [String], missing: [String]) {
        let unknown = values.keys.filter { !known.contains($0) }.sorted()
        let given = Set(values.filter { !$0.value.isEmpty }.keys)
        if alternatives.contains(where: { Set($0).isSubset(of: given) }) { return (unknown, []) }
        let closest = alternatives.min { $0.filter { !given.contains($0) }.count < $1.filter { !given.contains($0) }.count }
        return (unknown, (closest ?? []).filter { !given.contains($0) })
    }
}

/// A token a vendor issued for its API (Ringba's password grant, RingCentral's OAuth).
public struct AccessToken: Sendable, Hashable, Codable {
    public var value: String
    public var refreshToken: String?
    public var expiresAt: Timestamp?

    public init(value: String, refreshToken: String? = nil, expiresAt: Timestamp? = nil) {
        self.value = value
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
    }

    /// Renewed this long before it expires.
    public static let renewalMargin: Int64 = 60_000

    public func isExpiring(at now: Timestamp) -> Bool {
        guard let expiresAt else { return false }
        return now.millisecondsSince1970 >= expiresAt.millisecondsSince1970 - Self.renewalMargin
    }
}

/// The time range a sync pulls: calls that started (or changed) in `from..<to`.
public struct PullWindow: Sendable, Hashable, Codable {
    public var from: Timestamp
    public var to: Timestamp

    public init(from: Timestamp, to: Timestamp) {
        self.from = from
        self.to = to
    }
}

/// One response page read: its rows, and the request for the page after it (nil on the
/// last page).
public struct PulledPage: Sendable {
    public var rows: [PulledRow]
    public var next: PullRequest?

    public init(rows: [PulledRow], next: PullRequest?) {
        self.rows = rows
        self.next = next
    }
}

/// One row of a page: the row's JSON as the vendor sent it, and its events or why it
/// cannot be read (a dead letter; the sync goes on).
public struct PulledRow: Sendable {
    public var payload: String
    public var outcome: Result<[VendorEvent], VendorError>

    public init(payload: String, outcome: Result<[VendorEvent], VendorError>) {
        self.payload = payload
        self.outcome = outcome
    }
}

/// A vendor's published request budget: at most `count` requests per `seconds`.
public struct PullRateLimit: Sendable, Hashable {
    public var count: Int
    public var seconds: Int

    public init(count: Int, seconds: Int) {
        self.count = count
        self.seconds = seconds
    }
}

/// Why a vendor refused to sign in (bad keys): not retried until the keys change.
public struct PullSignInError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String

    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "sign-in refused (\(status)): \(message)" }
}

/// How dce pulls one vendor's call records.
public protocol PullClient: Sendable {
    var keys: CredentialKeys { get }
    /// The vendor's production API root, ending in `/`.
    var defaultBaseURL: String { get }
    /// Seconds between scheduled syncs when the account sets none.
    var defaultIntervalSeconds: Int { get }
    /// The shortest interval the vendor allows between syncs.
    var minimumIntervalSeconds: Int { get }
    /// The vendor's published request budget, if any.
    var rateLimit: PullRateLimit? { get }

    /// Obtains a token when the vendor issues them (renewing `current` when it can); nil
    /// when the keys themselves authorize each request. Throws `PullSignInError` when
    /// the vendor refuses the keys.
    func signIn(_ credentials: PullCredentials, current: AccessToken?, now: Timestamp, transport: any PullTransport) async throws -> AccessToken?

    /// The first request of a window.
    func firstRequest(window: PullWindow, credentials: PullCredentials) -> PullRequest

    /// `request` as sent: with the credential or token added (header or query).
    func authorize(_ request: PullRequest, credentials: PullCredentials, token: AccessToken?) -> PullRequest

    /// A 2xx page read into rows and the next request. Throws when the page as a whole is
    /// not what the vendor documents (kept as a dead letter; the sync stops with the
    /// reason).
    func read(_ response: PullResponse, of request: PullRequest, window: PullWindow, credentials: PullCredentials,
              integration: IntegrationProfile) throws(VendorError) -> PulledPage
}

extension PullClient {
    public var defaultIntervalSeconds: Int { 600 }
    public var minimumIntervalSeconds: Int { 60 }
    public var rateLimit: PullRateLimit? { nil }
    public func signIn(_ credentials: PullCredentials, current: AccessToken?, now: Timestamp, transport: any PullTransport) async throws -> AccessToken? { nil }
}

/// The idempotency key of a pulled row: the same row pulled again (an overlapping window,
/// a page served twice) is the same event; a row the vendor changed since is a new one.
public enum PulledRowKey {
    public static func make(_ source: Source, integration: String, callID: String, row: String) -> String {
        IdempotencyKey.make(source, integration: integration, callID: callID, stage: "pull-" + StableHash.hex(row))
    }
}

/// A short, stable digest of a text (FNV-1a, 64 bits): not a secret, only a fingerprint.
public enum StableHash {
    public static func hex(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

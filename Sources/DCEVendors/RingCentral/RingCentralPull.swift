import DCEJSON
import DCEDomain
import Foundation

/// How dce pulls RingCentral's call log: OAuth with the JWT bearer grant (renewed with the
/// refresh token), then the account's call log (`view=Detailed`) over the window, page by
/// page following `navigation.nextPage`. Keys: `client_id`, `client_secret` (the app's)
/// and `jwt` (the user's JWT credential, an admin's for the account-wide call log).
public struct RingCentralPull: PullClient {
    public init() {}

    public var keys: CredentialKeys { CredentialKeys(alternatives: [["client_id", "client_secret", "jwt"]]) }
    public var defaultBaseURL: String { "https://platform.ringcentral.com/" }
    /// The call log is in RingCentral's "Heavy" usage plan group: 10 requests a minute.
    public var rateLimit: PullRateLimit? { PullRateLimit(count: 10, seconds: 60) }

    /// The call log's largest page.
    public static let perPage = 1000
    public static let callLogEndpoint = "call-log"
    static let callLogPath = "restapi/v1.0/account/~/call-log"

    public func signIn(_ credentials: PullCredentials, current: AccessToken?, now: Timestamp, transport: any PullTransport) async throws -> AccessToken? {
        if let refresh = current?.refreshToken {
            let response = try await transport.send(RingCentralOAuth.refreshRequest(credentials, refreshToken: refresh), timeout: .seconds(30))
            // A refresh token that expired or was revoked: sign in afresh with the JWT.
            if let token = try RingCentralOAuth.token(from: response, now: now, refusalIsFinal: false) { return token }
        }
        let response = try await transport.send(RingCentralOAuth.jwtRequest(credentials), timeout: .seconds(30))
        return try RingCentralOAuth.token(from: response, now: now, refusalIsFinal: true)
    }

    public func firstRequest(window: PullWindow, credentials: PullCredentials) -> PullRequest {
        let query = [
            ("view", "Detailed"), ("type", "Voice"),
            ("dateFrom", window.from.iso8601), ("dateTo", window.to.iso8601),
            ("perPage", String(Self.perPage)), ("page", "1"),
        ]
        return PullRequest(url: credentials.apiBaseURL + Self.callLogPath + "?" + RingCentralURL.query(query), endpoint: Self.callLogEndpoint)
    }

    public func authorize(_ request: PullRequest, credentials: PullCredentials, token: AccessToken?) -> PullRequest {
        RingCentralOAuth.bearer(request, token: token)
    }

    public func read(_ response: PullResponse, of request: PullRequest, window: PullWindow, credentials: PullCredentials,
                     integration: IntegrationProfile) throws(VendorError) -> PulledPage {
        let page = try JSONMembers(body: response.body)
        guard let records = try page.objects("records") else { throw .missing("records") }
        let rows = records.map { record in
            PulledRow(payload: JSONBody.text(record.value), outcome: Result { () throws(VendorError) -> [VendorEvent] in
                let parsed = try RingCentralCallLogRecord(record.members, raw: record.value)
                return [try RingCentralMapping.callLogEvent(parsed, path: record.members.path, integration: integration)]
            })
        }
        return PulledPage(rows: rows, next: try RingCentralAccountAPI.next(page, after: request, credentials: credentials, endpoint: Self.callLogEndpoint))
    }
}

/// RingCentral's OAuth 2.0 token endpoint (`POST /restapi/oauth/token`, "JWT
/// authorization flow" and "Refreshing access tokens" in RingCentral's developer guide).
public enum RingCentralOAuth {
    static let tokenPath = "restapi/oauth/token"
    static let jwtGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    /// An access token lives an hour; anything over a day is not RingCentral's.
    static let expiresRange = 1...86_400

    /// The JWT bearer grant, the app authenticated with Basic client_id:client_secret.
    public static func jwtRequest(_ credentials: PullCredentials) -> PullRequest {
        tokenRequest(credentials, form: [("grant_type", jwtGrant), ("assertion", credentials["jwt"] ?? "")])
    }

    public static func refreshRequest(_ credentials: PullCredentials, refreshToken: String) -> PullRequest {
        tokenRequest(credentials, form: [("grant_type", "refresh_token"), ("refresh_token", refreshToken)])
    }

    static func tokenRequest(_ credentials: PullCredentials, form: [(String, String)]) -> PullRequest {
        let basic = Data("\(credentials["client_id"] ?? ""):\(credentials["client_secret"] ?? "")".utf8).base64EncodedString()
        return PullRequest(
            method: "POST", url: credentials.apiBaseURL + tokenPath,
            headers: ["Authorization": "Basic \(basic)", "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
            body: Array(RingCentralURL.query(form).utf8), endpoint: "oauth-token"
        )
    }

    /// `request` with the access token as a bearer token.
    public static func bearer(_ request: PullRequest, token: AccessToken?) -> PullRequest {
        guard let token else { return request }
        var authorized = request
        authorized.headers["Authorization"] = "Bearer \(token.value)"
        return authorized
    }

    /// The token a 200 carries. A refusal of the keys (400 or 401, RingCentral's
    /// `invalid_grant`/`invalid_client`) is `PullSignInError` when `refusalIsFinal`, else nil
    /// (a refresh token that no longer works); any other status is `TokenUnavailable`.
    public static func token(from response: PullResponse, now: Timestamp, refusalIsFinal: Bool) throws -> AccessToken? {
        switch response.status {
        case 200..<300:
            break
        case 400, 401:
            guard refusalIsFinal else { return nil }
            throw PullSignInError(status: response.status, message: refusal(response.body))
        default:
            throw TokenUnavailable(status: response.status, retryAfter: response.headers["retry-after"])
        }
        let json = try JSONMembers(body: response.body)
        guard let value = try json.string("access_token"), !value.isEmpty else { throw VendorError.missing("access_token") }
        guard let expires = try json.integer("expires_in") else { throw VendorError.missing("expires_in") }
        guard expiresRange.contains(expires) else {
            throw VendorError.invalid("expires_in", "\(expires) is not a number of seconds from 1 to \(expiresRange.upperBound)")
        }
        return AccessToken(value: value, refreshToken: try json.string("refresh_token"), expiresAt: now.adding(seconds: Int64(expires)))
    }

    /// RingCentral's reason for refusing, without echoing anything secret.
    static func refusal(_ body: [UInt8]) -> String {
        guard let json = try? JSONMembers(body: body) else { return "the token endpoint refused the keys" }
        let parts = [(try? json.string("error")) ?? nil, (try? json.string("error_description")) ?? nil].compactMap { $0 }
        return parts.isEmpty ? "the token endpoint refused the keys" : String(parts.joined(separator: ": ").prefix(300))
    }

    /// The token endpoint is down or throttling (5xx, 429): try again later.
    public struct TokenUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
        public var status: Int
        public var retryAfter: String?

        public init(status: Int, retryAfter: String?) {
            self.status = status
            self.retryAfter = retryAfter
        }

        public var description: String { "RingCentral's token endpoint answered \(status)" }
    }
}

/// RingCentral addresses: query strings, and `navigation` URIs rebased onto the
/// integration's API root (the bearer token only ever goes to that root).
enum RingCentralURL {
    static let queryValue: CharacterSet = {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:")
        return allowed
    }()

    static func query(_ pairs: [(String, String)]) -> String {
        pairs.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: queryValue) ?? value)"
        }.joined(separator: "&")
    }

    /// An id as one segment of a path.
    static func segment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: queryValue.subtracting(CharacterSet(charactersIn: ":"))) ?? id
    }

    /// The scheme and host (with port) of an absolute URL, lowercased.
    static func origin(_ text: String) -> (scheme: String, host: String)? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased(), !host.isEmpty else { return nil }
        return (scheme, components.port.map { "\(host):\($0)" } ?? host)
    }

    /// `uri`'s path from `restapi/` on, with its query, under `base`; nil when it is not a
    /// RingCentral API address.
    static func rebase(_ uri: String, onto base: String) -> String? {
        guard let components = URLComponents(string: uri) else { return nil }
        let path = components.percentEncodedPath
        guard let start = path.range(of: "/restapi/") ?? (path.hasPrefix("restapi/") ? path.range(of: "restapi/") : nil) else { return nil }
        let tail = path[start.lowerBound...].drop { $0 == "/" }
        let query = components.percentEncodedQuery.map { "?" + $0 } ?? ""
        return base + tail + query
    }
}

import DCEJSON
import DCEDomain

/// Signing in to Ringba with the account's email and password (no API access token given).
///
/// Ringba's token endpoint is an OAuth password grant: `POST {base}token` with the form
/// `grant_type=password&username=…&password=…`, answering `access_token`, `token_type`,
/// `expires_in`, `refresh_token`, `userName`, `.issued` and `.expires` (Ringba's v2
/// collection, "Get User Authentication Bearer Token", and Ringba/ringba-api-samples'
/// RingbaApiRequester, which renews with `grant_type=refresh_token`). Seed 000 posts JSON
/// `{email, password, accountId}` to the same path; an endpoint that refuses the form for
/// its shape (not for the password) is asked that way.
extension RingbaPull {
    static let signInTimeout: Duration = .seconds(30)

    public func signIn(_ credentials: PullCredentials, current: AccessToken?, now: Timestamp, transport: any PullTransport) async throws -> AccessToken? {
        if let apiToken = credentials["api_token"], !apiToken.isEmpty { return nil }
        guard let email = credentials["email"], !email.isEmpty, let password = credentials["password"], !password.isEmpty else {
            throw PullSignInError(status: 0, message: "Ringba needs api_token, or email and password")
        }
        if let refresh = current?.refreshToken, !refresh.isEmpty {
            let grant = tokenRequest(credentials, form: [("grant_type", "refresh_token"), ("refresh_token", refresh), ("user_name", email)])
            let response = try await transport.send(grant, timeout: Self.signInTimeout)
            if (200..<300).contains(response.status), let token = try? Self.token(response, now: now) { return token }
            try Self.requireReachable(response)
            // A refresh token Ringba no longer honours: sign in again with the password.
        }
        let grant = tokenRequest(credentials, form: [("grant_type", "password"), ("username", email), ("password", password)])
        let response = try await transport.send(grant, timeout: Self.signInTimeout)
        if (200..<300).contains(response.status) { return try Self.token(response, now: now) }
        try Self.requireReachable(response)
        guard Self.refusesShape(response) else { throw Self.refusal(response) }
        var seed = tokenRequest(credentials, form: [])
        seed.headers["content-type"] = "application/json"
        seed.body = Array(JSONValue.object([
            "email": .string(email), "password": .string(password), "accountId": .string(credentials["account_id"] ?? ""),
        ]).text.utf8)
        let answer = try await transport.send(seed, timeout: Self.signInTimeout)
        if (200..<300).contains(answer.status) { return try Self.token(answer, now: now) }
        try Self.requireReachable(answer)
        throw Self.refusal(answer)
    }

    func tokenRequest(_ credentials: PullCredentials, form: [(String, String)]) -> PullRequest {
        PullRequest(
            method: "POST", url: credentials.apiBaseURL + "token",
            headers: ["content-type": "application/x-www-form-urlencoded", "accept": "application/json"],
            body: FormEncoding.body(form), endpoint: "token"
        )
    }

    /// A server error or throttling is Ringba being unavailable, retried like any request,
    /// not a refusal of the keys.
    static func requireReachable(_ response: PullResponse) throws(VendorError) {
        guard response.status >= 500 || response.status == 429 else { return }
        throw VendorError(field: nil, message: "Ringba's token endpoint answered \(response.status)", code: "sign_in_unavailable")
    }

    /// Whether a 4xx refused the request's form rather than the password: OAuth's
    /// `invalid_grant` and 401/403 are about the keys.
    static func refusesShape(_ response: PullResponse) -> Bool {
        guard [400, 404, 405, 415].contains(response.status) else { return false }
        let error = JSONValue.parse(bytes: response.body)?["error"]?.string
        return error != "invalid_grant" && error != "invalid_client"
    }

    static func refusal(_ response: PullResponse) -> PullSignInError {
        let body = JSONValue.parse(bytes: response.body)
        let reason = body?["error_description"]?.string ?? body?["error"]?.string ?? body?["message"]?.string ?? "the sign-in was refused"
        return PullSignInError(status: response.status, message: String(reason.prefix(200)))
    }

    /// A token answer: `access_token`, its life from `expires_in` (seconds) or `.expires`
    /// (an HTTP date), and the `refresh_token`.
    static func token(_ response: PullResponse, now: Timestamp) throws(VendorError) -> AccessToken {
        let body = try JSONBody.object(response.body)
        guard let value = body["access_token"]?.string, !value.isEmpty, value.utf8.count <= 8192 else {
            throw VendorError(field: "access_token", message: "Ringba's token answer has no access_token", code: "missing_field")
        }
        var expiresAt: Timestamp?
        if let seconds = body["expires_in"]?.exactInteger ?? body["expires_in"]?.string.flatMap({ Int64($0) }) {
            guard (1...31_536_000).contains(seconds) else {
                throw VendorError(field: "expires_in", message: "expires_in must be 1 to 31536000 seconds")
            }
            expiresAt = now.adding(seconds: seconds)
        } else if let expires = body[".expires"]?.string {
            guard let parsed = HTTPDate.parse(expires) else {
                throw VendorError(field: ".expires", message: "'.expires' is not an HTTP date")
            }
            expiresAt = parsed
        }
        let refresh = body["refresh_token"]?.string.flatMap { $0.isEmpty || $0.utf8.count > 8192 ? nil : $0 }
        return AccessToken(value: value, refreshToken: refresh, expiresAt: expiresAt)
    }
}

/// An IMF-fixdate (`Mon, 01 Feb 2021 19:25:55 GMT`), as Ringba writes `.expires`.
enum HTTPDate {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func parse(_ text: String) -> Timestamp? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let month = months.firstIndex(of: String(parts[2])),
              parts[1].count == 2, parts[3].count == 4, parts[4].count == 8 else { return nil }
        let monthText = month < 9 ? "0\(month + 1)" : "\(month + 1)"
        return Timestamp(parsing: "\(parts[3])-\(monthText)-\(parts[1])T\(parts[4])Z")
    }
}

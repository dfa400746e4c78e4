import DCEDomain
import DCEStorage
import Foundation
import Hummingbird
import Mustache

/// `/dashboard`: a server-rendered overview of one account's calls. A browser signs in
/// with an API key and gets a session: its cookie holds a random id, never the key.
struct DashboardController {
    let services: AppServices
    let templates: MustacheLibrary
    static let cookieName = "dce_dashboard_session"
    var sessions: DashboardSessions { DashboardSessions(database: services.database) }
    static let pageSize = 50

    func register(on router: Router<AppRequestContext>) {
        router.get("dashboard", use: show)
        router.get("dashboard/login", use: loginPage)
        router.post("dashboard/login", use: login)
        router.post("dashboard/logout", use: logout)
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        guard let sessionID = request.cookies[Self.cookieName]?.value,
              let accountID = try await sessions.account(sessionID: sessionID),
              let account = try await services.accounts.account(id: accountID)
        else { return html(templates.render(["title": "Sign in"], withTemplate: "login")) }

        let parameters = request.uri.queryParameters
        var query = CallQuery(limit: Self.pageSize)
        var filterError: String?
        do {
            query = try DashboardFilters.query(from: parameters, pageSize: Self.pageSize)
        } catch let error as APIError {
            filterError = error.message
        }
        var rangeQuery = query
        rangeQuery.cursor = nil
        if rangeQuery.from == nil { rangeQuery.from = Timestamp.now().adding(seconds: -30 * 86_400) }

        let totals = try await services.ledger.totals(rangeQuery, accountID: accountID)
        let daily = try await services.ledger.daily(rangeQuery, accountID: accountID)
        let page = try await services.ledger.calls(query, accountID: accountID)
        let menus = try await services.ledger.distinctCampaignsAndPublishers(accountID: accountID)

        // Calls carry dce ids for the exchange's campaigns and publishers; show their names.
        let shownIDs = Set(menus.campaigns + menus.publishers + page.calls.flatMap { [$0.fields.campaignID, $0.fields.publisherID].compactMap { $0 } })
        let names = try await services.exchange.names(ids: shownIDs, accountID: accountID)
        let view = DashboardView(
            account: account, query: query, rangeQuery: rangeQuery, totals: totals, daily: daily,
            page: page, campaigns: menus.campaigns, publishers: menus.publishers, parameters: parameters,
            filterError: filterError, names: names
        )
        return html(templates.render(view.context, withTemplate: "dashboard"))
    }

    @Sendable func loginPage(request: Request, context: AppRequestContext) async throws -> Response {
        if services.allowsLoginLinks, let key = request.uri.queryParameters.string("key") {
            return try await signIn(key: key, request: request)
        }
        return html(templates.render(["title": "Sign in"], withTemplate: "login"))
    }

    @Sendable func login(request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await CollectedBody.collect(request, limit: 8 * 1024)
        let form = FormFields(String(decoding: body.bytes, as: UTF8.self))
        return try await signIn(key: form["key"] ?? "", request: request)
    }

    /// Deletes the session on the server, so a copy of the cookie stops working too.
    @Sendable func logout(request: Request, context: AppRequestContext) async throws -> Response {
        if let sessionID = request.cookies[Self.cookieName]?.value { try await sessions.close(sessionID: sessionID) }
        var headers: HTTPFields = [.location: "/dashboard"]
        headers[.setCookie] = Self.cookie(value: "", maxAge: 0, request: request)
        return Response(status: .seeOther, headers: headers)
    }

    private func signIn(key: String, request: Request) async throws -> Response {
        guard let session = try await sessions.open(key: key) else {
            var response = html(templates.render(["title": "Sign in", "error": "That API key is not valid or has been revoked."], withTemplate: "login"))
            response.status = .unauthorized
            return response
        }
        var headers: HTTPFields = [.location: "/dashboard"]
        headers[.setCookie] = Self.cookie(value: session.id, maxAge: sessions.lifetimeSeconds, request: request)
        return Response(status: .seeOther, headers: headers)
    }

    /// Lax, not Strict: a link to the dashboard from elsewhere opens it signed in, while a
    /// cross-site POST (logout, sign-in) still carries no cookie.
    static func cookie(value: String, maxAge: Int64, request: Request) -> String {
        var cookie = "\(cookieName)=\(value); Path=/dashboard; Max-Age=\(maxAge); HttpOnly; SameSite=Lax"
        if cameOverHTTPS(request) { cookie += "; Secure" }
        return cookie
    }

    /// HTTPS to dce itself, or to the proxy in front of it (`X-Forwarded-Proto: https`;
    /// the first value is the client's hop).
    static func cameOverHTTPS(_ request: Request) -> Bool {
        if request.head.scheme?.lowercased() == "https" { return true }
        guard let forwarded = request.headers[.xForwardedProto] else { return false }
        let first = forwarded.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return first == "https"
    }

    private func html(_ text: String?) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text ?? ""))
        )
    }

    static func loadTemplates() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for name in ["head", "login", "dashboard", "nav", "header", "lines", "problem", "exchange_list", "exchange_entity", "call", "message", "integrations"] {
            guard let url = Bundle.module.url(forResource: name, withExtension: "mustache", subdirectory: "Resources/templates")
                    ?? Bundle.module.url(forResource: name, withExtension: "mustache")
            else { throw TemplateMissing(name: name) }
            try library.register(String(contentsOf: url, encoding: .utf8), named: name)
        }
        return library
    }

    struct TemplateMissing: Error, CustomStringConvertible {
        let name: String
        var description: String { "the dashboard template '\(name).mustache' is missing from the resources" }
    }
}

/// `application/x-www-form-urlencoded` fields.
struct FormFields {
    private var values: [String: String] = [:]

    init(_ text: String) {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            if values[name] == nil { values[name] = value }
        }
    }

    subscript(_ name: String) -> String? { values[name] }
    var all: [String: String] { values }

    static func decode(_ part: Substring) -> String {
        String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
    }
}

enum DashboardFilters {
    /// The dashboard's filters are the API's, with empty form fields meaning "any" and
    /// `to` a whole day (the form sends dates).
    static func query(from parameters: Parameters, pageSize: Int) throws -> CallQuery {
        var query = CallQuery(limit: pageSize)
        func value(_ name: String) -> String? {
            guard let v = parameters.string(name)?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        if let from = value("from") {
            guard let t = Timestamp(parsing: from) else { throw APIError.badRequest("'\(from)' is not a date", field: "from") }
            query.from = t
        }
        if let to = value("to") {
            guard let t = Timestamp(parsing: to) else { throw APIError.badRequest("'\(to)' is not a date", field: "to") }
            query.to = to.count == 10 ? t.adding(seconds: 86_400) : t
        }
        if let status = value("status") {
            guard let s = CallStatus(parsing: status) else { throw APIError.badRequest("'\(status)' is not a status", field: "status") }
            query.status = s
        }
        query.campaignID = value("campaign_id")
        query.publisherID = value("publisher_id")
        if let caller = value("caller") {
            do { query.callerPhone = try PhoneNumber(parsing: caller) } catch {
                throw APIError.badRequest("Caller: \(error.description)", field: "caller")
            }
        }
        if let token = value("cursor") {
            guard let cursor = CallCursor(token: token) else { throw APIError.badRequest("the page link is not one the dashboard made", field: "cursor") }
            query.cursor = cursor
        }
        return query
    }
}

import Crypto
import DCEDomain
import DCEStorage
import Foundation
import Hummingbird
import Mustache

/// The exchange in the dashboard: `/dashboard/campaigns`, `/publishers`, `/buyers` and
/// `/targets` list, show, create, edit and delete an account's entities under the
/// dashboard's session, and `/dashboard/calls/{id}` shows a call with its routing decision.
/// Edits go through the same checks as the API (`validate()`, then the directory's).
struct DashboardExchangeController {
    let services: AppServices
    let templates: MustacheLibrary
    var directory: ExchangeDirectory { services.exchange }
    var sessions: DashboardSessions { DashboardSessions(database: services.database) }

    /// A campaign with thousands of numbers is a large spec, but still text someone edits.
    static let maximumFormBytes = 4 * 1024 * 1024
    /// Ids are made a few dozen characters long; a longer one is no id of ours.
    static let maximumIDLength = 64

    func register(on router: Router<AppRequestContext>) {
        register(CampaignSpec.self, on: router)
        register(PublisherSpec.self, on: router)
        register(BuyerSpec.self, on: router)
        register(TargetSpec.self, on: router)
        router.get("dashboard/calls/:id", use: showCall)
        router.get("dashboard/integrations", use: showIntegrations)
    }

    private func register<Spec: DashboardListed>(_: Spec.Type, on router: Router<AppRequestContext>) {
        let path = "dashboard/\(Spec.kind.plural)"
        router.get(RouterPath(path)) { request, _ in try await list(Spec.self, request: request) }
        router.post(RouterPath(path)) { request, _ in try await create(Spec.self, request: request) }
        router.get(RouterPath(path + "/:id")) { request, context in
            try await show(Spec.self, id: context.parameters.get("id") ?? "", request: request)
        }
        router.post(RouterPath(path + "/:id")) { request, context in
            try await save(Spec.self, id: context.parameters.get("id") ?? "", request: request)
        }
        router.post(RouterPath(path + "/:id/delete")) { request, context in
            try await delete(Spec.self, id: context.parameters.get("id") ?? "", request: request)
        }
    }

    // MARK: - Lists and new entities

    func list<Spec: DashboardListed>(_: Spec.Type, request: Request) async throws -> Response {
        guard let visitor = try await visitor(request) else { return signInPage() }
        return try await listPage(Spec.self, visitor: visitor)
    }

    func create<Spec: DashboardListed>(_: Spec.Type, request: Request) async throws -> Response {
        try await withForm(request) { visitor, form in
            let text = form["spec"] ?? ""
            do {
                let entity = try await directory.create(try Self.spec(Spec.self, from: text), accountID: visitor.account.id)
                return Self.redirect("\(Spec.path)/\(entity.id)?saved=1")
            } catch let problem as FormProblem {
                return try await listPage(Spec.self, visitor: visitor, draft: text, problem: problem)
            } catch let error as ExchangeError {
                return try await listPage(Spec.self, visitor: visitor, draft: text, problem: try await problem(error, visitor: visitor))
            }
        }
    }

    private func listPage<Spec: DashboardListed>(
        _: Spec.Type, visitor: Visitor, draft: String? = nil, problem: FormProblem? = nil
    ) async throws -> Response {
        let accountID = visitor.account.id
        let entities = try await directory.list(Spec.self, accountID: accountID)
        let names = try await directory.names(ids: Set(entities.flatMap { $0.spec.references.map(\.id) }), accountID: accountID)
        var firstIDs: [ExchangeKind: String] = [:]
        if draft == nil, Spec.kind == .campaign {
            firstIDs[.target] = try await directory.list(TargetSpec.self, accountID: accountID).first?.id
            firstIDs[.publisher] = try await directory.list(PublisherSpec.self, accountID: accountID).first?.id
        }
        if draft == nil, Spec.kind == .target {
            firstIDs[.buyer] = try await directory.list(BuyerSpec.self, accountID: accountID).first?.id
        }
        let rows: [[String: Any]] = entities.map { entity in
            [
                "id": entity.id, "name": entity.spec.name, "link": "\(Spec.path)/\(entity.id)",
                "cells": entity.spec.cells(names: names).map { ["lines": $0.map(\.context)] },
            ]
        }
        var context: [String: Any] = [
            "title": Spec.title, "kindTitle": Spec.title, "singular": Spec.singular, "path": Spec.path,
            "columns": Spec.columns, "rows": rows, "count": entities.count, "apiPath": "/v1/\(Spec.kind.plural)",
            "draft": draft ?? Spec.example(firstIDs: firstIDs), "openNew": draft != nil,
        ]
        if let problem { context["problem"] = problem.context }
        return page("exchange_list", context, visitor: visitor, section: Spec.kind.plural, status: problem?.status ?? .ok)
    }

    // MARK: - One entity

    func show<Spec: DashboardListed>(_: Spec.Type, id: String, request: Request) async throws -> Response {
        guard let visitor = try await visitor(request) else { return signInPage() }
        let notice = request.uri.queryParameters.get("saved") != nil ? "Saved." : nil
        return try await entityPage(Spec.self, id: id, visitor: visitor, notice: notice)
    }

    func save<Spec: DashboardListed>(_: Spec.Type, id: String, request: Request) async throws -> Response {
        try await withForm(request) { visitor, form in
            let text = form["spec"] ?? ""
            do {
                guard Self.isPlausible(id: id, of: Spec.kind) else { throw ExchangeError.notFound }
                _ = try await directory.replace(try Self.spec(Spec.self, from: text), id: id, accountID: visitor.account.id)
                return Self.redirect("\(Spec.path)/\(id)?saved=1")
            } catch let problem as FormProblem {
                return try await entityPage(Spec.self, id: id, visitor: visitor, draft: text, problem: problem)
            } catch let error as ExchangeError {
                if error == .notFound { return notFoundPage(visitor) }
                return try await entityPage(Spec.self, id: id, visitor: visitor, draft: text, problem: try await problem(error, visitor: visitor))
            }
        }
    }

    func delete<Spec: DashboardListed>(_: Spec.Type, id: String, request: Request) async throws -> Response {
        try await withForm(request) { visitor, _ in
            do {
                guard Self.isPlausible(id: id, of: Spec.kind) else { throw ExchangeError.notFound }
                try await directory.delete(Spec.self, id: id, accountID: visitor.account.id)
                return Self.redirect(Spec.path)
            } catch let error as ExchangeError {
                if error == .notFound { return notFoundPage(visitor) }
                return try await entityPage(Spec.self, id: id, visitor: visitor, deleteProblem: try await problem(error, visitor: visitor))
            }
        }
    }

    private func entityPage<Spec: DashboardListed>(
        _: Spec.Type, id: String, visitor: Visitor, draft: String? = nil, problem: FormProblem? = nil,
        deleteProblem: FormProblem? = nil, notice: String? = nil
    ) async throws -> Response {
        let accountID = visitor.account.id
        guard Self.isPlausible(id: id, of: Spec.kind), let entity = try await directory.get(Spec.self, id: id, accountID: accountID) else {
            return notFoundPage(visitor)
        }
        let names = try await directory.names(ids: Set(entity.spec.references.map(\.id)), accountID: accountID)
        let summary: [[String: Any]] = zip(Spec.columns, entity.spec.cells(names: names)).map { column, lines in
            ["label": column, "lines": lines.map(\.context)]
        }
        var context: [String: Any] = [
            "title": "\(entity.spec.name) · \(Spec.title)", "kindTitle": Spec.title, "singular": Spec.singular, "path": Spec.path,
            "id": entity.id, "name": entity.spec.name, "summary": summary,
            "created": DashboardView.dateTime(entity.createdAt), "updated": DashboardView.dateTime(entity.updatedAt),
            "spec": draft ?? Self.prettyJSON(entity.spec),
        ]
        if let notice { context["notice"] = notice }
        if let problem { context["problem"] = problem.context }
        if let deleteProblem { context["deleteProblem"] = deleteProblem.context }
        let status = problem?.status ?? deleteProblem?.status ?? .ok
        return page("exchange_entity", context, visitor: visitor, section: Spec.kind.plural, status: status)
    }

    // MARK: - A call

    @Sendable func showCall(request: Request, context: AppRequestContext) async throws -> Response {
        guard let visitor = try await visitor(request) else { return signInPage() }
        let accountID = visitor.account.id
        let id = context.parameters.get("id") ?? ""
        guard !id.isEmpty, id.utf8.count <= Self.maximumIDLength,
              let call = try await services.ledger.call(CallID(rawValue: id), accountID: accountID)
        else { return notFoundPage(visitor) }
        let vendorIDs = try await services.ledger.vendorIDs(of: call.id, accountID: accountID)
        var lookups = vendorIDs.map { (source: $0.source, externalCallID: $0.externalCallID) }
        if !lookups.contains(where: { $0.source == call.source && $0.externalCallID == call.externalCallID }) {
            lookups.insert((call.source, call.externalCallID), at: 0)
        }
        let routes = try await services.routes.routes(of: lookups, accountID: accountID)
        let names = try await directory.names(ids: DashboardCallView.namedIDs(call, routes: routes), accountID: accountID)
        let view = DashboardCallView(call: call, vendorIDs: vendorIDs, routes: routes, names: names)
        return page("call", view.context, visitor: visitor, section: "calls")
    }

    // MARK: - Integrations

    /// The account's integrations with their pull sync, as the API shows it.
    @Sendable func showIntegrations(request: Request, context: AppRequestContext) async throws -> Response {
        guard let visitor = try await visitor(request) else { return signInPage() }
        let accountID = visitor.account.id
        let view = DashboardIntegrationsView(
            integrations: try await IntegrationStore(database: services.database, box: services.secretBox).list(accountID: accountID),
            credentials: try await CredentialStore(database: services.database, box: services.secretBox).summaries(accountID: accountID),
            states: try await SyncStateStore(database: services.database, box: services.secretBox).states(accountID: accountID),
            vendors: services.vendors, now: .now()
        )
        return page("integrations", view.context, visitor: visitor, section: "integrations")
    }

    // MARK: - Sessions, forms and CSRF

    /// A signed-in browser: its session id (which the CSRF token is derived from) and account.
    struct Visitor {
        let sessionID: String
        let account: Account
        var csrfToken: String { DashboardCSRF.token(sessionID: sessionID) }
    }

    private func visitor(_ request: Request) async throws -> Visitor? {
        guard let sessionID = request.cookies[DashboardController.cookieName]?.value,
              let accountID = try await sessions.account(sessionID: sessionID),
              let account = try await services.accounts.account(id: accountID)
        else { return nil }
        return Visitor(sessionID: sessionID, account: account)
    }

    /// Runs a state-changing POST's handler only for a signed-in browser whose form carries
    /// its session's CSRF token; anything else gets 403 (or 413 for a body past the limit).
    private func withForm(_ request: Request, _ handle: (Visitor, FormFields) async throws -> Response) async throws -> Response {
        guard let visitor = try await visitor(request) else { return forbiddenPage(nil) }
        let body = try await CollectedBody.collect(request, limit: Self.maximumFormBytes)
        guard !body.truncated else { return tooLargePage(visitor) }
        let form = FormFields(String(decoding: body.bytes, as: UTF8.self))
        guard DashboardCSRF.matches(form["csrf"], sessionID: visitor.sessionID) else { return forbiddenPage(visitor) }
        return try await handle(visitor, form)
    }

    // MARK: - Specs and errors

    /// What the operator must fix, named by the field as the API names it.
    struct FormProblem: Error {
        let status: HTTPResponse.Status
        let field: String?
        let message: String

        var context: [String: Any] {
            var context: [String: Any] = ["message": message]
            if let field { context["field"] = field }
            return context
        }
    }

    /// The spec as the API reads it: decoded, then checked by its own `validate()`.
    static func spec<Spec: DashboardListed>(_: Spec.Type, from text: String) throws -> Spec {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw FormProblem(status: .badRequest, field: "spec", message: "is required")
        }
        let spec: Spec
        do {
            spec = try JSONDecoder().decode(Spec.self, from: Data(text.utf8))
        } catch let error as DecodingError {
            let field = error.fieldPath()
            let message = field == nil ? "is not a JSON object of a \(Spec.singular)" : error.readableMessage
            throw FormProblem(status: .badRequest, field: field ?? "spec", message: message)
        }
        do {
            try spec.validate()
        } catch {
            throw FormProblem(status: .badRequest, field: error.field, message: error.problem.description)
        }
        return spec
    }

    private func problem(_ error: ExchangeError, visitor: Visitor) async throws -> FormProblem {
        switch error {
        case .invalid(let error): return FormProblem(status: .badRequest, field: error.field, message: error.problem.description)
        case .notFound: return FormProblem(status: .notFound, field: nil, message: "not found")
        case .conflict(let field, let message): return FormProblem(status: .conflict, field: field, message: message)
        case .inUse(let field, let by):
            let names = try await directory.names(ids: Set(by), accountID: visitor.account.id)
            let users = by.map { id in names[id].map { "\($0) (\(id))" } ?? id }.joined(separator: ", ")
            return FormProblem(status: .conflict, field: nil, message: "Not deleted: \(users) still \(by.count == 1 ? "names" : "name") it in \(field).")
        }
    }

    static func isPlausible(id: String, of kind: ExchangeKind) -> Bool {
        id.hasPrefix(kind.idPrefix) && id.utf8.count <= maximumIDLength
    }

    static func prettyJSON<Spec: Encodable>(_ spec: Spec) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(spec)).map { SpecJSON.pretty(String(decoding: $0, as: UTF8.self)) } ?? "{}"
    }

    // MARK: - Pages

    static let sections: [(key: String, label: String, href: String)] = [
        ("calls", "Calls", "/dashboard"),
    ] + [CampaignSpec.self, PublisherSpec.self, BuyerSpec.self, TargetSpec.self].map { (type: any DashboardListed.Type) in
        (type.kind.plural, type.title, "/dashboard/\(type.kind.plural)")
    } + [("integrations", "Integrations", "/dashboard/integrations")]

    /// The header's links, `current` marking the section shown.
    static func navigation(current: String) -> [[String: Any]] {
        sections.map { ["label": $0.label, "href": $0.href, "current": $0.key == current] }
    }

    private func page(_ template: String, _ context: [String: Any], visitor: Visitor, section: String, status: HTTPResponse.Status = .ok) -> Response {
        var context = context
        context["accountName"] = visitor.account.name
        context["csrf"] = visitor.csrfToken
        context["nav"] = Self.navigation(current: section)
        return Self.html(templates.render(context, withTemplate: template), status: status)
    }

    private func signInPage() -> Response {
        Self.html(templates.render(["title": "Sign in"], withTemplate: "login"), status: .ok)
    }

    private func notFoundPage(_ visitor: Visitor) -> Response {
        page("message", ["title": "Not found", "message": "There is nothing here in this account."], visitor: visitor, section: "", status: .notFound)
    }

    private func tooLargePage(_ visitor: Visitor) -> Response {
        page("message", ["title": "Too large", "message": "The form is larger than \(Self.maximumFormBytes / 1_048_576) MiB."],
             visitor: visitor, section: "", status: .contentTooLarge)
    }

    /// Also for a POST without a session: the form cannot be trusted either way.
    private func forbiddenPage(_ visitor: Visitor?) -> Response {
        let message = "This form has expired or did not come from this dashboard. Open the page again and resubmit."
        guard let visitor else {
            return Self.html(templates.render(["title": "Sign in", "error": message], withTemplate: "login"), status: .forbidden)
        }
        return page("message", ["title": "Forbidden", "message": message], visitor: visitor, section: "", status: .forbidden)
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func html(_ text: String?, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text ?? ""))
        )
    }
}

/// The token a dashboard form carries against cross-site requests: an HMAC of the
/// session id, so it needs no storage, differs per session, and reveals nothing of the id.
enum DashboardCSRF {
    static let label = Data("dce.dashboard.csrf.v1".utf8)

    static func token(sessionID: String) -> String {
        HMAC<SHA256>.authenticationCode(for: label, using: SymmetricKey(data: Data(sessionID.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    /// Compared in constant time by swift-crypto.
    static func matches(_ presented: String?, sessionID: String) -> Bool {
        guard let presented, let bytes = bytes(hex: presented) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: label, using: SymmetricKey(data: Data(sessionID.utf8)))
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

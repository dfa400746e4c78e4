import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// `/v1/campaigns`, `/v1/publishers`, `/v1/buyers` and `/v1/targets`: the exchange's
/// entities of one kind. A body is the entity's spec; the answer is the stored entity
/// (`id`, the spec's fields, `created_at`, `updated_at`).
struct ExchangeController<Spec: ExchangeSpecValue> {
    let services: AppServices
    var directory: ExchangeDirectory { services.exchange }

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        let collection = RouterPath(Spec.kind.plural)
        let member = RouterPath("\(Spec.kind.plural)/{id}")
        routes.get(collection, use: list)
        routes.post(collection, use: create)
        routes.get(member, use: show)
        routes.put(member, use: replace)
        routes.delete(member, use: delete)
        return routes
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> JSONResponse<ExchangeList<Spec>> {
        let accountID = try context.requireAccount()
        let entities = try await directory.list(Spec.self, accountID: accountID)
        return JSONResponse(ExchangeList(data: entities))
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> JSONResponse<ExchangeEntity<Spec>> {
        let accountID = try context.requireAccount()
        let spec = try await Self.spec(from: request, context: context)
        let created = try await Self.answering { try await directory.create(spec, accountID: accountID) }
        return JSONResponse(created, status: .created)
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> JSONResponse<ExchangeEntity<Spec>> {
        let accountID = try context.requireAccount()
        let id = try Self.id(context)
        guard let entity = try await directory.get(Spec.self, id: id, accountID: accountID) else { throw Self.notFound(id) }
        return JSONResponse(entity)
    }

    /// Replaces the whole spec: a field left out takes its default, as on create.
    @Sendable func replace(request: Request, context: AppRequestContext) async throws -> JSONResponse<ExchangeEntity<Spec>> {
        let accountID = try context.requireAccount()
        let id = try Self.id(context)
        let spec = try await Self.spec(from: request, context: context)
        let replaced = try await Self.answering(id: id) { try await directory.replace(spec, id: id, accountID: accountID) }
        return JSONResponse(replaced)
    }

    @Sendable func delete(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let id = try Self.id(context)
        try await Self.answering(id: id) { try await directory.delete(Spec.self, id: id, accountID: accountID) }
        return Response(status: .noContent)
    }

    /// The body read as a spec and checked on its own; the directory then checks the ids
    /// it names against the account's other entities.
    static func spec(from request: Request, context: AppRequestContext) async throws -> Spec {
        // A campaign may list up to 10,000 numbers, more than the small-body default holds.
        let spec: Spec = try await decodeJSON(request, context: context, limit: AppLimits.maximumBodyBytes)
        do { try spec.validate() } catch { throw invalid(error) }
        return spec
    }

    /// The path's id. One that cannot be an id of this kind is not looked up: it names
    /// nothing (and a NUL in it would not even reach the database).
    static func id(_ context: AppRequestContext) throws -> String {
        let raw = try context.parameters.require("id")
        let id = raw.removingPercentEncoding ?? raw
        guard id.hasPrefix(Spec.kind.idPrefix), id.utf8.count <= 64, TextSafety.isStorable(id) else { throw notFound(id) }
        return id
    }

    static func notFound(_ id: String) -> APIError {
        APIError.notFound("no \(Spec.kind.rawValue) '\(id.prefix(64))' in this account")
    }

    static func invalid(_ error: RoutingPlanError) -> APIError {
        APIError.badRequest(error.description, field: error.field, code: "invalid_field")
    }

    /// Runs a directory call, answering its refusals in dce's error shape.
    static func answering<T>(id: String? = nil, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ExchangeError {
            switch error {
            case .invalid(let problem):
                throw invalid(problem)
            case .notFound:
                throw notFound(id ?? "")
            case .inUse(let field, let users):
                let named = users.prefix(10).joined(separator: ", ") + (users.count > 10 ? " and \(users.count - 10) more" : "")
                throw APIError(status: .conflict, code: "in_use",
                               message: "\(Spec.kind.rawValue) '\(id ?? "")' is used by \(named); change or delete those first", field: field)
            case .conflict(let field, let message):
                throw APIError(status: .conflict, code: "conflict", message: message, field: field)
            }
        }
    }
}

/// `{"data": [...]}`: every entity of the kind, by name.
struct ExchangeList<Spec: ExchangeSpecValue>: Encodable, Sendable {
    let data: [ExchangeEntity<Spec>]
}

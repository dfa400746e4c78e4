import DCEDomain
import DCEStorage
import Foundation
import Hummingbird
import NIOCore

/// Invoca's RingPools resource (seed 004):
/// `/api/{version}/{network_id}/advertisers/{advertiser_id_from_network}/advertiser_campaigns/{advertiser_campaign_id_from_network}/ring_pools[/{ring_pool_id_from_network}].json`.
/// Idempotent by `id_from_network`; invalid properties answer 403 in Invoca's shape.
struct RingPoolsController {
    let services: AppServices
    var pools: PoolServices { services.pools }

    static let base = "api/{version}/{network_id}/advertisers/{advertiser_id_from_network}/advertiser_campaigns/{advertiser_campaign_id_from_network}"

    func register(on router: Router<AppRequestContext>) {
        let group = router.group().add(middleware: NetworkTokenAuthenticator(accounts: services.accounts))
        group.get("\(Self.base)/ring_pools.json", use: list)
        group.post("\(Self.base)/ring_pools.json", use: create)
        group.get("\(Self.base)/ring_pools/{ring_pool_id_from_network}.json", use: show)
        group.post("\(Self.base)/ring_pools/{ring_pool_id_from_network}.json", use: create)
        group.put("\(Self.base)/ring_pools/{ring_pool_id_from_network}.json", use: update)
        group.delete("\(Self.base)/ring_pools/{ring_pool_id_from_network}.json", use: delete)
    }

    func scope(_ context: AppRequestContext) throws -> RingPool.Scope {
        RingPool.Scope(
            networkID: try context.parameters.require("network_id"),
            advertiserID: try context.parameters.require("advertiser_id_from_network"),
            campaignID: try context.parameters.require("advertiser_campaign_id_from_network")
        )
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let found = try await pools.store.pools(in: try scope(context), accountID: accountID)
        let statistics = try await pools.store.statistics(of: found, accountID: accountID)
        let body = found.map { RingPoolJSON(pool: $0, statistics: statistics[$0.id], request: request, context: context) }
        return try JSONResponse(body).response(from: request, context: context)
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let pool = try await existing(context, accountID: accountID)
        return try await respond(pool, accountID: accountID, status: .ok, request: request, context: context)
    }

    /// POST: creates the pool, or, for an `id_from_network` already in the network,
    /// applies the body to it and answers the same pool (idempotent).
    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let scope = try scope(context)
        let input = try await Self.input(request)
        guard let id = context.parameters.get("ring_pool_id_from_network") ?? input.idFromNetwork, !id.isEmpty else {
            throw RecordInvalid("Id from network can't be blank.")
        }
        if let bodyID = input.idFromNetwork, bodyID != id {
            throw RecordInvalid("Id from network in the body differs from the one in the path.")
        }
        let now = Timestamp.now()
        let current = try await pools.store.pool(network: scope.networkID, idFromNetwork: id, accountID: accountID)
        var base = current ?? RingPool(id: 0, key: "", scope: scope, idFromNetwork: id, createdAt: now, updatedAt: now)
        base.scope = scope
        let pool = try input.apply(to: base, geo: pools.geo)
        let (saved, _) = try await pools.store.save(pool, accountID: accountID)
        pools.allocateSoon()
        return try await respond(saved, accountID: accountID, status: .ok, request: request, context: context)
    }

    /// PUT: changes the properties the body carries; the pool must exist.
    @Sendable func update(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let current = try await existing(context, accountID: accountID)
        let input = try await Self.input(request)
        if let bodyID = input.idFromNetwork, bodyID != current.idFromNetwork {
            throw RecordInvalid("Id from network cannot be changed.")
        }
        let pool = try input.apply(to: current, geo: pools.geo)
        let (saved, _) = try await pools.store.save(pool, accountID: accountID)
        pools.allocateSoon()
        return try await respond(saved, accountID: accountID, status: .ok, request: request, context: context)
    }

    @Sendable func delete(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let id = try context.parameters.require("ring_pool_id_from_network")
        guard try await pools.store.delete(id, in: try scope(context), accountID: accountID) else {
            throw APIError.notFound("no RingPool '\(id)' under this advertiser campaign")
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
    }

    func existing(_ context: AppRequestContext, accountID: AccountID) async throws -> RingPool {
        let id = try context.parameters.require("ring_pool_id_from_network")
        guard let pool = try await pools.store.pool(id, in: try scope(context), accountID: accountID) else {
            throw APIError.notFound("no RingPool '\(id)' under this advertiser campaign")
        }
        return pool
    }

    func respond(_ pool: RingPool, accountID: AccountID, status: HTTPResponse.Status, request: Request, context: AppRequestContext) async throws -> Response {
        let statistics = try await pools.store.statistics(of: [pool], accountID: accountID)
        return try JSONResponse(RingPoolJSON(pool: pool, statistics: statistics[pool.id], request: request, context: context), status: status)
            .response(from: request, context: context)
    }

    static func input(_ request: Request) async throws -> RingPoolInput {
        let body = try await CollectedBody.collect(request, limit: 64 * 1024)
        if body.truncated { throw APIError.tooLarge("a RingPool is at most 64 KiB of JSON") }
        return try RingPoolInput(body: body.bytes)
    }
}

/// Admits a network's requests by API key: `Authorization: Bearer`, `X-API-Key`, or
/// Invoca's `oauth_token` query parameter.
struct NetworkTokenAuthenticator: RouterMiddleware {
    typealias Context = AppRequestContext
    let accounts: AccountDirectory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let key = PresentedKey.from(request) ?? request.uri.queryParameters.get("oauth_token") else {
            throw APIError.unauthorized("an API key is required: send 'Authorization: Bearer <key>' or '?oauth_token=<key>'")
        }
        guard let accountID = try await accounts.authenticate(key: key) else {
            throw APIError.unauthorized("the API key is not valid or has been revoked")
        }
        var context = context
        context.accountID = accountID
        return try await next(request, context)
    }
}

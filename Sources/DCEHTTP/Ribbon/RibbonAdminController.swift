import DCEJSON
import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// `/api/admin/…`: the ribbon's clients for the operator, behind the admin key.
/// API keys appear masked (`dce_ab12cd...`), never whole; Exotel tokens never appear.
struct RibbonAdminController {
    let services: AppServices
    let clients: RibbonClientDirectory
    let reports: RibbonReports

    init(services: AppServices) {
        self.services = services
        self.clients = RibbonClientDirectory(database: services.database)
        self.reports = RibbonReports(database: services.database)
    }

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("clients", use: list)
        routes.put("clients/{clientId}", use: save)
        routes.get("analytics/all", use: analytics)
        return routes
    }

    /// The first ten characters of a key, then `...`, as the seed shows keys.
    static func masked(_ prefix: String?) -> JSONValue {
        prefix.map { .string(String($0.prefix(10)) + "...") } ?? .null
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let all = try await clients.all()
        let used = try await clients.callsCountedByAccount(month: UsageMonth.of(.now()))
        let keys = try await clients.newestKeyPrefixes()
        return try JSONResponse(JSONValue.array(all.map { client in
            Self.summary(client, used: used[client.accountID] ?? 0, key: keys[client.accountID])
        })).response(from: request, context: context)
    }

    static func summary(_ client: RibbonClient, used: Int, key: String?) -> JSONValue {
        .object([
            "clientId": .string(client.clientID),
            "name": .string(client.profile.name),
            "plan": .string(client.profile.plan),
            "callsThisMonth": RibbonFormat.int(used),
            "limit": RibbonFormat.int(client.profile.monthlyCallLimit),
            "apiKey": masked(key),
        ])
    }

    @Sendable func analytics(request: Request, context: AppRequestContext) async throws -> Response {
        let all = try await clients.all()
        let used = try await clients.callsCountedByAccount(month: UsageMonth.of(.now()))
        let totals = try await reports.totalsByAccount()
        var callsAllClients = 0
        let rows: [JSONValue] = all.map { client in
            let total = totals[client.accountID] ?? RibbonAccountTotal(calls: 0, duration: 0)
            let thisMonth = used[client.accountID] ?? 0
            let limit = client.profile.monthlyCallLimit
            callsAllClients += total.calls
            return .object([
                "clientId": .string(client.clientID),
                "clientName": .string(client.profile.name),
                "plan": .string(client.profile.plan),
                "totalCalls": RibbonFormat.int(total.calls),
                "totalDuration": RibbonFormat.int(total.duration),
                "callsThisMonth": RibbonFormat.int(thisMonth),
                "limit": RibbonFormat.int(limit),
                "utilizationPercent": RibbonFormat.int(limit == 0 ? 0 : Int((Double(thisMonth) * 100 / Double(limit)).rounded())),
            ])
        }
        return try JSONResponse(JSONValue.object([
            "clients": .array(rows),
            "totalClients": RibbonFormat.int(all.count),
            "totalCallsAllClients": RibbonFormat.int(callsAllClients),
        ])).response(from: request, context: context)
    }

    /// `PUT /api/admin/clients/{clientId}`: sets up (or replaces) the ribbon profile of the
    /// account named `clientId`, creating the account when there is none.
    @Sendable func save(request: Request, context: AppRequestContext) async throws -> Response {
        struct Input: Decodable {
            let name: String
            let plan: String
            let limit: Int
            let features: [String]?
            let allowedDomains: [String]
            let exotelToken: String
            let userId: String
        }
        let clientID = try context.parameters.require("clientId")
        let input: Input = try await decodeJSON(request, context: context)
        let profile = RibbonClientProfile(
            name: input.name, plan: input.plan, monthlyCallLimit: input.limit,
            features: input.features ?? RibbonClientProfile.defaultFeatures, allowedDomains: input.allowedDomains,
            exotelToken: input.exotelToken, exotelUserID: input.userId
        )
        let account: Account
        do {
            if let existing = try await services.accounts.account(named: clientID) {
                account = existing
            } else {
                account = try await services.accounts.create(name: clientID)
            }
            try await clients.save(profile, for: account.id)
        } catch let error as AccountError {
            throw APIError.badRequest(error.description, field: "clientId", code: "invalid_field")
        } catch RibbonClientError.invalid(let field, let reason) {
            throw APIError.badRequest("\(field): \(reason)", field: field == "monthlyCallLimit" ? "limit" : field, code: "invalid_field")
        }
        guard let saved = try await clients.client(account.id) else { throw APIError.notFound("no client '\(clientID)'") }
        let used = try await clients.callsCounted(accountID: account.id, month: UsageMonth.of(.now()))
        let key = try await services.accounts.keys(for: account.id).last { $0.revokedAt == nil }?.prefix
        return try JSONResponse(Self.summary(saved, used: used, key: key)).response(from: request, context: context)
    }
}

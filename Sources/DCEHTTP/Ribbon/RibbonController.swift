import DCEJSON
import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// `/api/ribbon/…`: the Exotel call ribbon API, at the seed's paths and in its shapes.
/// Every handler starts at the gate and reads only the admitted client's account.
struct RibbonController {
    let services: AppServices
    let gate: RibbonGate
    let clients: RibbonClientDirectory
    let sessions: RibbonSessions
    let reports: RibbonReports
    let customers: RibbonCustomers

    init(services: AppServices) {
        self.services = services
        self.clients = RibbonClientDirectory(database: services.database)
        self.gate = RibbonGate(accounts: services.accounts, clients: clients, rateLimiter: services.rateLimiter)
        self.sessions = RibbonSessions(database: services.database)
        self.reports = RibbonReports(database: services.database)
        self.customers = RibbonCustomers(database: services.database)
    }

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("init", use: initialize)
        routes.post("log-call", use: logCall)
        routes.get("config", use: config)
        routes.get("analytics", use: analytics)
        routes.get("analytics/detailed", use: detailedAnalytics)
        routes.get("call-logs", use: callLogs)
        routes.get("active-calls", use: activeCalls)
        routes.get("export/calls", use: exportCalls)
        routes.post("customer", use: saveCustomer)
        routes.get("customer/{customerId}", use: customer)
        routes.get("customer/{customerId}/calls", use: customerCalls)
        return routes
    }

    /// Calls counted against the current month.
    func callsThisMonth(_ client: RibbonClient) async throws -> Int {
        try await clients.callsCounted(accountID: client.accountID, month: UsageMonth.of(.now()))
    }

    func respond(_ tree: JSONValue, _ request: Request, _ context: AppRequestContext) throws -> Response {
        try JSONResponse(tree).response(from: request, context: context)
    }

    /// `POST /api/ribbon/init`: the client's Exotel credentials, for that client alone.
    @Sendable func initialize(request: Request, context: AppRequestContext) async throws -> Response {
        let client = try await gate.admitPOST(request).client
        let used = try await callsThisMonth(client)
        let remaining = max(0, client.profile.monthlyCallLimit - used)
        guard remaining > 0 else { throw RibbonGate.limitReached(client.profile.monthlyCallLimit) }
        var response = try respond(.object([
            "exotelToken": .string(client.profile.exotelToken),
            "userId": .string(client.profile.exotelUserID),
            "features": .array(client.profile.features.map(JSONValue.string)),
            "clientInfo": .object([
                "name": .string(client.profile.name),
                "plan": .string(client.profile.plan),
                "remainingCalls": RibbonFormat.int(remaining),
            ]),
        ]), request, context)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// `GET /api/ribbon/config`
    @Sendable func config(request: Request, context: AppRequestContext) async throws -> Response {
        let client = try await gate.admitGET(request)
        let used = try await callsThisMonth(client)
        return try respond(.object([
            "features": .array(client.profile.features.map(JSONValue.string)),
            "plan": .string(client.profile.plan),
            "usage": RibbonFormat.usage(used: used, limit: client.profile.monthlyCallLimit),
        ]), request, context)
    }
}

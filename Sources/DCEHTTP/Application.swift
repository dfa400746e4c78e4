import DCEDomain
import DCEStorage
import Hummingbird
import HummingbirdCore
import Logging
import Mustache
import NIOCore
import ServiceLifecycle

/// Assembles every route of dce on one router. Tests build this same router in-process.
public func buildRouter(_ services: AppServices) throws -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    let routeTable = RouteTableBox()
    router.add(middleware: MetricsMiddleware(metrics: services.metrics))
    router.add(middleware: ErrorMiddleware(routes: routeTable))
    router.add(middleware: BodyBudgetMiddleware(budget: services.bodyBudget, largestBody: AppLimits.maximumBodyBytes))

    SystemController(services: services).register(on: router)
    let dashboardTemplates = try DashboardController.loadTemplates()
    DashboardController(services: services, templates: dashboardTemplates).register(on: router)
    DashboardExchangeController(services: services, templates: dashboardTemplates).register(on: router)
    WebhooksController(services: services).register(on: router)
    VoiceController(services: services).register(on: router)

    let v1 = router.group("v1")
    v1.group("admin")
        .add(middleware: AdminAuthenticator(adminKeyHash: services.adminKeyHash))
        .addRoutes(AdminController(services: services).endpoints)
    v1.group()
        .add(middleware: SignedEventsAuthenticator(services: services))
        .add(middleware: AccountAuthenticator(accounts: services.accounts))
        .add(middleware: RateLimitMiddleware(limiter: services.rateLimiter))
        .addRoutes(EventsController(services: services).endpoints)
        .addRoutes(CallsController(services: services).endpoints)
        .addRoutes(RecordingsController(services: services).endpoints)
        .addRoutes(NumbersController(services: services).endpoints)
        .addRoutes(IntegrationsController(services: services).endpoints)
        .addRoutes(ExchangeController<CampaignSpec>(services: services).endpoints)
        .addRoutes(ExchangeController<PublisherSpec>(services: services).endpoints)
        .addRoutes(ExchangeController<BuyerSpec>(services: services).endpoints)
        .addRoutes(ExchangeController<TargetSpec>(services: services).endpoints)
        .addRoutes(CarriersController(services: services).endpoints)
        .addRoutes(RouteController(services: services).endpoints)

    // The Exotel call ribbon (seed 003), at the seed's own paths.
    router.add(middleware: RibbonPreflight(clients: RibbonClientDirectory(database: services.database)))
    let api = router.group("api")
    api.group("ribbon")
        .add(middleware: RibbonCORS())
        .addRoutes(RibbonController(services: services).endpoints)
    api.group("admin")
        .add(middleware: AdminAuthenticator(adminKeyHash: services.adminKeyHash))
        .addRoutes(RibbonAdminController(services: services).endpoints)

    // Number pools: Invoca's RingPools resource and allocate_number, retreaver-js's
    // number requests, and /dce.js.
    RingPoolsController(services: services).register(on: router)
    AllocateNumberController(services: services).register(on: router)
    VisitorNumbersController(services: services).register(on: router)
    VisitorTagsController(services: services).register(on: router)
    DNIScriptController().register(on: router)

    routeTable.fill(from: router)
    return router
}

/// Builds the HTTP application around `buildRouter`.
public func buildApplication(
    services: AppServices, host: String, port: Int, logger: Logger, running extraServices: [any Service] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    Application(
        router: try buildRouter(services),
        server: .http1(configuration: .init(idleTimeout: .seconds(Int64(services.limits.idleTimeoutSeconds)))),
        configuration: .init(
            address: .hostname(host, port: port), serverName: "dce",
            availableConnectionsDelegate: MaximumAvailableConnections(services.limits.maximumConnections, logger: logger)
        ),
        // Shut down in reverse: the server first, `extraServices` (the database) last.
        services: extraServices + [PoolAllocationService(pools: services.pools, logger: logger)],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
        logger: logger
    )
}

extension Router {
    /// The routes in the form the OpenAPI document uses: `/v1/calls/{id}`.
    public var routeTable: RouteTable {
        RouteTable(entries: routes.map { route in
            let path = "/" + route.path.components.map { component -> String in
                let text = component.description
                if text.hasPrefix(":") { return "{\(text.dropFirst())}" }
                if text.hasPrefix("${") && text.hasSuffix("}") { return "{\(text.dropFirst(2).dropLast())}" }
                return text
            }.joined(separator: "/")
            return RouteTable.Entry(method: route.method, path: path)
        })
    }
}

/// The route table is known only once every route is registered, after the error
/// middleware that needs it was added; this box carries it across.
final class RouteTableBox: @unchecked Sendable {
    private var table = RouteTable(entries: [])
    func fill<Context>(from router: Router<Context>) { table = router.routeTable }
    func methods(matching path: String) -> Set<HTTPRequest.Method> { table.methods(matching: path) }
}

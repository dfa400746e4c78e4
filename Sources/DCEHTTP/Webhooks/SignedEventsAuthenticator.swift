import DCEStorage
import DCEVendors
import Hummingbird
import Logging

/// Lets `POST /v1/events` be sent signed instead of with an API key: Standard Webhooks
/// headers plus `?integration=<id>` naming a `native` integration, whose secret signs.
/// A signed request that verifies is handled here, for the integration's account; one that
/// fails is a 401 and goes no further; an unsigned one is left to the API-key check.
struct SignedEventsAuthenticator: RouterMiddleware {
    typealias Context = AppRequestContext
    let services: AppServices
    var integrations: IntegrationStore { IntegrationStore(database: services.database, box: services.secretBox) }
    var metrics: AppMetrics { services.metrics }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path == "/v1/events", request.headers[.webhookSignature] != nil || request.headers[.webhookID] != nil else {
            return try await next(request, context)
        }
        let query = FlatFields.form(request.uri.query ?? "").values
        guard let id = query["integration"] else {
            throw APIError.unauthorized("a signed request to /v1/events names its integration: ?integration=<id>")
        }
        guard let integration = try await integrations.integration(id: id), integration.vendor == NativeAdapter.source.rawValue else {
            throw APIError.unauthorized("no native integration '\(id)'")
        }
        var request = request
        let body = try await request.collectBody(upTo: AppLimits.maximumBodyBytes)
        do {
            try WebhookAuthentication.verify(vendor: NativeAdapter(), integration: integration, request: request, query: query, body: Array(body.readableBytesView))
        } catch {
            context.logger.notice("signed event authentication failed", metadata: ["integration": "\(id)", "reason": "\(error.reason)"])
            metrics.webhook(vendor: NativeAdapter.source.rawValue, outcome: "unauthorized")
            throw APIError.unauthorized(error.reason)
        }
        try services.rateLimiter.check("integration:\(integration.id)")
        var context = context
        context.accountID = integration.accountID
        return try await EventsController(services: services).post(request: request, context: context)
    }
}

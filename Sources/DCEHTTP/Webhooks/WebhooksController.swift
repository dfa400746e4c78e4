import DCEDomain
import DCEStorage
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics

/// `/webhooks/<vendor>/<integration-id>`: deliveries from every registered vendor
/// (`AppServices.vendors`), and signed native events.
///
/// Every delivery is authenticated, stored verbatim with its events in one commit, and
/// only then answered 2xx. One that cannot be read is kept as a dead letter and answered
/// 400 naming the problem.
struct WebhooksController {
    let services: AppServices
    let integrations: IntegrationCache
    let lookups: WebhookLookups
    var ingest: Ingest { Ingest(services: services) }

    init(services: AppServices) {
        self.services = services
        self.integrations = IntegrationCache(store: IntegrationStore(database: services.database, box: services.secretBox))
        self.lookups = WebhookLookups(database: services.database)
    }

    func register(on router: Router<AppRequestContext>) {
        for vendor in services.vendors.adapters {
            let path = RouterPath("webhooks/\(vendor.name)/{integration}")
            router.post(path) { request, context in try await receive(vendor, request: request, context: context) }
            if vendor.acceptsGET {
                router.get(path) { request, context in try await receive(vendor, request: request, context: context) }
            }
        }
    }

    func receive(_ vendor: any VendorAdapter, request: Request, context: AppRequestContext) async throws -> Response {
        let integration = try await addressedIntegration(vendor, context: context)
        if let reply = vendor.handshake(header: { HTTPField.Name($0).flatMap { request.headers[$0] } }) { return reply.response }
        let query = FlatFields.form(request.uri.query ?? "").values
        let body = try await authenticatedBody(vendor, integration: integration, query: query, request: request, context: context)
        // Counted once authenticated: a stranger cannot spend the vendor's allowance.
        try services.rateLimiter.check("integration:\(integration.id)")
        let kept = InboundRequest(
            source: vendor.source, method: request.method.rawValue, path: StoredRequest.path(request),
            contentType: request.headers[.contentType], headers: StoredRequest.headers(request, vendors: services.vendors), body: body.bytes
        )
        let delivery = ingest.begin(kept, accountID: integration.accountID, label: vendor.name, webhookVendor: vendor.name)
        let outcomes = try await ingest.refusingInto(delivery) {
            try Ingest.requireReadable(body, tooLarge: "the body is larger than \(AppLimits.maximumBodyBytes) bytes")
            let read = try await events(vendor, of: kept, query: query, integration: integration)
            // Rows of a page that cannot be read are dead letters of this delivery, in its commit.
            return try await ingest.append(read.events, delivery, refusedRows: read.refusals)
        }
        return try await answer(vendor, outcomes: outcomes, accountID: integration.accountID, request: request, context: context)
    }
}

/// Integrations change rarely and every delivery needs one: a short-lived copy spares a
/// read per webhook. A deleted integration stops answering within `lifetime`.
actor IntegrationCache {
    let store: IntegrationStore
    let lifetime: Duration
    private var entries: [String: (integration: Integration?, fetched: ContinuousClock.Instant)] = [:]

    init(store: IntegrationStore, lifetime: Duration = .seconds(5)) {
        self.store = store
        self.lifetime = lifetime
    }

    func integration(id: String) async throws -> Integration? {
        let now = ContinuousClock.now
        if let entry = entries[id], now - entry.fetched < lifetime { return entry.integration }
        let integration = try await store.integration(id: id)
        if entries.count > 10_000 { entries.removeAll() }
        entries[id] = (integration, now)
        return integration
    }
}

extension AppMetrics {
    /// Deliveries per vendor by outcome: accepted, duplicate, rejected, unauthorized.
    func webhook(vendor: String, outcome: String) {
        counter("dce_webhooks_total", [("vendor", vendor), ("outcome", outcome)]).increment()
    }
}

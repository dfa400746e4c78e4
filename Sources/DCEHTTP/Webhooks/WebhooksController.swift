import DCEDomain
import DCEStorage
import DCEVendors
import Foundation
import Hummingbird
import Logging
import Metrics

/// `/webhooks/<vendor>/<integration-id>`: deliveries from Ringba, Retreaver, RingCentral,
/// Exotel and Invoca, and signed native events.
///
/// Every delivery is authenticated, stored verbatim with its events in one commit, and
/// only then answered 2xx. One that cannot be read is kept as a dead letter and answered
/// 400 naming the problem.
struct WebhooksController {
    let services: AppServices
    let integrations: IntegrationCache
    let lookups: WebhookLookups

    init(services: AppServices) {
        self.services = services
        self.integrations = IntegrationCache(store: IntegrationStore(database: services.database))
        self.lookups = WebhookLookups(database: services.database)
    }

    /// Vendors that may deliver with GET (query parameters only).
    static let getVendors: [Vendor] = [.ringba, .retreaver]

    func register(on router: Router<AppRequestContext>) {
        for vendor in Vendor.allCases {
            router.post(RouterPath("webhooks/\(vendor.rawValue)/{integration}")) { request, context in
                try await receive(vendor, request: request, context: context)
            }
        }
        for vendor in Self.getVendors {
            router.get(RouterPath("webhooks/\(vendor.rawValue)/{integration}")) { request, context in
                try await receive(vendor, request: request, context: context)
            }
        }
    }

    func receive(_ vendor: Vendor, request: Request, context: AppRequestContext) async throws -> Response {
        let integrationID = try context.parameters.require("integration")
        guard let integration = try await integrations.integration(id: integrationID), integration.vendor == vendor.rawValue else {
            throw APIError.notFound("no \(vendor.rawValue) integration '\(integrationID)'")
        }
        // RingCentral checks a new webhook by expecting its Validation-Token echoed back.
        if vendor == .ringcentral, let token = request.headers[.validationToken] {
            return Response(
                status: .ok,
                headers: [.validationToken: token, .contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"validated":true}"#))
            )
        }
        let query = FlatFields.form(request.uri.query ?? "").values
        let authenticate = { (body: [UInt8]) throws in
            do throws(WebhookAuthentication.Failure) {
                try WebhookAuthentication.verify(vendor: vendor, integration: integration, request: request, query: query, body: body)
            } catch {
                context.logger.notice("webhook authentication failed", metadata: [
                    "vendor": "\(vendor.rawValue)", "integration": "\(integration.id)", "reason": "\(error.reason)",
                ])
                services.metrics.webhook(vendor: vendor.rawValue, outcome: "unauthorized")
                throw APIError.unauthorized(error.reason)
            }
        }
        // A token is checked before the body is read, so that a stranger's body is never
        // taken into memory; a signature covers the body, which must be read first.
        let signed = WebhookAuthentication.isSigned(request)
        if !signed { try authenticate([]) }
        let body = try await CollectedBody.collect(request, limit: AppLimits.maximumBodyBytes)
        if signed {
            // One too large to read whole cannot be checked: refused for its size.
            if body.truncated { throw APIError.tooLarge("the body is larger than \(AppLimits.maximumBodyBytes) bytes") }
            try authenticate(body.bytes)
        }
        // Counted once authenticated: a stranger cannot spend the vendor's allowance.
        try services.rateLimiter.check("integration:\(integration.id)")
        // Read: from here the delivery is CPU work away from the ledger, and the next commit
        // group may wait for it.
        let arrival = services.ledger.announce()

        let inbound = InboundRequest(
            source: vendor.source, method: request.method.rawValue, path: StoredRequest.path(request),
            contentType: request.headers[.contentType], headers: StoredRequest.headers(request), body: body.bytes
        )
        do {
            if body.truncated {
                throw APIError.tooLarge("the body is larger than \(AppLimits.maximumBodyBytes) bytes")
            }
            try IngestChecks.requireUTF8(body.bytes)
            var deliveryQuery = query
            deliveryQuery["token"] = nil
            let delivery = VendorDelivery(
                method: request.method.rawValue, query: deliveryQuery, contentType: request.headers[.contentType],
                body: body.bytes, receivedAt: inbound.receivedAt
            )
            let events: [IncomingEvent]
            if vendor == .native {
                events = try EventsController.parse(body.bytes, receivedAt: inbound.receivedAt).events
            } else {
                let profile = IntegrationProfile(id: integration.id, fieldMapping: integration.fieldMapping)
                let decoded: [VendorEvent]
                do {
                    decoded = try VendorDecoder.decode(vendor, delivery, integration: profile)
                } catch {
                    throw APIError.badRequest(error.message, field: error.field, code: error.code)
                }
                events = try await enrich(decoded, accountID: integration.accountID)
            }
            try IngestChecks.requireStorableText(events, batched: events.count > 1)
            let outcomes = try await services.ledger.append(events, accountID: integration.accountID, request: inbound, arrival: arrival)
            let duplicates = outcomes.filter(\.duplicate).count
            services.metrics.eventsIngested(source: vendor.rawValue, count: outcomes.count, duplicates: duplicates)
            // A RingCentral notification without a call has no events: accepted, not a retry.
            services.metrics.webhook(vendor: vendor.rawValue, outcome: !outcomes.isEmpty && duplicates == outcomes.count ? "duplicate" : "accepted")
            return try await answer(vendor, outcomes: outcomes, accountID: integration.accountID, request: request, context: context)
        } catch let error as APIError where error.status.code < 500 {
            try await services.ledger.deadLetter(inbound, accountID: integration.accountID, reason: error.message, field: error.field, arrival: arrival)
            services.metrics.deadLettered(source: vendor.rawValue)
            services.metrics.webhook(vendor: vendor.rawValue, outcome: "rejected")
            throw error
        }
    }

    /// Adds what the account's own data decides: a RingCentral call's campaign from the
    /// number inventory, an Invoca correction's call from the transaction it corrects.
    func enrich(_ decoded: [VendorEvent], accountID: AccountID) async throws -> [IncomingEvent] {
        var events: [IncomingEvent] = []
        for item in decoded {
            var event = item.event
            // The account's numbers decide the campaign, read when the event is written.
            let lookup = event.source == .ringcentral && event.fields.campaignID == nil
                ? CampaignLookup(label: item.attributionLabel, trackingNumber: event.fields.trackingNumber) : nil
            if let corrected = item.correctsTransaction {
                let key = InvocaTransaction.transactionKey(integration: String(event.idempotencyKey.split(separator: ":")[1]), transactionID: corrected)
                // Earlier rows of the same delivery count too.
                if let sameDelivery = events.first(where: { $0.event.idempotencyKey == key }) {
                    event.externalCallID = sameDelivery.event.externalCallID
                } else if let stored = try await lookups.externalCallID(forKey: key, accountID: accountID) {
                    event.externalCallID = stored
                }
            }
            events.append(IncomingEvent(event: event, payload: item.payload, campaignLookup: lookup))
        }
        return events
    }

    func answer(_ vendor: Vendor, outcomes: [AppendOutcome], accountID: AccountID, request: Request, context: AppRequestContext) async throws -> Response {
        if vendor == .retreaver, let first = outcomes.first {
            // Retreaver applies the answer's keys as tags on its call.
            // The commit told the status; a duplicate's call is read.
            var status = first.callStatus
            if status == nil { status = try await services.ledger.call(first.callID, accountID: accountID)?.fields.status }
            let tags = RetreaverWebhook.responseTags(callID: first.callID.rawValue, status: status ?? .unknown, duplicate: first.duplicate)
            return try JSONResponse(tags).response(from: request, context: context)
        }
        // {"results":[{"call_id":…,"duplicate":…,"event_id":…,"idempotency_key":…}],"success":true}
        let results = outcomes.map { outcome in
            JSONText.object([
                (AppendOutcome.CodingKeys.callID.rawValue, JSONText.string(outcome.callID.rawValue)),
                (AppendOutcome.CodingKeys.duplicate.rawValue, outcome.duplicate ? "true" : "false"),
                (AppendOutcome.CodingKeys.eventID.rawValue, String(outcome.eventID)),
                (AppendOutcome.CodingKeys.idempotencyKey.rawValue, JSONText.string(outcome.idempotencyKey)),
            ])
        }
        let body = JSONText.object([("results", "[" + results.joined(separator: ",") + "]"), ("success", "true")])
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
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

import DCEDomain
import DCEStorage
import Hummingbird

/// The one way call events enter the ledger, whatever their route: the authenticated
/// request is kept verbatim, read into events, and appended with it in one commit; a
/// request refused as bad input (4xx) is kept as a dead letter instead. Every step is
/// counted. The route authenticates before and answers after.
struct Ingest {
    let services: AppServices

    /// A request on its way in: what is stored of it, for which account, and how its
    /// source is counted.
    struct Delivery {
        var request: InboundRequest
        let accountID: AccountID
        /// The metrics label (`dce_events_ingested_total{source=…}`).
        let label: String
        /// Set for a vendor webhook, whose deliveries are also counted by outcome.
        var webhookVendor: String?
        /// Tells the ledger a commit is on its way, so that the next commit group may wait
        /// for it; nil where the route does other writes first.
        var arrival: Arrival?
    }

    /// Starts a delivery: from here the request is CPU work away from the ledger.
    func begin(_ request: InboundRequest, accountID: AccountID, label: String, webhookVendor: String? = nil, announce: Bool = true) -> Delivery {
        Delivery(request: request, accountID: accountID, label: label, webhookVendor: webhookVendor,
                 arrival: announce ? services.ledger.announce() : nil)
    }

    /// Reads and appends a delivery's events; returns one outcome per event, after the
    /// commit.
    func accept(_ delivery: Delivery, read: () async throws -> [IncomingEvent]) async throws -> [AppendOutcome] {
        try await refusingInto(delivery) {
            try await append(try await read(), delivery)
        }
    }

    /// Runs `read`; a refusal keeps the request as a dead letter before it is thrown.
    func refusingInto<T>(_ delivery: Delivery, _ read: () async throws -> T) async throws -> T {
        do {
            return try await read()
        } catch let error as APIError where error.status.code < 500 {
            try await services.ledger.deadLetter(delivery.request, accountID: delivery.accountID, reason: error.message,
                                                 field: error.field, arrival: delivery.arrival)
            services.metrics.deadLettered(source: delivery.label)
            if let vendor = delivery.webhookVendor { services.metrics.webhook(vendor: vendor, outcome: "rejected") }
            throw error
        }
    }

    /// Appends events already read, with their request, and counts them.
    func append(_ events: [IncomingEvent], _ delivery: Delivery, refusedRows: [DeadLetterReason] = []) async throws -> [AppendOutcome] {
        let outcomes = try await services.ledger.append(events, accountID: delivery.accountID, request: delivery.request,
                                                        refusedRows: refusedRows, arrival: delivery.arrival)
        if !refusedRows.isEmpty { services.metrics.deadLettered(source: delivery.label, count: refusedRows.count) }
        let duplicates = outcomes.filter(\.duplicate).count
        services.metrics.eventsIngested(source: delivery.label, count: outcomes.count, duplicates: duplicates)
        if let vendor = delivery.webhookVendor {
            // A delivery without events (a RingCentral notification without a call) was
            // accepted, not retried.
            let retried = !outcomes.isEmpty && duplicates == outcomes.count
            services.metrics.webhook(vendor: vendor, outcome: retried ? "duplicate" : "accepted")
        }
        return outcomes
    }

    /// The checks every JSON or form body passes before it is read: whole, and UTF-8.
    static func requireReadable(_ body: CollectedBody, tooLarge: String) throws {
        if body.truncated { throw APIError.tooLarge(tooLarge) }
        try IngestChecks.requireUTF8(body.bytes)
    }
}

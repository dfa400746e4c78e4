import DCEDomain
import DCEStorage
import DCEVendors
import Foundation
import Hummingbird

/// `POST /v1/events`: dce's own ingestion API. One normalized call event, or
/// `{"events": [...]}` with up to 1000 of them, each with an idempotency key
/// (`NativeEvents`).
struct EventsController {
    let services: AppServices

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("events", use: post)
        return routes
    }

    @Sendable func post(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let body = try await CollectedBody.collect(request, limit: AppLimits.maximumBodyBytes)
        let ingest = Ingest(services: services)
        let delivery = ingest.begin(InboundRequest(request, source: NativeAdapter.source, body: body),
                                    accountID: accountID, label: NativeAdapter.source.rawValue)
        var isBatch = false
        let outcomes = try await ingest.accept(delivery) {
            try Ingest.requireReadable(body, tooLarge: "the body is larger than \(AppLimits.maximumBodyBytes) bytes; send smaller batches")
            let read = try Self.events(body.bytes, receivedAt: delivery.request.receivedAt)
            isBatch = read.isBatch
            return read.events
        }
        if isBatch { return try JSONResponse(BatchResult(results: outcomes)).response(from: request, context: context) }
        return try JSONResponse(outcomes[0]).response(from: request, context: context)
    }

    struct BatchResult: Encodable, Sendable { let results: [AppendOutcome] }

    /// The events of a whole UTF-8 body, checked as storable: what the route appends, and
    /// what a replay reads again from the stored request.
    static func events(_ bytes: [UInt8], receivedAt: Timestamp) throws -> (events: [IncomingEvent], isBatch: Bool) {
        let read = try parse(bytes, receivedAt: receivedAt)
        try IngestChecks.requireStorableText(read.events, batched: read.isBatch)
        return read
    }

    /// Reads the body into events, naming the first field that is wrong.
    static func parse(_ bytes: [UInt8], receivedAt: Timestamp) throws -> (events: [IncomingEvent], isBatch: Bool) {
        do {
            let read = try NativeEvents.decode(bytes, receivedAt: receivedAt)
            let events = read.events.map { $0.isWholeBody ? IncomingEvent.wholeBody($0.event) : IncomingEvent(event: $0.event, payload: $0.payload) }
            return (events, read.isBatch)
        } catch {
            throw APIError.badRequest(error.message, field: error.field, code: error.code)
        }
    }
}

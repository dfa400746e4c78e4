import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// `POST /v1/events`: dce's own ingestion API. One normalized call event, or
/// `{"events": [...]}` with up to 1000 of them, each with an idempotency key.
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
        let arrival = services.ledger.announce()
        let inbound = InboundRequest(request, source: .native, body: body)
        do {
            if body.truncated {
                throw APIError.tooLarge("the body is larger than \(AppLimits.maximumBodyBytes) bytes; send smaller batches")
            }
            try IngestChecks.requireUTF8(body.bytes)
            let (events, isBatch) = try Self.parse(body.bytes, receivedAt: inbound.receivedAt)
            try IngestChecks.requireStorableText(events, batched: isBatch)
            let outcomes = try await services.ledger.append(events, accountID: accountID, request: inbound, arrival: arrival)
            let duplicates = outcomes.filter(\.duplicate).count
            services.metrics.eventsIngested(source: Source.native.rawValue, count: outcomes.count, duplicates: duplicates)
            if isBatch {
                return try JSONResponse(BatchResult(results: outcomes)).response(from: request, context: context)
            }
            return try JSONResponse(outcomes[0]).response(from: request, context: context)
        } catch let error as APIError where error.status.code < 500 {
            try await services.ledger.deadLetter(inbound, accountID: accountID, reason: error.message, field: error.field, arrival: arrival)
            services.metrics.deadLettered(source: Source.native.rawValue)
            throw error
        }
    }

    struct BatchResult: Encodable, Sendable { let results: [AppendOutcome] }

    /// Reads the body into events, naming the first field that is wrong.
    static func parse(_ bytes: [UInt8], receivedAt: Timestamp) throws -> (events: [IncomingEvent], isBatch: Bool) {
        let document: Any
        do {
            document = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw APIError.badRequest("the body is not valid JSON", code: "malformed_json")
        }
        guard let object = document as? [String: Any] else {
            throw APIError.badRequest("the body must be a JSON object: one event, or {\"events\": [...]}", code: "malformed_json")
        }
        if let batch = object["events"] {
            guard let items = batch as? [Any] else {
                throw APIError.badRequest("'events' must be an array of events", field: "events", code: "invalid_field")
            }
            guard !items.isEmpty else {
                throw APIError.badRequest("'events' is empty", field: "events", code: "invalid_field")
            }
            guard items.count <= AppLimits.maximumBatch else {
                throw APIError.badRequest("\(items.count) events in one batch; at most \(AppLimits.maximumBatch) are allowed", field: "events", code: "batch_too_large")
            }
            let events = try items.enumerated().map { index, item in
                let read = try event(from: item, path: "events[\(index)]", receivedAt: receivedAt)
                return IncomingEvent(event: read.event, payload: String(decoding: read.json, as: UTF8.self))
            }
            return (events, true)
        }
        // One event is the whole body, which the request store keeps already.
        return ([.wholeBody(try event(from: object, path: nil, receivedAt: receivedAt).event)], false)
    }

    /// One event, and the JSON it was decoded from (keys sorted), which a batch's events
    /// keep as their payloads.
    static func event(from item: Any, path: String?, receivedAt: Timestamp) throws -> (event: CallEvent, json: Data) {
        guard item is [String: Any] else {
            throw APIError.badRequest("each event must be a JSON object", field: path, code: "invalid_field")
        }
        let data = try JSONSerialization.data(withJSONObject: item, options: [.sortedKeys, .withoutEscapingSlashes])
        let wire: NativeEvent
        do {
            wire = try JSONDecoder().decode(NativeEvent.self, from: data)
        } catch let error as DecodingError {
            let field = error.fieldPath(prefix: path)
            throw APIError.badRequest("\(field.map { "\($0): " } ?? "")\(error.readableMessage)", field: field, code: error.code)
        } catch let error as NativeEvent.Invalid {
            let field = [path, error.field].compactMap { $0 }.joined(separator: ".")
            throw APIError.badRequest("\(field): \(error.message)", field: field, code: error.code)
        }
        return (wire.callEvent(receivedAt: receivedAt), data)
    }
}

/// The wire shape of a native event: the call fields under their DCE column names, plus
/// who reported it and under which ids.
struct NativeEvent: Decodable {
    struct Invalid: Error {
        let field: String
        let message: String
        var code = "invalid_field"
    }

    let idempotencyKey: String
    let externalCallID: String
    let source: Source
    let type: String?
    let occurredAt: Timestamp?
    let fields: CallFields

    enum CodingKeys: String, CodingKey {
        case idempotencyKey = "idempotency_key", externalCallID = "external_call_id", source, type, occurredAt = "occurred_at"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        idempotencyKey = try c.decode(String.self, forKey: .idempotencyKey)
        guard (1...255).contains(idempotencyKey.count) else {
            throw Invalid(field: "idempotency_key", message: "must be 1 to 255 characters")
        }
        externalCallID = try c.decode(String.self, forKey: .externalCallID)
        guard (1...255).contains(externalCallID.count) else {
            throw Invalid(field: "external_call_id", message: "must be 1 to 255 characters")
        }
        let sourceName = try c.decodeIfPresent(String.self, forKey: .source) ?? Source.native.rawValue
        guard (1...32).contains(sourceName.count),
              sourceName.allSatisfy({ ($0.isLetter && $0.isLowercase) || $0.isNumber || $0 == "_" || $0 == "-" })
        else { throw Invalid(field: "source", message: "must be 1 to 32 lowercase letters, digits, '_' or '-'") }
        source = Source(rawValue: sourceName)
        type = try c.decodeIfPresent(String.self, forKey: .type)
        occurredAt = try c.decodeIfPresent(Timestamp.self, forKey: .occurredAt)
        fields = try CallFields(from: decoder)
        if fields.tags.count > Tags.maximumPerWrite {
            throw Invalid(field: "tags", message: Tags.ValidationError.tooMany(count: fields.tags.count).description, code: "too_many_tags")
        }
        do {
            _ = try Tags(validating: fields.tags.values)
        } catch {
            throw Invalid(field: "tags", message: error.description)
        }
    }

    func callEvent(receivedAt: Timestamp) -> CallEvent {
        CallEvent(
            source: source, externalCallID: externalCallID, idempotencyKey: idempotencyKey,
            occurredAt: occurredAt ?? receivedAt, type: type, fields: fields
        )
    }
}

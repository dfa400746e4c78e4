import DCEJSON
import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// A call as the native API shows it. Absent facts are `null`, never missing keys.
struct CallJSON: Encodable, Sendable {
    let call: CallRecord
    var vendorIDs: [VendorIDJSON]? = nil
    var events: [EventJSON]? = nil
    var exchange: CallExchangeJSON? = nil

    enum CodingKeys: String, CodingKey {
        case id, source, externalCallID = "external_call_id", vendorIDs = "vendor_ids"
        case callerPhone = "caller_phone", trackingNumber = "tracking_number", destinationNumber = "destination_number"
        case durationSeconds = "duration_seconds", callStartedAt = "call_started_at", callAnsweredAt = "call_answered_at"
        case callEndedAt = "call_ended_at", status, campaignID = "campaign_id", publisherID = "publisher_id"
        case targetID = "target_id", callerState = "caller_state", revenue, payout, converted
        case recordingURL = "recording_url", callMetadata = "call_metadata", eventCount = "event_count"
        case createdAt = "created_at", updatedAt = "updated_at", events, exchange
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let f = call.fields
        try c.encode(call.id, forKey: .id)
        try c.encode(call.source, forKey: .source)
        try c.encode(call.externalCallID, forKey: .externalCallID)
        if let vendorIDs { try c.encode(vendorIDs, forKey: .vendorIDs) }
        try c.encode(f.callerPhone, forKey: .callerPhone)
        try c.encode(f.trackingNumber, forKey: .trackingNumber)
        try c.encode(f.destinationNumber, forKey: .destinationNumber)
        try c.encode(f.durationSeconds, forKey: .durationSeconds)
        try c.encode(f.callStartedAt, forKey: .callStartedAt)
        try c.encode(f.callAnsweredAt, forKey: .callAnsweredAt)
        try c.encode(f.callEndedAt, forKey: .callEndedAt)
        try c.encode(f.status ?? .unknown, forKey: .status)
        try c.encode(f.campaignID, forKey: .campaignID)
        try c.encode(f.publisherID, forKey: .publisherID)
        try c.encode(f.targetID, forKey: .targetID)
        try c.encode(f.callerState, forKey: .callerState)
        try c.encode(f.revenue, forKey: .revenue)
        try c.encode(f.payout, forKey: .payout)
        try c.encode(f.converted, forKey: .converted)
        try c.encode(f.recordingURL, forKey: .recordingURL)
        try c.encode(f.tags, forKey: .callMetadata)
        try c.encode(call.eventCount, forKey: .eventCount)
        try c.encode(call.createdAt, forKey: .createdAt)
        try c.encode(call.updatedAt, forKey: .updatedAt)
        if let exchange { try c.encode(exchange, forKey: .exchange) }
        if let events { try c.encode(events, forKey: .events) }
    }
}

struct VendorIDJSON: Encodable, Sendable {
    let source: String
    let externalCallID: String
    enum CodingKeys: String, CodingKey { case source, externalCallID = "external_call_id" }
}

/// A stored event: the payload exactly as received (parsed back to JSON when it was
/// JSON) and the facts dce read from it.
struct EventJSON: Encodable, Sendable {
    let event: StoredEvent

    enum CodingKeys: String, CodingKey {
        case id, source, idempotencyKey = "idempotency_key", externalCallID = "external_call_id", type
        case occurredAt = "occurred_at", receivedAt = "received_at", payload, normalized
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(event.id, forKey: .id)
        try c.encode(event.source, forKey: .source)
        try c.encode(event.idempotencyKey, forKey: .idempotencyKey)
        try c.encode(event.externalCallID, forKey: .externalCallID)
        try c.encode(event.type, forKey: .type)
        try c.encode(event.occurredAt, forKey: .occurredAt)
        try c.encode(event.receivedAt, forKey: .receivedAt)
        if let json = JSONValue.parse(event.payload) {
            try c.encode(json, forKey: .payload)
        } else {
            try c.encode(event.payload, forKey: .payload)
        }
        try c.encode(event.fields, forKey: .normalized)
    }
}

struct CallListJSON: Encodable, Sendable {
    let data: [CallJSON]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey { case data, nextCursor = "next_cursor", hasMore = "has_more" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(data, forKey: .data)
        try c.encode(nextCursor, forKey: .nextCursor)
        try c.encode(nextCursor != nil, forKey: .hasMore)
    }
}

/// A JSON response from any `Encodable`, with the given status.
struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    let status: HTTPResponse.Status
    let value: Value

    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

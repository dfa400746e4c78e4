import DCEJSON
import DCEDomain
import Foundation
import NIOCore
import SQLKit

/// An HTTP request to an ingestion endpoint, kept verbatim before anything reads it.
public struct InboundRequest: Sendable {
    public var source: Source
    public var method: String
    public var path: String
    public var contentType: String?
    /// The headers that matter to replay or audit a delivery (never credentials).
    public var headers: [String: String]
    public var body: [UInt8]
    public var receivedAt: Timestamp

    public init(
        source: Source, method: String, path: String, contentType: String?,
        headers: [String: String], body: [UInt8], receivedAt: Timestamp = .now()
    ) {
        self.source = source
        self.method = method
        self.path = path
        self.contentType = contentType
        self.headers = headers
        self.body = body
        self.receivedAt = receivedAt
    }

    /// The body as stored: its bytes, and how it is shown (`utf8` text when it is UTF-8,
    /// else `base64`).
    var storedBody: (bytes: ByteBuffer, encoding: String) {
        (ByteBuffer(bytes: body), StoredBody.encoding(of: body))
    }

    var headersJSON: String { JSONText.object(headers) }
}

/// A call event ready to append, with the verbatim JSON (or form) it was read from.
public struct IncomingEvent: Sendable {
    public var event: CallEvent
    public var payload: String
    /// The event is the whole request body: its payload is not stored a second time but
    /// read back from the request (`StoredPayload`).
    public var payloadIsRequestBody = false
    /// For an event without a campaign that the account's numbers decide (RingCentral):
    /// looked up when the event is written (`CampaignAttribution`).
    public var campaignLookup: CampaignLookup?

    public init(event: CallEvent, payload: String, campaignLookup: CampaignLookup? = nil) {
        self.event = event
        self.payload = payload
        self.campaignLookup = campaignLookup
    }

    /// An event that is its request's whole body (one native event, one ribbon event).
    public static func wholeBody(_ event: CallEvent) -> IncomingEvent {
        var incoming = IncomingEvent(event: event, payload: "")
        incoming.payloadIsRequestBody = true
        return incoming
    }
}

/// An event's payload as stored: its own text, or (as an empty text) a reference to its
/// request's body, which the request store already holds.
enum StoredPayload {
    /// The columns to select for `text(_:)`, with `e` the event and `q` its request.
    static let columns = "e.payload, CASE WHEN e.payload = '' THEN q.body END AS request_body, q.body_encoding"
    static let join = "JOIN inbound_requests q ON q.id = e.request_id"

    static func text(_ row: any SQLRow) throws -> String {
        let payload = try row.decode(column: "payload", as: String.self)
        guard payload.isEmpty else { return payload }
        return StoredBody.shown(try StoredBody.bytes(row, column: "request_body"))
    }
}

/// What decides an event's campaign through the account's numbers: the label the vendor
/// sent (RingCentral's standard destination number), else the called tracking number.
public struct CampaignLookup: Sendable, Hashable {
    public let label: String?
    public let trackingNumber: PhoneNumber?

    public init(label: String?, trackingNumber: PhoneNumber?) {
        self.label = label
        self.trackingNumber = trackingNumber
    }
}

/// What the ledger answered for one event. A duplicate gets the answer of the first.
public struct AppendOutcome: Sendable, Hashable, Codable {
    public let idempotencyKey: String
    public let eventID: Int64
    public let callID: CallID
    public let duplicate: Bool
    /// The call's status once this event was folded in; nil for a duplicate.
    public internal(set) var callStatus: CallStatus? = nil

    public enum CodingKeys: String, CodingKey {
        case idempotencyKey = "idempotency_key"
        case eventID = "event_id"
        case callID = "call_id"
        case duplicate
    }
}

/// An event as stored: its verbatim payload and what dce read from it.
public struct StoredEvent: Sendable, Hashable {
    public let id: Int64
    public let source: Source
    public let idempotencyKey: String
    public let externalCallID: String
    public let type: String?
    public let occurredAt: Timestamp
    public let receivedAt: Timestamp
    public let payload: String
    public let fields: CallFields
}

/// A delivery that could not be read, kept with the reason.
public struct DeadLetter: Sendable, Hashable {
    public let id: String
    public let accountID: AccountID?
    public let source: Source
    public let receivedAt: Timestamp
    public let reason: String
    public let field: String?
    public let body: String
}

/// Reading a stored request body back: bytes (a BLOB or `bytea`), or the text that SQLite
/// rows written before migration 009 hold (`body_encoding` says whether it is base64).
enum StoredBody {
    static func encoding(of bytes: [UInt8]) -> String {
        String(validating: bytes, as: UTF8.self) == nil ? "base64" : "utf8"
    }

    static func bytes(_ row: any SQLRow, column: String = "body", encodingColumn: String = "body_encoding") throws -> [UInt8] {
        if let data = try? row.decode(column: column, as: Data.self) { return Array(data) }
        let text = try row.decode(column: column, as: String.self)
        if try row.decode(column: encodingColumn, as: String.self) == "base64", let decoded = Data(base64Encoded: text) {
            return Array(decoded)
        }
        return Array(text.utf8)
    }

    /// As the API shows it: the text when it is UTF-8, else base64.
    static func shown(_ bytes: [UInt8]) -> String {
        String(validating: bytes, as: UTF8.self) ?? Data(bytes).base64EncodedString()
    }
}

import DCEDomain
import DCEJSON
import Foundation

/// dce's own event format (`POST /v1/events`, and signed native webhooks): one normalized
/// call event, or `{"events": [...]}` with up to `maximumBatch` of them, each with an
/// idempotency key.
public enum NativeEvents {
    public static let maximumBatch = 1000

    /// Reads the body into events, naming the first field that is wrong. One event is the
    /// whole body, which the request store keeps already; a batch's events keep the JSON
    /// each was decoded from (keys sorted, numbers as sent).
    public static func decode(_ bytes: [UInt8], receivedAt: Timestamp) throws(VendorError) -> (events: [VendorEvent], isBatch: Bool) {
        guard let document = JSONValue.parse(bytes: bytes) else {
            throw VendorError(field: nil, message: "the body is not valid JSON", code: "malformed_json")
        }
        guard case .object(let object) = document else {
            throw VendorError(field: nil, message: "the body must be a JSON object: one event, or {\"events\": [...]}", code: "malformed_json")
        }
        if let batch = object["events"] {
            guard case .array(let items) = batch else {
                throw VendorError(field: "events", message: "'events' must be an array of events")
            }
            guard !items.isEmpty else { throw VendorError(field: "events", message: "'events' is empty") }
            guard items.count <= maximumBatch else {
                throw VendorError(field: "events", message: "\(items.count) events in one batch; at most \(maximumBatch) are allowed",
                                  code: "batch_too_large")
            }
            var events: [VendorEvent] = []
            for (index, item) in items.enumerated() {
                let read = try event(from: item, path: "events[\(index)]", receivedAt: receivedAt)
                events.append(VendorEvent(event: read.event, payload: read.json))
            }
            return (events, true)
        }
        let event = try event(from: document, path: nil, receivedAt: receivedAt).event
        return ([VendorEvent(event: event, payload: "", isWholeBody: true)], false)
    }

    static func event(from item: JSONValue, path: String?, receivedAt: Timestamp) throws(VendorError) -> (event: CallEvent, json: String) {
        guard case .object = item else { throw VendorError(field: path, message: "each event must be a JSON object") }
        do {
            // Codable reads the event; a batch's item is written back once for that and kept.
            let json = item.text
            let wire = try JSONDecoder().decode(NativeEvent.self, from: Data(json.utf8))
            return (wire.callEvent(receivedAt: receivedAt), json)
        } catch let error as DecodingError {
            let field = error.fieldPath(prefix: path)
            throw VendorError(field: field, message: "\(field.map { "\($0): " } ?? "")\(error.readableMessage)", code: error.code)
        } catch let error as NativeEvent.Invalid {
            let field = [path, error.field].compactMap { $0 }.joined(separator: ".")
            throw VendorError(field: field, message: "\(field): \(error.message)", code: error.code)
        } catch {
            throw VendorError(field: path, message: "each event must be a JSON object")
        }
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
        let sourceName = try c.decodeIfPresent(String.self, forKey: .source) ?? NativeAdapter.source.rawValue
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

import DCEDomain

/// One HTTP delivery as a vendor sent it, with nothing read yet.
public struct VendorDelivery: Sendable {
    public var method: String
    /// The query string's parameters, percent-decoded. The first occurrence of a name wins.
    public var query: [String: String]
    public var contentType: String?
    public var body: [UInt8]
    public var receivedAt: Timestamp

    public init(method: String, query: [String: String], contentType: String?, body: [UInt8], receivedAt: Timestamp) {
        self.method = method
        self.query = query
        self.contentType = contentType
        self.body = body
        self.receivedAt = receivedAt
    }

    /// True when the body is JSON (by content type, or by its first character when the
    /// sender did not say).
    var bodyIsJSON: Bool {
        if let type = contentType {
            if Self.mentions(type, "json") { return true }
            if Self.mentions(type, "x-www-form-urlencoded") { return false }
        }
        return body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }).map { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") } ?? false
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Whether `text` contains `word` (lowercase ASCII), ignoring ASCII case. Compared as
    /// bytes: Foundation's string search, which `contains` would call, costs more than
    /// reading a small form.
    static func mentions(_ text: String, _ word: String) -> Bool {
        let lowered = text.utf8.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 | 0x20 : $0 }
        let word = Array(word.utf8)
        guard lowered.count >= word.count else { return false }
        return (0...(lowered.count - word.count)).contains { lowered[$0..<($0 + word.count)].elementsEqual(word) }
    }
}

/// What an account configured for one integration: its id (part of every idempotency key)
/// and the names it gave the vendor's parameters.
public struct IntegrationProfile: Sendable, Hashable {
    public var id: String
    /// dce's name for a parameter → the name the vendor sends it under
    /// (Ringba's configurable Call and Revenue tokens: `call_id` → `callUUID`).
    public var fieldMapping: [String: String]

    public init(id: String, fieldMapping: [String: String] = [:]) {
        self.id = id
        self.fieldMapping = fieldMapping
    }

    /// The parameter name to read for dce's name `name`.
    public func parameter(_ name: String) -> String { fieldMapping[name] ?? name }
}

/// A call event read from a delivery, with the verbatim part of the delivery it came from.
public struct VendorEvent: Sendable, Hashable {
    public var event: CallEvent
    public var payload: String
    /// The event is the delivery's whole body (one native event): its payload is the
    /// stored request's body, not kept a second time.
    public var isWholeBody: Bool
    /// The label (RingCentral's standard destination number) that decides the campaign
    /// when the adapter lets the account's numbers decide it.
    public var attributionLabel: String?
    /// The idempotency key of an earlier event this one corrects, when it does not name
    /// its call (an Invoca correction row): the call is the corrected event's.
    public var correctedKey: String?

    public init(event: CallEvent, payload: String, isWholeBody: Bool = false, attributionLabel: String? = nil, correctedKey: String? = nil) {
        self.event = event
        self.payload = payload
        self.isWholeBody = isWholeBody
        self.attributionLabel = attributionLabel
        self.correctedKey = correctedKey
    }
}

/// Why a delivery cannot be read, naming the parameter or JSON path at fault.
public struct VendorError: Error, Equatable, Sendable, CustomStringConvertible {
    public let field: String?
    public let message: String
    public let code: String

    public init(field: String?, message: String, code: String = "invalid_field") {
        self.field = field
        self.message = message
        self.code = code
    }

    public static func missing(_ field: String) -> VendorError {
        VendorError(field: field, message: "'\(field)' is required", code: "missing_field")
    }

    public static func invalid(_ field: String, _ reason: String) -> VendorError {
        VendorError(field: field, message: "\(field): \(reason)")
    }

    public var description: String { message }
}

/// The idempotency key of one vendor event: unique per integration, vendor call id and
/// stage or event, so a vendor's retry is recognised and changes nothing.
public enum IdempotencyKey {
    public static func make(_ source: Source, integration: String, callID: String, stage: String) -> String {
        "\(source.rawValue):\(integration):\(callID):\(stage)"
    }
}

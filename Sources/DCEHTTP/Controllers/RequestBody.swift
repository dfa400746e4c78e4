import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// Reading a request body for an ingestion route: collected up to the limit and kept
/// verbatim, so that even a refused body can be stored in the dead-letter store.
struct CollectedBody {
    let bytes: [UInt8]
    /// True when the body went past the limit; `bytes` holds its first part only.
    let truncated: Bool

    static func collect(_ request: Request, limit: Int) async throws -> CollectedBody {
        var buffer = ByteBuffer()
        var truncated = false
        for try await chunk in request.body {
            if buffer.readableBytes + chunk.readableBytes > limit {
                var part = chunk
                if let head = part.readSlice(length: limit - buffer.readableBytes) {
                    buffer.writeImmutableBuffer(head)
                }
                truncated = true
                break
            }
            buffer.writeImmutableBuffer(chunk)
        }
        return CollectedBody(bytes: Array(buffer.readableBytesView), truncated: truncated)
    }
}

/// The request headers worth keeping with a delivery. Credentials are never stored.
enum KeptHeaders {
    static let excluded: Set<String> = ["authorization", "x-api-key", "cookie", "proxy-authorization"]

    static func from(_ request: Request) -> [String: String] {
        var kept: [String: String] = [:]
        for field in request.headers where !excluded.contains(field.name.canonicalName) {
            if let existing = kept[field.name.canonicalName] {
                kept[field.name.canonicalName] = existing + ", " + field.value
            } else {
                kept[field.name.canonicalName] = field.value
            }
        }
        return kept
    }
}

extension InboundRequest {
    init(_ request: Request, source: Source, body: CollectedBody) {
        self.init(
            source: source, method: request.method.rawValue, path: request.uri.description,
            contentType: request.headers[.contentType], headers: KeptHeaders.from(request), body: body.bytes
        )
    }
}

extension DecodingError {
    /// `events[3].caller_phone`: where in the document the problem is.
    func fieldPath(prefix: String? = nil) -> String? {
        var path: [CodingKey]
        switch self {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: path = []
        }
        var text = prefix ?? ""
        for key in path {
            if let index = key.intValue, key.stringValue.hasPrefix("Index") || key.stringValue == "\(index)" {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? nil : text
    }

    var readableMessage: String {
        switch self {
        case .keyNotFound(let key, _): "'\(key.stringValue)' is required"
        case .typeMismatch(let type, _): "expected \(Self.describe(type))"
        case .valueNotFound(let type, _): "expected \(Self.describe(type)), found null"
        case .dataCorrupted(let context): context.debugDescription
        @unknown default: "the value is not valid"
        }
    }

    var code: String {
        if case .keyNotFound = self { return "missing_field" }
        return "invalid_field"
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "true or false"
        case is Double.Type: "a number"
        default: "a value of type \(type)"
        }
    }
}

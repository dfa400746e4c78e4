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

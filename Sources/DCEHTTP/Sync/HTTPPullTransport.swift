import AsyncHTTPClient
import DCEVendors
import NIOCore
import NIOHTTP1

/// Sends a sync's requests over HTTP with AsyncHTTPClient's shared client (its own event
/// loops, alive for the process, so there is nothing to shut down).
public struct HTTPPullTransport: PullTransport {
    /// A page larger than this is refused rather than held in memory.
    public var maximumBodyBytes: Int

    public init(maximumBodyBytes: Int = 64 << 20) {
        self.maximumBodyBytes = maximumBodyBytes
    }

    public func send(_ request: PullRequest, timeout: Duration) async throws -> PullResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) {
            outgoing.headers.add(name: name, value: value)
        }
        if let body = request.body {
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        let deadline = TimeAmount.nanoseconds(max(timeout.nanoseconds, 1))
        let response = try await HTTPClient.shared.execute(outgoing, timeout: deadline)
        let body = try await response.body.collect(upTo: maximumBodyBytes)
        var headers: [String: String] = [:]
        for header in response.headers {
            let name = header.name.lowercased()
            // Repeated headers (Link) are joined as HTTP allows.
            headers[name] = headers[name].map { $0 + ", " + header.value } ?? header.value
        }
        return PullResponse(status: Int(response.status.code), headers: headers, body: Array(buffer: body))
    }
}

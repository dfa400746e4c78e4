import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A vendor's API on loopback, answering each request as the test says and recording it,
/// so that a sync is tested over real HTTP (timeouts, headers, status codes) without the
/// vendor. Shared by the HTTP tests and the end-to-end tests of the `dce` binary.
public final class FakeVendorServer: Sendable {
    private let port: Int
    private let log: RequestLog
    private let task: Task<Void, Never>

    private init(port: Int, log: RequestLog, task: Task<Void, Never>) {
        self.port = port
        self.log = log
        self.task = task
    }

    /// Starts a server on a free port of 127.0.0.1; `handler` answers every request.
    public static func start(_ handler: @escaping @Sendable (FakeRequest) async -> FakeResponse) async throws -> FakeVendorServer {
        let log = RequestLog()
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let body = try await request.body.collect(upTo: 64 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters where query[String(name)] == nil {
                query[String(name)] = String(value)
            }
            let fake = FakeRequest(method: request.method.rawValue, path: request.uri.path, query: query, headers: headers,
                                   body: Array(buffer: body))
            log.append(fake)
            let answer = await handler(fake)
            var fields = HTTPFields()
            for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) {
                if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
            }
            if let cut = answer.cutAfter {
                // The whole length announced, part of the body sent, then the connection dropped.
                let sent = ByteBuffer(bytes: answer.body.prefix(cut))
                return Response(status: .init(code: answer.status), headers: fields, body: ResponseBody(contentLength: answer.body.count) { writer in
                    try await writer.write(sent)
                    throw FakeVendorServerError.cutOff
                })
            }
            return Response(status: .init(code: answer.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        var logger = Logger(label: "fake-vendor")
        // Stopping cancels the server, which it logs as errors.
        logger.logLevel = .critical
        let bound = AsyncStream<Int>.makeStream()
        let app = Application(
            responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "fake-vendor"),
            onServerRunning: { channel in
                bound.continuation.yield(channel.localAddress?.port ?? 0)
                bound.continuation.finish()
            },
            logger: logger
        )
        let task = Task {
            do { try await app.runService(gracefulShutdownSignals: []) } catch {
                bound.continuation.finish()
            }
        }
        var iterator = bound.stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw FakeVendorServerError.didNotStart
        }
        return FakeVendorServer(port: port, log: log, task: task)
    }

    /// `http://127.0.0.1:<port>/`
    public var baseURL: String { "http://127.0.0.1:\(port)/" }

    /// The requests received so far, in order.
    public func requests() async -> [FakeRequest] { log.all }

    public func stop() async throws {
        task.cancel()
        await task.value
    }
}

public enum FakeVendorServerError: Error { case didNotStart, cutOff }

/// The requests a fake server received.
private final class RequestLog: Sendable {
    private let entries = Mutex<[FakeRequest]>([])
    func append(_ request: FakeRequest) { entries.withLock { $0.append(request) } }
    var all: [FakeRequest] { entries.withLock { $0 } }
}

public struct FakeRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    /// Names in lowercase.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, query: [String: String], headers: [String: String], body: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

public struct FakeResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
    /// When set, only this many bytes of the body are sent before the connection drops
    /// (a download that fails half-way).
    public var cutAfter: Int?

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ text: String, status: Int = 200, headers: [String: String] = [:]) -> FakeResponse {
        FakeResponse(status: status, headers: headers.merging(["content-type": "application/json"]) { given, _ in given },
                     body: Array(text.utf8))
    }
}

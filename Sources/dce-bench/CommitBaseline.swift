import DCEStorage
import DCEVendors
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import SQLKit

/// The receiver dce is measured against: the Ringba seed's Express handler, as a plain
/// HTTP server in this process. It reads the conversion's query parameters, answers 400
/// without `call_id`, and stores each delivery with its own commit, synced to disk before
/// answering: `write` of dce's own SQLite backend (WAL, the same writer connection and
/// kept statements, a sync per write), so that the two differ only in what a delivery
/// costs and in committing one at a time. It is loaded exactly like dce: the same
/// deliveries, the same HTTP client, the same number of requests in flight.
enum CommitBaseline {
    static func run(folder: String, seconds: Double, concurrency: Int, deliveries: Int) async throws -> PhaseResult {
        let path = (folder as NSString).appendingPathComponent("dce-bench-baseline-\(UUID().uuidString).sqlite")
        var logger = Logger(label: "dce-bench")
        logger.logLevel = .warning
        let database = try await openDatabase(.sqlite(path: path), logger: logger)
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        do {
            try await database.write { sql in
                try await sql.raw("""
                    CREATE TABLE call_data (id INTEGER PRIMARY KEY AUTOINCREMENT, external_call_id TEXT NOT NULL, revenue REAL NOT NULL,
                        converted INTEGER NOT NULL, caller_id TEXT, tracking_number TEXT, duration INTEGER NOT NULL, received_at BIGINT NOT NULL)
                    """).run()
            }
            let router = Router()
            router.on("/webhooks/ringba", method: .get) { request, _ in try await store(request, in: database) }
            router.on("/webhooks/ringba", method: .post) { request, _ in try await store(request, in: database) }
            let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
            let app = Application(
                router: router,
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) },
                // Quiet: the server is cancelled when the phase ends.
                logger: Logger(label: "baseline", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            let result = try await withThrowingTaskGroup(of: PhaseResult?.self) { group in
                group.addTask { try await app.runService(gracefulShutdownSignals: []); return nil }
                var ports = portStream.makeAsyncIterator()
                guard let port = await ports.next() else { throw CancellationError() }
                let traffic = TrafficSource(vendor: .ringba, url: "http://127.0.0.1:\(port)/webhooks/ringba", secret: nil, count: deliveries)
                let client = HTTPClient.forBenchmark(concurrency: concurrency)
                let phase = await Load.saturate(name: "one commit per request (HTTP)", seconds: seconds, concurrency: concurrency) {
                    await traffic.sendNext(client: client)
                }
                try await client.shutdown()
                group.cancelAll()
                return phase
            }
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }

    /// What the seed's handler does with one delivery.
    static func store(_ request: Request, in database: any Database) async throws -> Response {
        let query = request.uri.queryParameters
        guard let callID = query["call_id"].map(String.init), !callID.isEmpty else {
            return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: #"{"error":"Missing call_id"}"#)))
        }
        let revenue = query["call_revenue"].flatMap { Double(String($0)) } ?? 0
        let converted = query["sale_successful"].map(String.init) == "yes"
        let duration = query["call_length"].flatMap { Int64(String($0)) } ?? 0
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO call_data (external_call_id, revenue, converted, caller_id, tracking_number, duration, received_at)
                VALUES (\(bind: callID), \(bind: revenue), \(bind: converted ? 1 : 0), \(bind: query["caller_id"].map(String.init)),
                        \(bind: query["inbound_number"].map(String.init)), \(bind: duration), \(bind: Int64(Date().timeIntervalSince1970 * 1000)))
                """).run()
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"success":true}"#)))
    }
}

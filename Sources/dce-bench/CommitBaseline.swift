import DCEStorage
import Foundation
import Logging
import SQLKit

/// The receiver dce is measured against: one commit per delivery, as the Ringba seed's
/// Express handler does, on SQLite with the same durability settings (WAL,
/// `synchronous=FULL`) in the given folder. Without HTTP in the way, its rate is the most
/// such a receiver could do on this disk.
enum CommitBaseline {
    static func run(folder: String, seconds: Double) async throws -> PhaseResult {
        let path = (folder as NSString).appendingPathComponent("dce-bench-baseline-\(UUID().uuidString).sqlite")
        var logger = Logger(label: "dce-bench")
        logger.logLevel = .warning
        let database = try await openDatabase(.sqlite(path: path), logger: logger)
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        do {
            try await database.write { sql in
                try await sql.raw("CREATE TABLE deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, received_at BIGINT NOT NULL, body TEXT NOT NULL)").run()
            }
            let body = "call_id=RGB-1&call_revenue=45.50&sale_successful=yes&caller_id=%2B15551234567&inbound_number=%2B15557654321&call_length=180"
            let start = ContinuousClock.now
            let end = start + .milliseconds(Int64(seconds * 1000))
            var latencies: [Double] = []
            while ContinuousClock.now < end {
                let began = ContinuousClock.now
                try await database.write { sql in
                    try await sql.raw("INSERT INTO deliveries (received_at, body) VALUES (\(bind: Int64(Date().timeIntervalSince1970 * 1000)), \(bind: body))").run()
                }
                latencies.append(Load.milliseconds(ContinuousClock.now - began))
            }
            await database.close()
            return PhaseResult(name: "one commit per request, no HTTP", latencies: latencies, failures: 0,
                               seconds: Load.milliseconds(ContinuousClock.now - start) / 1000)
        } catch {
            await database.close()
            throw error
        }
    }
}

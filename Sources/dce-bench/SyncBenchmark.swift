import ArgumentParser
import DCEDomain
import DCEHTTP
import DCEStorage
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// A backfill through the sync engine from a fake Retreaver answering at once over
/// loopback: `calls.json` pages of `{"call": {…}}` (Retreaver's core-api-docs) linked by
/// `Link: rel="next"`, each page kept and its calls appended to a fresh SQLite ledger. Reports
/// rows per second and the process's peak resident memory (the fake is in this process).
struct SyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Backfill N calls through the sync engine from a local fake Retreaver."
    )

    @Option(help: "Calls to backfill.") var calls = 100_000
    @Option(help: "Calls per page (Retreaver's per_page).") var perPage = 100
    @Option(help: "A SQLite file to write (default: a temporary one, removed after).") var database: String?

    func run() async throws {
        guard calls > 0, perPage > 0, perPage <= 10_000 else { throw ValidationError("--calls and --per-page must be positive") }
        var logger = Logger(label: "dce-bench")
        logger.logLevel = .warning
        let path = database ?? NSTemporaryDirectory() + "dce-bench-sync-\(UUID().uuidString).sqlite"
        let (calls, perPage) = (calls, perPage)
        var fakeLogger = logger
        // Stopping the fake cancels it, which it logs as errors.
        fakeLogger.logLevel = .critical

        let fake = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in
                let query = request.uri.queryParameters
                var headers: HTTPFields = [.contentType: "application/json"]
                // The second pass (calls updated in the window) and the account's affiliates,
                // campaigns and targets find nothing new.
                guard query["sort_by"].map(String.init) != "updated_at", request.uri.path.hasSuffix("/calls.json") else {
                    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "[]")))
                }
                let page = query["page"].flatMap { Int(String($0)) } ?? 1
                let first = (page - 1) * perPage
                let last = min(first + perPage, calls)
                if last < calls, let host = request.head.authority, let link = HTTPField.Name("link") {
                    headers[link] = "<http://\(host)/api/v2/calls.json?page=\(page + 1)>; rel=\"next\""
                }
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Self.page(first..<max(first, last)))))
            },
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "fake-retreaver"),
            onServerRunning: { channel in Bound.port.continuation.yield(channel.localAddress?.port ?? 0) },
            logger: fakeLogger
        )
        let server = Task { try await fake.runService(gracefulShutdownSignals: []) }
        var ports = Bound.port.stream.makeAsyncIterator()
        guard let port = await ports.next(), port > 0 else { throw ValidationError("the fake vendor did not start") }

        let opened = try await openDatabase(.sqlite(path: path), logger: logger)
        do {
            try await Migrations.migrate(opened)
            let box = try SecretBox(hexKey: (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined())
            var services = AppServices(database: opened, adminKey: nil)
            services.secretBox = box
            let account = try await AccountDirectory(database: opened).create(name: "bench-\(UUID().uuidString.prefix(8))")
            let integration = try await IntegrationStore(database: opened).create(
                accountID: account.id, vendor: "retreaver", name: "backfill", fieldMapping: [:], secret: "bench")
            try await CredentialStore(database: opened, box: box).set(StoredCredentials(
                integrationID: integration.id, accountID: account.id, values: ["api_key": "bench-key", "company_id": "1"],
                apiBaseURL: "http://127.0.0.1:\(port)/"))

            let engine = SyncEngine(services: services, transport: HTTPPullTransport())
            let window = PullWindow(from: Timestamp(millisecondsSince1970: 1_767_225_600_000), to: Timestamp(millisecondsSince1970: 1_769_904_000_000))
            let start = ContinuousClock.now
            let report = try await engine.sync(integrationID: integration.id, window: window)
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(String(format: "sync backfill: %d calls in %d pages, %.2f s, %.0f rows/s; %d new events, %d dead letters; peak resident memory %.1f MiB",
                         report.rows, report.pages, seconds, Double(report.rows) / seconds, report.newEvents, report.deadLetters,
                         Double(Self.peakResidentKiB()) / 1024))
        } catch {
            await opened.close()
            server.cancel()
            throw error
        }
        await opened.close()
        server.cancel()
        if database == nil {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
    }

    /// Calls `range` as one `calls.json` page.
    static func page(_ range: Range<Int>) -> String {
        let base: Int64 = 1_767_571_200_000
        return "[" + range.map { index in
            let started = Timestamp(millisecondsSince1970: base + Int64(index) * 20_000)
            let ended = started.adding(seconds: 95)
            return """
                {"call":{"uuid":"bench-\(index)","caller":"+1415\(String(format: "%07d", index % 10_000_000))","status":"finished",\
                "number":"+18886064349","dialed_number":"+12263399112","start_time":"\(started.iso8601)","end_time":"\(ended.iso8601)",\
                "created_at":"\(started.iso8601)","updated_at":"\(ended.iso8601)","total_duration":95,"revenue":5.0,"payout":2.5,\
                "converted":true,"cid":"bench","tags":{"geo":"415,us"}}}
                """
        }.joined(separator: ",") + "]"
    }

    /// The most memory this process has held resident (`ru_maxrss`, KiB on Linux).
    static func peakResidentKiB() -> Int {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return Int(usage.ru_maxrss)
    }
}

/// The port the fake vendor bound, told by its `onServerRunning`.
private enum Bound {
    static let port = AsyncStream<Int>.makeStream()
}

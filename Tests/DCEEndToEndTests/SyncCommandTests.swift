import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import SQLKit
import Synchronization
import Testing

/// `dce sync` as a user runs it, against a fake Retreaver: every page stored and exit 0,
/// or a non-zero exit that says why.
@Suite struct SyncCommandTests {
    static let secretKey = String(repeating: "5a", count: 32)

    /// Two calls of Retreaver's `{"call": {…}}` shape (core-api-docs, "V2 - Enumerate
    /// through Calls"), trimmed to the fields dce reads.
    static func calls(_ ids: [String]) -> String {
        "[" + ids.map { id in
            """
            {"call":{"uuid":"\(id)","caller":"+13015236555","status":"finished","number":"+18886064349",\
            "dialed_number":"+12263399112","start_time":"2026-01-05T16:52:18.034Z","end_time":"2026-01-05T16:52:32.882Z",\
            "created_at":"2026-01-05T16:52:18.177Z","updated_at":"2026-01-05T16:53:00.756Z","total_duration":14}}
            """
        }.joined(separator: ",") + "]"
    }

    @Test func syncStoresEveryPageAndExitsZero() async throws {
        let base = Mutex("")
        let server = try await FakeVendorServer.start { request in
            guard request.query["api_key"] == "rk-secret-1" else { return .json(#"{"error":"unauthorized"}"#, status: 401) }
            // The account's affiliates, campaigns and targets, imported after the calls: none.
            guard request.path == "/api/v2/calls.json" else { return .json("[]") }
            if request.query["sort_by"] == "updated_at" { return .json("[]") }
            if request.query["page"] == "2" { return .json(Self.calls(["c-3"])) }
            // Retreaver writes the key into its links; dce takes it out before keeping one.
            let next = "<\(base.withLock { $0 })api/v2/calls.json?page=2&api_key=rk-secret-1>; rel=\"next\""
            return .json(Self.calls(["c-1", "c-2"]), headers: ["Link": next])
        }
        base.withLock { $0 = server.baseURL }
        let created = try await TestDatabases.create(.sqlite)
        let integration = try await Self.retreaverIntegration(created.location, baseURL: server.baseURL)

        // run
        let synced = try await Self.dce(["sync", integration, "--from", "2026-01-01", "--to", "2026-01-31",
                                         "--database", created.location.connectionString])

        // validate
        #expect(synced.status == 0, "\(synced.stderr)")
        #expect(synced.stdout.contains("3 rows"))
        #expect(synced.stderr.contains("sync: 1 pages"))
        let database = try await openDatabase(created.location, logger: TestDatabases.logger)
        let calls = try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM calls").first()?.decode(column: "n", as: Int.self)
        }
        let pages = try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM inbound_requests WHERE path LIKE '/sync/retreaver/%'").first()?.decode(column: "n", as: Int.self)
        }
        let kept = try await database.read { sql in
            try await sql.raw("SELECT headers FROM inbound_requests").all().map { try $0.decode(column: "headers", as: String.self) }
        }
        await database.close()
        #expect(!kept.contains { $0.contains("rk-secret-1") })
        #expect(calls == 3)
        // Two pages of calls, the updated calls, and the affiliates, campaigns and targets.
        #expect(pages == 6)
        try await server.stop()
        try await created.drop()
    }

    @Test func aVendorThatRefusesTheKeyFailsTheSyncWithTheReason() async throws {
        let server = try await FakeVendorServer.start { _ in .json(#"{"error":"invalid api key"}"#, status: 401) }
        let created = try await TestDatabases.create(.sqlite)
        let integration = try await Self.retreaverIntegration(created.location, baseURL: server.baseURL)

        let synced = try await Self.dce(["sync", integration, "--from", "2026-01-01", "--database", created.location.connectionString])

        #expect(synced.status != 0)
        #expect(synced.stderr.contains("HTTP 401"))
        #expect(synced.stderr.contains("invalid api key"))
        #expect(!synced.stderr.contains("rk-secret-1"))
        try await server.stop()
        try await created.drop()
    }

    @Test func syncFromTheCommandLineWhileServeRunsPullsOnceAtATime() async throws {
        // setup: a slow Retreaver, so that the server's scheduled sync and the command's overlap
        let base = Mutex("")
        let inFlight = Mutex((now: 0, most: 0, calls: 0))
        let server = try await FakeVendorServer.start { request in
            inFlight.withLock { $0.now += 1; $0.most = max($0.most, $0.now); $0.calls += 1 }
            try? await Task.sleep(for: .milliseconds(300))
            inFlight.withLock { $0.now -= 1 }
            guard request.path == "/api/v2/calls.json" else { return .json("[]") }
            if request.query["sort_by"] == "updated_at" { return .json("[]") }
            let page = Int(request.query["page"] ?? "1") ?? 1
            let next = page < 3 ? ["Link": "<\(base.withLock { $0 })api/v2/calls.json?page=\(page + 1)>; rel=\"next\""] : [:]
            return .json(Self.calls(["p\(page)-a", "p\(page)-b"]), headers: next)
        }
        base.withLock { $0 = server.baseURL }
        let created = try await TestDatabases.create(.sqlite)
        let integration = try await Self.retreaverIntegration(created.location, baseURL: server.baseURL)
        let serve = try await DCEProcess(database: created.location, environment: ["DCE_SECRET_KEY": Self.secretKey])

        // run
        let synced = try await Self.dce(["sync", integration, "--from", "2026-01-01", "--to", "2026-01-31",
                                         "--database", created.location.connectionString])
        let health = try await HTTP.request(.GET, serve.baseURL + "/health")
        await serve.terminate()

        // validate
        #expect(synced.status == 0, "\(synced.stderr)")
        #expect(health.status == 200)
        let database = try await openDatabase(created.location, logger: TestDatabases.logger)
        let calls = try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM calls").first()?.decode(column: "n", as: Int.self)
        }
        await database.close()
        #expect(calls == 6)
        // The lease let one process pull at a time.
        #expect(inFlight.withLock { $0.most } == 1)
        #expect(inFlight.withLock { $0.calls } >= 7)
        try await server.stop()
        try await created.drop()
    }

    /// An account with a Retreaver integration whose API is `baseURL`; returns its id.
    static func retreaverIntegration(_ location: DatabaseLocation, baseURL: String) async throws -> String {
        let database = ["--database", location.connectionString]
        #expect(try await dce(["accounts", "create", "acme"] + database).status == 0)
        let added = try await dce(["integrations", "add", "--account", "acme", "--vendor", "retreaver", "--name", "r"] + database)
        let id = added.stdout.split(separator: "\n").first { $0.hasPrefix("id\t") }.map { String($0.dropFirst(3)) } ?? ""
        let credentials = try await dce(["integrations", "credentials", id, "--set", "api_key=rk-secret-1", "--set", "company_id=2",
                                         "--api-base-url", baseURL] + database)
        #expect(credentials.status == 0, "\(credentials.stderr)")
        return id
    }

    static func dce(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await DCEProcess.run(arguments, environment: ["DCE_SECRET_KEY": secretKey])
    }
}

import AsyncHTTPClient
import DCEStorage
import DCETestSupport
import Foundation
import Testing

@Suite struct LifecycleTests {
    @Test func aWrongSettingFailsFastNamingTheKey() throws {
        let port = try DCEProcess.run(["serve"], environment: ["DCE_PORT": "eighty"])
        #expect(port.status != 0)
        #expect(port.stderr.contains("DCE_PORT"))

        let database = try DCEProcess.run(["migrate"], environment: ["DATABASE_URL": "mysql://localhost/dce"])
        #expect(database.status != 0)
        #expect(database.stderr.contains("DATABASE_URL"))

        let level = try DCEProcess.run(["migrate", "--log-level", "loud"])
        #expect(level.status != 0)
        #expect(level.stderr.contains("--log-level"))

        let admin = try DCEProcess.run(["serve"], environment: ["DCE_ADMIN_KEY": "short"])
        #expect(admin.status != 0)
        #expect(admin.stderr.contains("DCE_ADMIN_KEY"))
    }

    @Test func sigtermDrainsAndExitsCleanly() async throws {
        let created = try await TestDatabases.create(.sqlite)
        defer { Task { try? await created.drop() } }
        let server = try DCEProcess(database: created.location)
        let health = try await HTTP.request(.GET, server.baseURL + "/health")
        #expect(health.status == 200)
        #expect(server.terminate() == 0)
        // The database was closed cleanly: it opens and migrates again at once.
        let migrate = try DCEProcess.run(["migrate", "--database", created.location.connectionString])
        #expect(migrate.status == 0, "\(migrate.stderr)")
    }

    @Test func theDemoFillsAMonthOfCallsAndPrintsHowToSignIn() async throws {
        let created = try await TestDatabases.create(.sqlite)
        defer { Task { try? await created.drop() } }
        let server = try DCEProcess(database: created.location, arguments: ["--demo", "--demo-calls", "400"])
        let page = try await HTTP.request(.GET, server.baseURL + "/v1/admin/accounts")
        #expect(page.status == 401)
        #expect(server.terminate() == 0)
        let restarted = try DCEProcess.run(["keys", "list", "--account", "demo", "--database", created.location.connectionString])
        #expect(restarted.stdout.contains("demo"))
    }
}

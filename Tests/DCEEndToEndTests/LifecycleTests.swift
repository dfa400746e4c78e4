import AsyncHTTPClient
import DCEStorage
import DCETestSupport
import Foundation
import Testing

@Suite struct LifecycleTests {
    @Test func aWrongSettingFailsFastNamingTheKey() async throws {
        let port = try await DCEProcess.run(["serve"], environment: ["DCE_PORT": "eighty"])
        #expect(port.status != 0)
        #expect(port.stderr.contains("DCE_PORT"))

        let database = try await DCEProcess.run(["migrate"], environment: ["DATABASE_URL": "mysql://localhost/dce"])
        #expect(database.status != 0)
        #expect(database.stderr.contains("DATABASE_URL"))

        let level = try await DCEProcess.run(["migrate", "--log-level", "loud"])
        #expect(level.status != 0)
        #expect(level.stderr.contains("--log-level"))

        let admin = try await DCEProcess.run(["serve"], environment: ["DCE_ADMIN_KEY": "short"])
        #expect(admin.status != 0)
        #expect(admin.stderr.contains("DCE_ADMIN_KEY"))
    }

    @Test func sigtermDrainsAndExitsCleanly() async throws {
        let created = try await TestDatabases.create(.sqlite)
        defer { Task { try? await created.drop() } }
        let server = try await DCEProcess(database: created.location)
        let health = try await HTTP.request(.GET, server.baseURL + "/health")
        #expect(health.status == 200)
        #expect(await server.terminate() == 0)
        // The database was closed cleanly: it opens and migrates again at once.
        let migrate = try await DCEProcess.run(["migrate", "--database", created.location.connectionString])
        #expect(migrate.status == 0, "\(migrate.stderr)")
    }

    @Test func aSecondServerOnAPortInUseSaysSoAndExitsWithoutCrashing() async throws {
        let first = try await TestDatabases.create(.sqlite)
        let second = try await TestDatabases.create(.sqlite)
        defer { Task { try? await first.drop(); try? await second.drop() } }
        let server = try await DCEProcess(database: first.location)
        defer { server.stop() }

        let refused = try await DCEProcess.run(["serve", "--port", String(server.port), "--database", second.location.connectionString])

        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("cannot listen on 127.0.0.1:\(server.port): the address is in use"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("crashed"), "the database closes cleanly although the start was cancelled")
        // The database it opened is whole: it migrates again at once.
        #expect(try await DCEProcess.run(["migrate", "--database", second.location.connectionString]).status == 0)
    }

    @Test func theDemoFillsAMonthOfCallsAndPrintsHowToSignIn() async throws {
        let created = try await TestDatabases.create(.sqlite)
        defer { Task { try? await created.drop() } }
        let server = try await DCEProcess(database: created.location, arguments: ["--demo", "--demo-calls", "400"])
        let page = try await HTTP.request(.GET, server.baseURL + "/v1/admin/accounts")
        #expect(page.status == 401)
        #expect(await server.terminate() == 0)
        let restarted = try await DCEProcess.run(["keys", "list", "--account", "demo", "--database", created.location.connectionString])
        #expect(restarted.stdout.contains("demo"))
    }
}

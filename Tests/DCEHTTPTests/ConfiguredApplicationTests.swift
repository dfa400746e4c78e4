import Configuration
import DCEHTTP
import DCEStorage
import DCETestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct ConfiguredApplicationTests {
    @Test(arguments: TestEngine.all)
    func theWholeApplicationIsBuiltFromConfigurationValues(engine: TestEngine) async throws {
        // setup
        let created = try await TestDatabases.create(engine)
        let url = switch created.location {
        case .sqlite(let path): "sqlite:" + path
        case .postgres(let url): url
        }
        let reader = ConfigReader(provider: InMemoryProvider(values: [
            "database.url": .init(.string(url), isSecret: true),
            "dce.admin.key": .init(.string(TestApp.adminKey), isSecret: true),
            // One request, then a token every 1000 s: the second is refused however slow the machine.
            "dce.rate.limit": "0.001",
            "dce.rate.burst": "1",
        ]))
        var account: TestAccount?

        // run
        let app = try await buildApplication(reader: reader, logger: TestDatabases.logger, prepare: { services in
            account = try await TestAccount.make(services.database)
        })
        let key = try #require(account).key
        try await app.test(.router) { client in
            // validate: migrated, the admin key and the rate limit are the configured ones.
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/admin/accounts", method: .get, headers: .bearer(TestApp.adminKey)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(key)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(key)) { #expect($0.status == .tooManyRequests) }
        }
        try await created.drop()
    }

    @Test func everyWrongSettingIsNamedAtOnce() throws {
        // setup
        let reader = ConfigReader(provider: InMemoryProvider(values: [
            "dce.port": "eighty",
            "database.url": "mysql://localhost/dce",
            "dce.log.level": "loud",
            "dce.admin.key": "short",
            "dce.rate.burst": "0",
            "dce.public.url": "ftp://dce.example.com",
            "dce.host": "127.0.0.1",
        ]))

        // run
        let error = #expect(throws: InvalidSettings.self) { try ServerSettings(reader: reader) }

        // validate
        #expect(error?.problems.map(\.setting) == [.database, .logLevel, .adminKey, .port, .publicURL, .rateBurst])
        let text = error?.description ?? ""
        for name in ["--port / DCE_PORT", "--database / DATABASE_URL", "--log-level / DCE_LOG_LEVEL", "DCE_ADMIN_KEY", "--rate-burst / DCE_RATE_BURST"] {
            #expect(text.contains(name), "\(name) missing from: \(text)")
        }
        #expect(!text.contains("short"), "the admin key is never echoed")
    }

    @Test func withNothingConfiguredEveryDefaultHolds() throws {
        let settings = try ServerSettings(reader: ConfigReader(provider: InMemoryProvider(values: [:])))
        #expect(settings == ServerSettings())
        #expect(settings.host == "127.0.0.1" && settings.port == 8080 && settings.base.database == .sqlite(path: "dce.sqlite"))
    }

    @Test func theReadmeConfigurationTableListsEverySetting() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("|") }
        for setting in Setting.all {
            let row = rows.first { $0.contains("`\(setting.environment)`") }
            #expect(row != nil, "README's configuration table has no row for \(setting.environment)")
            if let option = setting.option, let row {
                #expect(row.contains("`\(option)`"), "README's row for \(setting.environment) does not name \(option)")
            }
        }
    }
}

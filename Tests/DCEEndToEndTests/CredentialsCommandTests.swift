import DCETestSupport
import Foundation
import Testing

/// `dce integrations credentials`: an integration's vendor API keys are set from the command
/// line, stored only with a secret key, and never printed.
@Suite struct CredentialsCommandTests {
    @Test func credentialsAreSetWithTheSecretKeyAndOnlyTheirNamesArePrinted() async throws {
        // setup
        let created = try await TestDatabases.create(.sqlite)
        let database = created.location.connectionString
        let key = ["DCE_SECRET_KEY": String(repeating: "7e", count: 32)]
        let token = "tok-never-printed-5521"
        #expect(try await DCEProcess.run(["accounts", "create", "acme", "--database", database]).status == 0)
        let added = try await DCEProcess.run(["integrations", "add", "--account", "acme", "--vendor", "invoca", "--name", "main", "--database", database])
        let id = try #require(added.stdout.split(separator: "\n").first { $0.hasPrefix("id\t") }?.split(separator: "\t").last.map(String.init))
        let set = ["integrations", "credentials", id, "--set", "network_id=N1", "--set", "oauth_token=\(token)", "--database", database]

        // run
        let keyless = try await DCEProcess.run(set)
        let stored = try await DCEProcess.run(set + ["--api-base-url", "http://127.0.0.1:9/v2/", "--sync-interval", "900"], environment: key)
        let unknown = try await DCEProcess.run(set + ["--set", "region=eu"], environment: key)
        let badURL = try await DCEProcess.run(set + ["--api-base-url", "ftp://example.com/"], environment: key)
        let badInterval = try await DCEProcess.run(set + ["--sync-interval", "5"], environment: key)
        let wrongKey = try await DCEProcess.run(set, environment: ["DCE_SECRET_KEY": "not-hex-\(token)"])

        // validate
        #expect(keyless.status != 0 && keyless.stderr.contains("DCE_SECRET_KEY"))
        #expect(stored.status == 0, "\(stored.stderr)")
        #expect(stored.stdout == "credentials\tnetwork_id,oauth_token\napi_base_url\thttp://127.0.0.1:9/v2/\nsync_interval_seconds\t900\n")
        #expect(unknown.status != 0 && unknown.stderr.contains("'region'"))
        #expect(badURL.status != 0 && badURL.stderr.contains("--api-base-url"))
        #expect(badInterval.status != 0 && badInterval.stderr.contains("--sync-interval"))
        #expect(wrongKey.status != 0 && wrongKey.stderr.contains("DCE_SECRET_KEY"))
        for run in [keyless, stored, unknown, badURL, badInterval, wrongKey] {
            #expect(!run.stdout.contains(token) && !run.stderr.contains(token))
        }
        try await created.drop()
    }
}

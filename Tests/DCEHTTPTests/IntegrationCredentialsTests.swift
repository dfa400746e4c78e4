import Configuration
import DCEDomain
import DCEHTTP
import DCEJSON
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SQLKit
import Synchronization
import Testing

/// A vendor whose call records dce pulls, with Ringba's two ways to authenticate.
private struct KeyedToyVendor: VendorAdapter {
    var name: String { "keyline" }
    var pull: (any PullClient)? { KeyedToyPull() }

    func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] { [] }
}

private struct KeyedToyPull: PullClient {
    var keys: CredentialKeys { CredentialKeys(alternatives: [["account_id", "api_token"], ["account_id", "email", "password"]]) }
    var defaultBaseURL: String { "https://api.keyline.example/v2/" }
    var minimumIntervalSeconds: Int { 120 }

    func firstRequest(window: PullWindow, credentials: PullCredentials) -> PullRequest {
        PullRequest(url: credentials.apiBaseURL + "calls", endpoint: "calls")
    }
    func authorize(_ request: PullRequest, credentials: PullCredentials, token: AccessToken?) -> PullRequest { request }
    func read(_ response: PullResponse, of request: PullRequest, window: PullWindow, credentials: PullCredentials,
              integration: IntegrationProfile) throws(VendorError) -> PulledPage { PulledPage(rows: [], next: nil) }
}

/// Every log line the application writes, to check that none carries a credential.
private final class LogLines: Sendable {
    let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }

    struct Handler: LogHandler {
        let sink: LogLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let all = self.metadata.merging(metadata ?? [:]) { $1 }
            sink.lines.withLock { $0.append("\(message) \(all)") }
        }
    }
}

private let secretKey = String(repeating: "5a", count: 32)
private let token = "tok-do-not-leak-7731"
private let password = "pw-do-not-leak-0042"

/// The app with the keyed toy vendor, a secret key (or none), and every log line kept.
private func withApp(
    _ engine: TestEngine, secretKey: String? = secretKey,
    _ body: @Sendable @escaping (any TestClientProtocol, AppServices, TestAccount, LogLines) async throws -> Void
) async throws {
    try await TestDatabases.with(engine) { database in
        var configured = AppServices(database: database, adminKey: TestApp.adminKey, vendors: VendorRegistry.all + [KeyedToyVendor(), ToyVendor()])
        configured.secretBox = try secretKey.map { try SecretBox(hexKey: $0) }
        let services = configured
        let account = try await TestAccount.make(database)
        let logs = LogLines()
        let logger = Logger(label: "dce-test") { _ in LogLines.Handler(sink: logs) }
        try await Application(router: try buildRouter(services), logger: logger).test(.router) { client in
            try await body(client, services, account, logs)
        }
    }
}

private func put(_ client: any TestClientProtocol, _ id: String, key: String, _ body: String) async throws -> TestResponse {
    try await client.execute(uri: "/v1/integrations/\(id)/credentials", method: .put, headers: .bearer(key), body: .json(body))
}

@Suite struct IntegrationCredentialsTests {
    @Test(arguments: TestEngine.all)
    func credentialsAreSetWithAnAPIKeyShownAsKeyNamesOnlyAndStoredSealed(engine: TestEngine) async throws {
        try await withApp(engine) { client, services, account, logs in
            // setup
            let integration = try await TestIntegration.create(client, key: account.key, vendor: "keyline")
            let before = try await client.execute(uri: "/v1/integrations/\(integration.id)", method: .get, headers: .bearer(account.key))
            // run
            let set = try await put(client, integration.id, key: account.key, """
                {"account_id": "RA-1", "email": "ops@example.com", "password": "\(password)", \
                "api_base_url": "http://127.0.0.1:9/v2/", "sync_interval_seconds": 900}
                """)
            let shown = try await client.execute(uri: "/v1/integrations/\(integration.id)", method: .get, headers: .bearer(account.key))
            let listed = try await client.execute(uri: "/v1/integrations", method: .get, headers: .bearer(account.key))
            let replaced = try await put(client, integration.id, key: account.key, #"{"account_id": "RA-1", "api_token": "\#(token)"}"#)
            // validate
            #expect(before.value["sync"] == [
                "credentials": nil, "api_base_url": "https://api.keyline.example/v2/", "sync_interval_seconds": 600, "synced_to": nil,
                "lag_seconds": nil, "last_success_at": nil, "last_attempt_at": nil, "last_error": nil, "breaker": "closed",
                "rows_pulled": 0, "next_run_at": nil,
            ])
            #expect(set.status == .ok)
            #expect(set.value["id"]?.string == integration.id)
            #expect(set.value["secret"] == nil)
            #expect(set.value["sync"]?["credentials"] == ["account_id", "email", "password"])
            #expect(set.value["sync"]?["api_base_url"] == "http://127.0.0.1:9/v2/")
            #expect(set.value["sync"]?["sync_interval_seconds"] == 900)
            #expect(shown.value == set.value)
            #expect(listed.value["data"]?.array?.first?["sync"] == set.value["sync"])
            #expect(replaced.value["sync"]?["credentials"] == ["account_id", "api_token"])
            #expect(replaced.value["sync"]?["api_base_url"] == "https://api.keyline.example/v2/")
            for answer in [set, shown, listed, replaced] {
                #expect(!answer.text.contains(password) && !answer.text.contains(token) && !answer.text.contains("ops@example.com"))
            }
            // At rest only sealed, and the store opens it whole.
            let raw = try await services.database.read { sql in
                try await sql.raw("SELECT * FROM integration_credentials").all().map { try $0.decode(column: "sealed", as: String.self) }
            }
            #expect(raw.count == 1 && raw.allSatisfy { $0.hasPrefix("v1:") && !$0.contains(token) })
            let stored = try await CredentialStore(database: services.database, box: services.secretBox).credentials(integrationID: integration.id)
            #expect(stored?.values == ["account_id": "RA-1", "api_token": token])
            #expect(!logs.all.isEmpty)
            #expect(logs.all.allSatisfy { !$0.contains(token) && !$0.contains(password) })
        }
    }

    @Test(arguments: TestEngine.all)
    func wrongCredentialsAreRefusedNamingTheKey(engine: TestEngine) async throws {
        try await withApp(engine) { client, _, account, logs in
            let integration = try await TestIntegration.create(client, key: account.key, vendor: "keyline")
            let cases: [(body: String, field: String?, code: String)] = [
                (#"{"account_id": "A", "api_token": "\#(token)", "region": "eu", "zone": "1"}"#, "region", "invalid_field"),
                (#"{"account_id": "A"}"#, "api_token", "missing_field"),
                (#"{"email": "e@x.y", "password": "\#(password)"}"#, "account_id", "missing_field"),
                (#"{"api_token": "\#(token)"}"#, "account_id", "missing_field"),
                (#"{"account_id": "A", "api_token": ""}"#, "api_token", "missing_field"),
                (#"{"account_id": "A", "api_token": 12345}"#, "api_token", "invalid_field"),
                (#"{"account_id": "A", "api_token": "t", "api_base_url": "ftp://files.example.com/"}"#, "api_base_url", "invalid_field"),
                (#"{"account_id": "A", "api_token": "t", "api_base_url": "not a url"}"#, "api_base_url", "invalid_field"),
                (#"{"account_id": "A", "api_token": "t", "api_base_url": 5}"#, "api_base_url", "invalid_field"),
                (#"{"account_id": "A", "api_token": "t", "sync_interval_seconds": 119}"#, "sync_interval_seconds", "invalid_field"),
                (#"{"account_id": "A", "api_token": "t", "sync_interval_seconds": 86401}"#, "sync_interval_seconds", "invalid_field"),
                (#"{"account_id": "A", "api_token": "t", "sync_interval_seconds": 1e400}"#, "sync_interval_seconds", "invalid_field"),
                (#"{"account_id": "A", "api_token": "t", "sync_interval_seconds": "600"}"#, "sync_interval_seconds", "invalid_field"),
                (#"["account_id"]"#, nil, "malformed_json"),
                (#"{"account_id": "#, nil, "malformed_json"),
            ]
            for (body, field, code) in cases {
                let answer = try await put(client, integration.id, key: account.key, body)
                #expect(answer.status == .badRequest, "\(body)")
                #expect(answer.errorField == field, "\(body)")
                #expect(answer.errorCode == code, "\(body)")
                #expect(!answer.text.contains(token))
            }
            let unknown = try await put(client, integration.id, key: account.key, #"{"account_id": "A", "api_token": "t", "region": "eu", "zone": "1"}"#)
            #expect(unknown.errorMessage?.contains("'region', 'zone'") == true)
            let shown = try await client.execute(uri: "/v1/integrations/\(integration.id)", method: .get, headers: .bearer(account.key))
            #expect(shown.value["sync"]?["credentials"] == .null)
            #expect(logs.all.allSatisfy { !$0.contains(token) })
        }
    }

    @Test(arguments: TestEngine.all)
    func withoutASecretKeyCredentialsAreRefusedWith409NamingIt(engine: TestEngine) async throws {
        try await withApp(engine, secretKey: nil) { client, services, account, _ in
            let integration = try await TestIntegration.create(client, key: account.key, vendor: "keyline")
            let answer = try await put(client, integration.id, key: account.key, #"{"account_id": "A", "api_token": "\#(token)"}"#)
            #expect(answer.status == .conflict)
            #expect(answer.errorCode == "secret_key_missing")
            #expect(answer.errorField == "DCE_SECRET_KEY")
            #expect(answer.errorMessage?.contains("DCE_SECRET_KEY") == true)
            let rows = try await services.database.read { sql in try await sql.raw("SELECT integration_id FROM integration_credentials").all().count }
            #expect(rows == 0)
        }
    }

    @Test(arguments: TestEngine.all)
    func onlyTheOwningAccountsAPIKeySetsThemAndOnlyForAVendorDcePulls(engine: TestEngine) async throws {
        try await withApp(engine) { client, services, account, _ in
            let integration = try await TestIntegration.create(client, key: account.key, vendor: "keyline")
            let webhookOnly = try await TestIntegration.create(client, key: account.key, vendor: "toyline")
            let other = try await TestAccount.make(services.database, name: "other")
            let body = #"{"account_id": "A", "api_token": "t"}"#
            let anonymous = try await client.execute(uri: "/v1/integrations/\(integration.id)/credentials", method: .put, headers: .json, body: .json(body))
            let stranger = try await put(client, integration.id, key: other.key, body)
            let missing = try await put(client, "int_missing", key: account.key, body)
            let notPulled = try await put(client, webhookOnly.id, key: account.key, body)
            #expect(anonymous.status == .unauthorized)
            #expect(stranger.status == .notFound)
            #expect(missing.status == .notFound)
            #expect(notPulled.status == .badRequest && notPulled.errorField == "vendor")
            let shown = try await client.execute(uri: "/v1/integrations/\(webhookOnly.id)", method: .get, headers: .bearer(account.key))
            #expect(shown.value["sync"] == .null)
            #expect(try await put(client, integration.id, key: account.key, body).status == .ok)
        }
    }

    @Test(arguments: TestEngine.all)
    func theSyncStateShowsTheCursorLagBreakerAndRowsButNeverTheToken(engine: TestEngine) async throws {
        try await withApp(engine) { client, services, account, _ in
            let integration = try await TestIntegration.create(client, key: account.key, vendor: "keyline")
            let now = Timestamp.now()
            let syncedTo = Timestamp(millisecondsSince1970: now.millisecondsSince1970 - 90_000)
            try await SyncStateStore(database: services.database, box: services.secretBox).save(SyncState(
                integrationID: integration.id, accountID: account.account.id, syncedTo: syncedTo, lastAttemptAt: syncedTo,
                lastSuccessAt: syncedTo, lastError: "HTTP 503 from the vendor", failures: 5, breaker: .open,
                breakerUntil: now, rowsPulled: 4321, nextRunAt: now, token: AccessToken(value: token)
            ))
            let shown = try await client.execute(uri: "/v1/integrations/\(integration.id)", method: .get, headers: .bearer(account.key))
            let sync = try #require(shown.value["sync"])
            #expect(sync["synced_to"] == .string(syncedTo.iso8601))
            #expect((sync["lag_seconds"]?.exactInteger).map { (90...100).contains($0) } == true)
            #expect(sync["last_error"] == "HTTP 503 from the vendor")
            #expect(sync["breaker"] == "open")
            #expect(sync["rows_pulled"] == 4321)
            #expect(sync["next_run_at"] == .string(now.iso8601))
            #expect(!shown.text.contains(token))
        }
    }

    @Test(arguments: TestEngine.all)
    func webhookSecretsAreSealedWithTheKeyAndStillAuthenticateDeliveries(engine: TestEngine) async throws {
        try await withApp(engine) { client, services, account, _ in
            // An integration stored with a plain secret before the key was set.
            let plain = try await IntegrationStore(database: services.database).create(
                accountID: account.account.id, vendor: "toyline", name: "older", fieldMapping: [:], secret: "plain-secret-0123456789"
            )
            let sealed = try await TestIntegration.create(client, key: account.key, vendor: "toyline", secret: "sealed-secret-0123456789")
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let olderDelivery = try await client.execute(uri: "/webhooks/toyline/\(plain.id)?token=plain-secret-0123456789", method: .post,
                                                         headers: form, body: .json("call=T-1"))
            let newDelivery = try await client.execute(uri: sealed.path(""), method: .post, headers: form, body: .json("call=T-2"))
            let wrong = try await client.execute(uri: "/webhooks/toyline/\(sealed.id)?token=plain-secret-0123456789", method: .post,
                                                 headers: form, body: .json("call=T-3"))
            #expect(olderDelivery.status == .ok)
            #expect(newDelivery.status == .ok)
            #expect(wrong.status == .unauthorized)
            let stored = try await services.database.read { sql in
                try await sql.raw("SELECT secret FROM integrations WHERE id = \(bind: sealed.id)").first()?.decode(column: "secret", as: String.self)
            }
            #expect(stored?.hasPrefix("v1:") == true && stored?.contains("sealed-secret") == false)
            // A chosen secret that looks sealed is refused.
            let looksSealed = try await client.execute(uri: "/v1/integrations", method: .post, headers: .bearer(account.key),
                                                       body: .json(#"{"vendor": "toyline", "name": "x", "secret": "v1:0123456789abcdef"}"#))
            #expect(looksSealed.status == .badRequest && looksSealed.errorField == "secret")
        }
    }

    @Test func aWrongSecretKeyIsListedWithTheOtherWrongSettingsAndNeverEchoed() throws {
        let reader = ConfigReader(provider: InMemoryProvider(values: [
            "dce.secret.key": .init(.string("abc123-not-a-key"), isSecret: true),
            "dce.port": "eighty",
        ]))
        let error = #expect(throws: InvalidSettings.self) { try ServerSettings(reader: reader) }
        #expect(error?.problems.map(\.setting) == [.secretKey, .port])
        #expect(error?.description.contains("--secret-key / DCE_SECRET_KEY") == true)
        #expect(error?.description.contains("abc123") == false)
        let good = try ServerSettings(reader: ConfigReader(provider: InMemoryProvider(values: ["dce.secret.key": .init(.string(secretKey), isSecret: true)])))
        #expect(good.base.secretBox != nil)
    }
}

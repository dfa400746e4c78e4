@testable import DCEHTTP
import DCEDomain
@testable import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `/dashboard/integrations`: each integration's pull sync as the sync engine stored it,
/// escaped, one account's only; an integration without credentials takes webhooks only.
@Suite struct DashboardIntegrationsTests {
    typealias Browser = DashboardExchangeTests.Browser

    /// A Ringba integration as an account sets it up for pulling: the two keys of Ringba's
    /// API token sign-in (api.ringba.com/v2, "Authorization: Token …").
    struct Pulled {
        let integration: Integration
        static let token = "ringba-token-do-not-show-5521"

        static func make(_ services: AppServices, accountID: AccountID, name: String, state: (String) throws -> SyncState) async throws -> Pulled {
            let integration = try await IntegrationStore(database: services.database, box: services.secretBox).create(
                accountID: accountID, vendor: "ringba", name: name, fieldMapping: [:], secret: "whsec-\(name.count)-0123456789abcdef")
            try await CredentialStore(database: services.database, box: services.secretBox).set(StoredCredentials(
                integrationID: integration.id, accountID: accountID, values: ["account_id": "RA7f3c21", "api_token": token],
                syncIntervalSeconds: 600))
            try await SyncStateStore(database: services.database, box: services.secretBox).save(try state(integration.id))
            return Pulled(integration: integration)
        }
    }

    /// The real router with a secret key, as credentials need one.
    static func with(
        _ engine: TestEngine, _ body: @Sendable @escaping (any TestClientProtocol, AppServices, TestAccount) async throws -> Void
    ) async throws {
        try await TestDatabases.with(engine) { database in
            var services = AppServices(database: database, adminKey: TestApp.adminKey)
            services.secretBox = try SecretBox(hexKey: String(repeating: "3c", count: 32))
            let configured = services
            let account = try await TestAccount.make(database)
            try await Application(router: try buildRouter(configured)).test(.router) { client in
                try await body(client, configured, account)
            }
        }
    }

    static func time(_ text: String) throws -> Timestamp { try #require(Timestamp(parsing: text)) }

    @Test(arguments: TestEngine.all)
    func anIntegrationWithCredentialsShowsEachValueOfItsStoredSyncState(engine: TestEngine) async throws {
        try await Self.with(engine) { client, services, account in
            // setup: a run that succeeded, as SyncEngine saves it
            let now = Timestamp.now()
            let pulled = try await Pulled.make(services, accountID: account.account.id, name: "Ringba main") { id in
                SyncState(
                    integrationID: id, accountID: account.account.id,
                    syncedTo: now.adding(seconds: -(2 * 86_400 + 4 * 3_600 + 1_800)),
                    lastAttemptAt: try Self.time("2025-03-14T09:26:00Z"), lastSuccessAt: try Self.time("2025-03-14T09:26:53Z"),
                    rowsPulled: 12_845, nextRunAt: try Self.time("2199-01-01T08:00:00Z"))
            }
            let browser = try await Browser.signIn(services, key: account.key)

            // run
            let response = try await client.execute(uri: "/dashboard/integrations", method: .get, headers: browser.headers)

            // validate
            #expect(response.status == .ok)
            let page = response.text
            for shown in [
                "Ringba main", pulled.integration.id, "<code>account_id</code>", "<code>api_token</code>", "every 10 min",
                "2025-03-14 09:26 UTC", " ago", "2 d 4 h", "12,845", "2199-01-01 08:00 UTC",
                #"<span class="badge breaker closed">closed</span>"#, #"href="/dashboard/integrations" class="current""#,
            ] {
                #expect(page.contains(shown), "the page shows \(shown)")
            }
            #expect(!page.contains(Pulled.token), "a credential's value is never shown")
            #expect(!page.contains("RA7f3c21"), "a credential's value is never shown")
            #expect(!page.contains("webhooks only"))
        }
    }

    @Test(arguments: TestEngine.all)
    func anOpenBreakerStandsOutAndTheLastErrorIsEscaped(engine: TestEngine) async throws {
        try await Self.with(engine) { client, services, account in
            // setup: failed runs that opened the breaker, the vendor's answer quoted in the error
            let error = #"Ringba answered 401: <script>alert("key")</script> & <b>bad token</b>"#
            _ = try await Pulled.make(services, accountID: account.account.id, name: "Ringba failing") { id in
                SyncState(
                    integrationID: id, accountID: account.account.id, lastAttemptAt: try Self.time("2025-03-14T10:00:00Z"),
                    lastError: error, failures: 5, breaker: .open, breakerUntil: try Self.time("2199-01-01T00:00:00Z"),
                    nextRunAt: try Self.time("2199-01-01T00:00:00Z"))
            }
            let browser = try await Browser.signIn(services, key: account.key)

            // run
            let page = try await client.execute(uri: "/dashboard/integrations", method: .get, headers: browser.headers).text

            // validate
            #expect(page.contains(#"<span class="badge breaker open">open</span>"#))
            #expect(page.contains("probes again in "))
            #expect(page.contains(".breaker.open { background:var(--bad); color:#fff; }"), "an open breaker has the warning colour")
            #expect(page.contains("Ringba answered 401: &lt;script&gt;alert(&quot;key&quot;)&lt;/script&gt; &amp; &lt;b&gt;bad token&lt;/b&gt;"))
            #expect(!page.contains("<script>alert"))
            #expect(!page.contains("<b>bad token"))
            #expect(page.contains("2025-03-14 10:00 UTC"), "the failed attempt's time")
            #expect(page.contains("never"), "no run has succeeded")
            #expect(page.contains("not synced yet"))
        }
    }

    @Test(arguments: TestEngine.all)
    func anotherAccountsIntegrationIsNotShown(engine: TestEngine) async throws {
        try await Self.with(engine) { client, services, account in
            // setup
            let other = try await TestAccount.make(services.database, name: "globex")
            let theirs = try await Pulled.make(services, accountID: other.account.id, name: "Globex Ringba") { id in
                SyncState(integrationID: id, accountID: other.account.id, lastError: "globex-only failure", rowsPulled: 777_001)
            }
            let ours = try await Pulled.make(services, accountID: account.account.id, name: "Acme Ringba") { id in
                SyncState(integrationID: id, accountID: account.account.id, rowsPulled: 3)
            }
            let browser = try await Browser.signIn(services, key: account.key)

            // run
            let page = try await client.execute(uri: "/dashboard/integrations", method: .get, headers: browser.headers).text

            // validate
            #expect(page.contains(ours.integration.id))
            for hidden in [theirs.integration.id, "Globex Ringba", "globex-only failure", "777,001"] {
                #expect(!page.contains(hidden), "another account's \(hidden) is not shown")
            }
        }
    }

    @Test(arguments: TestEngine.all)
    func anIntegrationWithoutCredentialsSaysWebhooksOnlyAndHowToSetThem(engine: TestEngine) async throws {
        try await Self.with(engine) { client, services, account in
            // setup
            let store = IntegrationStore(database: services.database, box: services.secretBox)
            let ringba = try await store.create(
                accountID: account.account.id, vendor: "ringba", name: "Ringba webhooks", fieldMapping: [:], secret: "whsec-0123456789abcdef")
            _ = try await store.create(
                accountID: account.account.id, vendor: "native", name: "Our IVR", fieldMapping: [:], secret: "whsec-fedcba9876543210")
            let browser = try await Browser.signIn(services, key: account.key)

            // run
            let page = try await client.execute(uri: "/dashboard/integrations", method: .get, headers: browser.headers).text

            // validate
            #expect(page.components(separatedBy: "webhooks only").count - 1 == 2)
            #expect(page.contains("Set account_id + api_token or account_id + email + password with"))
            #expect(page.contains("<code>dce integrations credentials \(ringba.id) --set account_id=… --set api_token=…</code>"))
            #expect(page.contains("<code>PUT /v1/integrations/\(ringba.id)/credentials</code>"))
            #expect(page.contains("dce does not pull native&#39;s call records"))
            #expect(!page.contains("badge breaker"), "nothing is pulled, so there is no breaker")
        }
    }

    @Test(arguments: TestEngine.all)
    func aBrowserWithoutASessionGetsTheSignInPage(engine: TestEngine) async throws {
        try await Self.with(engine) { client, services, account in
            _ = try await Pulled.make(services, accountID: account.account.id, name: "Ringba main") { id in
                SyncState(integrationID: id, accountID: account.account.id)
            }
            let page = try await client.execute(uri: "/dashboard/integrations", method: .get).text
            #expect(page.contains("Sign in"))
            #expect(!page.contains("Ringba main"))
        }
    }

    @Test func timesReadAsSpansBeforeAndAfterNow() throws {
        let now = try Self.time("2025-03-14T12:00:00Z")
        #expect(DashboardIntegrationsView.relative(now.adding(seconds: -3), now: now) == "just now")
        #expect(DashboardIntegrationsView.relative(now.adding(seconds: -45), now: now) == "45 s ago")
        #expect(DashboardIntegrationsView.relative(now.adding(seconds: -(12 * 60 + 40)), now: now) == "12 min ago")
        #expect(DashboardIntegrationsView.relative(now.adding(seconds: 3 * 3_600 + 5 * 60 + 9), now: now) == "in 3 h 5 min")
        #expect(DashboardIntegrationsView.relative(now.adding(seconds: -(2 * 86_400)), now: now) == "2 d ago")
        #expect(DashboardIntegrationsView.span(0) == "0 s")
        #expect(DashboardIntegrationsView.span(3_600) == "1 h")
        #expect(DashboardIntegrationsView.span(86_400 + 7_200 + 59) == "1 d 2 h")
    }

    @Test func aStateWithoutARunYetIsDueNowAndNeverSucceeded() throws {
        // setup
        let now = try Self.time("2025-03-14T12:00:00Z")
        let integration = Integration(
            id: "int_a1", accountID: AccountID(rawValue: "acc_1"), vendor: "ringba", name: "Ringba", fieldMapping: [:], secret: nil, createdAt: now)
        let view = DashboardIntegrationsView(
            integrations: [integration],
            credentials: ["int_a1": CredentialSummary(keyNames: ["account_id", "api_token"], apiBaseURL: nil, syncIntervalSeconds: nil, updatedAt: now)],
            states: [:], vendors: VendorRegistry.standard, now: now)

        // run
        let sync = try #require(view.row(integration)["sync"] as? [String: Any])

        // validate
        #expect(sync["keys"] as? [String] == ["account_id", "api_token"])
        #expect(sync["lastSuccess"] == nil)
        #expect(sync["nextRun"] as? [String: String] == ["relative": "due now", "absolute": ""])
        #expect(sync["lag"] as? String == "not synced yet")
        #expect(sync["rows"] as? String == "0")
        #expect(sync["breakerLabel"] as? String == "closed")
        #expect(sync["apiBaseURL"] as? String == "https://api.ringba.com/v2/")
    }
}

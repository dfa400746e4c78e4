import DCEDomain
import DCEHTTP
import DCEJSON
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import Synchronization

/// A vendor that exists only in these tests, so that the engine is tested without any
/// real vendor's client: `GET calls?from=&to=` answers `{"rows":[{"id","caller",
/// "started_at"}],"next":<url or null>}`; the key goes in `Authorization: Bearer`, or a
/// token from `POST token` when the account gave a user and password.
struct ToyPullVendor: VendorAdapter {
    var fix = ToyMappingFix()
    var name: String { "toypull" }

    func decode(_ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        throw VendorError(field: nil, message: "toypull has no webhooks")
    }

    var pull: (any PullClient)? { ToyPullClient(fix: fix) }
}

/// Whether the toy vendor's mapping has been fixed: once it is, a row the vendor sent
/// without an id is known by its caller instead of refused, so that a replay of the kept
/// pages has something to apply to history.
final class ToyMappingFix: Sendable {
    let applied = Mutex(false)
}

struct ToyPullClient: PullClient {
    var fix = ToyMappingFix()
    var keys: CredentialKeys { CredentialKeys(alternatives: [["api_key"], ["user", "password"]]) }
    var defaultBaseURL: String { "https://toypull.invalid/" }
    var minimumIntervalSeconds: Int { 1 }

    func signIn(_ credentials: PullCredentials, current: AccessToken?, now: Timestamp, transport: any PullTransport) async throws -> AccessToken? {
        guard let user = credentials["user"], let password = credentials["password"] else { return nil }
        let body = JSONText.object(["user": JSONText.string(user), "password": JSONText.string(password)])
        let response = try await transport.send(
            PullRequest(method: "POST", url: credentials.apiBaseURL + "token", headers: ["content-type": "application/json"],
                        body: Array(body.utf8), endpoint: "token"),
            timeout: .seconds(5)
        )
        guard response.status == 200, let token = JSONValue.parse(bytes: response.body)?["token"]?.string else {
            throw PullSignInError(status: response.status, message: String(decoding: response.body, as: UTF8.self))
        }
        return AccessToken(value: token, expiresAt: now.adding(seconds: 3600))
    }

    func firstRequest(window: PullWindow, credentials: PullCredentials) -> PullRequest {
        PullRequest(url: credentials.apiBaseURL + "calls?from=\(window.from.millisecondsSince1970)&to=\(window.to.millisecondsSince1970)",
                    endpoint: "calls")
    }

    func authorize(_ request: PullRequest, credentials: PullCredentials, token: AccessToken?) -> PullRequest {
        var request = request
        request.headers["authorization"] = "Bearer " + (token?.value ?? credentials["api_key"] ?? "")
        return request
    }

    func read(_ response: PullResponse, of request: PullRequest, window: PullWindow, credentials: PullCredentials,
              integration: IntegrationProfile) throws(VendorError) -> PulledPage {
        guard let page = JSONValue.parse(bytes: response.body), case .array(let rows)? = page["rows"] else {
            throw VendorError(field: "rows", message: "the page has no rows")
        }
        let source = Source(rawValue: "toypull")
        let pulled = rows.enumerated().map { index, row -> PulledRow in
            let text = row.text
            let fixed = fix.applied.withLock { $0 }
            guard let id = row["id"]?.string ?? (fixed ? row["caller"]?.string : nil), !id.isEmpty else {
                return PulledRow(payload: text, outcome: .failure(.missing("rows[\(index)].id")))
            }
            guard let started = row["started_at"]?.string.flatMap(Timestamp.init(parsing:)) else {
                return PulledRow(payload: text, outcome: .failure(.invalid("rows[\(index)].started_at", "is not a date-time")))
            }
            var fields = CallFields(callStartedAt: started, status: .completed)
            fields.callerPhone = row["caller"]?.string.flatMap { try? PhoneNumber(parsing: $0) }
            let event = CallEvent(
                source: source, externalCallID: id,
                idempotencyKey: PulledRowKey.make(source, integration: integration.id, callID: id, row: text),
                occurredAt: started, type: "toypull.call", fields: fields
            )
            return PulledRow(payload: text, outcome: .success([VendorEvent(event: event, payload: text)]))
        }
        let next = page["next"]?.string.map { PullRequest(url: $0, endpoint: "calls") }
        return PulledPage(rows: pulled, next: next)
    }
}

/// Pages of toy calls as a fake vendor serves them.
enum ToyPages {
    /// `{"rows":[…],"next":…}` with calls `ids`, started a minute apart from 2026-01-05.
    static func page(_ ids: [String], next: String?) -> String {
        let rows = ids.map { id in
            let minute = Int(id.filter(\.isNumber)) ?? 0
            let started = Timestamp(millisecondsSince1970: 1_767_571_200_000 + Int64(minute) * 60_000)
            let caller = ("caller", JSONText.string("+1415555\(String(format: "%04d", minute % 10000))"))
            // An id starting with "!" stands for a row the vendor sent without one.
            if id.hasPrefix("!") { return JSONText.object([caller, ("started_at", JSONText.string(started.iso8601))]) }
            return JSONText.object([caller, ("id", JSONText.string(id)), ("started_at", JSONText.string(started.iso8601))])
        }
        return JSONText.object([("next", next.map(JSONText.string) ?? "null"), ("rows", "[" + rows.joined(separator: ",") + "]")])
    }

    /// A fake serving `pages` (ids per page) at `calls`, `calls?page=2`, …
    static func handler(_ pages: [[String]], base: @escaping @Sendable () -> String) -> @Sendable (FakeRequest) async -> FakeResponse {
        { request in
            let number = Int(request.query["page"] ?? "1") ?? 1
            guard request.path == "/calls", (1...pages.count).contains(number) else { return .json("{}", status: 404) }
            let next = number < pages.count ? base() + "calls?page=\(number + 1)" : nil
            return .json(page(pages[number - 1], next: next))
        }
    }

    static let window = PullWindow(from: Timestamp(millisecondsSince1970: 1_767_571_200_000),
                                   to: Timestamp(millisecondsSince1970: 1_767_657_600_000))
}

/// An account with one toy integration whose credentials point at `baseURL`.
struct ToySetup {
    let services: AppServices
    let account: TestAccount
    let integration: Integration

    static let secretKey = String(repeating: "ab", count: 32)

    static func make(_ database: any Database, baseURL: String, values: [String: String] = ["api_key": "toy-key-123456"],
                     vendor: ToyPullVendor = ToyPullVendor()) async throws -> ToySetup {
        let box = try SecretBox(hexKey: secretKey)
        var services = AppServices(database: database, adminKey: nil, vendors: VendorRegistry.all + [vendor])
        services.secretBox = box
        let account = try await TestAccount.make(database)
        let integration = try await IntegrationStore(database: database).create(
            accountID: account.account.id, vendor: "toypull", name: "toy", fieldMapping: [:], secret: "whsec")
        try await CredentialStore(database: database, box: box).set(StoredCredentials(
            integrationID: integration.id, accountID: account.account.id, values: values, apiBaseURL: baseURL,
            syncIntervalSeconds: 60, updatedAt: .now()))
        return ToySetup(services: services, account: account, integration: integration)
    }
}

/// A sync test's request timeout and a vendor answer meant to miss it, far apart: on a
/// machine loaded by the whole suite an ordinary answer can take seconds, and only the
/// answer meant to be late may miss the timeout.
enum SlowAnswer {
    static let timeout: Duration = .seconds(5)
    static let delay: Duration = .seconds(30)
}

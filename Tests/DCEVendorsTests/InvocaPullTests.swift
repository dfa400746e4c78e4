import DCEDomain
@testable import DCEVendors
import Foundation
import Testing

/// Invoca's Transactions API as Invoca's developer docs publish it
/// (github.com/Invoca/developer-docs, `source/api_documentation/transactions_api/network_user.rst`
/// and `_intro.rst`): `GET …/api/<version>/networks/transactions/<network_id>.json` with `from`,
/// `to`, `limit` (at most 4000) and `start_after_transaction_id`, the OAuth token a query
/// parameter, answered with a JSON array of transaction rows (the rows of the field
/// tables: `invoca-transaction.json`, `invoca-correction.json`).
@Suite struct InvocaPullTests {
    let client = InvocaPull()
    let credentials = PullCredentials(values: ["network_id": "1219", "oauth_token": "YbcFH/secret"], apiBaseURL: "https://mynetwork.invoca.net")
    let window = PullWindow(from: Fixture.time("2026-01-10T00:00:00Z"), to: Fixture.time("2026-01-12T06:00:00Z"))

    static func query(_ url: String) -> [String: String] {
        Dictionary((URLComponents(string: url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    }

    static func rows(_ objects: [String]) -> PullResponse {
        PullResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(("[" + objects.joined(separator: ",") + "]").utf8))
    }

    static func transaction(_ id: String, start: Int64 = 1_768_000_000_000) -> String {
        #"{"transaction_id":"\#(id)","transaction_type":"Call","calling_phone_number":"866-555-1234","start_time_utc":\#(start),"duration":60,"call_result_description_detail":"Connected"}"#
    }

    @Test func theFirstRequestAsksForTheWindowsDatesWidenedByEveryZoneAndCarriesNoToken() {
        let request = client.firstRequest(window: window, credentials: credentials)
        #expect(request.method == "GET")
        #expect(request.url.hasPrefix("https://mynetwork.invoca.net/api/\(InvocaPull.apiVersion)/networks/transactions/1219.json?"))
        #expect(Self.query(request.url) == ["from": "2026-01-09", "to": "2026-01-12", "limit": "4000"])
        #expect(!request.url.contains("secret") && request.body == nil && request.headers["authorization"] == nil)
        #expect(request.endpoint == "transactions")
        // The day after the window's end starts 14 hours ahead of UTC.
        let late = PullWindow(from: window.from, to: Fixture.time("2026-01-12T11:00:00Z"))
        #expect(Self.query(client.firstRequest(window: late, credentials: credentials).url)["to"] == "2026-01-13")
    }

    @Test func authorizeAddsTheOAuthTokenAsAQueryParameter() {
        let request = client.authorize(client.firstRequest(window: window, credentials: credentials), credentials: credentials, token: nil)
        #expect(Self.query(request.url)["oauth_token"] == "YbcFH/secret")
        #expect(request.url.contains("oauth_token=YbcFH%2Fsecret"))
    }

    @Test func theSettingsFollowInvocasPollingAdvice() {
        #expect(client.defaultIntervalSeconds == 300 && client.minimumIntervalSeconds == 300)
        #expect(client.keys.problems(["network_id": "1"]).missing == ["oauth_token"])
        #expect(client.keys.problems(["network_id": "1", "oauth_token": "t", "api_key": "x"]).unknown == ["api_key"])
        #expect(InvocaAdapter().pull is InvocaPull)
    }

    @Test func aDocumentedRowReadsAsTheWebhookReadsIt() throws {
        let text = try Fixture.text("invoca-transaction.json")
        let request = client.firstRequest(window: window, credentials: credentials)
        let page = try client.read(Self.rows([text]), of: request, window: window, credentials: credentials, integration: integration)
        #expect(page.next == nil)
        let pulled = try #require(try page.rows.first?.outcome.get().first)
        let hooked = try #require(try InvocaTransaction.decode(try Fixture.body("invoca-transaction.json", contentType: "application/json"), integration: integration).first)
        #expect(pulled.event == hooked.event)
        #expect(pulled.event.source == InvocaAdapter.source && pulled.event.externalCallID == "2C8B1A77-0A91-4F1E")
        #expect(pulled.event.idempotencyKey == InvocaTransaction.transactionKey(integration: "int_test", transactionID: "C624DA2C-CF3367C3"))
    }

    @Test func aCorrectionOnThePageAmendsTheTransactionItCorrects() throws {
        let rows = [try Fixture.text("invoca-correction.json")]
        let page = try client.read(Self.rows(rows), of: client.firstRequest(window: window, credentials: credentials), window: window,
                                   credentials: credentials, integration: integration)
        let correction = try #require(try page.rows[0].outcome.get().first)
        #expect(correction.event.type == "invoca.correction")
        #expect(correction.event.externalCallID == "C624DA2C-CF3367C3")
        #expect(correction.correctedKey == InvocaTransaction.transactionKey(integration: "int_test", transactionID: "C624DA2C-CF3367C3"))
        #expect(correction.event.fields.revenue == Money(cents: 0))
    }

    @Test func aFullPageContinuesAfterItsLastTransactionAndAShortPageEnds() throws {
        let first = client.firstRequest(window: window, credentials: credentials)
        let full = (0..<InvocaPull.largestPage).map { Self.transaction(String(format: "T%05d", $0)) }
        let page = try client.read(Self.rows(full), of: first, window: window, credentials: credentials, integration: integration)
        #expect(page.rows.count == 4000)
        let next = try #require(page.next)
        #expect(Self.query(next.url) == ["from": "2026-01-09", "to": "2026-01-12", "limit": "4000", "start_after_transaction_id": "T03999"])
        let last = try client.read(Self.rows([Self.transaction("T04000")]), of: next, window: window, credentials: credentials, integration: integration)
        #expect(last.next == nil && last.rows.count == 1)
        let empty = try client.read(Self.rows([]), of: next, window: window, credentials: credentials, integration: integration)
        #expect(empty.next == nil && empty.rows.isEmpty)
    }

    @Test func aFullPageThatEndsWhereItStartedIsRefused() throws {
        let full = (0..<InvocaPull.largestPage).map { _ in Self.transaction("T1") }
        let request = client.request(window: window, credentials: credentials, after: "T1")
        #expect(throws: VendorError.self) {
            try client.read(Self.rows(full), of: request, window: window, credentials: credentials, integration: integration)
        }
    }

    @Test func aMalformedRowFailsAloneNamingItsField() throws {
        let rows = [Self.transaction("T1"), #"{"transaction_id":"T2","start_time_utc":"yesterday-ish"}"#, "17", #"{"duration":5}"#]
        let page = try client.read(Self.rows(rows), of: client.firstRequest(window: window, credentials: credentials), window: window,
                                   credentials: credentials, integration: integration)
        #expect(page.rows.count == 4)
        #expect((try? page.rows[0].outcome.get().count) == 1)
        #expect(invocaFailure(page.rows[1])?.field == "[1].start_time_utc")
        #expect(invocaFailure(page.rows[2])?.field == "[2]")
        #expect(invocaFailure(page.rows[3])?.field == "[3].transaction_id")
        #expect(page.rows[1].payload == #"{"start_time_utc":"yesterday-ish","transaction_id":"T2"}"#)
    }

    @Test func aPageThatIsNotAnArrayOfTransactionsThrows() {
        let request = client.firstRequest(window: window, credentials: credentials)
        for body in [#"{"errors":{"class":"unauthorized"}}"#, "<html>", ""] {
            #expect(throws: VendorError.self) {
                try client.read(PullResponse(status: 200, body: Array(body.utf8)), of: request, window: window, credentials: credentials, integration: integration)
            }
        }
    }
}

/// Why a pulled row could not be read, or nil when it was.
private func invocaFailure(_ row: PulledRow) -> VendorError? {
    if case .failure(let error) = row.outcome { return error }
    return nil
}

import DCEDomain
import DCEJSON
import DCEVendors
import Foundation
import Testing

/// Retreaver's calls.json pull. Pages are Retreaver's own (retreaver/core-api-docs,
/// source/index.html.md): "V2 - Get recent Calls" (`retreaver-api-v2-calls.json`, exactly),
/// its `Link` header as the "Paginated" section writes it, and the query parameters of
/// "V2 - Enumerate through Calls in a specific date/time range".
@Suite struct RetreaverPullTests {
    let client = RetreaverPull()
    static let window = PullWindow(from: Fixture.time("2024-11-04T16:00:00Z"), to: Fixture.time("2024-11-04T17:00:00Z"))
    static let keys = PullCredentials(values: ["api_key": "woofwoofwoof", "company_id": "1"], apiBaseURL: "https://retreaver.test")

    static func query(_ url: String) -> [String: String] {
        guard let mark = url.firstIndex(of: "?") else { return [:] }
        return FlatFields.form(String(url[url.index(after: mark)...])).values
    }

    func read(_ body: String, link: String? = nil, of request: PullRequest? = nil) throws -> PulledPage {
        let response = PullResponse(status: 200, headers: link.map { ["Link": $0] } ?? [:], body: Array(body.utf8))
        return try client.read(response, of: request ?? client.firstRequest(window: Self.window, credentials: Self.keys),
                               window: Self.window, credentials: Self.keys, integration: integration)
    }

    @Test func theFirstRequestListsTheCallsCreatedInTheWindowWithoutTheKey() {
        let request = client.firstRequest(window: Self.window, credentials: Self.keys)
        #expect(request.method == "GET" && request.body == nil)
        #expect(request.url.hasPrefix("https://retreaver.test/api/v2/calls.json?"))
        #expect(request.endpoint == "calls")
        #expect(Self.query(request.url) == [
            "company_id": "1", "created_at_start": "2024-11-04T16:00:00.000Z", "created_at_end": "2024-11-04T17:00:00.000Z",
            "sort_by": "created_at", "order": "asc", "per_page": "100",
        ])
        #expect(!request.url.contains("woofwoofwoof"))
        let sent = client.authorize(request, credentials: Self.keys, token: nil)
        #expect(Self.query(sent.url)["api_key"] == "woofwoofwoof")
        #expect(sent.url.hasPrefix(request.url + "&"))
    }

    @Test func eachCallIsTheWebhooksMappingOfIt() throws {
        let text = try Fixture.text("retreaver-api-v2-calls.json")
        let page = try read(text)
        #expect(page.rows.count == 2)
        let events = try page.rows.map { try #require(try $0.outcome.get().first) }
        let viaWebhook = try RetreaverCallTests.listed("retreaver-api-v2-calls.json")
        #expect(events.map(\.event.externalCallID) == viaWebhook.map(\.event.externalCallID))
        #expect(events.map(\.event.fields) == viaWebhook.map(\.event.fields))
        #expect(events[0].event.source == RetreaverAdapter.source)
        #expect(events[0].event.fields.tags["geo"] == "301,us,us-28379,us-nc")
        #expect(events[0].event.idempotencyKey == PulledRowKey.make(
            RetreaverAdapter.source, integration: "int_test", callID: events[0].event.externalCallID, row: page.rows[0].payload))
    }

    @Test func theLinkHeadersNextPageIsFollowedWithoutItsKey() throws {
        let link = #"<https://retreaver.test/api/v2/calls.json?api_key=woofwoofwoof&company_id=1&sort_by=created_at&order=asc&page=6996>; rel="last", <https://retreaver.test/api/v2/calls.json?api_key=woofwoofwoof&company_id=1&sort_by=created_at&order=asc&page=2>; rel="next""#
        let page = try read(try Fixture.text("retreaver-api-v2-calls.json"), link: link)
        let next = try #require(page.next)
        #expect(next.url == "https://retreaver.test/api/v2/calls.json?company_id=1&sort_by=created_at&order=asc&page=2")
        #expect(next.endpoint == "calls")
    }

    @Test func theLastCreatedPageTurnsToTheCallsUpdatedInTheWindowThenEnds() throws {
        let created = try read(try Fixture.text("retreaver-api-v2-calls.json"), link: #"<https://retreaver.test/api/v2/calls.json?page=1>; rel="first""#)
        let updated = try #require(created.next)
        #expect(Self.query(updated.url) == [
            "company_id": "1", "updated_at_start": "2024-11-04T16:00:00.000Z", "updated_at_end": "2024-11-04T17:00:00.000Z",
            "created_at_end": "2024-11-04T16:00:00.000Z", "sort_by": "updated_at", "order": "desc", "per_page": "100",
        ])
        let last = try read("[]", of: updated)
        #expect(last.next == nil && last.rows.isEmpty)
        let linkAfterUpdated = #"<https://retreaver.test/api/v2/calls.json?sort_by=updated_at&page=2>; rel="next""#
        #expect(try read(try Fixture.text("retreaver-api-v2-calls.json"), link: linkAfterUpdated, of: updated).next?.url
            == "https://retreaver.test/api/v2/calls.json?sort_by=updated_at&page=2")
    }

    @Test func aNextPageOffTheAPIRootIsRefusedSoTheKeyStaysHome() throws {
        let link = #"<https://elsewhere.test/api/v2/calls.json?page=2>; rel="next""#
        // An empty page ends the list before its link is read.
        #expect(try read("[]", link: link).next?.url.hasPrefix("https://retreaver.test/") == true)
        #expect(throws: VendorError.self) { try read(try Fixture.text("retreaver-api-v2-calls.json"), link: link) }
    }

    @Test func aCallThatCannotBeReadIsADeadLetterNamingItsField() throws {
        let page = try read(#"[{"call": {"uuid": "a"}}, "nonsense", {"call": {"uuid": "b", "start_time": "soon"}}, {"call": {"caller": "+13015236555"}}]"#)
        #expect(page.rows.count == 4)
        #expect((try? page.rows[0].outcome.get()) != nil)
        #expect(failure(page.rows[1])?.field == "[1]")
        #expect(failure(page.rows[2])?.field == "[2].call.start_time")
        #expect(failure(page.rows[3])?.field == "[3].call.id")
    }

    func failure(_ row: PulledRow) -> VendorError? {
        if case .failure(let error) = row.outcome { return error }
        return nil
    }

    @Test func aPageThatIsNotAListOfCallsThrows() {
        for body in [#"{"call": {"uuid": "a"}}"#, "<calls/>", #"{"error": "unauthorized"}"#] {
            #expect(throws: VendorError.self, "\(body)") { try read(body) }
        }
    }

    @Test func linkHeadersAreReadByTheirRelation() {
        #expect(RetreaverPullTestsLink.next(#"<https://a.test/x?page=3>; rel=next"#) == "https://a.test/x?page=3")
        #expect(RetreaverPullTestsLink.next(#"<https://a.test/x?page=3>; rel="prev next""#) == "https://a.test/x?page=3")
        #expect(RetreaverPullTestsLink.next(#"<https://a.test/x?page=1>; rel="prev""#) == nil)
        #expect(RetreaverPullTestsLink.next("garbage <unclosed") == nil)
    }

    @Test func theAdapterPullsWithThisClient() {
        #expect(RetreaverAdapter().pull is RetreaverPull)
        #expect(RetreaverAdapter().pull?.keys.problems(["api_key": "k"]).missing == ["company_id"])
    }
}

/// The next page of a `Link` header through the client, as the API root allows it.
enum RetreaverPullTestsLink {
    static func next(_ header: String) -> String? {
        let keys = PullCredentials(values: ["api_key": "k", "company_id": "1"], apiBaseURL: "https://a.test/")
        let response = PullResponse(status: 200, headers: ["link": header], body: Array(#"[{"call": {"uuid": "u"}}]"#.utf8))
        let request = PullRequest(url: "https://a.test/x?sort_by=updated_at", endpoint: "calls")
        return try? RetreaverPull().read(response, of: request, window: RetreaverPullTests.window, credentials: keys, integration: integration).next?.url
    }
}

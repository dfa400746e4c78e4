import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `GET /v1/calls` pages by the order it lists calls in, whatever times a call carries.
@Suite struct CallsPagingTests {
    /// Reads every page of `/v1/calls` with `limit`; stops after `maximumPages` in case a
    /// cursor never moves on.
    static func pageThrough(_ client: any TestClientProtocol, key: String, limit: Int, maximumPages: Int = 50) async throws -> [String] {
        var ids: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let uri = "/v1/calls?limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await client.execute(uri: uri, method: .get, headers: .bearer(key))
            #expect(page.status == .ok)
            ids += (page.value["data"]?.array ?? []).compactMap { $0["id"]?.string }
            cursor = page.value["next_cursor"]?.string
            pages += 1
        } while cursor != nil && pages < maximumPages
        return ids
    }

    @Test(arguments: TestEngine.all)
    func sevenNativeEventsWithPastTimesAndNoStartArePagedThreeAtATimeExactlyOnce(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup: occurred_at in the past and no call_started_at, so each call is ordered by
            // its event's time, days before the call was stored.
            let events = (0..<7).map { index in
                #"{"idempotency_key": "k\#(index)", "external_call_id": "c\#(index)", "status": "completed", "occurred_at": "2025-03-0\#(1 + index)T12:00:00Z"}"#
            }
            let posted = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key),
                                                  body: .json(#"{"events": [\#(events.joined(separator: ","))]}"#))
            #expect(posted.status == .ok)
            // run
            let ids = try await Self.pageThrough(client, key: account.key, limit: 3)
            // validate
            let all = try await client.execute(uri: "/v1/calls?limit=100", method: .get, headers: .bearer(account.key))
            let listed = (all.value["data"]?.array ?? []).compactMap { $0["id"]?.string }
            #expect(listed.count == 7)
            #expect(ids == listed)
        }
    }

    @Test(arguments: TestEngine.all)
    func ringbaPixelsWithoutACallTimeArePagedExactlyOnce(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let ringba = try await TestIntegration.create(client, key: account.key, vendor: "ringba")
            for index in 0..<7 {
                let response = try await client.execute(
                    uri: ringba.path("event=Incoming&call_id=RGB-\(index)&inbound_number=%2B1877444333\(index)"), method: .post)
                #expect(response.status == .ok)
            }
            let ids = try await Self.pageThrough(client, key: account.key, limit: 3)
            #expect(ids.count == 7)
            #expect(Set(ids).count == 7)
        }
    }

    @Test(arguments: TestEngine.all)
    func aCursorThisAPIDidNotIssueIsRefusedNamingTheCursor(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            func token(_ text: String) -> String {
                Data(text.utf8).base64EncodedString()
                    .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            }
            let bad = [
                "%%%", token("no colon"), token("1700000000000:"), token("soon:call_abc"),
                token("99999999999999999999:call_abc"), token("1:call\u{0}abc"), token("1:call abc"),
                token("1:" + String(repeating: "a", count: 500)), "-",
            ]
            for cursor in bad {
                let uri = "/v1/calls?cursor=" + (cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor)
                let response = try await client.execute(uri: uri, method: .get, headers: .bearer(account.key))
                #expect(response.status == .badRequest, "\(cursor)")
                #expect(response.errorField == "cursor", "\(cursor)")
            }
            // A well-formed position that names no call is a valid place to start from.
            let response = try await client.execute(uri: "/v1/calls?cursor=\(token("-5:call_x"))", method: .get, headers: .bearer(account.key))
            #expect(response.status == .ok)
        }
    }
}

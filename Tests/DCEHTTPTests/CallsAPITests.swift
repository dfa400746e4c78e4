import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct CallsAPITests {
    @Test(arguments: TestEngine.all)
    func listsWithFiltersAndCursorPagination(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let events = (0..<12).map { index in
                #"{"idempotency_key": "k\#(index)", "external_call_id": "c\#(index)", "caller_phone": "+1555000\#(String(format: "%04d", index % 3))", "tracking_number": "+18885550101", "status": "\#(index % 2 == 0 ? "completed" : "busy")", "campaign_id": "\#(index < 4 ? "auto" : "home")", "publisher_id": "pub-\#(index % 2)", "call_started_at": "2026-11-0\#(1 + index / 4)T10:00:00Z"}"#
            }
            let posted = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key),
                                                  body: .json(#"{"events": [\#(events.joined(separator: ","))]}"#))
            #expect(posted.status == .ok)

            func count(_ query: String) async throws -> Int {
                let response = try await client.execute(uri: "/v1/calls?limit=500&\(query)", method: .get, headers: .bearer(account.key))
                #expect(response.status == .ok, "\(query)")
                return response.value["data"]?.array?.count ?? -1
            }
            #expect(try await count("") == 12)
            #expect(try await count("status=completed") == 6)
            #expect(try await count("campaign_id=auto") == 4)
            #expect(try await count("publisher_id=pub-1") == 6)
            #expect(try await count("caller=%2B15550000001") == 4)
            #expect(try await count("caller=555-000-0001") == 4)
            #expect(try await count("tracking_number=8885550101") == 12)
            #expect(try await count("from=2026-11-02&to=2026-11-03") == 4)
            #expect(try await count("from=2026-11-02T10:00:00Z") == 8)

            var ids: [String] = []
            var cursor: String?
            repeat {
                let uri = "/v1/calls?limit=5" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.execute(uri: uri, method: .get, headers: .bearer(account.key))
                ids += (page.value["data"]?.array ?? []).compactMap { $0["id"]?.string }
                cursor = page.value["next_cursor"]?.string
                #expect(page.value["has_more"]?.bool == (cursor != nil))
            } while cursor != nil
            #expect(ids.count == 12)
            #expect(Set(ids).count == 12)
        }
    }

    @Test(arguments: TestEngine.all)
    func badFiltersNameTheParameter(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            for (query, field) in [("from=yesterday", "from"), ("status=exploded", "status"), ("limit=0", "limit"),
                                   ("limit=abc", "limit"), ("caller=nope", "caller"), ("cursor=%%%", "cursor"), ("tracking_number=1", "tracking_number")] {
                let response = try await client.execute(uri: "/v1/calls?\(query)", method: .get, headers: .bearer(account.key))
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.errorField == field, "\(query)")
            }
        }
    }
}

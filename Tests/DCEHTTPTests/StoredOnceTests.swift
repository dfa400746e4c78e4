import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// A body is stored once: an event that is its request's whole body refers to the stored
/// request instead of keeping a second copy, and is shown exactly as it arrived.
@Suite struct StoredOnceTests {
    @Test(arguments: TestEngine.all)
    func aSingleNativeEventIsKeptOnceAndShownAsSent(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: a body whose key order and spacing a re-serialization would change
            let body = #"{"external_call_id": "ONCE-1",  "idempotency_key": "once-1", "tags": {"z": "last", "a": "first"}}"#
            // run
            let posted = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(body))
            #expect(posted.status == .ok)
            let callID = try #require(posted.value["call_id"]?.string)
            // validate: one copy, in the request store
            let payloads = try await services.database.read { sql in
                try await sql.raw("SELECT payload FROM raw_events").all().map { try $0.decode(column: "payload", as: String.self) }
            }
            #expect(payloads == [""])
            let detail = try await client.execute(uri: "/v1/calls/\(callID)", method: .get, headers: .bearer(account.key))
            let events = try #require(detail.value["events"]?.array)
            let shown = try #require(events.first?["payload"])
            #expect(shown["external_call_id"] == "ONCE-1")
            #expect(shown["tags"] == ["z": "last", "a": "first"])
        }
    }

    @Test(arguments: TestEngine.all)
    func eventsOfABatchKeepTheirOwnPayloads(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let body = #"{"events": [{"external_call_id": "B-1", "idempotency_key": "b-1"}, {"external_call_id": "B-2", "idempotency_key": "b-2"}]}"#
            let posted = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(body))
            #expect(posted.status == .ok)
            let payloads = try await services.database.read { sql in
                try await sql.raw("SELECT payload FROM raw_events ORDER BY id").all().map { try $0.decode(column: "payload", as: String.self) }
            }
            #expect(payloads.count == 2)
            #expect(payloads.allSatisfy { $0.contains("external_call_id") })
        }
    }
}

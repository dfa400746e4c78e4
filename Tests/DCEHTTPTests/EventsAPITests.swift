import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct EventsAPITests {
    static let event = """
        {"idempotency_key": "evt-1", "external_call_id": "c-1", "caller_phone": "(555) 123-4567",
         "tracking_number": "+1 888 555 0101", "status": "ringing", "revenue": "12.50",
         "call_started_at": "2026-11-01T10:00:00Z", "tags": {"utm_source": "google"}}
        """

    @Test(arguments: TestEngine.all)
    func appendsOneEventAndShowsTheCall(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // run
            let posted = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(Self.event))
            // validate
            #expect(posted.status == .ok)
            let callID = try #require(posted.value["call_id"]?.string)
            #expect(posted.value["duplicate"] == false)

            let shown = try await client.execute(uri: "/v1/calls/\(callID)", method: .get, headers: .bearer(account.key))
            #expect(shown.status == .ok)
            #expect(shown.value["caller_phone"] == "+15551234567")
            #expect(shown.value["revenue"] == "12.50")
            #expect(shown.value["events"]?.array?.count == 1)
            #expect(shown.value["call_metadata"]?["utm_source"] == "google")
        }
    }

    @Test(arguments: TestEngine.all)
    func theSameKeyTwiceChangesNothingAndAnswersTheFirstAnswer(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let first = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(Self.event))
            let changed = Self.event.replacingOccurrences(of: "12.50", with: "99.00")
            let second = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(changed))
            #expect(second.status == .ok)
            #expect(second.value["duplicate"] == true)
            #expect(second.value["call_id"]?.string == first.value["call_id"]?.string)
            #expect(second.value["event_id"]?.int == first.value["event_id"]?.int)
            let shown = try await client.execute(uri: "/v1/calls/\(first.value["call_id"]?.string ?? "")", method: .get, headers: .bearer(account.key))
            #expect(shown.value["revenue"] == "12.50")
            #expect(shown.value["event_count"] == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func badInputIsRefusedNamingTheFieldAndKept(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let cases: [(body: String, field: String?, code: String)] = [
                ("{not json", nil, "malformed_json"),
                (#"{"external_call_id": "c"}"#, "idempotency_key", "missing_field"),
                (#"{"idempotency_key": "k", "external_call_id": "c", "caller_phone": "call me"}"#, "caller_phone", "invalid_field"),
                (#"{"idempotency_key": "k", "external_call_id": "c", "revenue": "abc"}"#, "revenue", "invalid_field"),
                (#"{"idempotency_key": "k", "external_call_id": "c", "duration_seconds": "long"}"#, "duration_seconds", "invalid_field"),
                (#"{"events": [{"idempotency_key": "a", "external_call_id": "c"}, {"idempotency_key": "b", "external_call_id": "c", "status": "exploded"}]}"#, "events[1].status", "invalid_field"),
            ]
            for item in cases {
                let response = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(item.body))
                #expect(response.status == .badRequest, "\(item.body)")
                #expect(response.errorField == item.field, "\(item.body)")
                #expect(response.errorCode == item.code, "\(item.body)")
            }
            let kept = try await services.ledger.deadLetters(accountID: account.account.id)
            #expect(kept.count == cases.count)
            #expect(Set(kept.map(\.body)) == Set(cases.map(\.body)))
        }
    }

    @Test(arguments: TestEngine.all)
    func batchesOverAThousandAndBodiesOverTheLimitAreRefused(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let events = (0..<1001).map { #"{"idempotency_key": "k\#($0)", "external_call_id": "c\#($0)"}"# }
            let batch = #"{"events": [\#(events.joined(separator: ","))]}"#
            let tooMany = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(batch))
            #expect(tooMany.status == .badRequest)
            #expect(tooMany.errorField == "events")
            #expect(tooMany.errorCode == "batch_too_large")

            let huge = String(repeating: " ", count: 4 * 1024 * 1024 + 10) + "{}"
            let tooLarge = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(huge))
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.errorCode == "payload_too_large")
            #expect(try await services.ledger.deadLetters(accountID: account.account.id).count == 2)
        }
    }

    @Test(arguments: TestEngine.all)
    func aBatchOfAThousandIsAccepted(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let events = (0..<1000).map { #"{"idempotency_key": "k\#($0)", "external_call_id": "c\#($0 % 250)", "status": "completed"}"# }
            let response = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key),
                                                    body: .json(#"{"events": [\#(events.joined(separator: ","))]}"#))
            #expect(response.status == .ok)
            let results = try #require(response.value["results"]?.array)
            #expect(results.count == 1000)
            #expect(Set(results.compactMap { $0["call_id"]?.string }).count == 250)
        }
    }
}

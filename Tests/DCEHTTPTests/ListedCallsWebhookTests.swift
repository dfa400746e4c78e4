import DCEJSON
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Calls as the vendors' own APIs list them, posted to the real webhook routes: Retreaver's
/// call objects of every API version, and Ringba's call-log rows, one or a page. Each is
/// answered 2xx and stored as the call it reports. The fixtures are the vendor tests'
/// (Tests/DCEVendorsTests/Fixtures), where each one's public document is named:
/// Retreaver's API reference (retreaver/core-api-docs, "Calls", V1 to V4), Ringba's
/// published API collection ("Get Call Log", "Get Details About Single Call"), the row
/// shape Ringba/ringba-api-samples reads, and seed 000's call-log example.
@Suite struct ListedCallsWebhookTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DCEVendorsTests/Fixtures")

    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
    }

    static func call(_ client: any TestClientProtocol, key: String, id: String) async throws -> JSONValue {
        try await client.execute(uri: "/v1/calls/\(id)", method: .get, headers: .bearer(key)).value
    }

    static func results(_ response: TestResponse) -> [JSONValue] {
        (response.value["results"]?.array ?? [])
    }

    @Test(arguments: TestEngine.all)
    func retreaverCallObjectsOfEveryVersionAreStored(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup
            let retreaver = try await TestIntegration.create(client, key: account.key, vendor: "retreaver")
            func post(_ fixture: String, query: String = "") async throws -> TestResponse {
                try await client.execute(uri: retreaver.path(query), method: .post, headers: .json, body: .json(try Self.fixture(fixture)))
            }
            // run
            let v2 = try await post("retreaver-api-v2-call.json")
            let v3 = try await post("retreaver-api-v3-call.json")
            let v4 = try await post("retreaver-api-v4-call.json")
            let v1Page = try await post("retreaver-api-v1-calls.json")
            let v2Page = try await post("retreaver-api-v2-calls.json", query: "stage=always")
            let again = try await post("retreaver-api-v2-call.json")
            // validate
            for response in [v2, v3, v4, v1Page, v2Page, again] { #expect(response.status == .ok) }
            let callID = try #require(v2.value["dce_call_id"]?.string)
            #expect(v2.value["dce_status"] == "canceled")
            #expect(v3.value["dce_call_id"]?.string == callID && v4.value["dce_call_id"]?.string == callID)
            #expect(again.value["dce_duplicate"] == "true")
            let call = try await Self.call(client, key: account.key, id: callID)
            #expect(call["external_call_id"] == "94079290-93f3-4527-9e78-88653aaf3c49")
            #expect(call["caller_phone"] == "+13015236555")
            #expect(call["tracking_number"] == "+18886064349")
            #expect(call["destination_number"] == "+16477159443")
            #expect(call["duration_seconds"] == 43)
            #expect(call["status"] == "canceled")
            #expect(call["caller_state"] == "NC")
            #expect(call["event_count"] == 3)
            let metadata = try #require(call["call_metadata"])
            #expect(metadata["retreaver_number_name"] == "Publisher Joe Number")
            #expect(metadata["geo"] == "301,us,us-28379,us-nc")

            let v1ID = try #require(v1Page.value["dce_call_id"]?.string)
            let v1 = try await Self.call(client, key: account.key, id: v1ID)
            #expect(v1["external_call_id"] == "addcf985-017e-4962-be34-cf5d55e74afc")
            #expect(v1["tracking_number"] == "+18668987878")
            #expect(v1["status"] == "completed")
            #expect(v1["campaign_id"] == "0003")
            let sold = try await Self.call(client, key: account.key, id: try #require(v2Page.value["dce_call_id"]?.string))
            #expect(sold["revenue"] == "5.00" && sold["converted"] == true)
            #expect(sold["destination_number"] == "+12263399112")
        }
    }

    @Test(arguments: TestEngine.all)
    func ringbaCallLogRowsAreStoredOneCallEach(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup
            let ringba = try await TestIntegration.create(client, key: account.key, vendor: "ringba")
            func post(_ fixture: String) async throws -> TestResponse {
                try await client.execute(uri: ringba.path(""), method: .post, headers: .json, body: .json(try Self.fixture(fixture)))
            }
            // run
            let page = try await post("ringba-calllogs-report.json")
            let pulledAgain = try await post("ringba-calllogs-report.json")
            let detail = try await post("ringba-calllogs-detail.json")
            let sample = try await post("ringba-api-samples-calllog.json")
            let seed = try await post("ringba-seed-calllog.json")
            // validate
            for response in [page, pulledAgain, detail, sample, seed] { #expect(response.status == .ok) }
            let rows = Self.results(page)
            #expect(rows.count == 3)
            #expect(Set(rows.compactMap { $0["call_id"]?.string }).count == 3)
            #expect(Self.results(pulledAgain).allSatisfy { $0["duplicate"] == true })
            let callID = try #require(rows.first?["call_id"]?.string)
            #expect(Self.results(detail).first?["call_id"]?.string == callID)
            #expect(Self.results(detail).first?["duplicate"] == false)
            #expect(Self.results(sample).first?["call_id"]?.string == callID)

            let call = try await Self.call(client, key: account.key, id: callID)
            #expect(call["external_call_id"] == "v21GxftEiw9_xebLSYKj4db9Wh5E3xSYcgYfGP6Z4rreg7TK7YdU5wFw")
            #expect(call["caller_phone"] == "+16613804706")
            #expect(call["tracking_number"] == "+18884143472")
            #expect(call["destination_number"] == "+16317918378")
            #expect(call["duration_seconds"] == 12)
            #expect(call["status"] == "completed")
            #expect(call["campaign_id"] == "CA74c0b7f1f3824246b73e72a9238b4bfc")
            #expect(call["publisher_id"] == "AFbd21c4a3274c4382aa98919d5149baf3")
            #expect(call["target_id"] == "TA2f6961e921ef4b92b7304dd76db8336f")
            #expect(call["caller_state"] == "CA")
            #expect(call["converted"] == true)
            #expect(call["event_count"] == 3)

            let seedCall = try await Self.call(client, key: account.key, id: try #require(Self.results(seed).first?["call_id"]?.string))
            #expect(seedCall["duration_seconds"] == 180)
            #expect(seedCall["status"] == "completed")
            #expect(seedCall["campaign_id"] == "camp_123")
            // The seed's numbers are placeholders, no phone numbers: kept as sent.
            let seedMetadata = try #require(seedCall["call_metadata"])
            #expect(seedMetadata["ringba_callerId"] == "+1234567890" && seedMetadata["ringba_targetNumber"] == "+1112223333")
        }
    }

    @Test(arguments: TestEngine.all)
    func aBadRowIsADeadLetterNamingItsPlaceAndTheOtherRowsAreKept(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup
            let ringba = try await TestIntegration.create(client, key: account.key, vendor: "ringba")
            let body = #"""
                {"report": {"records": [{"inboundCallId": "a"}, {"inboundCallId": "b", "callDt": "yesterday"}, "not a row", {"inboundCallId": "c"}]}}
                """#
            // run
            let response = try await client.execute(uri: ringba.path(""), method: .post, headers: .json, body: .json(body))
            let letters = try await client.execute(uri: "/v1/dead-letters", method: .get, headers: .bearer(account.key)).value["data"]?.array ?? []
            // validate: a 2xx, since Ringba would send the page again and again; the good rows are calls.
            #expect(response.status == .ok)
            var calls: [JSONValue] = []
            for result in Self.results(response) { calls.append(try await Self.call(client, key: account.key, id: try #require(result["call_id"]?.string))) }
            #expect(calls.map { $0["external_call_id"] } == ["a", "c"])
            #expect(Set(letters.compactMap { $0["field"]?.string }) == ["report.records[1].callDt", "report.records[2]"])
            #expect(letters.allSatisfy { $0["body"]?.string?.contains(#""inboundCallId": "c""#) == true }, "each keeps the page as it came")
        }
    }

    @Test(arguments: TestEngine.all)
    func aBadCallObjectInARetreaverPageIsADeadLetterAndTheOthersAreKept(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup: calls.json's array of `{"call": {…}}` (retreaver/core-api-docs, "Calls"), its second one unreadable
            let retreaver = try await TestIntegration.create(client, key: account.key, vendor: "retreaver")
            let body = #"""
                [{"call": {"uuid": "0b1f4a52-5a1c-4d2e-9d7e-1f2a3b4c5d6e", "caller": "+13015236555", "status": "finished", "created_at": "2026-03-01T10:00:00.000-05:00"}},
                 {"call": {"uuid": "1c2e5b63-6b2d-4e3f-8e8f-2a3b4c5d6e7f", "caller": "+13015236556", "created_at": "the day before yesterday"}}]
                """#
            // run
            let response = try await client.execute(uri: retreaver.path(""), method: .post, headers: .json, body: .json(body))
            let letters = try await client.execute(uri: "/v1/dead-letters", method: .get, headers: .bearer(account.key)).value["data"]?.array ?? []
            // validate
            #expect(response.status == .ok, "\(response.text)")
            let call = try await Self.call(client, key: account.key, id: try #require(response.value["dce_call_id"]?.string))
            #expect(call["external_call_id"] == "0b1f4a52-5a1c-4d2e-9d7e-1f2a3b4c5d6e")
            #expect(letters.map { $0["field"] } == ["[1].call.created_at"])
        }
    }

    @Test(arguments: TestEngine.all)
    func aPageOfWhichNoRowCanBeReadIsRefusedNamingTheFirst(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let ringba = try await TestIntegration.create(client, key: account.key, vendor: "ringba")
            let body = #"{"report": {"records": [{"inboundCallId": "b", "callDt": "yesterday"}, 7]}}"#
            let response = try await client.execute(uri: ringba.path(""), method: .post, headers: .json, body: .json(body))
            let letters = try await client.execute(uri: "/v1/dead-letters", method: .get, headers: .bearer(account.key)).value["data"]?.array ?? []
            #expect(response.status == .badRequest)
            #expect(response.errorField == "report.records[0].callDt")
            #expect(letters.count == 1, "the page is one dead letter")
        }
    }
}

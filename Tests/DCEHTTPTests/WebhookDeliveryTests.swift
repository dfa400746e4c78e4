import DCEDomain
import DCEJSON
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Deliveries through the HTTP routes into the ledger: retries, reordering, dead letters
/// and each vendor's answer.
@Suite struct WebhookDeliveryTests {
    static func call(_ client: any TestClientProtocol, key: String, id: String) async throws -> JSONValue {
        try await client.execute(uri: "/v1/calls/\(id)", method: .get, headers: .bearer(key)).value
    }

    @Test(arguments: TestEngine.all)
    func ringbaConvertsOnceAndRetriesChangeNothing(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let ringba = try await TestIntegration.create(client, key: account.key, vendor: "ringba")
            let query = "call_id=RGB-1&call_revenue=45.50&sale_successful=yes&caller_id=%2B15551234567&inbound_number=%2B15557654321&call_length=180"
            let first = try await client.execute(uri: ringba.path(query), method: .get)
            #expect(first.status == .ok)
            #expect(first.value["success"] == true)
            let outcome = try #require(first.value["results"]?.array?.first)
            let callID = try #require(outcome["call_id"]?.string)
            // A retry, then a second conversion with another amount (POST, misspelled).
            let retry = try await client.execute(uri: ringba.path(query), method: .get)
            let second = try await client.execute(uri: ringba.path("call_id=RGB-1&call_revenue=99.00&sale_sucesful=yes"), method: .post)
            for response in [retry, second] {
                #expect(response.status == .ok)
                let again = try #require(response.value["results"]?.array?.first)
                #expect(again["duplicate"] == true)
                #expect(again["call_id"]?.string == callID)
            }
            let call = try await Self.call(client, key: account.key, id: callID)
            #expect(call["revenue"] == "45.50")
            #expect(call["converted"] == true)
            #expect(call["caller_phone"] == "+15551234567")
            #expect(call["tracking_number"] == "+15557654321")
            #expect(call["duration_seconds"] == 180)
            #expect(call["event_count"] == 1)
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: .bearer(TestApp.adminKey)).text
            #expect(metrics.contains(#"dce_webhooks_total{vendor="ringba",outcome="accepted"} 1"#))
            #expect(metrics.contains(#"dce_webhooks_total{vendor="ringba",outcome="duplicate"} 2"#))
        }
    }

    @Test(arguments: TestEngine.all)
    func retreaverStagesOutOfOrderMakeOneCorrectCallAndAnswerTags(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let retreaver = try await TestIntegration.create(client, key: account.key, vendor: "retreaver")
            let always = #"{"id": "RTV-7", "status": "completed", "duration": 184, "ended_at": "2024-01-15T10:03:10Z", "tags": {"lead_score": 85}}"#
            let start = "id=RTV-7&caller_number=%2B14155550123&dialed_number=%2B18885550101&created_at=2024-01-15T10%3A00%3A00Z&tags%5Butm_source%5D=google"
            let answered = try await client.execute(uri: retreaver.path("stage=always"), method: .post, headers: .json, body: .json(always))
            #expect(answered.status == .ok)
            #expect(answered.value["dce_status"] == "completed")
            let callID = try #require(answered.value["dce_call_id"]?.string)
            let started = try await client.execute(uri: retreaver.path("stage=start"), method: .post, headers: .form, body: .json(start))
            #expect(started.value["dce_call_id"]?.string == callID)
            #expect(started.value["dce_status"] == "completed")
            #expect(started.value["dce_duplicate"] == "false")
            let retried = try await client.execute(uri: retreaver.path("stage=start"), method: .post, headers: .form, body: .json(start))
            #expect(retried.value["dce_duplicate"] == "true")

            let call = try await Self.call(client, key: account.key, id: callID)
            #expect(call["status"] == "completed")
            #expect(call["caller_phone"] == "+14155550123")
            #expect(call["duration_seconds"] == 184)
            #expect(call["event_count"] == 2)
            let metadata = try #require(call["call_metadata"])
            #expect(metadata == ["lead_score": "85", "utm_source": "google"])
        }
    }

    @Test(arguments: TestEngine.all)
    func unreadableDeliveriesAreDeadLetteredAndNamed(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let retreaver = try await TestIntegration.create(client, key: account.key, vendor: "retreaver")
            let tags = (0...100).map { "\"t\($0)\": \"v\"" }.joined(separator: ",")
            let tooMany = try await client.execute(uri: retreaver.path("stage=start"), method: .post, headers: .json, body: .json(#"{"id": "R", "tags": {\#(tags)}}"#))
            #expect(tooMany.status == .badRequest)
            #expect(tooMany.errorCode == "too_many_tags")
            #expect(tooMany.errorField == "tags")
            #expect(tooMany.value["error"]?["message"] == "101 tags in one write; at most 100 are allowed")
            let broken = try await client.execute(uri: retreaver.path("stage=start"), method: .post, headers: .json, body: .json("{nope"))
            #expect(broken.status == .badRequest)
            #expect(broken.errorCode == "malformed_json")
            let exotel = try await TestIntegration.create(client, key: account.key, vendor: "exotel")
            let noSid = try await client.execute(uri: exotel.path(""), method: .post, headers: .form, body: .json("Status=busy"))
            #expect(noSid.errorField == "CallSid")
            let letters = try await services.ledger.deadLetters(accountID: account.account.id)
            #expect(letters.count == 3)
            #expect(Set(letters.map(\.field)) == ["tags", nil, "CallSid"])
            #expect(letters.contains { $0.body == "{nope" })
        }
    }

    @Test(arguments: TestEngine.all)
    func ringCentralValidationAndAttributionThroughTheInventory(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let rc = try await TestIntegration.create(client, key: account.key, vendor: "ringcentral")
            var validation = HTTPFields.json
            validation[HTTPField.Name("Validation-Token")!] = "a1b2c3"
            let validated = try await client.execute(uri: rc.path, method: .post, headers: validation, body: .json(""))
            #expect(validated.status == .ok)
            #expect(validated.headers[HTTPField.Name("Validation-Token")!] == "a1b2c3")
            #expect(validated.body.readableBytes < 1024)

            // The SDN has a campaign; the CTN is labelled with the SDN.
            _ = try await client.execute(uri: "/v1/numbers/+14155550100", method: .put, headers: .bearer(account.key), body: .json(#"{"campaign_id": "sales-west"}"#))
            _ = try await client.execute(uri: "/v1/numbers/+18774443333", method: .put, headers: .bearer(account.key), body: .json(#"{"label": "+14155550100"}"#))
            let byLabel = #"{"event": "Notify_CallSession", "body": {"sessionId": "S-1", "recordingId": "R-1", "parties": [{"from": {"number": "+13055551212"}, "to": {"number": "+18005550000"}, "state": {"name": "Setup"}, "uiCallInfo": {"primary": {"type": "InDIDLabel", "value": "+14155550100"}}}]}}"#
            let byCTN = #"{"event": "Notify_CallSession", "body": {"sessionId": "S-2", "parties": [{"from": {"number": "+13055551213"}, "to": {"number": "+18774443333"}, "state": {"name": "Setup"}}]}}"#
            for (body, session) in [(byLabel, "S-1"), (byCTN, "S-2")] {
                let response = try await client.execute(uri: rc.path, method: .post, headers: rc.verified, body: .json(body))
                #expect(response.status == .ok)
                let callID = try #require(response.value["results"]?.array?.first?["call_id"]?.string)
                let call = try await Self.call(client, key: account.key, id: callID)
                #expect(call["campaign_id"] == "sales-west", "\(session)")
                #expect(call["call_metadata"]?["ringcentral_session_id"]?.string == session)
            }
        }
    }

    @Test(arguments: TestEngine.all)
    func exotelStatusCallbackLandsAsOneCall(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let exotel = try await TestIntegration.create(client, key: account.key, vendor: "exotel")
            let answered = "CallSid=ex-1&EventType=answered&Status=in-progress&DateUpdated=2024-01-15+14%3A27%3A10&From=08012345678"
            let terminal = "CallSid=ex-1&EventType=terminal&Status=completed&DateUpdated=2024-01-15+14%3A30%3A45&ConversationDuration=180&RecordingUrl=https%3A%2F%2Fr.example%2Fa.mp3"
            let last = try await client.execute(uri: exotel.path(""), method: .post, headers: .form, body: .json(terminal))
            let first = try await client.execute(uri: exotel.path(""), method: .post, headers: .form, body: .json(answered))
            let id = try #require(last.value["results"]?.array?.first?["call_id"]?.string)
            #expect(first.value["results"]?.array?.first?["call_id"]?.string == id)
            let call = try await Self.call(client, key: account.key, id: id)
            #expect(call["status"] == "completed")
            #expect(call["caller_phone"] == "+918012345678")
            #expect(call["recording_url"] == "https://r.example/a.mp3")
            #expect(call["duration_seconds"] == 180)
        }
    }

    @Test(arguments: TestEngine.all)
    func invocaCorrectionAmendsTheCallAndKeepsBothRows(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let invoca = try await TestIntegration.create(client, key: account.key, vendor: "invoca")
            let original = #"{"transaction_id": "T-1", "complete_call_id": "CC-1", "calling_phone_number": "866-555-1234", "start_time_utc": 1705312800000, "duration": 245, "advertiser_payin_localized": "45.00", "affiliate_payout_localized": "27.00"}"#
            let correction = #"{"transaction_id": "T-2", "corrects_transaction_id": "T-1", "corrected_at": "2024-01-16T09:00:00Z", "advertiser_payin_localized": "30.00", "affiliate_payout_localized": "18.00"}"#
            let first = try await client.execute(uri: invoca.path(""), method: .post, headers: .json, body: .json(original))
            let second = try await client.execute(uri: invoca.path(""), method: .post, headers: .json, body: .json(correction))
            let id = try #require(first.value["results"]?.array?.first?["call_id"]?.string)
            #expect(second.value["results"]?.array?.first?["call_id"]?.string == id)
            let call = try await Self.call(client, key: account.key, id: id)
            #expect(call["revenue"] == "30.00")
            #expect(call["payout"] == "18.00")
            #expect(call["duration_seconds"] == 245)
            let events = try #require(call["events"]?.array)
            #expect(events.count == 2)
            #expect(events.map { $0["type"]?.string } == ["invoca.transaction", "invoca.correction"])
            let totals = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(account.key))
            #expect(totals.value["data"]?.array?.count == 1)
        }
    }
}

import DCEJSON
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// RingCentral's own published events, posted as RingCentral posts them to the real
/// webhook route: every one is answered 2xx and lands as the call it reports. The fixtures
/// are the vendor tests' (Tests/DCEVendorsTests/Fixtures), where each one's public
/// document is named: RingCentral's developer guide examples ("Account Telephony Sessions
/// Event", "Detailed Extension Presence Event" with and without SIP, "Extension Presence
/// Event", "Telephony Session Notifications"), the recorded call streams that guide links
/// to (dibyenduroy/csn-data), and seed 001's `Notify_CallSession` exactly as written.
@Suite struct RingCentralPublishedEventsWebhookTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DCEVendorsTests/Fixtures")

    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
    }

    static func results(_ response: TestResponse) -> [JSONValue] {
        (response.value["results"]?.array ?? [])
    }

    static func call(_ client: any TestClientProtocol, key: String, id: String) async throws -> JSONValue {
        try await client.execute(uri: "/v1/calls/\(id)", method: .get, headers: .bearer(key)).value
    }

    static func metadata(_ call: JSONValue) -> JSONValue {
        call["call_metadata"] ?? [:]
    }

    @Test(arguments: TestEngine.all)
    func everyPublishedSingleEventIsAcceptedAndStored(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup
            let rc = try await TestIntegration.create(client, key: account.key, vendor: "ringcentral")
            // run: fixture, calls it reports
            let samples: [(String, Int)] = [
                ("ringcentral-account-telephony-sessions.json", 1),
                ("ringcentral-detailed-presence-with-sip.json", 2),
                ("ringcentral-detailed-presence.json", 2),
                ("ringcentral-extension-presence.json", 0),
                ("ringcentral-telephony-session-event.json", 1),
            ]
            var callIDs: [String: [String]] = [:]
            for (name, calls) in samples {
                let response = try await client.execute(uri: rc.path, method: .post, headers: rc.verified, body: .json(try Self.fixture(name)))
                // validate
                #expect(response.status == .ok, "\(name): \(response.text.prefix(300))")
                #expect(Self.results(response).count == calls, "\(name)")
                callIDs[name] = Self.results(response).compactMap { $0["call_id"]?.string }
            }
            let internalID = try #require(callIDs["ringcentral-account-telephony-sessions.json"]?.first)
            let internalCall = try await Self.call(client, key: account.key, id: internalID)
            #expect(internalCall["caller_phone"] == .null || internalCall["caller_phone"] == nil)
            #expect(internalCall["tracking_number"] == .null || internalCall["tracking_number"] == nil)
            #expect(internalCall["status"] == "ringing")
            #expect(Self.metadata(internalCall)["from_extension"] == "103")
            #expect(Self.metadata(internalCall)["to_extension"] == "102")
            #expect(Self.metadata(internalCall)["direction"] == "internal")

            let toExtensionID = try #require(callIDs["ringcentral-detailed-presence-with-sip.json"]?.first)
            let toExtension = try await Self.call(client, key: account.key, id: toExtensionID)
            #expect(toExtension["caller_phone"] == "+16508370072")
            #expect(toExtension["status"] == "in_progress")
            #expect(Self.metadata(toExtension)["to_extension"] == "4591")
            #expect(Self.metadata(toExtension)["direction"] == "internal")

            let inboundID = try #require(callIDs["ringcentral-telephony-session-event.json"]?.first)
            let inbound = try await Self.call(client, key: account.key, id: inboundID)
            #expect(inbound["caller_phone"] == "+14083388064")
            #expect(inbound["tracking_number"] == "+19043014558")
            #expect(Self.metadata(inbound)["direction"] == "inbound")
            #expect(Self.metadata(inbound)["ringcentral_session_id"] == "425008160016")
            #expect(try await Self.deadLetters(client, key: account.key).isEmpty)
            // The presence change without a call is counted accepted, not as a retry.
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: .bearer(TestApp.adminKey)).text
            #expect(metrics.contains(#"dce_webhooks_total{vendor="ringcentral",outcome="accepted"} 5"#), "\(metrics.split(separator: "\n").filter { $0.contains("dce_webhooks_total") })")
            #expect(!metrics.contains(#"outcome="duplicate""#))
        }
    }

    static func deadLetters(_ client: any TestClientProtocol, key: String) async throws -> [Any] {
        let letters = try await client.execute(uri: "/v1/dead-letters", method: .get, headers: .bearer(key))
        return (letters.value["data"]?.array ?? [])
    }

    @Test(arguments: TestEngine.all)
    func recordedStreamsAreOneCallEachWithTheAccountsDirection(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup
            let rc = try await TestIntegration.create(client, key: account.key, vendor: "ringcentral")
            let streams = [
                ("ringcentral-csn-ringcentral-to-ringcentral.jsonl", "internal"),
                ("ringcentral-csn-pstn-to-ringcentral.jsonl", "inbound"),
                ("ringcentral-csn-ringcentral-to-pstn.jsonl", "outbound"),
            ]
            for (name, direction) in streams {
                // run
                var callIDs: Set<String> = []
                let lines = try Self.fixture(name).split(separator: "\n").map(String.init)
                for line in lines {
                    let response = try await client.execute(uri: rc.path, method: .post, headers: rc.verified, body: .json(line))
                    #expect(response.status == .ok, "\(name): \(response.text.prefix(300))")
                    callIDs.formUnion(Self.results(response).compactMap { $0["call_id"]?.string })
                }
                // A retry of the whole stream changes nothing.
                for line in lines {
                    let retry = try await client.execute(uri: rc.path, method: .post, headers: rc.verified, body: .json(line))
                    #expect(Self.results(retry).allSatisfy { $0["duplicate"] == true }, "\(name)")
                }
                // validate
                #expect(callIDs.count == 1, "\(name)")
                let call = try await Self.call(client, key: account.key, id: try #require(callIDs.first))
                #expect(call["status"] == "completed", "\(name)")
                #expect(Self.metadata(call)["direction"]?.string == direction, "\(name)")
                #expect(call["events"]?.array?.count == lines.count, "\(name)")
            }
            let listed = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(account.key))
            #expect(((listed.value["data"]?.array ?? [])).count == 3)
        }
    }

    @Test(arguments: TestEngine.all)
    func seedNotifyCallSessionAsWrittenIsACallAndItsRetryIsNot(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // setup
            let rc = try await TestIntegration.create(client, key: account.key, vendor: "ringcentral")
            let seed = try Self.fixture("ringcentral-seed-notify-callsession.json")
            // run
            let first = try await client.execute(uri: rc.path, method: .post, headers: rc.verified, body: .json(seed))
            let retry = try await client.execute(uri: rc.path, method: .post, headers: rc.verified, body: .json(seed))
            let other = try await client.execute(uri: rc.path, method: .post, headers: rc.verified,
                                                 body: .json(seed.replacingOccurrences(of: "+13055551212", with: "+13055551213")))
            // validate
            #expect(first.status == .ok, "\(first.text.prefix(300))")
            let outcome = try #require(Self.results(first).first)
            #expect(outcome["duplicate"] == false)
            let again = try #require(Self.results(retry).first)
            #expect(again["duplicate"] == true)
            #expect(again["call_id"]?.string == outcome["call_id"]?.string)
            #expect(again["event_id"]?.int == outcome["event_id"]?.int)
            let second = try #require(Self.results(other).first)
            #expect(second["duplicate"] == false)
            #expect(second["call_id"]?.string != outcome["call_id"]?.string)

            let call = try await Self.call(client, key: account.key, id: try #require(outcome["call_id"]?.string))
            #expect(call["caller_phone"] == "+13055551212")
            #expect(call["tracking_number"] == "+18774443333")
            #expect(call["status"] == "no_answer")
            #expect(Self.metadata(call)["ringcentral_label"] == "+14155550100")
            #expect(Self.metadata(call)["direction"] == "inbound")
        }
    }
}

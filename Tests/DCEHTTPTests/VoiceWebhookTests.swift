import DCEDomain
@testable import DCEHTTP
import DCEJSON
import DCEStorage
import DCETestSupport
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// A fake carrier drives a call through the voice webhook the way Twilio does: the call
/// arrives, the `<Dial>`'s action reports no answer, the dialled leg's status callbacks
/// follow. Signatures are made with the account's carrier secrets, as the carrier would.
@Suite struct VoiceWebhookTests {
    static let publicURL = "https://dce.test"
    static let authToken = "twilio-auth-token-0123456789"
    static let tracking = "+18005550100"
    static let caller = "+12125550123"

    // MARK: - The call, end to end

    @Test(arguments: TestEngine.all)
    func aCallRingsTheFirstTargetFallsThroughOnNoAnswerAndFoldsItsStatusCallbacks(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            // setup
            let exchange = try await Exchange.make(services, account, targets: 2)
            let carrier = try await FakeCarrier.twilio(services, account)

            // run: the call arrives
            let first = try await carrier.post(client, "/voice/\(exchange.campaignID)", Self.call("CA100"))
            #expect(first.status == .ok)
            #expect(first.headers[.contentType] == TwiML.contentType)
            #expect(Self.numbers(in: first.text) == ["+12025550101"])
            #expect(first.text.contains(#"statusCallbackEvent="initiated ringing answered completed""#))
            #expect(first.text.contains(#"timeout="30""#))
            let action = try #require(Self.attribute("action", in: first.text).first)
            #expect(action.hasPrefix("\(Self.publicURL)/voice/\(exchange.campaignID)/dial?route=rte_"))

            // the first target does not answer: the second rings
            let second = try await carrier.post(client, action, Self.call("CA100") + [("DialCallStatus", "no-answer")])
            #expect(second.status == .ok)
            #expect(Self.numbers(in: second.text) == ["+12025550102"])
            let status = try #require(Self.attribute("statusCallback", in: second.text).first)
            #expect(status.contains("target=\(exchange.targetIDs[1])"))

            // the dialled leg's status callbacks
            let leg = [("CallSid", "CA200"), ("ParentCallSid", "CA100"), ("From", Self.caller), ("To", "+12025550102")]
            let answered = try await carrier.post(client, status, leg + [("CallStatus", "in-progress")])
            #expect(answered.status == .ok)
            let completed = try await carrier.post(client, status, leg + [("CallStatus", "completed"), ("CallDuration", "95")])
            #expect(completed.status == .ok)
            // a retried callback changes nothing
            #expect(try await carrier.post(client, status, leg + [("CallStatus", "completed"), ("CallDuration", "95")]).status == .ok)
            let hangUp = try await carrier.post(client, try #require(Self.attribute("action", in: second.text).first), Self.call("CA100") + [("DialCallStatus", "completed")])
            #expect(hangUp.text.contains("<Hangup/>"))

            // validate
            let shown = try await Self.theOnlyCall(client, account)
            #expect(shown.keeping("duration_seconds", "status", "campaign_id", "target_id", "caller_phone", "tracking_number") == [
                "duration_seconds": 95, "status": "completed", "campaign_id": .string(exchange.campaignID),
                "target_id": .string(exchange.targetIDs[1]), "caller_phone": .string(Self.caller), "tracking_number": .string(Self.tracking),
            ])
            let events = try #require(shown["events"]?.array)
            #expect(events.count == 5)
            #expect(events.allSatisfy { $0["source"] == "carrier" })
            #expect(Set(events.compactMap { $0["type"]?.string }) == ["ringing", "dial", "status"])
        }
    }

    @Test(arguments: TestEngine.all)
    func busyAndFailedFallThroughToTheNextTargetAndThenToTheFallback(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            // setup
            let fallback = RoutingFallback.number(try PhoneNumber(parsing: "+13125550199"))
            let exchange = try await Exchange.make(services, account, targets: 3, fallback: fallback)
            let carrier = try await FakeCarrier.twilio(services, account)
            let first = try await carrier.post(client, "/voice/\(exchange.campaignID)", Self.call("CA110"))
            #expect(Self.numbers(in: first.text) == ["+12025550101"])

            // run: the first target is busy, the second fails, the third fails too
            let afterBusy = try await carrier.post(client, try #require(Self.attribute("action", in: first.text).first), Self.call("CA110") + [("DialCallStatus", "busy")])
            let afterFailed = try await carrier.post(client, try #require(Self.attribute("action", in: afterBusy.text).first), Self.call("CA110") + [("DialCallStatus", "failed")])
            let exhausted = try await carrier.post(client, try #require(Self.attribute("action", in: afterFailed.text).first), Self.call("CA110") + [("DialCallStatus", "failed")])

            // validate: each answer rings the next target, then the campaign's fallback number
            #expect(afterBusy.status == .ok && afterFailed.status == .ok && exhausted.status == .ok)
            #expect(Self.numbers(in: afterBusy.text) == ["+12025550102"])
            #expect(try #require(Self.attribute("statusCallback", in: afterBusy.text).first).contains("target=\(exchange.targetIDs[1])"))
            #expect(Self.numbers(in: afterFailed.text) == ["+12025550103"])
            #expect(Self.numbers(in: exhausted.text) == ["+13125550199"])
            #expect(try #require(Self.attribute("action", in: exhausted.text).first).contains("stage=fallback"))
            let route = try #require(try await services.routes.route(source: "carrier", externalCallID: "CA110", accountID: account.account.id))
            #expect(route.fallback?.reason == .targetsExhausted)
            #expect(route.ringing.isEmpty)
        }
    }

    /// Twilio posts `RecordingUrl` with the dialled leg's status callback when the leg is
    /// recorded (https://www.twilio.com/docs/voice/twiml/number#attributes-status-callback-parameters).
    @Test(arguments: TestEngine.all)
    func aStatusCallbacksRecordingURLIsFoldedIntoTheCall(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            // setup
            let exchange = try await Exchange.make(services, account, targets: 1)
            let carrier = try await FakeCarrier.twilio(services, account)
            let first = try await carrier.post(client, "/voice/\(exchange.campaignID)", Self.call("CA120"))
            let status = try #require(Self.attribute("statusCallback", in: first.text).first)
            let recording = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0123456789abcdef"

            // run: the leg answers, then completes with its recording
            let leg = [("CallSid", "CA220"), ("ParentCallSid", "CA120"), ("From", Self.caller), ("To", "+12025550101")]
            #expect(try await carrier.post(client, status, leg + [("CallStatus", "in-progress")]).status == .ok)
            let completed = try await carrier.post(client, status, leg + [("CallStatus", "completed"), ("CallDuration", "130"), ("RecordingUrl", recording)])
            #expect(completed.status == .ok)

            // validate
            let shown = try await Self.theOnlyCall(client, account)
            #expect(shown.keeping("recording_url", "duration_seconds", "status", "external_call_id") == [
                "recording_url": .string(recording), "duration_seconds": 130, "status": "completed", "external_call_id": "CA120",
            ])
        }
    }

    @Test(arguments: TestEngine.all)
    func aCallerWhoHangsUpWhileItRingsEndsTheRouteAndNothingMoreRings(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            // setup
            let exchange = try await Exchange.make(services, account, targets: 2)
            let carrier = try await FakeCarrier.twilio(services, account)
            let first = try await carrier.post(client, "/voice/\(exchange.campaignID)", Self.call("CA150"))
            let action = try #require(Self.attribute("action", in: first.text).first)

            // run: Twilio reports the dial canceled (the caller hung up)
            let canceled = try await carrier.post(client, action, Self.call("CA150") + [("DialCallStatus", "canceled")])

            // validate: no second target rings, and the route holds no live attempt
            #expect(canceled.status == .ok)
            #expect(canceled.text.contains("<Hangup/>"))
            #expect(Self.numbers(in: canceled.text).isEmpty)
            let route = try #require(try await services.routes.route(source: "carrier", externalCallID: "CA150", accountID: account.account.id))
            #expect(route.ringing.isEmpty)
        }
    }

    @Test(arguments: TestEngine.all)
    func threeTargetsRingAtOnceWhenTheCampaignAsks(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            let exchange = try await Exchange.make(services, account, targets: 4, simultaneousRing: 3)
            let carrier = try await FakeCarrier.twilio(services, account)
            let response = try await carrier.post(client, "/voice/\(exchange.campaignID)", Self.call("CA300"))
            #expect(response.status == .ok)
            #expect(Self.numbers(in: response.text) == ["+12025550101", "+12025550102", "+12025550103"])
            #expect(response.text.components(separatedBy: "<Dial ").count == 2)
        }
    }

    @Test(arguments: TestEngine.all)
    func aRingGroupRingsInOneDial(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            let exchange = try await Exchange.make(services, account, targets: 4, ringGroups: [nil, "floor", "floor", "floor"])
            let carrier = try await FakeCarrier.twilio(services, account)
            let first = try await carrier.post(client, "/voice/\(exchange.campaignID)", Self.call("CA310"))
            let action = try #require(Self.attribute("action", in: first.text).first)
            let fallThrough = try await carrier.post(client, action, Self.call("CA310") + [("DialCallStatus", "no-answer")])
            #expect(Self.numbers(in: first.text) == ["+12025550101"])
            #expect(Self.numbers(in: fallThrough.text) == ["+12025550102", "+12025550103", "+12025550104"])
            #expect(fallThrough.text.components(separatedBy: "<Dial ").count == 2)
        }
    }

    @Test(arguments: TestEngine.all)
    func noEligibleTargetAnswersTheFallback(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            let onlyTexas = try RoutingFilter(field: "caller_state", operator: "equals", values: ["TX"], path: "filters[0]")
            let exchange = try await Exchange.make(services, account, targets: 1, filters: [onlyTexas], fallback: .voicemail)
            let carrier = try await FakeCarrier.twilio(services, account)
            let response = try await carrier.post(client, "/voice/\(exchange.campaignID)", Self.call("CA400"))
            #expect(response.status == .ok)
            #expect(!response.text.contains("<Dial"))
            #expect(response.text.contains("<Say>"))
            #expect(response.text.contains("<Record "))
            let recordingCallback = try #require(Self.attribute("recordingStatusCallback", in: response.text).first)
            #expect(recordingCallback.contains("/voice/\(exchange.campaignID)/status?route=rte_"))
            // after the voicemail the call ends
            let action = try #require(Self.attribute("action", in: response.text).first)
            #expect(try await carrier.post(client, action, Self.call("CA400") + [("RecordingUrl", "https://api.twilio.com/rec/RE1")]).text.contains("<Hangup/>"))
        }
    }

    @Test(arguments: TestEngine.all)
    func theDialledNumberFindsTheCampaign(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            _ = try await Exchange.make(services, account, targets: 1)
            let carrier = try await FakeCarrier.twilio(services, account)
            let response = try await carrier.post(client, "/voice", Self.call("CA500"))
            #expect(response.status == .ok)
            #expect(Self.numbers(in: response.text) == ["+12025550101"])
            let unknown = try await carrier.post(client, "/voice", [("CallSid", "CA501"), ("From", Self.caller), ("To", "+18005550199")])
            #expect(unknown.status == .notFound)
        }
    }

    @Test(arguments: TestEngine.all)
    func routingThatLosesTheRaceAnswersTheFallback(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // setup: a webhook whose deadline passes before any routing can finish
            let (exchange, carrier, router) = try await Self.withDeadline(.zero, database)
            // run
            try await Application(router: router).test(.router) { client in
                let response = try await carrier.post(client, "/voice/\(exchange.campaignID)", Self.call("CA800"))
                // validate
                #expect(response.status == .ok)
                #expect(Self.numbers(in: response.text) == ["+13125550199"])
                let action = try #require(Self.attribute("action", in: response.text).first)
                #expect(action.contains("stage=fallback"))
                #expect(try await carrier.post(client, action, Self.call("CA800") + [("DialCallStatus", "no-answer")]).text.contains("<Hangup/>"))
            }
        }
    }

    /// A one-target campaign whose fallback rings +13125550199, a Twilio carrier, and the
    /// voice webhook answering within `deadline`.
    static func withDeadline(_ deadline: Duration, _ database: any Database) async throws
        -> (exchange: Exchange, carrier: FakeCarrier, router: Router<AppRequestContext>) {
        var configured = AppServices(database: database, adminKey: TestApp.adminKey)
        configured.publicURL = publicURL
        let services = configured
        let account = try await TestAccount.make(database)
        let fallback = RoutingFallback.number(try PhoneNumber(parsing: "+13125550199"))
        let exchange = try await Exchange.make(services, account, targets: 1, fallback: fallback)
        let carrier = try await FakeCarrier.twilio(services, account)
        let router = Router(context: AppRequestContext.self)
        VoiceController(services: services, deadline: deadline).register(on: router)
        return (exchange, carrier, router)
    }

    @Test func racedWorkIsLateOrFailedButNeverWaitedFor() async {
        let clock = ContinuousClock()
        let started = clock.now
        // Work that would take an hour: waiting for it would hang the run, which the
        // generous bound below only turns into a failure.
        let late = await Raced<Int>.run(within: .milliseconds(50)) { try await Task.sleep(for: .seconds(3600)); return 1 }
        #expect(clock.now - started < .seconds(600))
        guard case .late = late else { Issue.record("expected late, got \(late)"); return }
        struct Broken: Error {}
        guard case .failed = await Raced<Int>.run(within: .seconds(5), { throw Broken() }) else { Issue.record("expected failed"); return }
        guard case .done(7) = await Raced<Int>.run(within: .seconds(5), { 7 }) else { Issue.record("expected done"); return }
    }

    // MARK: - Authentication

    @Test(arguments: TestEngine.all)
    func aBadOrMissingSignatureIsRefusedWith403AndNothingIsStored(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            let exchange = try await Exchange.make(services, account, targets: 1)
            let carrier = try await FakeCarrier.twilio(services, account)
            let path = "/voice/\(exchange.campaignID)"
            let forged = try await carrier.post(client, path, Self.call("CA600"), signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
            #expect(forged.status == .forbidden)
            #expect(forged.errorCode == "forbidden")
            let otherToken = FakeCarrier(authToken: "another-token-0123456789")
            #expect(try await otherToken.post(client, path, Self.call("CA600")).status == .forbidden)
            let unsigned = try await client.execute(
                uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: FakeCarrier.form(Self.call("CA600")))
            )
            #expect(unsigned.status == .forbidden)
            #expect(!unsigned.text.contains(Self.authToken))
            let stored = try await services.database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM inbound_requests").first()?.decode(column: "n", as: Int.self)
            }
            #expect(stored == 0)
        }
    }

    @Test(arguments: TestEngine.all)
    func theURLTokenAuthenticatesAndTravelsIntoTheCallbacks(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            let exchange = try await Exchange.make(services, account, targets: 1)
            let (_, token) = try await CarrierStore(database: services.database).create(
                accountID: account.account.id, kind: .signalwire, name: "signalwire", authToken: "signalwire-token-0123456789"
            )
            let body = ByteBuffer(string: FakeCarrier.form(Self.call("CA700")))
            let headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let good = try await client.execute(uri: "/voice/\(exchange.campaignID)?token=\(token)", method: .post, headers: headers, body: body)
            #expect(good.status == .ok)
            #expect(try #require(Self.attribute("action", in: good.text).first).contains("token=\(token)"))
            let wrong = try await client.execute(uri: "/voice/\(exchange.campaignID)?token=vt_wrong", method: .post, headers: headers, body: body)
            #expect(wrong.status == .forbidden)
            // the token is never stored
            let paths = try await services.database.read { sql in
                try await sql.raw("SELECT path FROM inbound_requests").all().map { try $0.decode(column: "path", as: String.self) }
            }
            #expect(paths.count == 1)
            #expect(paths.allSatisfy { !$0.contains(token) })
        }
    }

    @Test(arguments: TestEngine.all)
    func telnyxSignaturesAreCheckedWithTheAccountsPublicKey(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            let exchange = try await Exchange.make(services, account, targets: 1)
            let key = TelnyxSignature.Signer()
            _ = try await CarrierStore(database: services.database).create(
                accountID: account.account.id, kind: .telnyx, name: "telnyx", authToken: key.publicKeyBase64
            )
            let path = "/voice/\(exchange.campaignID)"
            let body = Array(FakeCarrier.form(Self.call("v3:telnyx-1")).utf8)
            func post(signedBy signer: TelnyxSignature.Signer, at seconds: Int64) async throws -> TestResponse {
                let signature = try signer.signature(body: body, timestamp: seconds)
                return try await client.execute(uri: path, method: .post, headers: [
                    .contentType: "application/x-www-form-urlencoded",
                    HTTPField.Name("telnyx-signature-ed25519")!: signature, HTTPField.Name("telnyx-timestamp")!: String(seconds),
                ], body: ByteBuffer(bytes: body))
            }
            let now = Int64(Date().timeIntervalSince1970)
            let valid = try await post(signedBy: key, at: now)
            #expect(valid.status == .ok)
            #expect(Self.numbers(in: valid.text) == ["+12025550101"])
            #expect(try await post(signedBy: TelnyxSignature.Signer(), at: now).status == .forbidden)
            #expect(try await post(signedBy: key, at: now - 600).status == .forbidden)
            #expect(try await post(signedBy: key, at: now + 600).status == .forbidden)
        }
    }

    /// SignalWire signs with `X-SignalWire-Signature`, in Twilio's scheme, and keeps
    /// `X-Twilio-Signature` as a legacy alias (SignalWire's "Webhook signature validation",
    /// https://signalwire.com/docs/server-sdks/reference/python/core/security).
    @Test(arguments: TestEngine.all)
    func signalWireSignsWithItsOwnHeaderOrTheLegacyTwilioOne(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            // setup
            let exchange = try await Exchange.make(services, account, targets: 2)
            let signingKey = "PSK_signalwire_signing_key_0123456789"
            _ = try await CarrierStore(database: services.database).create(
                accountID: account.account.id, kind: .signalwire, name: "signalwire", authToken: signingKey
            )
            let signalWire = FakeCarrier(authToken: signingKey, header: "X-SignalWire-Signature")
            let path = "/voice/\(exchange.campaignID)"

            // run: a call and its dial action, signed as SignalWire signs them
            let first = try await signalWire.post(client, path, Self.call("CA1000"))
            let action = try #require(Self.attribute("action", in: first.text).first)
            let second = try await signalWire.post(client, action, Self.call("CA1000") + [("DialCallStatus", "no-answer")])

            // validate
            #expect(first.status == .ok)
            #expect(Self.numbers(in: first.text) == ["+12025550101"])
            #expect(second.status == .ok)
            #expect(Self.numbers(in: second.text) == ["+12025550102"])
            // the legacy name verifies with the same key
            let legacy = try await FakeCarrier(authToken: signingKey).post(client, path, Self.call("CA1001"))
            #expect(legacy.status == .ok)
            // a forged signature or another key under SignalWire's name is refused, naming the header
            let forged = try await signalWire.post(client, path, Self.call("CA1002"), signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
            #expect(forged.status == .forbidden)
            #expect(forged.text.contains("X-SignalWire-Signature"))
            #expect(!forged.text.contains(signingKey))
            let otherKey = FakeCarrier(authToken: "another-signing-key-0123456789", header: "X-SignalWire-Signature")
            #expect(try await otherKey.post(client, path, Self.call("CA1003")).status == .forbidden)
        }
    }

    /// Twilio's documented example (https://www.twilio.com/docs/usage/security).
    @Test func twilioPublishedTestVector() {
        let parameters = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"), ("From", "+12349013030"), ("To", "+18005551212")]
            .map { TwilioSignature.Parameter($0.0, $0.1) }
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2"
        #expect(TwilioSignature.signature(authToken: "12345", url: url, parameters: parameters) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        #expect(TwilioSignature.isValid("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", authToken: "12345", url: "https://mycompany.com:443/myapp.php?foo=1&bar=2", parameters: parameters))
    }

    // MARK: - Carriers API

    @Test(arguments: TestEngine.all)
    func carriersAreAddedListedWithoutSecretsAndDeleted(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, _, account in
            let created = try await client.execute(
                uri: "/v1/carriers", method: .post, headers: .bearer(account.key),
                body: .json(#"{"kind":"twilio","name":"main","auth_token":"\#(Self.authToken)"}"#)
            )
            #expect(created.status == .created)
            let id = try #require(created.value["id"]?.string)
            #expect(id.hasPrefix("car_"))
            let token = try #require(created.value["voice_url_token"]?.string)
            #expect(created.value["auth_token"] == nil)
            let listed = try await client.execute(uri: "/v1/carriers", method: .get, headers: .bearer(account.key))
            #expect(listed.status == .ok)
            #expect(!listed.text.contains(token))
            #expect(!listed.text.contains(Self.authToken))
            #expect(listed.value["data"]?.array?.count == 1)
            let taken = try await client.execute(
                uri: "/v1/carriers", method: .post, headers: .bearer(account.key),
                body: .json(#"{"kind":"twilio","name":"main","auth_token":"\#(Self.authToken)"}"#)
            )
            #expect(taken.status == .conflict)
            #expect(try await client.execute(uri: "/v1/carriers/\(id)", method: .delete, headers: .bearer(account.key)).status == .noContent)
            #expect(try await client.execute(uri: "/v1/carriers/\(id)", method: .delete, headers: .bearer(account.key)).status == .notFound)
        }
    }

    @Test(arguments: TestEngine.all)
    func badCarrierInputNamesTheField(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, _, account in
            let cases: [(String, String)] = [
                (#"{"name":"x","auth_token":"0123456789"}"#, "kind"),
                (#"{"kind":"vonage","name":"x","auth_token":"0123456789"}"#, "kind"),
                (#"{"kind":"twilio","auth_token":"0123456789"}"#, "name"),
                (#"{"kind":"twilio","name":"x"}"#, "auth_token"),
                (#"{"kind":"twilio","name":"x","auth_token":"short"}"#, "auth_token"),
                (#"{"kind":"telnyx","name":"x"}"#, "public_key"),
                (#"{"kind":"telnyx","name":"x","public_key":"bm90IGEga2V5"}"#, "public_key"),
                (#"{"kind":"telnyx","name":"x","auth_token":"0123456789"}"#, "auth_token"),
                (#"{"kind":"twilio","name":7,"auth_token":"0123456789"}"#, "name"),
            ]
            for (body, field) in cases {
                let response = try await client.execute(uri: "/v1/carriers", method: .post, headers: .bearer(account.key), body: .json(body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.errorField == field, "\(body)")
            }
        }
    }

    @Test(arguments: TestEngine.all)
    func aCallbackWithoutCallSidIs400AndDeadLettered(engine: TestEngine) async throws {
        try await Self.withApp(engine) { client, services, account in
            let exchange = try await Exchange.make(services, account, targets: 1)
            let carrier = try await FakeCarrier.twilio(services, account)
            let response = try await carrier.post(client, "/voice/\(exchange.campaignID)/status?route=rte_x", [("CallStatus", "completed"), ("CallDuration", "12")])
            #expect(response.status == .badRequest)
            #expect(response.errorField == "CallSid")
            let letters = try await services.ledger.deadLetters(accountID: account.account.id)
            #expect(letters.count == 1)
            // a route dce does not know: the callback is still kept
            let unknown = try await carrier.post(client, "/voice/\(exchange.campaignID)/status?route=rte_unknown", [("CallSid", "CA900"), ("CallStatus", "completed")])
            #expect(unknown.status == .ok)
        }
    }
}

// MARK: - Fixtures

extension VoiceWebhookTests {
    static func call(_ sid: String) -> [(String, String)] {
        [("CallSid", sid), ("AccountSid", "AC1"), ("From", caller), ("To", tracking), ("CallStatus", "ringing"), ("Direction", "inbound")]
    }

    /// `GET /v1/calls/{id}` of the account's one call, failing unless there is exactly one.
    static func theOnlyCall(_ client: any TestClientProtocol, _ account: TestAccount) async throws -> JSONValue {
        let list = try await client.execute(uri: "/v1/calls", method: .get, headers: .bearer(account.key))
        let calls = try #require(list.value["data"]?.array)
        try #require(calls.count == 1, "\(list.text)")
        let id = try #require(calls.first?["id"]?.string)
        return try await client.execute(uri: "/v1/calls/\(id)", method: .get, headers: .bearer(account.key)).value
    }

    /// The real router, with the public URL carriers sign.
    static func withApp(
        _ engine: TestEngine, _ body: @Sendable @escaping (any TestClientProtocol, AppServices, TestAccount) async throws -> Void
    ) async throws {
        try await TestDatabases.with(engine) { database in
            var configured = AppServices(database: database, adminKey: TestApp.adminKey)
            configured.publicURL = publicURL
            // Routing here is never late on purpose; a loaded test machine must not make it so.
            configured.voiceDeadline = .seconds(60)
            let services = configured
            let account = try await TestAccount.make(database)
            let app = Application(router: try buildRouter(services))
            try await app.test(.router) { client in try await body(client, services, account) }
        }
    }

    /// The numbers a TwiML document dials, in order.
    static func numbers(in xml: String) -> [String] {
        xml.components(separatedBy: "<Number ").dropFirst().compactMap { part in
            guard let start = part.firstIndex(of: ">"), let end = part.range(of: "</Number>") else { return nil }
            return String(part[part.index(after: start)..<end.lowerBound])
        }
    }

    /// Every value of an attribute, unescaped.
    static func attribute(_ name: String, in xml: String) -> [String] {
        xml.components(separatedBy: " \(name)=\"").dropFirst().compactMap { part in
            part.split(separator: "\"", maxSplits: 1).first.map { String($0).replacingOccurrences(of: "&amp;", with: "&") }
        }
    }

    /// A campaign whose targets ring in order, owned by one buyer.
    struct Exchange {
        let campaignID: String
        let targetIDs: [String]

        static func make(
            _ services: AppServices, _ account: TestAccount, targets count: Int, simultaneousRing: Int = 1,
            ringGroups: [String?] = [], filters: [RoutingFilter] = [], fallback: RoutingFallback = .hangUp
        ) async throws -> Exchange {
            let directory = ExchangeDirectory(database: services.database)
            let accountID = account.account.id
            let buyer = try await directory.create(BuyerSpec(name: "Solar Co", conversion: ConversionRule(minimumSeconds: 90, revenue: Money(cents: 2500))), accountID: accountID)
            var targetIDs: [String] = []
            for index in 1...count {
                let target = try await directory.create(TargetSpec(
                    name: "Line \(index)", buyerID: BuyerID(rawValue: buyer.id),
                    destination: .number(try PhoneNumber(parsing: "+1202555010\(index)")), filters: filters
                ), accountID: accountID)
                targetIDs.append(target.id)
            }
            let routing = targetIDs.enumerated().map { index, id in
                RoutingEntry(targetID: TargetID(rawValue: id), priority: index + 1, ringGroup: index < ringGroups.count ? ringGroups[index] : nil)
            }
            let campaign = try await directory.create(CampaignSpec(
                name: "Solar", numbers: [CampaignNumber(number: try PhoneNumber(parsing: tracking))], routing: routing,
                simultaneousRing: simultaneousRing, fallback: fallback
            ), accountID: accountID)
            return Exchange(campaignID: campaign.id, targetIDs: targetIDs)
        }
    }

    /// Posts forms signed the way Twilio (and SignalWire) sign them, to URLs under the public URL.
    struct FakeCarrier {
        let authToken: String
        /// Twilio's name; SignalWire sends `X-SignalWire-Signature`.
        var header = "X-Twilio-Signature"

        static func twilio(_ services: AppServices, _ account: TestAccount) async throws -> FakeCarrier {
            _ = try await CarrierStore(database: services.database).create(accountID: account.account.id, kind: .twilio, name: "twilio", authToken: VoiceWebhookTests.authToken)
            return FakeCarrier(authToken: VoiceWebhookTests.authToken)
        }

        static func form(_ parameters: [(String, String)]) -> String {
            let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
            return parameters.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
                .joined(separator: "&")
        }

        /// `target` is a path or a full URL dce gave in its TwiML.
        func post(_ client: any TestClientProtocol, _ target: String, _ parameters: [(String, String)], signature: String? = nil) async throws -> TestResponse {
            let path = target.hasPrefix(publicURL) ? String(target.dropFirst(publicURL.count)) : target
            let signed = signature ?? TwilioSignature.signature(
                authToken: authToken, url: publicURL + path, parameters: parameters.map { TwilioSignature.Parameter($0.0, $0.1) }
            )
            return try await client.execute(
                uri: path, method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", HTTPField.Name(header)!: signed],
                body: ByteBuffer(string: Self.form(parameters))
            )
        }
    }
}

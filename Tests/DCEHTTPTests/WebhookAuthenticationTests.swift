import DCEHTTP
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// Every way a delivery can fail to authenticate: 404 for an unknown integration, 401
/// for the rest, and nothing stored or processed.
@Suite struct WebhookAuthenticationTests {
    static let conversion = "call_id=RGB-1&call_revenue=10.00&sale_successful=yes"

    static func storedRequests(_ services: AppServices) async throws -> Int {
        try await services.database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM inbound_requests").first()!.decode(column: "n", as: Int.self)
        }
    }

    @Test(arguments: TestEngine.all)
    func unknownOrMismatchedIntegrationIsNotFound(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let ringba = try await TestIntegration.create(client, key: account.key, vendor: "ringba")
            let unknown = try await client.execute(uri: "/webhooks/ringba/int_unknown?\(Self.conversion)", method: .get)
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "not_found")
            let wrongVendor = try await client.execute(uri: "/webhooks/retreaver/\(ringba.id)?stage=start", method: .post, headers: .json, body: .json("{}"))
            #expect(wrongVendor.status == .notFound)
        }
    }

    @Test(arguments: TestEngine.all)
    func tokenFailuresAreRefusedAndNotStored(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let ringba = try await TestIntegration.create(client, key: account.key, vendor: "ringba")
            let missing = try await client.execute(uri: "\(ringba.path)?\(Self.conversion)", method: .get)
            #expect(missing.status == .unauthorized)
            let wrong = try await client.execute(uri: "\(ringba.path)?token=whsec_wrong&\(Self.conversion)", method: .get)
            #expect(wrong.status == .unauthorized)
            let wrongHeader = try await client.execute(uri: "\(ringba.path)?\(Self.conversion)", method: .get, headers: [HTTPField.Name("X-DCE-Token")!: "nope-nope-nope-nope"])
            #expect(wrongHeader.status == .unauthorized)
            #expect(try await Self.storedRequests(services) == 0)
            let good = try await client.execute(uri: ringba.path(Self.conversion), method: .get)
            #expect(good.status == .ok)
            let header = try await client.execute(uri: "\(ringba.path)?call_id=RGB-2&event=Incoming", method: .get, headers: [HTTPField.Name("X-DCE-Token")!: ringba.secret!])
            #expect(header.status == .ok)
            #expect(try await Self.storedRequests(services) == 2)
            // The token never reaches storage.
            let paths = try await services.database.read { sql in
                try await sql.raw("SELECT path, headers FROM inbound_requests").all().map {
                    try $0.decode(column: "path", as: String.self) + (try $0.decode(column: "headers", as: String.self))
                }
            }
            #expect(paths.allSatisfy { !$0.contains(ringba.secret!) && !$0.contains(ringba.secret!.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!) })
            // The rest of the query is kept as sent, the token's place marked.
            #expect(paths.contains { $0.contains("token=***") && $0.contains("call_id=RGB-1") })
        }
    }

    @Test(arguments: TestEngine.all)
    func signatureFailuresAreRefused(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let retreaver = try await TestIntegration.create(client, key: account.key, vendor: "retreaver")
            let body = #"{"id": "RTV-1", "caller_number": "+14155550123"}"#
            let uri = "\(retreaver.path)?stage=start"
            let now = Int64(Date().timeIntervalSince1970)
            var tampered = retreaver.signed(body)
            tampered[HTTPField.Name("webhook-signature")!] = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
            var missingID = retreaver.signed(body)
            missingID[HTTPField.Name("webhook-id")!] = nil
            let failures: [(String, HTTPFields)] = [
                ("stale", retreaver.signed(body, timestamp: now - 400)),
                ("future", retreaver.signed(body, timestamp: now + 400)),
                ("tampered", tampered),
                ("missing id", missingID),
                ("other body", retreaver.signed(body + " ")),
            ]
            for (name, headers) in failures {
                let response = try await client.execute(uri: uri, method: .post, headers: headers, body: .json(body))
                #expect(response.status == .unauthorized, "\(name)")
            }
            #expect(try await Self.storedRequests(services) == 0)
            let signed = try await client.execute(uri: uri, method: .post, headers: retreaver.signed(body), body: .json(body))
            #expect(signed.status == .ok)
        }
    }

    @Test(arguments: TestEngine.all)
    func ringCentralVerificationToken(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            let rc = try await TestIntegration.create(client, key: account.key, vendor: "ringcentral", secret: "rc-verification-token-1")
            let body = #"{"event": "Notify_CallSession", "body": {"sessionId": "s1", "parties": [{"from": {"number": "+13055551212"}, "to": {"number": "+18774443333"}, "state": {"name": "Setup"}}]}}"#
            let missing = try await client.execute(uri: rc.path, method: .post, headers: .json, body: .json(body))
            #expect(missing.status == .unauthorized)
            var wrong = HTTPFields.json
            wrong[HTTPField.Name("Verification-Token")!] = "rc-verification-token-2"
            #expect(try await client.execute(uri: rc.path, method: .post, headers: wrong, body: .json(body)).status == .unauthorized)
            #expect(try await Self.storedRequests(services) == 0)
            var right = HTTPFields.json
            right[HTTPField.Name("Verification-Token")!] = "rc-verification-token-1"
            #expect(try await client.execute(uri: rc.path, method: .post, headers: right, body: .json(body)).status == .ok)
        }
    }

    @Test(arguments: TestEngine.all)
    func signedNativeEventsOnV1Events(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let native = try await TestIntegration.create(client, key: account.key, vendor: "native")
            let body = #"{"idempotency_key": "n-1", "external_call_id": "c-1", "status": "ringing"}"#
            let signed = try await client.execute(uri: "/v1/events?integration=\(native.id)", method: .post, headers: native.signed(body), body: .json(body))
            #expect(signed.status == .ok)
            #expect(signed.value["duplicate"] == false)
            let bad = try await client.execute(uri: "/v1/events?integration=\(native.id)", method: .post, headers: native.signed(body + "x"), body: .json(body))
            #expect(bad.status == .unauthorized)
            let unnamed = try await client.execute(uri: "/v1/events", method: .post, headers: native.signed(body), body: .json(body))
            #expect(unnamed.status == .unauthorized)
            let viaWebhook = try await client.execute(uri: "/webhooks/native/\(native.id)", method: .post, headers: native.signed(body), body: .json(body))
            #expect(viaWebhook.status == .ok)
            #expect(viaWebhook.value["results"]?.array?.first?["duplicate"] == true)
            let unsignedNative = try await client.execute(uri: "/webhooks/native/\(native.id)", method: .post, headers: .json, body: .json(body))
            #expect(unsignedNative.status == .unauthorized)
        }
    }
}

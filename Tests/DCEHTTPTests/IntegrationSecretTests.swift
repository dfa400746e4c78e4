import DCEDomain
import DCEHTTP
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// Nothing reaches an account's ledger without the integration's secret, and the secret,
/// however it is spelled in the URL, is never stored.
@Suite struct IntegrationSecretTests {
    static let rcBody = #"{"event": "Notify_CallSession", "body": {"sessionId": "s1", "parties": [{"from": {"number": "+13055551212"}, "to": {"number": "+18774443333"}, "state": {"name": "Setup"}}]}}"#

    static func rcHeaders(token: String?) -> HTTPFields {
        var fields = HTTPFields.json
        if let token { fields[HTTPField.Name("Verification-Token")!] = token }
        return fields
    }

    static func storedRequests(_ services: AppServices) async throws -> [String] {
        try await services.database.read { sql in
            try await sql.raw("SELECT path FROM inbound_requests").all().map { try $0.decode(column: "path", as: String.self) }
        }
    }

    @Test(arguments: TestEngine.all)
    func aRingCentralIntegrationMadeWithoutASecretGetsOneAndWantsIt(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: no secret given, as `dce integrations add --vendor ringcentral` by default
            let rc = try await TestIntegration.create(client, key: account.key, vendor: "ringcentral")
            let secret = try #require(rc.secret)
            #expect(secret.count == 32)
            // run
            let anonymous = try await client.execute(uri: rc.path, method: .post, headers: Self.rcHeaders(token: nil), body: .json(Self.rcBody))
            let wrong = try await client.execute(uri: rc.path, method: .post, headers: Self.rcHeaders(token: String(repeating: "x", count: 32)), body: .json(Self.rcBody))
            var handshake = HTTPFields.json
            handshake[HTTPField.Name("Validation-Token")!] = "v-1"
            let validated = try await client.execute(uri: rc.path, method: .post, headers: handshake, body: .json(""))
            let right = try await client.execute(uri: rc.path, method: .post, headers: Self.rcHeaders(token: secret), body: .json(Self.rcBody))
            // validate
            #expect(anonymous.status == .unauthorized)
            #expect(wrong.status == .unauthorized)
            #expect(validated.status == .ok)
            #expect(validated.headers[HTTPField.Name("Validation-Token")!] == "v-1")
            #expect(right.status == .ok)
            #expect(try await Self.storedRequests(services).count == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func anIntegrationStoredWithoutASecretTakesNothingUntilItIsGivenOne(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup: RingCentral integrations as an older dce stored them, without a secret
            // (two, since the webhook route keeps what it read of one for a few seconds)
            try await services.database.write { sql in
                for (id, name) in [("int_legacy", "old"), ("int_legacy_fixed", "old-fixed")] {
                    try await sql.raw("""
                        INSERT INTO integrations (id, account_id, vendor, name, field_mapping, secret, created_at)
                        VALUES (\(bind: id), \(bind: account.account.id.rawValue), 'ringcentral', \(bind: name), '{}', NULL, 0)
                        """).run()
                }
            }
            // run
            let refused = try await client.execute(uri: "/webhooks/ringcentral/int_legacy", method: .post,
                                                   headers: Self.rcHeaders(token: "anything-at-all-1234"), body: .json(Self.rcBody))
            let set = try await client.execute(uri: "/v1/integrations/int_legacy_fixed/secret", method: .post, headers: .bearer(account.key),
                                               body: .json(#"{"secret": "rc-chosen-token-0123456789"}"#))
            let listed = try await client.execute(uri: "/v1/integrations/int_legacy_fixed", method: .get, headers: .bearer(account.key))
            let accepted = try await client.execute(uri: "/webhooks/ringcentral/int_legacy_fixed", method: .post,
                                                    headers: Self.rcHeaders(token: "rc-chosen-token-0123456789"), body: .json(Self.rcBody))
            let tooShort = try await client.execute(uri: "/v1/integrations/int_legacy/secret", method: .post, headers: .bearer(account.key),
                                                    body: .json(#"{"secret": "short"}"#))
            let elsewhere = try await client.execute(uri: "/v1/integrations/int_nope/secret", method: .post, headers: .bearer(account.key), body: .json(""))
            // validate
            #expect(refused.status == .unauthorized)
            #expect(refused.errorMessage
                == "this RingCentral integration has no verification token: set one with 'dce integrations set-secret' and give it to the subscription as its verificationToken")
            #expect(set.status == .ok)
            #expect(set.value["secret"] == "rc-chosen-token-0123456789")
            #expect(listed.value["has_secret"] == true)
            #expect(listed.value["secret"] == nil)
            #expect(accepted.status == .ok)
            #expect(tooShort.status == .badRequest)
            #expect(tooShort.errorField == "secret")
            #expect(elsewhere.status == .notFound)
            #expect(try await Self.storedRequests(services).count == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func aPercentEncodedTokenIsRedactedAsTheTokenItIs(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, account in
            // setup
            let ringba = try await TestIntegration.create(client, key: account.key, vendor: "ringba")
            let secret = try #require(ringba.secret)
            let encoded = try #require(secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            // run: the name `token` written with escapes, which the query reader decodes
            var statuses: [HTTPResponse.Status] = []
            for (index, name) in ["%74oken", "t%6F%6Ben", "token"].enumerated() {
                let query = "\(name)=\(encoded)&event=Incoming&call_id=RGB-\(index)&caller_id=%2B13055551212&inbound_number=%2B18774443333&call_date_time=2024-01-15T10%3A00%3A00Z"
                statuses.append(try await client.execute(uri: "\(ringba.path)?\(query)", method: .get).status)
            }
            // validate
            #expect(statuses == [.ok, .ok, .ok])
            let paths = try await Self.storedRequests(services)
            #expect(paths.count == 3)
            for path in paths {
                #expect(!path.contains(encoded) && !path.contains(secret), "\(path)")
                #expect(path.hasPrefix("\(ringba.path)?token=***&event=Incoming&call_id=RGB-"), "\(path)")
            }
        }
    }
}

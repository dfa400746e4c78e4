import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct IntegrationsAPITests {
    @Test(arguments: TestEngine.all)
    func createShowsTheSecretOnceAndTheWebhookURL(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // run
            let created = try await client.execute(
                uri: "/v1/integrations", method: .post, headers: .bearer(account.key),
                body: .json(#"{"vendor": "ringba", "name": "main", "field_mapping": {"call_id": "callUUID"}}"#)
            )
            // validate
            #expect(created.status == .created)
            let id = try #require(created.value["id"]?.string)
            let secret = try #require(created.value["secret"]?.string)
            #expect(secret.hasPrefix("whsec_"))
            let url = try #require(created.value["webhook_url"]?.string)
            #expect(url.contains("/webhooks/ringba/\(id)?token="))
            #expect(created.value["field_mapping"] == ["call_id": "callUUID"])

            let listed = try await client.execute(uri: "/v1/integrations", method: .get, headers: .bearer(account.key))
            let items = try #require(listed.value["data"]?.array)
            #expect(items.count == 1)
            #expect(items[0]["secret"] == nil)
            #expect(items[0]["has_secret"] == true)
            #expect(!listed.text.contains(secret))
            let shown = try await client.execute(uri: "/v1/integrations/\(id)", method: .get, headers: .bearer(account.key))
            #expect(shown.status == .ok)
            #expect(!shown.text.contains(secret))
            #expect(shown.value["webhook_url"]?.string?.hasSuffix("/webhooks/ringba/\(id)") == true)
        }
    }

    @Test(arguments: TestEngine.all)
    func badRequestsNameTheField(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let cases: [(String, String?, Int)] = [
                (#"{"name": "x"}"#, "vendor", 400),
                (#"{"vendor": "fax", "name": "x"}"#, "vendor", 400),
                (#"{"vendor": "ringba"}"#, "name", 400),
                (#"{"vendor": "ringba", "name": "x", "field_mapping": {"callid": "c"}}"#, "field_mapping.callid", 400),
                (#"{"vendor": "exotel", "name": "x", "field_mapping": {"timezone": "Mars/Olympus"}}"#, "field_mapping.timezone", 400),
                (#"{"vendor": "ringba", "name": "x", "secret": "short"}"#, "secret", 400),
            ]
            for (body, field, status) in cases {
                let response = try await client.execute(uri: "/v1/integrations", method: .post, headers: .bearer(account.key), body: .json(body))
                #expect(response.status.code == status, "\(body)")
                #expect(response.errorField == field, "\(body)")
            }
            _ = try await TestIntegration.create(client, key: account.key, vendor: "ringba", name: "same")
            let twice = try await client.execute(uri: "/v1/integrations", method: .post, headers: .bearer(account.key),
                                                 body: .json(#"{"vendor": "retreaver", "name": "same"}"#))
            #expect(twice.status == .conflict)
            let unknown = try await client.execute(uri: "/v1/integrations/int_nope", method: .get, headers: .bearer(account.key))
            #expect(unknown.status == .notFound)
        }
    }

    @Test(arguments: TestEngine.all)
    func deletedIntegrationsStopAnswering(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let integration = try await TestIntegration.create(client, key: account.key, vendor: "ringba")
            let deleted = try await client.execute(uri: "/v1/integrations/\(integration.id)", method: .delete, headers: .bearer(account.key))
            #expect(deleted.status == .noContent)
            let again = try await client.execute(uri: "/v1/integrations/\(integration.id)", method: .delete, headers: .bearer(account.key))
            #expect(again.status == .notFound)
        }
    }
}

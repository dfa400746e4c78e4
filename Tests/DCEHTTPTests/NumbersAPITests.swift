import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct NumbersAPITests {
    @Test(arguments: TestEngine.all)
    func createReplaceListAndDelete(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let auth = HTTPFields.bearer(account.key)
            let created = try await client.execute(uri: "/v1/numbers", method: .post, headers: auth,
                                                   body: .json(#"{"number": "(415) 555-0101", "label": "+14155550000", "campaign_id": "solar", "state": "CA"}"#))
            #expect(created.status == .created)
            #expect(created.value["number"] == "+14155550101")
            #expect(created.value["kind"] == "local")
            #expect(created.value["area_code"] == "415")

            let again = try await client.execute(uri: "/v1/numbers", method: .post, headers: auth, body: .json(#"{"number": "+14155550101"}"#))
            #expect(again.status == .conflict)

            let replaced = try await client.execute(uri: "/v1/numbers/+14155550101", method: .put, headers: auth,
                                                    body: .json(#"{"label": "+14155559999", "campaign_id": "roofing"}"#))
            #expect(replaced.status == .ok)
            #expect(replaced.value["label"] == "+14155559999")
            let tollFree = try await client.execute(uri: "/v1/numbers/18885550199", method: .put, headers: auth, body: .json(#"{"campaign_id": "solar"}"#))
            #expect(tollFree.status == .created)
            #expect(tollFree.value["kind"] == "toll_free")

            let list = try await client.execute(uri: "/v1/numbers?campaign_id=solar", method: .get, headers: auth)
            #expect(list.value["data"]?.array?.compactMap { $0["number"]?.string } == ["+18885550199"])

            let deleted = try await client.execute(uri: "/v1/numbers/%2B18885550199", method: .delete, headers: auth)
            #expect(deleted.status == .noContent)
            let gone = try await client.execute(uri: "/v1/numbers/+18885550199", method: .get, headers: auth)
            #expect(gone.status == .notFound)
        }
    }

    @Test(arguments: TestEngine.all)
    func csvImportIsAllOrNothingAndNamesTheLine(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let auth: HTTPFields = [.authorization: "Bearer \(account.key)", .contentType: "text/csv"]
            let good = "number,label,campaign_id,state\n+14155550101,\"+1 415 555 0000\",solar,CA\n2125550102,,\"legal, injury\",NY\n"
            let imported = try await client.execute(uri: "/v1/numbers/import", method: .post, headers: auth, body: ByteBuffer(string: good))
            #expect(imported.status == .ok)
            #expect(imported.value["created"] == 2)
            let shown = try await client.execute(uri: "/v1/numbers/+12125550102", method: .get, headers: auth)
            #expect(shown.value["campaign_id"] == "legal, injury")

            let bad = "number,campaign_id\n+13105550103,a\nnot-a-number,b\n"
            let refused = try await client.execute(uri: "/v1/numbers/import", method: .post, headers: auth, body: ByteBuffer(string: bad))
            #expect(refused.status == .badRequest)
            #expect(refused.errorField == "line 3: number")
            let notImported = try await client.execute(uri: "/v1/numbers/+13105550103", method: .get, headers: auth)
            #expect(notImported.status == .notFound)
        }
    }

    @Test(arguments: TestEngine.all)
    func badNumbersAndFieldsAreNamed(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let auth = HTTPFields.bearer(account.key)
            for (body, field) in [(#"{"number": "abc"}"#, "number"), (#"{"label": "x"}"#, "number"), (#"{"number": "+14155550101", "kind": "mobile"}"#, "kind"),
                                  (#"{"number": "+14155550101", "state": "California"}"#, "state"), (#"{"number": 5}"#, "number")] {
                let response = try await client.execute(uri: "/v1/numbers", method: .post, headers: auth, body: .json(body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.errorField == field, "\(body)")
            }
        }
    }
}

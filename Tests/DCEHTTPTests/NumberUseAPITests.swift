import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A number's use (`static` or `pool`) through `/v1/numbers` and the CSV import.
@Suite struct NumberUseAPITests {
    @Test(arguments: TestEngine.all)
    func useIsSetImpliedAndFilteredThroughTheAPI(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            // run: an ad's number, a labelled one with an explicit pool use, a plain one
            let ad = try await client.execute(uri: "/v1/numbers", method: .post, headers: .bearer(account.key),
                                              body: .json(#"{"number": "+18885550100", "campaign_id": "billboard"}"#))
            let labelled = try await client.execute(uri: "/v1/numbers", method: .post, headers: .bearer(account.key),
                                                    body: .json(#"{"number": "+18885550101", "label": "+14155550199", "use": "pool"}"#))
            let plain = try await client.execute(uri: "/v1/numbers", method: .post, headers: .bearer(account.key),
                                                 body: .json(#"{"number": "+18885550102"}"#))
            // validate
            #expect([ad, labelled, plain].map(\.status) == [.created, .created, .created])
            #expect([ad, labelled, plain].map { $0.value["use"]?.string } == ["static", "pool", "pool"])
            let statics = try await client.execute(uri: "/v1/numbers?use=static", method: .get, headers: .bearer(account.key))
            #expect(statics.value["data"]?.array?.map { $0["number"]?.string } == ["+18885550100"])
        }
    }

    @Test(arguments: TestEngine.all)
    func aWrongUseOrAStaticNumberInAPoolIsA400NamingUse(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let wrong = try await client.execute(uri: "/v1/numbers", method: .post, headers: .bearer(account.key),
                                                 body: .json(#"{"number": "+18885550100", "use": "dni"}"#))
            #expect(wrong.status == .badRequest)
            #expect(wrong.errorField == "use")
            let pooled = try await client.execute(uri: "/v1/numbers/+18885550100", method: .put, headers: .bearer(account.key),
                                                  body: .json(#"{"use": "static", "pool_id": "p1"}"#))
            #expect(pooled.status == .badRequest)
            #expect(pooled.errorField == "use")
            let filter = try await client.execute(uri: "/v1/numbers?use=dni", method: .get, headers: .bearer(account.key))
            #expect(filter.errorField == "use")
            let nul = try await client.execute(uri: "/v1/numbers", method: .post, headers: .bearer(account.key),
                                               body: .json(#"{"number": "+18885550103", "label": "a\u0000b"}"#))
            #expect(nul.status == .badRequest)
            #expect(nul.errorField == "label")
        }
    }

    @Test(arguments: TestEngine.all)
    func theCSVImportReadsAUseColumn(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let csv = "number,label,campaign_id,use\n+18885550100,,billboard,\n+18885550101,,,static\n+18885550102,+14155550199,,pool\n"
            let imported = try await client.execute(uri: "/v1/numbers/import", method: .post, headers: [.authorization: "Bearer \(account.key)", .contentType: "text/csv"],
                                                    body: ByteBuffer(string: csv))
            #expect(imported.status == .ok)
            let listed = try await client.execute(uri: "/v1/numbers", method: .get, headers: .bearer(account.key))
            let uses = listed.value["data"]?.array?.map { $0["use"]?.string }
            #expect(uses == ["static", "static", "pool"])
            let bad = try await client.execute(uri: "/v1/numbers/import", method: .post, headers: [.authorization: "Bearer \(account.key)", .contentType: "text/csv"],
                                               body: ByteBuffer(string: "number,use\n+18885550109,ads\n"))
            #expect(bad.status == .badRequest)
            #expect(bad.errorField == "line 2: use")
        }
    }
}

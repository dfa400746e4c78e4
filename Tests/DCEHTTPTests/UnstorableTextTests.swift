import DCEDomain
import DCEJSON
import DCEStorage
import DCETestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Bytes that a text column cannot hold, or that are not text at all: refused with a 400
/// naming the field, and the request kept, as bytes, in the dead-letter store, on both
/// engines (PostgreSQL's text type refuses NUL; replacing invalid UTF-8 would merge ids).
@Suite struct UnstorableTextTests {
    static func deadLetters(_ client: any TestClientProtocol, key: String) async throws -> [JSONValue] {
        try await client.execute(uri: "/v1/dead-letters", method: .get, headers: .bearer(key)).value["data"]?.array ?? []
    }

    @Test(arguments: TestEngine.all)
    func anEscapedNULInANativeEventIsRefusedNamingTheField(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let body = #"{"idempotency_key": "nul-1", "external_call_id": "a\u0000b"}"#
            let response = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(body))
            #expect(response.status == .badRequest)
            #expect(response.errorField == "external_call_id")
            let batch = #"{"events": [{"idempotency_key": "ok", "external_call_id": "x"}, {"idempotency_key": "nul-2", "external_call_id": "y", "tags": {"k": "v\u0000"}}]}"#
            let batched = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: .json(batch))
            #expect(batched.status == .badRequest)
            #expect(batched.errorField == "events[1].tags.k")
            let letters = try await Self.deadLetters(client, key: account.key)
            #expect(letters.count == 2)
            #expect(letters.contains { $0["body"]?.string == body })
        }
    }

    @Test(arguments: TestEngine.all)
    func aRawNULByteIsDeadLetteredWithTheBodyAsSent(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            var bytes = Array(#"{"idempotency_key": "raw", "external_call_id": "a"#.utf8)
            bytes += [0] + Array(#"b"}"#.utf8)
            let response = try await client.execute(uri: "/v1/events", method: .post, headers: .bearer(account.key), body: ByteBuffer(bytes: bytes))
            #expect(response.status == .badRequest)
            let letters = try await Self.deadLetters(client, key: account.key)
            #expect(letters.first?["body"]?.string == String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test(arguments: TestEngine.all)
    func aPercentEncodedNULInAVendorsQueryIsRefused(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let ringba = try await TestIntegration.create(client, key: account.key, vendor: "ringba")
            let response = try await client.execute(uri: ringba.path("call_id=a%00b&caller_id=%2B15551234567"), method: .get)
            #expect(response.status == .badRequest)
            #expect(response.errorField == "external_call_id")
            #expect(try await Self.deadLetters(client, key: account.key).count == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func bodiesThatAreNotUTF8AreRefusedNotMergedIntoOneCall(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, _, account in
            let exotel = try await TestIntegration.create(client, key: account.key, vendor: "exotel")
            var answers: [String?] = []
            for byte: UInt8 in [0xFF, 0xFE] {
                let body = Array("CallSid=CA-".utf8) + [byte] + Array("&Status=completed&From=%2B15551234567".utf8)
                let response = try await client.execute(uri: exotel.path(""), method: .post, headers: .form, body: ByteBuffer(bytes: body))
                #expect(response.status == .badRequest)
                answers.append(response.errorCode)
            }
            #expect(answers == ["invalid_encoding", "invalid_encoding"])
            let letters = try await Self.deadLetters(client, key: account.key)
            // Not text: shown as base64 of the bytes as they arrived.
            let shown = Set(letters.compactMap { $0["body"]?.string })
            #expect(shown.count == 2)
            #expect(shown.contains(Data(Array("CallSid=CA-".utf8) + [0xFF] + Array("&Status=completed&From=%2B15551234567".utf8)).base64EncodedString()))
        }
    }

    @Test(arguments: TestEngine.all)
    func aRibbonEventWithANULIsRefusedNamingWhereItIs(engine: TestEngine) async throws {
        try await TestApp.with(engine) { client, services, _ in
            let ribbon = try await RibbonTestClient.make(services.database)
            let body = #"{"apiKey": "\#(ribbon.key)", "domain": "yourcrm.com", "event": "incoming", "data": {"callSid": "CA\u00001", "phoneNumber": "+15551234567"}}"#
            let response = try await client.execute(uri: "/api/ribbon/log-call", method: .post, headers: .json, body: .json(body))
            #expect(response.status == .badRequest)
            #expect(response.errorField == "data.callSid")
        }
    }
}

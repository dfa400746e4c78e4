import DCEJSON
import DCEDomain
@testable import DCEVendors
import Foundation
import Testing

/// A part of a vendor's document is stored next to its event as JSON text written by
/// `JSONBody.text`; it must read back as the same document.
@Suite struct JSONBodyTests {
    static let document = #"""
    {"uuid":"8d6a","body":{"parties":[{"id":"p-1","status":{"code":"Answered","rcc":false},"from":{"phoneNumber":"+12135550100","name":"Zoë \"Z\" Ng"},"to":{"phoneNumber":"+18885550101"},"missedCall":true,"recordings":[]}],"sequence":7,"ratio":0.25,"big":12345678901234,"negative":-3,"nothing":null,"sessionId":"s-1","Upper":"case","lower":"case","tabs":"a\tb\nc\\d/e","control":"\u0001"}}
    """#

    @Test func theContentTypeSaysWhetherTheBodyIsJSONWhateverItsCase() {
        func delivery(_ type: String?, _ body: String) -> VendorDelivery {
            VendorDelivery(method: "POST", query: [:], contentType: type, body: Array(body.utf8), receivedAt: .now())
        }
        #expect(delivery("Application/JSON; charset=UTF-8", "x=1").bodyIsJSON)
        #expect(delivery("application/vnd.api+json", "").bodyIsJSON)
        #expect(!delivery("APPLICATION/X-WWW-FORM-URLENCODED", #"{"a":1}"#).bodyIsJSON)
        #expect(delivery("text/plain", #"  [{"a":1}]"#).bodyIsJSON)
        #expect(delivery(nil, "\n{}").bodyIsJSON)
        #expect(!delivery("js", "a=1").bodyIsJSON)
        #expect(!delivery(nil, "a=1").bodyIsJSON)
    }

    @Test func storedTextReadsBackAsTheSameDocument() throws {
        let parsed = try JSONBody.parse(Array(Self.document.utf8))
        let text = JSONBody.text(parsed)
        #expect(JSONValue.parse(text) == parsed)
        // Foundation reads it as the same document too.
        let reread = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary
        let original = try JSONSerialization.jsonObject(with: Data(Self.document.utf8)) as? NSDictionary
        #expect(reread != nil && reread == original)
        // Keys sorted, booleans as booleans, numbers as written.
        #expect(text.hasPrefix(#"{"body":{"Upper":"case","big":12345678901234,"control":"\u0001","lower":"case","negative":-3,"nothing":null,"parties":[{"from":{"name":"Zoë \"Z\" Ng","phoneNumber":"+12135550100"},"id":"p-1","missedCall":true,"#))
        #expect(text.contains(#""ratio":0.25"#))
        #expect(text.contains(#""rcc":false"#))
        #expect(text.contains(#""tabs":"a\tb\nc\\d/e""#))
    }

    @Test func flatFieldsReadNumbersAsAVendorMeansThem() throws {
        let fields = FlatFields.json(try JSONBody.object(Array(#"{"a": 95.0, "b": 1e3, "c": 1.50, "d": 2.5e-1, "e": -7, "f": true, "g": null, "h": [1], "tags": {"x": 1}}"#.utf8)))
        #expect(fields.values == ["a": "95", "b": "1000", "c": "1.50", "d": "0.25", "e": "-7", "f": "true"])
        #expect(fields.tags == ["x": "1"])
        #expect(throws: VendorError.self) { try JSONBody.object(Array("[1]".utf8)) }
        #expect(throws: VendorError.self) { try JSONBody.parse(Array(#"{"a": 01}"#.utf8)) }
    }
}

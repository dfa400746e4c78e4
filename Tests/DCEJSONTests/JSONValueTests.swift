import DCEJSON
import Foundation
import Testing

/// The one JSON model: read strictly, written deterministically, and carried through
/// `Codable` without changing what was sent.
@Suite struct JSONValueTests {
    @Test func theReaderTakesAnyJSONAndRefusesWhatIsNot() throws {
        let text = #" { "a" : [1, -2.5e3, true, false, null, {"b": "\u00e9\ud83d\ude00\/\"\\\n"}], "c": {} } "#
        #expect(JSONValue.parse(text) == .object([
            "a": .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .object(["b": .string("é😀/\"\\\n")])]),
            "c": .object([:]),
        ]))
        for broken in ["", "{", #"{"a":}"#, #"{"a":1,}"#, #"["a" "b"]"#, #""\x""#, "tru", #"{"a":1} x"#, "\"a\u{01}\"",
                       "1-2", "01", "-", "1.", ".5", "1e", "+1", "2E+"] {
            #expect(JSONValue.parse(broken) == nil, "\(broken)")
        }
        for number in ["0", "-0", "10", "1.25", "-3E7", "4e-2", "5E+1"] {
            #expect(JSONValue.parse(number) == .number(number))
        }
        // Nesting past the limit is refused, not read by unbounded recursion.
        let depth = JSONValue.maximumDepth
        #expect(JSONValue.parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)) != nil)
        #expect(JSONValue.parse(String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)) == nil)
        #expect(JSONValue.parse(String(repeating: "[", count: 100_000)) == nil)
        // Written back with keys sorted and numbers as they came.
        #expect(try #require(JSONValue.parse(#"{"b": [1.50, null, "x\"y"], "a": {"z": false, "y": -0}}"#)).text
                == #"{"a":{"y":-0,"z":false},"b":[1.50,null,"x\"y"]}"#)
        #expect(JSONValue.parse(bytes: Array(#"{"a": "é"}"#.utf8)) == .object(["a": .string("é")]))
        #expect(JSONValue.parse(bytes: [0xEF, 0xBB, 0xBF] + Array(#"{"a": 1}"#.utf8)) == .object(["a": .number("1")]))
    }

    @Test func stringsAreEscapedAndObjectsSorted() {
        #expect(JSONText.string(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(JSONText.string("x\u{1F}y\u{08}\u{0C}") == #""x\u001fy\b\f""#)
        #expect(JSONValue.object(["b": .string("2"), "a": .string("1/2"), "c": .integer(-7)]).text == #"{"a":"1/2","b":"2","c":-7}"#)
    }

    @Test func codableKeepsEveryKindOfValue() throws {
        let value = try JSONValue(parsing: #"{"n": null, "t": true, "i": -12, "d": 2.5, "s": "é/\"", "a": [1, {"x": []}], "o": {}}"#)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let written = String(decoding: try encoder.encode(value), as: UTF8.self)
        #expect(written == value.text)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(written.utf8)) == value)
        #expect(throws: JSONValue.Malformed.self) { try JSONValue(parsing: "{") }
    }

    @Test func accessorsReadOneLevel() throws {
        let value = try JSONValue(parsing: #"{"s": "x", "i": 42, "d": 1.5, "o": {"k": "v"}}"#)
        #expect(value["s"]?.string == "x")
        #expect(value["i"]?.exactInteger == 42)
        #expect(value["d"]?.exactInteger == nil)
        #expect(value["d"]?.double == 1.5)
        #expect(value["o"]?.object == ["k": .string("v")])
        #expect(value["missing"] == nil)
        #expect(JSONValue.string("x")["s"] == nil)
    }
}

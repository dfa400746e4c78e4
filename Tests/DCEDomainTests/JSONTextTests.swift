import DCEDomain
import DCEJSON
import Foundation
import Testing

/// The stored JSON of an event's fields is written by hand for speed; it must be what
/// Foundation's encoder writes and read back to the same fields.
@Suite struct JSONTextTests {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let samples: [CallFields] = [
        CallFields(),
        CallFields(callerPhone: try! PhoneNumber(parsing: "+13055551212"), trackingNumber: try! PhoneNumber(parsing: "+18885550101"),
                   destinationNumber: try! PhoneNumber(parsing: "+14155550100"), durationSeconds: 95,
                   callStartedAt: Timestamp(millisecondsSince1970: 1_790_000_000_123), callAnsweredAt: Timestamp(millisecondsSince1970: 1_790_000_005_000),
                   callEndedAt: Timestamp(millisecondsSince1970: 1_790_000_100_000), status: .completed, campaignID: "camp/1",
                   publisherID: "pub \"quoted\"", targetID: "tgt\\back", callerState: "CA", revenue: Money(cents: 4550),
                   payout: Money(cents: 1205), converted: false, recordingURL: "https://rec.example.com/a/b.mp3?x=1&y=2",
                   tags: try! Tags(validating: ["utm_source": "google", "line": "a\nb\tc", "ünïcode": "✓ 電話", "ctl": "\u{01}"])),
        CallFields(status: .ringing, converted: true),
    ]

    @Test(arguments: samples)
    func readsBackToTheSameFields(fields: CallFields) throws {
        let decoded = try JSONDecoder().decode(CallFields.self, from: Data(fields.jsonText.utf8))
        #expect(decoded == fields)
    }

    @Test(arguments: samples)
    func matchesFoundationsEncoder(fields: CallFields) throws {
        // Foundation writes control characters as \u00XX too, with its own case: compare parsed.
        let ours = try JSONSerialization.jsonObject(with: Data(fields.jsonText.utf8)) as! NSDictionary
        let theirs = try JSONSerialization.jsonObject(with: Self.encoder.encode(fields)) as! NSDictionary
        #expect(ours == theirs)
        if !fields.tags.values.keys.contains("ctl") {
            #expect(fields.jsonText == String(decoding: try Self.encoder.encode(fields), as: UTF8.self))
        }
    }

    @Test func stringsAreEscaped() {
        #expect(JSONText.string(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(JSONText.string("x\u{1F}y") == #""x\u001fy""#)
        #expect(JSONText.object(["b": "2", "a": "1/2"]) == #"{"a":"1/2","b":"2"}"#)
    }

    @Test(arguments: samples)
    func theStoredFieldReaderReadsWhatBothEncodersWrite(fields: CallFields) throws {
        #expect(try CallFields(storedJSON: fields.jsonText) == fields)
        // Rows written before `jsonText`: Foundation's encoder, escaped slashes and all.
        let foundation = String(decoding: try JSONEncoder().encode(fields), as: UTF8.self)
        #expect(try CallFields(storedJSON: foundation) == fields)
        #expect(try Tags(storedJSON: JSONText.object(fields.tags.values)) == fields.tags)
    }

    @Test func storedFieldsOfTheWrongTypeAreRefused() throws {
        #expect(throws: StoredJSONError.self) { try CallFields(storedJSON: #"{"duration_seconds":"95"}"#) }
        #expect(throws: (any Error).self) { try CallFields(storedJSON: #"{"status":"nonsense"}"#) }
    }
}

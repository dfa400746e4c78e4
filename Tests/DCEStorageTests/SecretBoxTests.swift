import DCEStorage
import Testing

@Suite struct SecretBoxTests {
    static let key = String(repeating: "0123456789abcdef", count: 4)

    @Test func aKeyOf64HexCharactersOpensWhatItSealed() throws {
        let box = try SecretBox(hexKey: Self.key)
        let sealed = box.seal(#"{"api_token":"tok-123"}"#)
        #expect(sealed.hasPrefix("v1:"))
        #expect(!sealed.contains("tok-123"))
        #expect(try box.open(sealed) == #"{"api_token":"tok-123"}"#)
        #expect(try SecretBox(hexKey: Self.key.uppercased()).open(sealed) == #"{"api_token":"tok-123"}"#)
    }

    @Test(arguments: ["", "abc", String(repeating: "a", count: 63), String(repeating: "a", count: 65),
                      String(repeating: "g", count: 64), String(repeating: "é", count: 32), " " + String(repeating: "a", count: 63)])
    func anyOtherKeyIsRefusedNamingTheVariableWithoutEchoingIt(hexKey: String) {
        #expect(throws: SecretBoxError.invalidKey) { try SecretBox(hexKey: hexKey) }
        #expect(SecretBoxError.invalidKey.description.contains("DCE_SECRET_KEY"))
        #expect(hexKey.isEmpty || !SecretBoxError.invalidKey.description.contains(hexKey))
    }

    @Test func twoSealsOfOneTextDifferBecauseEachHasItsOwnNonce() throws {
        let box = try SecretBox(hexKey: Self.key)
        let first = box.seal("same")
        let second = box.seal("same")
        #expect(first != second)
        #expect(try box.open(first) == "same" && box.open(second) == "same")
    }

    @Test func alteredTextAnotherKeyOrAPlainValueFailToOpen() throws {
        let box = try SecretBox(hexKey: Self.key)
        let sealed = box.seal("secret value")
        // Flip one character of the base64 body, keeping it valid base64.
        var characters = Array(sealed)
        let index = characters.count / 2
        characters[index] = characters[index] == "A" ? "B" : "A"
        #expect(throws: SecretBoxError.unreadable) { try box.open(String(characters)) }
        let other = try SecretBox(hexKey: String(repeating: "f", count: 64))
        #expect(throws: SecretBoxError.unreadable) { try other.open(sealed) }
        #expect(throws: SecretBoxError.unreadable) { try box.open("plain-secret-0123456789") }
        #expect(throws: SecretBoxError.unreadable) { try box.open("v1:not base64!") }
        #expect(throws: SecretBoxError.unreadable) { try box.open("v1:") }
    }
}

@testable import DCEStorage
import Testing

/// Ids and secrets come from a secure generator, drawn evenly from an unambiguous alphabet.
@Suite struct TokenTests {
    @Test func randomTextIsFromTheAlphabetAndEven() {
        let text = Token.random(length: 33_000)
        #expect(text.count == 33_000)
        #expect(text.allSatisfy { Token.alphabet.contains($0) })
        // Each of the 33 characters about 1,000 times: a byte kept below 231 is never biased.
        let counts = Dictionary(grouping: text, by: { $0 }).mapValues(\.count)
        #expect(counts.count == Token.alphabet.count)
        #expect(counts.values.allSatisfy { (800...1200).contains($0) })
    }

    @Test func idsMadeTogetherShareTheirTimeAndDiffer() {
        let ids = Token.make(prefix: "req", count: 500)
        #expect(Set(ids).count == 500)
        #expect(ids.allSatisfy { $0.hasPrefix("req_") && $0.count == "req_".count + 9 + 12 })
        #expect(Set(ids.map { $0.prefix(13) }).count == 1)
        #expect(Token.make(prefix: "call").count == "call_".count + 21)
    }
}

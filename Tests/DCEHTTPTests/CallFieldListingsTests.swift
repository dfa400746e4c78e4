import DCEDomain
@testable import DCEHTTP
import DCEJSON
import DCEStorage
import DCETestSupport
import Foundation
import SQLKit
import Testing

/// A call field is declared once (`CallField`); every other listing of the fields must
/// name each of them, so a field added to the declaration and missed somewhere fails here.
@Suite struct CallFieldListingsTests {
    @Test func theCallRepresentationAnswersEveryField() throws {
        // setup: a call that says nothing, so that every field is written as null
        let call = CallRecord(id: CallID(rawValue: "call_1"), accountID: AccountID(rawValue: "acct_1"), source: .ringba,
                              externalCallID: "R-1", fields: CallFields(), eventCount: 0,
                              createdAt: Timestamp(millisecondsSince1970: 0), updatedAt: Timestamp(millisecondsSince1970: 0))
        // run
        let data = try JSONEncoder().encode(CallJSON(call: call))
        let keys = Set(try #require(JSONValue.parse(bytes: Array(data))?.object).keys)
        // validate
        for field in CallField.allCases {
            #expect(keys.contains(field.callKey), "CallJSON does not write \(field.callKey)")
        }
    }

    @Test func theOpenAPICallSchemaDescribesEveryField() {
        let properties = Self.properties(ofSchema: "Call", in: OpenAPIDocument.text)
        #expect(!properties.isEmpty)
        for field in CallField.allCases {
            #expect(properties.contains(field.callKey), "openapi.yaml's Call schema does not describe \(field.callKey)")
        }
    }

    @Test(arguments: TestEngine.all)
    func theCallsTableHasAColumnForEveryField(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            // A query naming a column the table lacks fails on both engines.
            let columns = CallField.allCases.map(\.column).joined(separator: ", ")
            let rows = try await database.read { sql in try await sql.raw("SELECT \(unsafeRaw: columns) FROM calls").all() }
            #expect(rows.isEmpty)
        }
    }

    /// The property names of one schema under `components/schemas`, read by indentation.
    static func properties(ofSchema name: String, in yaml: String) -> Set<String> {
        var names: Set<String> = []
        var inSchema = false
        var inProperties = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            let indent = line.prefix { $0 == " " }.count
            let content = line.dropFirst(indent)
            if content.isEmpty { continue }
            if indent == 4 { inSchema = content == "\(name):"; inProperties = false; continue }
            guard inSchema else { continue }
            if indent == 6 { inProperties = content == "properties:"; continue }
            if inProperties, indent == 8, content.hasSuffix(":") { names.insert(String(content.dropLast())) }
        }
        return names
    }
}

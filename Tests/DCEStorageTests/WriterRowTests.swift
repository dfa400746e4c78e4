@testable import DCEStorage
import SQLKit
import SQLiteNIO
import Testing

/// The SQLite writer reads its rows' text and integers directly, and every other type as
/// SQLiteKit would.
@Suite struct WriterRowTests {
    @Test func rowsReadAsSQLiteKitReadsThem() async throws {
        let connection = try await SQLiteConnection.open(storage: .memory)
        let sql = SQLiteWriterDatabase(connection)
        let rows = try await sql.raw("""
            SELECT 'text' AS t, NULL AS n, 42 AS i, 2.5 AS d, \(bind: "bound") AS b, \(bind: Int64(7)) AS j
            """).all()
        let row = try #require(rows.first)
        #expect(try row.decode(column: "t", as: String.self) == "text")
        #expect(try row.decode(column: "t", as: String?.self) == "text")
        #expect(try row.decode(column: "n", as: String?.self) == nil)
        #expect(try row.decode(column: "n", as: Int64?.self) == nil)
        #expect(try row.decode(column: "i", as: Int64.self) == 42)
        #expect(try row.decode(column: "i", as: Int64?.self) == 42)
        #expect(try row.decode(column: "i", as: Int.self) == 42)
        #expect(try row.decode(column: "d", as: Double.self) == 2.5)
        #expect(try row.decode(column: "b", as: String.self) == "bound")
        #expect(try row.decode(column: "j", as: Int64.self) == 7)
        #expect(try row.decodeNil(column: "n"))
        #expect(try !row.decodeNil(column: "t"))
        #expect(row.contains(column: "t") && !row.contains(column: "missing"))
        #expect(throws: (any Error).self) { try row.decode(column: "n", as: String.self) }
        #expect(throws: (any Error).self) { try row.decode(column: "missing", as: String.self) }
        try await connection.close()
    }
}

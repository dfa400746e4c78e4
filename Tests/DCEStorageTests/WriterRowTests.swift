@testable import DCEStorage
import Foundation
import SQLKit
import SQLiteNIO
import Testing

/// The SQLite writer reads its rows' text and integers directly, and every other type as
/// SQLiteKit would.
@Suite struct WriterRowTests {
    @Test func rowsReadAsSQLiteKitReadsThem() async throws {
        let connection = try SQLiteWriterConnection(path: ":memory:")
        let sql = SQLiteWriterDatabase(connection)
        let rows = try await sql.raw("""
            SELECT 'text' AS t, NULL AS n, 42 AS i, 2.5 AS d, \(bind: "bound") AS b, \(bind: Int64(7)) AS j,
                   \(bind: 3) AS k, \(bind: String?.none) AS m, \(bind: String?.some("some")) AS o, \(bind: true) AS f, \(bind: 1.5) AS g
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
        #expect(try row.decode(column: "k", as: Int.self) == 3)
        #expect(try row.decodeNil(column: "m"))
        #expect(try row.decode(column: "o", as: String.self) == "some")
        #expect(try row.decode(column: "f", as: Bool.self))
        #expect(try row.decode(column: "g", as: Double.self) == 1.5)
        #expect(try row.decodeNil(column: "n"))
        #expect(try !row.decodeNil(column: "t"))
        #expect(row.contains(column: "t") && !row.contains(column: "missing"))
        #expect(throws: (any Error).self) { try row.decode(column: "n", as: String.self) }
        #expect(throws: (any Error).self) { try row.decode(column: "missing", as: String.self) }
        connection.close()
    }

    @Test func statementsArePreparedOnceAndKept() async throws {
        let connection = try SQLiteWriterConnection(path: ":memory:")
        defer { connection.close() }
        let sql = SQLiteWriterDatabase(connection)
        try await sql.raw("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)").run()
        for index in 0..<5 {
            try await sql.raw("INSERT INTO t (name) VALUES (\(bind: "n\(index)"))").run()
        }
        // One statement for the table, one for the five inserts.
        #expect(connection.keptCount == 2)
        let names = try await sql.raw("SELECT name FROM t ORDER BY id").all().map { try $0.decode(column: "name", as: String.self) }
        #expect(names == ["n0", "n1", "n2", "n3", "n4"])
    }

    @Test func aFailedStatementRunsAgainAndNamesTheError() async throws {
        let connection = try SQLiteWriterConnection(path: ":memory:")
        defer { connection.close() }
        let sql = SQLiteWriterDatabase(connection)
        try await sql.raw("CREATE TABLE t (name TEXT UNIQUE)").run()
        try await sql.raw("INSERT INTO t (name) VALUES (\(bind: "a"))").run()
        await #expect {
            try await sql.raw("INSERT INTO t (name) VALUES (\(bind: "a"))").run()
        } throws: { error in
            let error = try #require(error as? SQLiteWriterError)
            return error.primaryCode == 19 && error.message.contains("UNIQUE") && !error.isBusy  // SQLITE_CONSTRAINT
        }
        try await sql.raw("INSERT INTO t (name) VALUES (\(bind: "b"))").run()
        #expect(try await sql.raw("SELECT count(*) AS n FROM t").first()?.decode(column: "n", as: Int64.self) == 2)
        await #expect(throws: SQLiteWriterError.self) { try await sql.raw("SELECT * FROM missing").run() }
    }

    @Test func aLockHeldElsewhereIsATransientConflict() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let holder = try SQLiteWriterConnection(path: path)
        let other = try SQLiteWriterConnection(path: path)
        defer { holder.close(); other.close() }
        try holder.query("PRAGMA journal_mode = WAL", []) { _ in }
        try holder.query("BEGIN IMMEDIATE", []) { _ in }
        #expect {
            try other.query("BEGIN IMMEDIATE", []) { _ in }
        } throws: { error in
            (error as? SQLiteWriterError)?.isBusy == true && TransientConflict.matches(error)
        }
        try holder.query("COMMIT", []) { _ in }
        try other.query("BEGIN IMMEDIATE", []) { _ in }
        try other.query("COMMIT", []) { _ in }
    }

    @Test func theStatementsKeptAreBounded() async throws {
        let connection = try SQLiteWriterConnection(path: ":memory:")
        defer { connection.close() }
        for index in 0..<(SQLiteWriterConnection.keptStatements + 10) {
            var value: Int64?
            try connection.query("SELECT \(index) AS v", []) { value = try $0.decode(column: "v", as: Int64.self) }
            #expect(value == Int64(index))
        }
        #expect(connection.keptCount <= SQLiteWriterConnection.keptStatements)
        #expect(connection.keptCount > 0)
    }

    @Test func multiRowStatementsBindTheirCells() async throws {
        let connection = try SQLiteWriterConnection(path: ":memory:")
        defer { connection.close() }
        let sql = SQLiteWriterDatabase(connection)
        try await sql.raw("CREATE TABLE t (a TEXT, b INTEGER, c TEXT)").run()
        var insert = RowsStatement(insertInto: "t", columns: ["a", "b", "c"], tail: " RETURNING a, b, c")
        insert.append([.text(""), .integer(-1), .null])
        insert.append([.text("é ✓"), .integer(Int64.max), .text("x")])
        let rows = try await insert.all(on: sql)
        #expect(try rows.map { try $0.decode(column: "a", as: String.self) } == ["", "é ✓"])
        #expect(try rows.map { try $0.decode(column: "b", as: Int64.self) } == [-1, Int64.max])
        #expect(try rows.map { try $0.decode(column: "c", as: String?.self) } == [nil, "x"])
    }
}

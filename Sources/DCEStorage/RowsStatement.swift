import NIOCore
import SQLKit
import Synchronization

/// One value of a row a commit group writes: text, an integer, bytes or NULL.
///
/// SQLite's writer binds it directly (see `Engine/SQLite`); an `Optional` would be sent
/// through the `Encodable` machinery instead, which costs more than the insert.
enum Cell: Encodable, Equatable, Sendable {
    case text(String)
    case integer(Int64)
    /// Bound as a BLOB on SQLite and `bytea` on PostgreSQL.
    case bytes(ByteBuffer)
    case null

    init(_ text: String?) { self = text.map(Cell.text) ?? .null }
    init(_ integer: Int64?) { self = integer.map(Cell.integer) ?? .null }

    /// The value as the engines' encoders take it: bytes as a `ByteBuffer`, which both
    /// bind as binary, everything else as the cell itself.
    var bindValue: any Encodable & Sendable {
        if case .bytes(let bytes) = self { return bytes }
        return self
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .integer(let integer): try container.encode(integer)
        case .bytes(let bytes): try container.encode(Array(bytes.readableBytesView))
        case .null: try container.encodeNil()
        }
    }
}

/// A multi-row statement written straight into the serializer: its head, one
/// parenthesised group of binds per row, and its tail. SQLKit's insert builder makes
/// several nested expressions per value; for a group's hundreds of values that
/// serialising cost more than SQLite's insert.
struct RowsStatement: SQLExpression {
    /// E.g. `INSERT INTO calls (id, status) VALUES `.
    let head: String
    let width: Int
    var cells: [Cell] = []
    /// E.g. ` ON CONFLICT (id) DO NOTHING RETURNING id`.
    let tail: String

    /// `INSERT INTO table (columns) VALUES …` followed by `tail`.
    init(insertInto table: String, columns: [String], tail: String = "") {
        head = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
        width = columns.count
        self.tail = tail
    }

    mutating func append(_ row: [Cell]) {
        precondition(row.count == width, "a row of \(row.count) values for \(width) columns")
        cells.append(contentsOf: row)
    }

    /// The statement's text, with `placeholder(n)` for the n-th value (from 1).
    func text(placeholder: (Int) -> String) -> String {
        var text = head
        text.reserveCapacity(head.utf8.count + cells.count * 7 + tail.utf8.count)
        var start = 0
        while start < cells.count {
            text += start == 0 ? "(" : ", ("
            for column in 0..<width {
                if column > 0 { text += ", " }
                text += placeholder(start + column + 1)
            }
            text += ")"
            start += width
        }
        text += tail
        return text
    }

    func serialize(to serializer: inout SQLSerializer) {
        let offset = serializer.binds.count
        var placeholders = SQLSerializer(database: serializer.database)
        serializer.write(text { position in
            placeholders.sql = ""
            placeholders.dialect.bindPlaceholder(at: offset + position).serialize(to: &placeholders)
            return placeholders.sql
        })
        serializer.binds += cells.map(\.bindValue)
    }

    func run(on sql: any SQLDatabase) async throws {
        _ = try await all(on: sql)
    }

    func all(on sql: any SQLDatabase) async throws -> [any SQLRow] {
        let rows = Mutex<[any SQLRow]>([])
        try await sql.execute(sql: self) { row in rows.withLock { $0.append(row) } }
        return rows.withLock { $0 }
    }
}

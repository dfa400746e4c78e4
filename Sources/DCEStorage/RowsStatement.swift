import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization

/// One value of a row a commit group writes: text, an integer, bytes or NULL.
///
/// SQLite's encoder takes it directly (`SQLiteDataConvertible`); an `Optional` would be
/// sent through the `Encodable` machinery instead, which costs more than the insert.
enum Cell: Encodable, Equatable, Sendable, SQLiteDataConvertible {
    case text(String)
    case integer(Int64)
    /// Bound as a BLOB on SQLite and `bytea` on PostgreSQL.
    case bytes(ByteBuffer)
    case null

    init(_ text: String?) { self = text.map(Cell.text) ?? .null }
    init(_ integer: Int64?) { self = integer.map(Cell.integer) ?? .null }

    init?(sqliteData: SQLiteData) {
        switch sqliteData {
        case .text(let text): self = .text(text)
        case .integer(let integer): self = .integer(Int64(integer))
        case .blob(let bytes): self = .bytes(bytes)
        case .null: self = .null
        default: return nil
        }
    }

    var sqliteData: SQLiteData? {
        switch self {
        case .text(let text): .text(text)
        case .integer(let integer): .integer(Int(integer))
        case .bytes(let bytes): .blob(bytes)
        case .null: .null
        }
    }

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
        if let writer = sql as? SQLiteWriterDatabase { return try writer.rows(self) }
        let rows = Mutex<[any SQLRow]>([])
        try await sql.execute(sql: self) { row in rows.withLock { $0.append(row) } }
        return rows.withLock { $0 }
    }
}

/// The SQLite writer's connection as SQLKit sees it. Statements run at once on the calling
/// thread, prepared once and kept (`SQLiteWriterConnection`); a commit group's multi-row
/// statements bind their values directly, made without SQLKit's serializer and encoder,
/// which cost as much as SQLite's own work on the rows.
struct SQLiteWriterDatabase: SQLDatabase {
    let connection: SQLiteWriterConnection
    let logger: Logger
    let eventLoop: any EventLoop

    init(_ connection: SQLiteWriterConnection, logger: Logger = Logger(label: "dce.sqlite"), eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()) {
        self.connection = connection
        self.logger = logger
        self.eventLoop = eventLoop
    }

    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeCompletedFuture { try run(query, onRow) }
    }

    /// Runs a statement through SQLKit's serializer, its rows read as `WriterRow`s.
    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try run(query, onRow)
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> ()) throws {
        let (text, binds) = serialize(query)
        let encoder = SQLiteDataEncoder()
        // Text and integers, most of what is bound, are taken as they are; the encoder goes
        // through `Encodable` for each value.
        let values = try binds.map { bind -> SQLiteData in
            switch bind {
            case let text as String: .text(text)
            case let integer as Int64: .integer(Int(integer))
            case let integer as Int: .integer(integer)
            case let cell as Cell: cell.sqliteData!
            default: try encoder.encode(bind)
            }
        }
        try connection.query(text, values) { onRow($0) }
    }

    /// Runs a multi-row statement, its placeholders numbered as SQLite's dialect numbers them.
    func rows(_ statement: RowsStatement) throws -> [any SQLRow] {
        var rows: [any SQLRow] = []
        try connection.query(statement) { rows.append($0) }
        return rows
    }
}

/// A row the SQLite writer read, as SQLKit sees it. Text and integer columns, all that a
/// commit group reads, are taken straight from SQLite's values: SQLiteKit's row sends every
/// value through its `Decodable` decoder, which cost more than SQLite's reading the rows.
/// Any other type still goes through that decoder.
struct WriterRow: SQLRow {
    let columns: WriterColumns
    let values: [SQLiteData]

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.index[column] != nil }

    func decodeNil(column: String) throws -> Bool { columns.index[column].map { values[$0] == .null } ?? true }

    private func value(_ column: String) throws -> SQLiteData {
        guard let index = columns.index[column] else { throw WriterRowError.missingColumn(column) }
        return values[index]
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        let data = try value(column)
        if type == String.self || type == String?.self {
            if case .text(let text) = data { return text as! D }
            if case .null = data, type == String?.self { return String?.none as! D }
        } else if type == Int64.self || type == Int64?.self {
            if case .integer(let integer) = data { return Int64(integer) as! D }
            if case .null = data, type == Int64?.self { return Int64?.none as! D }
        }
        return try SQLiteDataDecoder().decode(D.self, from: data)
    }
}

enum WriterRowError: Error, CustomStringConvertible {
    case missingColumn(String)

    var description: String {
        switch self {
        case .missingColumn(let column): "no column '\(column)' in the row"
        }
    }
}

import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

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
        // A commit group's multi-row statement binds its cells directly, and is kept by
        // its shape rather than its text.
        if let rows = query as? RowsStatement {
            try connection.query(rows) { onRow($0) }
            return
        }
        let (text, binds) = serialize(query)
        let encoder = SQLiteDataEncoder()
        // Text and integers, most of what is bound, are taken as they are; the encoder goes
        // through `Encodable` for each value.
        let values = try binds.map { bind -> SQLiteData in
            switch bind {
            case let text as String: .text(text)
            case let integer as Int64: .integer(Int(integer))
            case let integer as Int: .integer(integer)
            case let cell as Cell: cell.sqlite
            default: try encoder.encode(bind)
            }
        }
        try connection.query(text, values) { onRow($0) }
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
            if case .text(let text) = data, let value = text as? D { return value }
            if case .null = data, type == String?.self, let value = String?.none as? D { return value }
        } else if type == Int64.self || type == Int64?.self {
            if case .integer(let integer) = data, let value = Int64(integer) as? D { return value }
            if case .null = data, type == Int64?.self, let value = Int64?.none as? D { return value }
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

/// SQLite's encoder takes a cell directly, and the writer binds it as it is.
extension Cell: SQLiteDataConvertible {
    init?(sqliteData: SQLiteData) {
        switch sqliteData {
        case .text(let text): self = .text(text)
        case .integer(let integer): self = .integer(Int64(integer))
        case .blob(let bytes): self = .bytes(bytes)
        case .null: self = .null
        default: return nil
        }
    }

    var sqliteData: SQLiteData? { sqlite }

    var sqlite: SQLiteData {
        switch self {
        case .text(let text): .text(text)
        case .integer(let integer): .integer(Int(integer))
        case .bytes(let bytes): .blob(bytes)
        case .null: .null
        }
    }
}

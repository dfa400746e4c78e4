import SQLiteNIO
import VaporCSQLite

/// The SQLite writer's connection, held through SQLite's C interface (the SQLite that
/// sqlite-nio builds and links), so that its statements are prepared once and kept.
///
/// A commit group runs a dozen statements of the same few shapes, group after group.
/// sqlite-nio prepares every statement anew and hands each one, and its result, across
/// its thread pool's queue: at saturation preparing alone took a sixth of the writer's
/// time. Here a statement's text finds the statement prepared for it before, which is
/// reset and bound again, and runs on the calling thread (the writer's own thread, see
/// `SQLiteBackend`).
///
/// Not for concurrent use: one caller at a time (the backend's connection pool lends it
/// to one write at a time).
final class SQLiteWriterConnection: @unchecked Sendable {
    /// Statements kept at most. A group's multi-row statements differ in text by their
    /// number of rows; a few hundred shapes cover the groups of a busy server.
    static let keptStatements = 512

    private var handle: OpaquePointer?
    private var statements: [Key: Prepared] = [:]
    private var uses: UInt64 = 0

    /// What finds a kept statement: its text, or a multi-row statement's shape (its text
    /// is long, and made only to prepare it).
    private enum Key: Hashable {
        case text(String)
        case rows(head: String, width: Int, count: Int, tail: String)
    }

    /// A prepared statement and the names of its result columns.
    private final class Prepared {
        let statement: OpaquePointer
        let columns: WriterColumns
        var lastUse: UInt64

        init(statement: OpaquePointer, columns: WriterColumns, lastUse: UInt64) {
            self.statement = statement
            self.columns = columns
            self.lastUse = lastUse
        }
    }

    /// Opens (creating if needed) the database file at `path`; `":memory:"` is a private
    /// in-memory database.
    init(path: String) throws {
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK else {
            let error = SQLiteWriterError(code: code, message: handle.flatMap { sqlite_nio_sqlite3_errmsg($0).map { String(cString: $0) } } ?? "cannot open \(path)")
            sqlite_nio_sqlite3_close_v2(handle)
            throw error
        }
    }

    deinit { close() }

    /// Finalizes every kept statement and closes the connection. Nothing may run afterwards.
    func close() {
        for prepared in statements.values { sqlite_nio_sqlite3_finalize(prepared.statement) }
        statements = [:]
        if let handle {
            sqlite_nio_sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    /// Runs one statement with its values, calling `onRow` for each result row.
    func query(_ text: String, _ binds: [SQLiteData], _ onRow: (WriterRow) throws -> Void) throws {
        let prepared = try prepare(.text(text)) { text }
        try run(prepared, binds.count, { statement, index in Self.bind(binds[index], at: Int32(index + 1), to: statement) }, onRow)
    }

    /// Runs a commit group's multi-row statement, its placeholders numbered from `?1`.
    func query(_ rows: RowsStatement, _ onRow: (WriterRow) throws -> Void) throws {
        let key = Key.rows(head: rows.head, width: rows.width, count: rows.cells.count, tail: rows.tail)
        let prepared = try prepare(key) { rows.text { "?\($0)" } }
        let cells = rows.cells
        try run(prepared, cells.count, { statement, index in Self.bind(cells[index].sqlite, at: Int32(index + 1), to: statement) }, onRow)
    }

    private func run(_ prepared: Prepared, _ count: Int, _ bind: (OpaquePointer, Int) -> Int32, _ onRow: (WriterRow) throws -> Void) throws {
        let statement = prepared.statement
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        guard Int(sqlite_nio_sqlite3_bind_parameter_count(statement)) == count else {
            throw SQLiteWriterError(code: SQLITE_RANGE, message: "\(count) values for \(sqlite_nio_sqlite3_bind_parameter_count(statement)) parameters")
        }
        for index in 0..<count {
            let code = bind(statement, index)
            guard code == SQLITE_OK else { throw failure(code) }
        }
        let width = prepared.columns.names.count
        while true {
            let code = sqlite_nio_sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code) }
            var values: [SQLiteData] = []
            values.reserveCapacity(width)
            for column in 0..<Int32(width) { values.append(Self.value(of: statement, at: column)) }
            try onRow(WriterRow(columns: prepared.columns, values: values))
        }
    }

    /// The statement kept under `key`, or `text()` prepared and kept for the next use.
    private func prepare(_ key: Key, text: () -> String) throws -> Prepared {
        uses += 1
        if let prepared = statements[key] {
            prepared.lastUse = uses
            return prepared
        }
        var statement: OpaquePointer?
        let code = sqlite_nio_sqlite3_prepare_v3(handle, text(), -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            sqlite_nio_sqlite3_finalize(statement)
            throw failure(code)
        }
        let names = (0..<sqlite_nio_sqlite3_column_count(statement)).map { column in
            sqlite_nio_sqlite3_column_name(statement, column).map { String(cString: $0) } ?? ""
        }
        if statements.count >= Self.keptStatements {
            // The half used longest ago goes.
            let oldest = statements.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(statements.count / 2)
            for (key, prepared) in oldest {
                sqlite_nio_sqlite3_finalize(prepared.statement)
                statements[key] = nil
            }
        }
        let prepared = Prepared(statement: statement, columns: WriterColumns(names), lastUse: uses)
        statements[key] = prepared
        return prepared
    }

    /// How many statements are kept (for tests).
    var keptCount: Int { statements.count }

    private func failure(_ code: Int32) -> SQLiteWriterError {
        SQLiteWriterError(code: code, message: sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "SQLite error \(code)")
    }

    private static func bind(_ value: SQLiteData, at position: Int32, to statement: OpaquePointer) -> Int32 {
        switch value {
        case .text(var text):
            text.withUTF8 { bytes in
                // An empty buffer may have no address, which SQLite would take for NULL.
                guard let base = bytes.baseAddress else { return sqlite_nio_sqlite3_bind_text64(statement, position, "", 0, transient, UInt8(SQLITE_UTF8)) }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite_nio_sqlite3_bind_text64(statement, position, $0, UInt64(bytes.count), transient, UInt8(SQLITE_UTF8))
                }
            }
        case .integer(let integer): sqlite_nio_sqlite3_bind_int64(statement, position, Int64(integer))
        case .float(let double): sqlite_nio_sqlite3_bind_double(statement, position, double)
        case .blob(let buffer):
            buffer.withUnsafeReadableBytes { bytes in
                sqlite_nio_sqlite3_bind_blob64(statement, position, bytes.baseAddress, UInt64(bytes.count), transient)
            }
        case .null: sqlite_nio_sqlite3_bind_null(statement, position)
        }
    }

    private static func value(of statement: OpaquePointer, at column: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .text("") }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard let bytes = sqlite_nio_sqlite3_column_blob(statement, column), count > 0 else { return .blob(ByteBuffer()) }
            return .blob(ByteBuffer(bytes: UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            return .null
        }
    }

    /// SQLite copies a bound value before the bind returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// A result column's names, shared by every row of a statement.
final class WriterColumns: Sendable {
    let names: [String]
    let index: [String: Int]

    init(_ names: [String]) {
        self.names = names
        // The first of two columns of one name wins, as SQLiteKit reads them.
        index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// A failed SQLite call on the writer's connection: SQLite's result code and message.
struct SQLiteWriterError: EngineConflict, CustomStringConvertible {
    let code: Int32
    let message: String

    /// The primary result code, without the extended bits.
    var primaryCode: Int32 { code & 0xff }

    /// Another connection holds the lock this one needs (a reader of another process, a
    /// checkpoint): trying again later may succeed.
    var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    var isTransientConflict: Bool { isBusy }

    var description: String { "SQLite error \(code): \(message)" }
}

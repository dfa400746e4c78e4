import Glibc
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

/// SQLite in WAL mode: one writer connection, so that writers never wait on each other's
/// locks inside this process, and a few reader connections that see committed data
/// while a write is under way.
public final class SQLiteBackend: Database, GroupWritingDatabase {
    public let engine = DatabaseEngine.sqlite
    public let logger: Logger
    public let path: String
    private let writer: ConnectionPool<SQLiteWriterConnection>
    private let readers: ConnectionPool<SQLiteConnection>
    private let writerThread: WriterExecutor
    private let syncThread: NIOThreadPool
    private let walSync: WALSync
    /// One writer, so one group at a time; a group waits a moment for writes announced to
    /// it, since a group costs its statements, commit and sync whatever its size.
    var groupWriting: GroupWriting { GroupWriting(parallelism: 1, executor: writerThread, linger: .milliseconds(1)) }

    private init(path: String, writer: ConnectionPool<SQLiteWriterConnection>, readers: ConnectionPool<SQLiteConnection>, writerThread: WriterExecutor, logger: Logger) {
        self.path = path
        self.writer = writer
        self.readers = readers
        self.writerThread = writerThread
        self.logger = logger
        let syncThread = NIOThreadPool(numberOfThreads: 1)
        syncThread.start()
        self.syncThread = syncThread
        walSync = WALSync { try await Self.syncWAL(path: path, on: syncThread) }
    }

    public static func open(path: String, readerCount: Int = 4, logger: Logger) async throws -> SQLiteBackend {
        // WAL lets readers run beside the writer. With NORMAL sync a commit writes its
        // pages to the WAL file without waiting for the disk (checkpoints still sync);
        // `syncWAL` syncs the WAL file before any write is reported done,
        // so that a commit group can run while the one before it is being synced.
        let pragmas = [
            "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 30000",
            // A 16 MB page cache (the default is 2 MB) holds the inner pages of the ledger's
            // indexes; a larger one costs every commit, which walks the cache's hash table
            // to drop pages past the file's end (5% of the writer at 64 MB, 2% at 16 MB).
            // Fewer, larger checkpoints copy pages the writer rewrites often back once.
            "PRAGMA cache_size = -16384", "PRAGMA wal_autocheckpoint = 8192",
            // A multi-row statement inside a transaction keeps a statement journal, to undo
            // itself alone if a row fails; past 64 KB SQLite moves that journal to a new
            // temporary file, opened and written for each such statement. In memory it costs
            // a copy of the pages.
            "PRAGMA temp_store = MEMORY",
        ]
        let writerThread = WriterExecutor()
        let writer = try SQLiteWriterConnection(path: path)
        for pragma in pragmas { try writer.query(pragma, []) { _ in } }
        var readerConnections: [SQLiteConnection] = []
        for _ in 0..<readerCount {
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            for pragma in pragmas { try await connection.sql(queryLogLevel: nil).raw(SQLQueryString(pragma)).run() }
            readerConnections.append(connection)
        }
        return SQLiteBackend(
            path: path,
            writer: ConnectionPool([writer]),
            readers: ConnectionPool(readerConnections),
            writerThread: writerThread,
            logger: logger
        )
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await readers.withConnection { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let result = try await writeCommitted(body)
        try await Self.syncWAL(path: path, on: syncThread)
        return result
    }

    func writeCommitted<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        // The writer's statements block the thread they run on: its own.
        try await withTaskExecutorPreference(writerThread) {
            try await writer.withConnection { connection in
                let sql = SQLiteWriterDatabase(connection, logger: logger)
                return try await inTransaction(sql, begin: "BEGIN IMMEDIATE", body)
            }
        }
    }

    /// Answered after a WAL sync that began after this call (`WALSync`).
    func whenDurable(_ answer: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        walSync.whenDurable(answer)
    }

    /// Syncs the WAL file, where every commit so far wrote its pages (a file's sync covers
    /// what any descriptor wrote to it). A WAL restarted after a checkpoint holds only
    /// newer commits: the checkpoint synced the older ones into the database file. The
    /// file is opened anew each time, so that a WAL file SQLite replaced is never the one
    /// synced. Runs on a thread of its own, beside the writer.
    private static func syncWAL(path: String, on syncThread: NIOThreadPool) async throws {
        try await syncThread.runIfActive {
            for file in [path + "-wal", path] {
                let descriptor = Glibc.open(file, O_RDWR | O_CLOEXEC)
                if descriptor < 0 {
                    if errno == ENOENT { continue }
                    throw SQLiteSyncError(path: file, errno: errno)
                }
                defer { _ = Glibc.close(descriptor) }
                guard fsync(descriptor) == 0 else { throw SQLiteSyncError(path: file, errno: errno) }
                return
            }
        }
    }

    public func close() async {
        // A start that fails cancels the task closing the database, and SQLiteNIO refuses
        // work from a cancelled task: the connections close in a task of their own.
        await Task { await self.closeConnections() }.value
    }

    private func closeConnections() async {
        for connection in await writer.drain() { connection.close() }
        for connection in await readers.drain() { try? await connection.close() }
        await writerThread.shutdown()
        try? await syncThread.shutdownGracefully()
    }
}

/// The WAL (or database) file could not be synced to disk: nothing since the last sync
/// is known to be durable.
struct SQLiteSyncError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32
    var description: String { "could not sync \(path) to disk (errno \(errno))" }
}

/// A fixed set of connections lent out one caller at a time, first come first served.
/// Once drained for closing it lends no more: a caller waiting then, or asking after, gets
/// `DatabaseClosedError`, and the drain waits for the connections still lent to come back,
/// so that every connection is closed.
actor ConnectionPool<Connection: Sendable> {
    private var idle: [Connection]
    private var waiters: [CheckedContinuation<Connection, any Error>] = []
    private var lent = 0
    private var closed = false
    private var allReturned: CheckedContinuation<Void, Never>?

    init(_ connections: [Connection]) { idle = connections }

    func withConnection<T: Sendable>(_ body: @Sendable (Connection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        defer { release(connection) }
        return try await body(connection)
    }

    private func acquire() async throws -> Connection {
        guard !closed else { throw DatabaseClosedError() }
        if let connection = idle.popLast() {
            lent += 1
            return connection
        }
        // Handed over by `release`, still counted as lent.
        return try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    private func release(_ connection: Connection) {
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: connection)
            return
        }
        lent -= 1
        idle.append(connection)
        if closed, lent == 0 {
            allReturned?.resume()
            allReturned = nil
        }
    }

    /// Every connection, once the ones lent are back; the pool lends no more.
    func drain() async -> [Connection] {
        closed = true
        for waiter in waiters { waiter.resume(throwing: DatabaseClosedError()) }
        waiters = []
        if lent > 0 { await withCheckedContinuation { allReturned = $0 } }
        defer { idle = [] }
        return idle
    }
}

/// The database was closed (the server is stopping) while a query waited for a connection.
public struct DatabaseClosedError: Error, CustomStringConvertible {
    public var description: String { "the database is closed" }
}

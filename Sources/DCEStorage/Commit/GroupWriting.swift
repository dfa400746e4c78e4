import Logging
import NIOCore
import SQLKit

/// What commit groups ask of an engine beyond `Database`: how groups run there, and a
/// commit that may answer before its data is on disk. Each engine's own business, so
/// `Database`, the interface everything else uses, does not show it.
protocol GroupWritingDatabase: Database {
    var groupWriting: GroupWriting { get }
    /// Like `write`, but may return once the transaction is committed and visible, before
    /// it is on disk; `whenDurable` tells when it is.
    func writeCommitted<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Calls `answer` once every transaction committed before this call is durable (or
    /// with the error that kept it from being). Answers come in the order of the calls.
    func whenDurable(_ answer: @escaping @Sendable (Result<Void, any Error>) -> Void)
}

/// How an engine runs commit groups.
struct GroupWriting: Sendable {
    /// Groups written at once, each on a connection of its own.
    var parallelism: Int
    /// Where a group's Swift code runs, when the engine's writer has a thread of its own.
    var executor: (any TaskExecutor)?
    /// How long a group about to start may wait for writes announced to it (`Arrival`).
    var linger: TimeAmount
}

extension Database {
    /// This database as commit groups use it: an engine's own way, or else each group
    /// written by `write`, durable when it returns.
    var groupWriter: any GroupWritingDatabase {
        (self as? any GroupWritingDatabase) ?? CommitOnWrite(database: self)
    }
}

/// A database without a way of its own for commit groups (a test's wrapper, say).
private struct CommitOnWrite: GroupWritingDatabase {
    let database: any Database

    var engine: DatabaseEngine { database.engine }
    var logger: Logger { database.logger }
    var groupWriting: GroupWriting { GroupWriting(parallelism: 1, executor: nil, linger: .zero) }

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T { try await database.read(body) }
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T { try await database.write(body) }
    func writeCommitted<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T { try await database.write(body) }
    func whenDurable(_ answer: @escaping @Sendable (Result<Void, any Error>) -> Void) { answer(.success(())) }
    func close() async { await database.close() }
}

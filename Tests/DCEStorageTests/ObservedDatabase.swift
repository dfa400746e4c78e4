@testable import DCEStorage
import Logging
import SQLKit

/// A real database passed through unchanged, for tests that observe how the ledger uses
/// it: subclasses override what they watch and call `super`.
class ObservedDatabase: GroupWritingDatabase, @unchecked Sendable {
    let inner: any Database

    init(_ inner: any Database) { self.inner = inner }

    var engine: DatabaseEngine { inner.engine }
    var logger: Logger { inner.logger }
    var groupWriting: GroupWriting { inner.groupWriter.groupWriting }

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T { try await inner.read(body) }
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T { try await inner.write(body) }
    func writeCommitted<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await inner.groupWriter.writeCommitted(body)
    }
    func whenDurable(_ answer: @escaping @Sendable (Result<Void, any Error>) -> Void) { inner.groupWriter.whenDurable(answer) }
    func close() async { await inner.close() }
}

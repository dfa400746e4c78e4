@testable import DCEStorage
import Logging
import SQLKit

/// A real database passed through unchanged, for tests that observe how the ledger uses
/// it: subclasses override what they watch and call `super`.
class ObservedDatabase: Database, @unchecked Sendable {
    let inner: any Database

    init(_ inner: any Database) { self.inner = inner }

    var engine: DatabaseEngine { inner.engine }
    var logger: Logger { inner.logger }
    var writeExecutor: (any TaskExecutor)? { inner.writeExecutor }
    var defersDurability: Bool { inner.defersDurability }

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T { try await inner.read(body) }
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T { try await inner.write(body) }
    func writeCommitted<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await inner.writeCommitted(body)
    }
    func makeCommittedDurable() async throws { try await inner.makeCommittedDurable() }
    func close() async { await inner.close() }
}

import SQLKit

/// Runs work inside a transaction so that it can fail alone.
enum Savepoint {
    /// Runs `work` in a savepoint: undone alone when it fails, and tried again (up to three
    /// times) when the database chose it as the victim of a lock cycle with another node or
    /// group, since its locks are then gone.
    static func run<T: Sendable>(_ name: String, on sql: any SQLDatabase, _ work: () async throws -> T) async throws -> Result<T, any Error> {
        var attempt = 1
        while true {
            try await sql.raw("SAVEPOINT \(unsafeRaw: name)").run()
            do {
                let value = try await work()
                try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: name)").run()
                return .success(value)
            } catch {
                try await sql.raw("ROLLBACK TO SAVEPOINT \(unsafeRaw: name)").run()
                try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: name)").run()
                if attempt < 3, TransientConflict.matches(error) {
                    attempt += 1
                    continue
                }
                return .failure(error)
            }
        }
    }
}

/// Errors that mean "another transaction won this time", not "this write is wrong".
enum TransientConflict {
    static func matches(_ error: any Error) -> Bool {
        // Another node committed the same key or vendor call id first: a new try finds it.
        if error is LedgerError { return true }
        return (error as? any EngineConflict)?.isTransientConflict ?? false
    }
}

/// An engine's error that may say another transaction won this time.
protocol EngineConflict: Error {
    var isTransientConflict: Bool { get }
}

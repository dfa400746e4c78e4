import Synchronization

/// Answers commits once they are on disk, sharing one sync among all the commits made
/// while the sync before it ran: a commit group starts while the previous group's data is
/// still being flushed, and no caller hears of its write before a sync that began after
/// its commit. Answers come in commit order.
final class WALSync: Sendable {
    typealias Answer = @Sendable (Result<Void, any Error>) -> Void

    private let sync: @Sendable () async throws -> Void
    private let state = Mutex<(waiting: [Answer], syncing: Bool)>(([], false))

    /// `sync` makes every commit made before it began durable.
    init(sync: @escaping @Sendable () async throws -> Void) {
        self.sync = sync
    }

    /// Calls `answer` once a sync that began after this call has finished.
    func whenDurable(_ answer: @escaping Answer) {
        let start = state.withLock { state in
            state.waiting.append(answer)
            defer { state.syncing = true }
            return !state.syncing
        }
        if start { Task { await self.run() } }
    }

    private func run() async {
        while true {
            let covered = state.withLock { state in
                defer { state.waiting = [] }
                if state.waiting.isEmpty { state.syncing = false }
                return state.waiting
            }
            guard !covered.isEmpty else { return }
            let result: Result<Void, any Error>
            do {
                try await sync()
                result = .success(())
            } catch {
                result = .failure(error)
            }
            for answer in covered { answer(result) }
        }
    }
}

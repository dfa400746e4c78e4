import NIOPosix

/// A thread of its own for a database writer: one thread that runs both its connection's
/// statements (blocking SQLite calls) and the commit groups' Swift code, as a task executor.
///
/// Without it, every statement of a commit group would wait in queues shared with the
/// HTTP server (its event loops and Swift's global executor): under load those waits,
/// not the database, decided how long a group took. With the statements and the Swift
/// code on one thread, a statement runs and its result is read without waking another
/// thread.
final class WriterExecutor: TaskExecutor, @unchecked Sendable {
    let threadPool: NIOThreadPool

    init() {
        threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        threadPool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func shutdown() async {
        try? await threadPool.shutdownGracefully()
    }
}

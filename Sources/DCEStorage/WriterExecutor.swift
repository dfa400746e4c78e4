import NIOCore
import NIOPosix

/// A thread of its own for a database writer: one thread that runs both the blocking
/// library calls of its connection and the commit groups' Swift code, as a task executor.
///
/// Without it, every statement of a commit group waits twice in queues shared with the
/// HTTP server (its event loops and Swift's global executor): under load those waits,
/// not the database, decide how long a group takes. With the library calls and the
/// Swift code on one thread, a statement's result is picked up without waking another
/// thread.
final class WriterExecutor: TaskExecutor, @unchecked Sendable {
    let group: MultiThreadedEventLoopGroup
    let threadPool: NIOThreadPool
    let eventLoop: any EventLoop

    init() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        eventLoop = group.next()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        threadPool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func shutdown() async {
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
    }
}

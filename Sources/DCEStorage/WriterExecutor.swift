import NIOCore
import NIOPosix

/// A thread of its own for a database writer: an event loop that its connection's
/// callbacks complete on, a thread for the blocking library calls, and a task executor
/// that runs the commit groups' Swift code on that same event loop.
///
/// Without it, every statement of a commit group waits twice in queues shared with the
/// HTTP server (its event loops and Swift's global executor): under load those waits,
/// not the database, decide how long a group takes.
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
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func shutdown() async {
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
    }
}

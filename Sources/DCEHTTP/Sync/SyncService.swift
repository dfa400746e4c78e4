import Logging
import ServiceLifecycle

/// Runs the due syncs every `interval` while `dce serve` runs. Every node of a cluster may
/// run it: the lease in the database lets one of them pull each integration at a time.
public struct SyncService: Service {
    let engine: SyncEngine
    let interval: Duration

    public init(engine: SyncEngine, interval: Duration = .seconds(15)) {
        self.engine = engine
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            // A shutdown cancels a run in progress; its cursor resumes it on the next start.
            try? await cancelWhenGracefulShutdown { await engine.runDue() }
            let interval = self.interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

import DCEStorage
import Logging
import ServiceLifecycle

/// Allocates pools in the background and ends expired leases, every few seconds and
/// whenever a pool is created or changed. Several dce processes may run it at once: each
/// pool is claimed by one of them per pass.
public struct PoolAllocationService: Service {
    let pools: PoolServices
    let interval: Duration
    let logger: Logger

    public init(pools: PoolServices, interval: Duration = .seconds(2), logger: Logger) {
        self.pools = pools
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await pools.allocateNow()
            do {
                try await pools.desk.releaseExpired()
            } catch {
                logger.error("releasing expired leases failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            let interval = self.interval
            // A shutdown ends the wait at once rather than after it.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

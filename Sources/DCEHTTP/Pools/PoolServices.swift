import DCEDomain
import DCEStorage
import Foundation
import Logging
import Metrics

/// Everything the pool routes and the background allocator share.
public struct PoolServices: Sendable {
    public let store: RingPoolStore
    public let desk: LeaseDesk
    public let allocator: PoolAllocator
    public let geo: GeoDirectory
    let worker: AllocationWorker
    let metrics: AppMetrics

    public init(database: any Database, metrics: AppMetrics, logger: Logger) {
        let geo = GeoData.directory
        let allocator = PoolAllocator(database: database, geo: geo)
        self.store = RingPoolStore(database: database)
        self.desk = LeaseDesk(database: database)
        self.allocator = allocator
        self.geo = geo
        self.worker = AllocationWorker(allocator: allocator, logger: logger)
        self.metrics = metrics
    }

    /// Starts allocation now, in the background, if it is not already running.
    public func allocateSoon() { Task { await worker.kick() } }

    /// New numbers may fill waiting pools: try them now, in the background.
    public func inventoryChanged(accountID: AccountID) async throws {
        try await allocator.inventoryChanged(accountID: accountID)
        allocateSoon()
    }

    /// Runs allocation to the end: for tests and the periodic service.
    public func allocateNow() async { await worker.kick(wait: true) }

    /// Sets the size, leased and free gauges of every pool from the database.
    public func refreshGauges() async throws {
        let now = Timestamp.now()
        let pools = try await store.allPools(accountID: nil)
        for accountID in Set(pools.map(\.0)) {
            let owned = pools.filter { $0.0 == accountID }.map(\.1)
            let statistics = try await store.statistics(of: owned, accountID: accountID, now: now)
            for pool in owned {
                guard let stats = statistics[pool.id] else { continue }
                metrics.poolGauges(pool: pool, accountID: accountID, statistics: stats)
            }
        }
    }
}

/// Runs the allocator one pass at a time; a kick during a pass asks for one more pass.
actor AllocationWorker {
    let allocator: PoolAllocator
    let logger: Logger
    private var running: Task<Void, Never>?
    private var again = false

    init(allocator: PoolAllocator, logger: Logger) {
        self.allocator = allocator
        self.logger = logger
    }

    func kick(wait: Bool = false) async {
        if let running {
            again = true
            if wait { await running.value }
            return
        }
        let task = Task { await self.drain() }
        running = task
        if wait { await task.value }
    }

    private func drain() async {
        repeat {
            again = false
            do {
                for result in try await allocator.allocateDue() {
                    logger.info("allocated pool", metadata: ["pool": "\(result.poolID)", "state": "\(result.state.rawValue)", "note": "\(result.note)"])
                }
            } catch {
                logger.error("pool allocation failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        } while again
        running = nil
    }
}

/// The shipped area-code and ZIP data.
enum GeoData {
    static let directory: GeoDirectory = {
        guard let url = Bundle.module.url(forResource: "nanp", withExtension: "txt", subdirectory: "Resources/geo")
                ?? Bundle.module.url(forResource: "nanp", withExtension: "txt"),
              let text = try? String(contentsOf: url, encoding: .utf8),
              let directory = try? GeoDirectory(parsing: text)
        else { fatalError("the geo data file Resources/geo/nanp.txt is missing from the DCEHTTP bundle or unreadable") }
        return directory
    }()
}

extension AppMetrics {
    /// Pools are labelled by their numeric id only: no account, no public pool key.
    func poolGauges(pool: RingPool, accountID: AccountID, statistics: PoolStatistics) {
        let dimensions = [("pool", String(pool.id))]
        Gauge(label: "dce_pool_size", dimensions: dimensions, factory: factory).record(statistics.size)
        Gauge(label: "dce_pool_leased", dimensions: dimensions, factory: factory).record(statistics.leased)
        Gauge(label: "dce_pool_free", dimensions: dimensions, factory: factory).record(statistics.free)
        Gauge(label: "dce_pool_misses", dimensions: dimensions, factory: factory).record(statistics.misses)
    }

    func poolLease(pool: RingPool, accountID: AccountID, outcome: LeaseOutcome) {
        let dimensions = [("pool", String(pool.id))]
        switch outcome {
        case .leased: counter("dce_pool_leases_total", dimensions).increment()
        case .renewed: counter("dce_pool_renewals_total", dimensions).increment()
        case .miss: counter("dce_pool_misses_total", dimensions).increment()
        }
    }
}

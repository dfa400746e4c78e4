import DCEDomain
import Foundation
import SQLKit

/// Fills pools from the unassigned inventory: local pools with the numbers nearest their
/// centre (then toll-free numbers, or waiting, as the pool says), other pools with any
/// free numbers. A number is claimed with a conditional update (`pool_id IS NULL`), so
/// allocators on several dce processes never give one number to two pools.
public struct PoolAllocator: Sendable {
    let database: any Database
    let geo: GeoDirectory
    /// How long a pool waiting for inventory waits before it is tried again.
    public static let retryAfterSeconds: Int64 = 30
    /// How long a process may work on a claimed pool before another may take it over.
    static let claimSeconds: Int64 = 60

    public init(database: any Database, geo: GeoDirectory) {
        self.database = database
        self.geo = geo
    }

    public struct Result: Hashable, Sendable {
        public let poolID: Int64
        public let state: RingPool.AllocationState
        public let added: Int
        public let note: String
    }

    /// Allocates every pool that is due (pending, or waiting and due for a retry).
    @discardableResult
    public func allocateDue(now: Timestamp = .now()) async throws -> [Result] {
        let due = try await database.read { sql in
            try await sql.raw("""
                SELECT id FROM ring_pools WHERE allocation_state IN ('pending', 'waiting')
                  AND allocate_after <= \(bind: now.millisecondsSince1970) ORDER BY allocate_after, id LIMIT 100
                """).all().map { try $0.decode(column: "id", as: Int64.self) }
        }
        var results: [Result] = []
        for id in due {
            if let result = try await allocate(poolID: id, now: now) { results.append(result) }
        }
        return results
    }

    /// Allocates one pool, unless another process claimed it first.
    func allocate(poolID: Int64, now: Timestamp) async throws -> Result? {
        let geo = self.geo
        return try await database.write { sql in
            // Claim: only one process works on a pool at a time.
            guard let row = try await sql.raw("""
                UPDATE ring_pools SET allocate_after = \(bind: now.adding(seconds: Self.claimSeconds).millisecondsSince1970)
                WHERE id = \(bind: poolID) AND allocation_state IN ('pending', 'waiting')
                  AND allocate_after <= \(bind: now.millisecondsSince1970)
                RETURNING *
                """).first() else { return nil }
            let accountID = try row.decode(column: "account_id", as: String.self)
            let pool = try RingPoolStore.decode(row)
            return try await Self.fill(pool, accountID: accountID, geo: geo, now: now, on: sql)
        }
    }

    static func fill(_ pool: RingPool, accountID: String, geo: GeoDirectory, now: Timestamp, on sql: any SQLDatabase) async throws -> Result {
        let members = try await sql.raw("""
            SELECT number FROM tracking_numbers WHERE account_id = \(bind: accountID) AND pool_id = \(bind: pool.key) ORDER BY number
            """).all().map { try $0.decode(column: "number", as: String.self) }
        var size = members.count
        var need = pool.maxPoolSize - size
        if need < 0 {
            size -= try await shrink(pool, accountID: accountID, by: -need, now: now, on: sql)
            need = 0
        }
        var added = (local: 0, tollFree: 0, other: 0)
        var state = RingPool.AllocationState.allocated
        if need > 0 {
            let free = try await sql.raw("""
                SELECT * FROM tracking_numbers
                WHERE account_id = \(bind: accountID) AND pool_id IS NULL AND number_use = 'pool' ORDER BY number
                """).all().map { try NumberInventory.decode($0).number }
            if let center = pool.localCenter {
                guard let place = try? LocalPoolRules.resolve(center, in: geo) else {
                    return try await stop(pool, note: "the local center is not a known place", now: now, on: sql)
                }
                let preferences = pool.localPreferences ?? LocalNumberPreferences()
                let local = LocalPoolRules.localCandidates(free, center: place, preferences: preferences, whitelist: pool.tnPrefixWhitelist, geo: geo)
                added.local = try await claim(local.map(\.number.number), upTo: need, pool: pool, accountID: accountID, now: now, on: sql)
                need -= added.local
                if need > 0 {
                    switch preferences.allocationFallbackStrategy {
                    case .useTollFree:
                        let tollFree = free.filter { $0.kind == .tollFree }.map(\.number)
                        added.tollFree = try await claim(tollFree, upTo: need, pool: pool, accountID: accountID, now: now, on: sql)
                        need -= added.tollFree
                    case .wait:
                        state = .waiting
                    }
                }
            } else {
                // Toll-free first: a pool without a centre serves visitors from anywhere.
                let ordered = free.filter { $0.kind == .tollFree } + free.filter { $0.kind == .local }
                added.other = try await claim(ordered.map(\.number), upTo: need, pool: pool, accountID: accountID, now: now, on: sql)
                need -= added.other
            }
            size += added.local + added.tollFree + added.other
        }
        // A pool the inventory could not fill waits for more numbers, whatever its fallback.
        if need > 0 { state = .waiting }
        let overflow = try await chooseOverflow(pool, accountID: accountID, on: sql)
        var note = "\(size) of \(pool.maxPoolSize) numbers"
        if pool.isLocal { note += " (\(added.local) local and \(added.tollFree) toll-free added)" }
        if need > 0 {
            let fallback = pool.localPreferences?.allocationFallbackStrategy
            note += pool.isLocal && fallback == .wait ? "; waiting for local inventory" : "; waiting for more free numbers in the inventory"
        }
        let retry = state == .waiting ? now.adding(seconds: retryAfterSeconds) : now
        try await sql.raw("""
            UPDATE ring_pools SET allocation_state = \(bind: state.rawValue), allocation_note = \(bind: note),
                allocate_after = \(bind: retry.millisecondsSince1970), overflow_number = \(bind: overflow)
            WHERE id = \(bind: pool.id)
            """).run()
        return Result(poolID: pool.id, state: state, added: added.local + added.tollFree + added.other, note: note)
    }

    /// Makes the account's waiting pools due now: the inventory changed.
    public func inventoryChanged(accountID: AccountID, now: Timestamp = .now()) async throws {
        try await database.write { sql in
            try await sql.raw("""
                UPDATE ring_pools SET allocate_after = \(bind: now.millisecondsSince1970)
                WHERE account_id = \(bind: accountID.rawValue) AND allocation_state = 'waiting'
                """).run()
        }
    }

    /// Leaves a pool that cannot be filled waiting, with the reason.
    static func stop(_ pool: RingPool, note: String, now: Timestamp, on sql: any SQLDatabase) async throws -> Result {
        try await sql.raw("""
            UPDATE ring_pools SET allocation_state = 'waiting', allocation_note = \(bind: note),
                allocate_after = \(bind: now.adding(seconds: retryAfterSeconds).millisecondsSince1970)
            WHERE id = \(bind: pool.id)
            """).run()
        return Result(poolID: pool.id, state: .waiting, added: 0, note: note)
    }

    /// Moves numbers into the pool, each only if still unassigned. Returns how many moved.
    static func claim(_ numbers: [PhoneNumber], upTo limit: Int, pool: RingPool, accountID: String, now: Timestamp, on sql: any SQLDatabase) async throws -> Int {
        var claimed = 0
        for number in numbers where claimed < limit {
            let row = try await sql.raw("""
                UPDATE tracking_numbers SET pool_id = \(bind: pool.key), updated_at = \(bind: now.millisecondsSince1970)
                WHERE account_id = \(bind: accountID) AND number = \(bind: number.e164) AND pool_id IS NULL AND number_use = 'pool'
                RETURNING number
                """).first()
            if row != nil { claimed += 1 }
        }
        return claimed
    }

    /// Returns numbers without a live lease to the inventory when a pool is made smaller.
    static func shrink(_ pool: RingPool, accountID: String, by count: Int, now: Timestamp, on sql: any SQLDatabase) async throws -> Int {
        let idle = try await sql.raw("""
            SELECT t.number FROM tracking_numbers t
            WHERE t.account_id = \(bind: accountID) AND t.pool_id = \(bind: pool.key)
              AND NOT EXISTS (SELECT 1 FROM pool_leases l WHERE l.account_id = t.account_id AND l.number = t.number AND l.released_at IS NULL)
            ORDER BY t.number DESC LIMIT \(bind: count)
            """).all().map { try $0.decode(column: "number", as: String.self) }
        for number in idle {
            try await sql.raw("""
                UPDATE tracking_numbers SET pool_id = NULL, updated_at = \(bind: now.millisecondsSince1970)
                WHERE account_id = \(bind: accountID) AND number = \(bind: number)
                """).run()
        }
        return idle.count
    }

    /// The number kept back for overflow: the current one while it is still in the pool,
    /// else the pool's last number without a live lease.
    static func chooseOverflow(_ pool: RingPool, accountID: String, on sql: any SQLDatabase) async throws -> String? {
        guard pool.allowOverflow else { return nil }
        let members = try await sql.raw("""
            SELECT t.number, (SELECT COUNT(*) FROM pool_leases l WHERE l.account_id = t.account_id AND l.number = t.number
                              AND l.released_at IS NULL) AS live
            FROM tracking_numbers t WHERE t.account_id = \(bind: accountID) AND t.pool_id = \(bind: pool.key) ORDER BY t.number DESC
            """).all().map { (try $0.decode(column: "number", as: String.self), try $0.decode(column: "live", as: Int.self)) }
        if let current = pool.overflowNumber?.e164, members.contains(where: { $0.0 == current }) { return current }
        return members.first(where: { $0.1 == 0 })?.0
    }
}

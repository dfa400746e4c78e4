import DCEDomain
import Foundation
import SQLKit

/// An account's number pools: stored, listed, changed and removed by their Invoca
/// identity (network, advertiser, campaign, `id_from_network`), or found by their key.
public struct RingPoolStore: Sendable {
    let database: any Database

    public init(database: any Database) { self.database = database }

    /// Creates the pool, or replaces the one with the same `id_from_network` in the
    /// network (the interface is idempotent). Either way the pool is (re)allocated.
    /// Returns the stored pool and whether it was new.
    public func save(_ pool: RingPool, accountID: AccountID) async throws -> (RingPool, created: Bool) {
        let now = Timestamp.now().millisecondsSince1970
        return try await database.write { sql in
            let existing = try await sql.raw("""
                SELECT id FROM ring_pools WHERE account_id = \(bind: accountID.rawValue)
                  AND network_id = \(bind: pool.scope.networkID) AND id_from_network = \(bind: pool.idFromNetwork)
                """).first()
            let center = try pool.localCenter.map { try Self.json(StoredLocalCenter($0)) }
            let preferences = try pool.localPreferences.map { try Self.json(StoredPreferences($0)) }
            let whitelist = try Self.json(pool.tnPrefixWhitelist)
            let row = try await sql.raw("""
                INSERT INTO ring_pools (account_id, pool_key, network_id, advertiser_id, campaign_id, id_from_network, name,
                    destination_url, destination_type, destination_phone_number, lifetime_seconds, max_pool_size, preferred,
                    allow_overflow, local_center, local_preferences, tn_prefix_whitelist, allocation_state, allocation_note,
                    allocate_after, created_at, updated_at)
                VALUES (\(bind: accountID.rawValue), \(bind: "rp_" + Token.random(length: 24)), \(bind: pool.scope.networkID),
                    \(bind: pool.scope.advertiserID), \(bind: pool.scope.campaignID), \(bind: pool.idFromNetwork), \(bind: pool.name),
                    \(bind: pool.destinationURL), \(bind: pool.destinationType), \(bind: pool.destinationPhoneNumber?.e164),
                    \(bind: Int64(pool.lifetimeSeconds)), \(bind: Int64(pool.maxPoolSize)), \(bind: Int64(pool.preferred ? 1 : 0)),
                    \(bind: Int64(pool.allowOverflow ? 1 : 0)), \(bind: center), \(bind: preferences), \(bind: whitelist),
                    'pending', NULL, \(bind: now), \(bind: now), \(bind: now))
                ON CONFLICT (account_id, network_id, id_from_network) DO UPDATE SET
                    advertiser_id = EXCLUDED.advertiser_id, campaign_id = EXCLUDED.campaign_id, name = EXCLUDED.name,
                    destination_url = EXCLUDED.destination_url, destination_type = EXCLUDED.destination_type,
                    destination_phone_number = EXCLUDED.destination_phone_number, lifetime_seconds = EXCLUDED.lifetime_seconds,
                    max_pool_size = EXCLUDED.max_pool_size, preferred = EXCLUDED.preferred, allow_overflow = EXCLUDED.allow_overflow,
                    local_center = EXCLUDED.local_center, local_preferences = EXCLUDED.local_preferences,
                    tn_prefix_whitelist = EXCLUDED.tn_prefix_whitelist, allocation_state = 'pending', allocation_note = NULL,
                    allocate_after = EXCLUDED.allocate_after, updated_at = EXCLUDED.updated_at
                RETURNING *
                """).first()
            guard let row else { throw RingPoolStoreError.notSaved(pool.idFromNetwork) }
            return (try Self.decode(row), existing == nil)
        }
    }

    /// The pools under one advertiser campaign, oldest first.
    public func pools(in scope: RingPool.Scope, accountID: AccountID) async throws -> [RingPool] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM ring_pools WHERE account_id = \(bind: accountID.rawValue) AND network_id = \(bind: scope.networkID)
                  AND advertiser_id = \(bind: scope.advertiserID) AND campaign_id = \(bind: scope.campaignID)
                ORDER BY id
                """).all().map(Self.decode)
        }
    }

    /// Every pool of the account, or of every account when `accountID` is nil (metrics).
    public func allPools(accountID: AccountID?) async throws -> [(AccountID, RingPool)] {
        try await database.read { sql in
            let scope: SQLQueryString = accountID.map { "WHERE account_id = \(bind: $0.rawValue)" } ?? ""
            return try await sql.raw("SELECT * FROM ring_pools \(scope) ORDER BY id").all().map { row in
                (AccountID(rawValue: try row.decode(column: "account_id", as: String.self)), try Self.decode(row))
            }
        }
    }

    public func pool(_ idFromNetwork: String, in scope: RingPool.Scope, accountID: AccountID) async throws -> RingPool? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM ring_pools WHERE account_id = \(bind: accountID.rawValue) AND network_id = \(bind: scope.networkID)
                  AND advertiser_id = \(bind: scope.advertiserID) AND campaign_id = \(bind: scope.campaignID)
                  AND id_from_network = \(bind: idFromNetwork)
                """).first().map(Self.decode)
        }
    }

    /// The pool with this `id_from_network` anywhere in the network (it is unique there).
    public func pool(network networkID: String, idFromNetwork: String, accountID: AccountID) async throws -> RingPool? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM ring_pools WHERE account_id = \(bind: accountID.rawValue) AND network_id = \(bind: networkID)
                  AND id_from_network = \(bind: idFromNetwork)
                """).first().map(Self.decode)
        }
    }

    /// The pool a web page names by its key, with the account that owns it.
    public func pool(key: String) async throws -> (AccountID, RingPool)? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM ring_pools WHERE pool_key = \(bind: key)").first().map { row in
                (AccountID(rawValue: try row.decode(column: "account_id", as: String.self)), try Self.decode(row))
            }
        }
    }

    /// Removes the pool; its numbers go back to the unassigned inventory, free (their leases
    /// go with the pool). Returns whether it existed.
    @discardableResult
    public func delete(_ idFromNetwork: String, in scope: RingPool.Scope, accountID: AccountID) async throws -> Bool {
        try await database.write { sql in
            guard let row = try await sql.raw("""
                DELETE FROM ring_pools WHERE account_id = \(bind: accountID.rawValue) AND network_id = \(bind: scope.networkID)
                  AND advertiser_id = \(bind: scope.advertiserID) AND campaign_id = \(bind: scope.campaignID)
                  AND id_from_network = \(bind: idFromNetwork)
                RETURNING pool_key
                """).first() else { return false }
            let key = try row.decode(column: "pool_key", as: String.self)
            let now = Timestamp.now().millisecondsSince1970
            try await sql.raw("""
                UPDATE tracking_numbers SET pool_id = NULL, updated_at = \(bind: now), free_since = COALESCE(free_since, \(bind: now))
                WHERE account_id = \(bind: accountID.rawValue) AND pool_id = \(bind: key)
                """).run()
            return true
        }
    }

    /// Size, live leases, misses and leases so far of each pool, by pool id.
    public func statistics(of pools: [RingPool], accountID: AccountID, now: Timestamp = .now()) async throws -> [Int64: PoolStatistics] {
        guard !pools.isEmpty else { return [:] }
        return try await database.read { sql in
            var result: [Int64: PoolStatistics] = [:]
            for pool in pools {
                let row = try await sql.raw("""
                    SELECT
                      (SELECT COUNT(*) FROM tracking_numbers WHERE account_id = \(bind: accountID.rawValue) AND pool_id = \(bind: pool.key)) AS size,
                      (SELECT COUNT(*) FROM pool_leases WHERE pool_id = \(bind: pool.id) AND released_at IS NULL
                         AND expires_at > \(bind: now.millisecondsSince1970)) AS leased,
                      (SELECT COUNT(*) FROM pool_leases WHERE pool_id = \(bind: pool.id)) AS leases,
                      (SELECT misses FROM ring_pools WHERE id = \(bind: pool.id)) AS misses
                    """).first()
                guard let row else { continue }
                result[pool.id] = PoolStatistics(
                    size: try row.decode(column: "size", as: Int.self),
                    leased: try row.decode(column: "leased", as: Int.self),
                    misses: try row.decode(column: "misses", as: Int?.self) ?? 0,
                    leases: try row.decode(column: "leases", as: Int.self),
                    reserved: pool.allowOverflow && pool.overflowNumber != nil ? 1 : 0
                )
            }
            return result
        }
    }

    // MARK: - Rows

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder.ledger.encode(value), as: UTF8.self)
    }

    static func decode(_ row: any SQLRow) throws -> RingPool {
        func flag(_ column: String) throws -> Bool { try row.decode(column: column, as: Int64.self) != 0 }
        let center = try row.decode(column: "local_center", as: String?.self)
            .flatMap { try JSONDecoder().decode(StoredLocalCenter.self, from: Data($0.utf8)).center }
        let preferences = try row.decode(column: "local_preferences", as: String?.self)
            .map { try JSONDecoder().decode(StoredPreferences.self, from: Data($0.utf8)).preferences }
        let whitelist = try JSONDecoder().decode([String].self, from: Data(try row.decode(column: "tn_prefix_whitelist", as: String.self).utf8))
        return RingPool(
            id: try row.decode(column: "id", as: Int64.self),
            key: try row.decode(column: "pool_key", as: String.self),
            scope: RingPool.Scope(
                networkID: try row.decode(column: "network_id", as: String.self),
                advertiserID: try row.decode(column: "advertiser_id", as: String.self),
                campaignID: try row.decode(column: "campaign_id", as: String.self)
            ),
            idFromNetwork: try row.decode(column: "id_from_network", as: String.self),
            name: try row.decode(column: "name", as: String?.self),
            destinationURL: try row.decode(column: "destination_url", as: String?.self),
            destinationType: try row.decode(column: "destination_type", as: String?.self),
            destinationPhoneNumber: try row.decode(column: "destination_phone_number", as: String?.self).map { try PhoneNumber(parsing: $0) },
            lifetimeSeconds: try row.decode(column: "lifetime_seconds", as: Int.self),
            maxPoolSize: try row.decode(column: "max_pool_size", as: Int.self),
            preferred: try flag("preferred"),
            allowOverflow: try flag("allow_overflow"),
            localCenter: center,
            localPreferences: preferences,
            tnPrefixWhitelist: whitelist,
            allocationState: RingPool.AllocationState(rawValue: try row.decode(column: "allocation_state", as: String.self)) ?? .pending,
            allocationNote: try row.decode(column: "allocation_note", as: String?.self),
            overflowNumber: try row.decode(column: "overflow_number", as: String?.self).map { try PhoneNumber(parsing: $0) },
            createdAt: Timestamp(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Timestamp(millisecondsSince1970: try row.decode(column: "updated_at", as: Int64.self))
        )
    }
}

public enum RingPoolStoreError: Error, CustomStringConvertible {
    case notSaved(String)
    public var description: String {
        switch self {
        case .notSaved(let id): "the pool '\(id)' could not be saved; retry the request"
        }
    }
}

/// `local_center` as stored: Invoca's own keys.
struct StoredLocalCenter: Codable {
    var tn_prefix: String?
    var zipcode: String?
    var latitude: Double?
    var longitude: Double?

    init(_ center: LocalCenter) {
        switch center {
        case .tnPrefix(let p): tn_prefix = p
        case .zipcode(let z): zipcode = z
        case .coordinate(let point): latitude = point.latitude; longitude = point.longitude
        }
    }

    var center: LocalCenter? {
        if let latitude, let longitude { return .coordinate(GeoPoint(latitude: latitude, longitude: longitude)) }
        if let tn_prefix { return .tnPrefix(tn_prefix) }
        return zipcode.map(LocalCenter.zipcode)
    }
}

/// `local_number_preferences` as stored: Invoca's own keys.
struct StoredPreferences: Codable {
    var search_radius_miles: Int
    var restrict_to_state: Bool
    var allocation_fallback_strategy: String

    init(_ preferences: LocalNumberPreferences) {
        search_radius_miles = preferences.searchRadiusMiles
        restrict_to_state = preferences.restrictToState
        allocation_fallback_strategy = preferences.allocationFallbackStrategy.rawValue
    }

    var preferences: LocalNumberPreferences {
        LocalNumberPreferences(
            searchRadiusMiles: search_radius_miles, restrictToState: restrict_to_state,
            allocationFallbackStrategy: .init(rawValue: allocation_fallback_strategy) ?? .useTollFree
        )
    }
}

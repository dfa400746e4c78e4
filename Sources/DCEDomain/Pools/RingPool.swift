/// A pool of tracking numbers leased to website visitors, with Invoca's RingPool
/// properties. A pool's numbers are the inventory numbers whose `pool_id` is its key.
public struct RingPool: Hashable, Sendable {
    /// Where the pool sits in Invoca's resource path.
    public struct Scope: Hashable, Sendable {
        public let networkID: String
        public let advertiserID: String
        public let campaignID: String
        public init(networkID: String, advertiserID: String, campaignID: String) {
            self.networkID = networkID
            self.advertiserID = advertiserID
            self.campaignID = campaignID
        }
    }

    /// How far the pool's allocation from the inventory has come.
    public enum AllocationState: String, Sendable, CaseIterable {
        /// Waiting for the allocator to run.
        case pending
        /// Filled to `max_pool_size`, or as far as the inventory allowed with toll-free fallback.
        case allocated
        /// Not filled, and the fallback is `Wait`: tried again as inventory arrives.
        case waiting
    }

    public var id: Int64
    public var key: String
    public var scope: Scope
    public var idFromNetwork: String
    public var name: String?
    public var destinationURL: String?
    public var destinationType: String?
    public var destinationPhoneNumber: PhoneNumber?
    public var lifetimeSeconds: Int
    public var maxPoolSize: Int
    public var preferred: Bool
    public var allowOverflow: Bool
    public var localCenter: LocalCenter?
    public var localPreferences: LocalNumberPreferences?
    public var tnPrefixWhitelist: [String]
    public var allocationState: AllocationState
    public var allocationNote: String?
    /// With `allowOverflow`, the pool number kept back for visitors who find it full.
    public var overflowNumber: PhoneNumber?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: Int64, key: String, scope: Scope, idFromNetwork: String, name: String? = nil,
        destinationURL: String? = nil, destinationType: String? = nil, destinationPhoneNumber: PhoneNumber? = nil,
        lifetimeSeconds: Int = LeasePolicy.defaultLifetimeSeconds, maxPoolSize: Int = LeasePolicy.defaultMaxPoolSize,
        preferred: Bool = false, allowOverflow: Bool = false, localCenter: LocalCenter? = nil,
        localPreferences: LocalNumberPreferences? = nil, tnPrefixWhitelist: [String] = [],
        allocationState: AllocationState = .pending, allocationNote: String? = nil, overflowNumber: PhoneNumber? = nil,
        createdAt: Timestamp, updatedAt: Timestamp
    ) {
        self.id = id
        self.key = key
        self.scope = scope
        self.idFromNetwork = idFromNetwork
        self.name = name
        self.destinationURL = destinationURL
        self.destinationType = destinationType
        self.destinationPhoneNumber = destinationPhoneNumber
        self.lifetimeSeconds = lifetimeSeconds
        self.maxPoolSize = maxPoolSize
        self.preferred = preferred
        self.allowOverflow = allowOverflow
        self.localCenter = localCenter
        self.localPreferences = localPreferences
        self.tnPrefixWhitelist = tnPrefixWhitelist
        self.allocationState = allocationState
        self.allocationNote = allocationNote
        self.overflowNumber = overflowNumber
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var isLocal: Bool { localCenter != nil }
    public var leasePolicy: LeasePolicy { LeasePolicy(lifetimeSeconds: lifetimeSeconds) }
}

/// How full a pool is right now.
public struct PoolStatistics: Hashable, Sendable {
    public var size: Int
    public var leased: Int
    public var misses: Int
    public var leases: Int
    /// Numbers in the pool that are never leased: the overflow number.
    public var reserved: Int
    /// Numbers a visitor could be given now.
    public var free: Int { max(0, size - leased - reserved) }

    public init(size: Int, leased: Int, misses: Int, leases: Int, reserved: Int = 0) {
        self.size = size
        self.leased = leased
        self.misses = misses
        self.leases = leases
        self.reserved = reserved
    }
}

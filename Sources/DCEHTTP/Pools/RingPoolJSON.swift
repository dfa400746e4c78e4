import DCEDomain
import Foundation
import HTTPTypes
import Hummingbird

/// A RingPool as Invoca's GET shows it (every property of seed 004 and of Invoca's
/// developer docs, "RingPools", absent values as null), with dce's additions: allocation
/// state and live counts. `api_key` and `ring_pool_key` are both the key pages lease with.
struct RingPoolJSON: Encodable, Sendable {
    let pool: RingPool
    let statistics: PoolStatistics?
    let objectURL: String

    init(pool: RingPool, statistics: PoolStatistics?, request: Request, context: AppRequestContext) {
        self.pool = pool
        self.statistics = statistics
        let base = RequestOrigin.of(request)
        let version = context.parameters.get("version") ?? "2020-10-01"
        let scope = pool.scope
        self.objectURL = "\(base)/api/\(version)/\(scope.networkID)/advertisers/\(scope.advertiserID)/advertiser_campaigns/\(scope.campaignID)/ring_pools/\(pool.idFromNetwork).json"
    }

    enum CodingKeys: String, CodingKey {
        case id, id_from_network, name, destination_url, destination_type, object_url, lifetime_seconds, max_pool_size
        case preferred, destination_phone_number, local_center, local_number_preferences, tn_prefix_whitelist, allow_overflow
        case api_key, fill_immediately, customer_phone_numbers, default_customer_phone_number
        case ring_pool_key, allocation_state, allocation_note, overflow_number, size, leased, free, misses, leases
        case created_at, updated_at
    }

    struct Center: Encodable {
        let tn_prefix: String
        let zipcode: String
        let latitude: Double?
        let longitude: Double?
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(tn_prefix, forKey: .tn_prefix)
            try c.encode(zipcode, forKey: .zipcode)
            try c.encode(latitude, forKey: .latitude)
            try c.encode(longitude, forKey: .longitude)
        }
        enum CodingKeys: String, CodingKey { case tn_prefix, zipcode, latitude, longitude }
    }

    /// Both spellings of the state restriction: seed 004's and Invoca's current docs'.
    struct Preferences: Encodable {
        let search_radius_miles: Int
        let restrict_to_state: Bool
        let restrict_search_to_state: Bool
        let allocation_fallback_strategy: String
    }

    /// A destination (Invoca's "customer phone number") linked to the pool. dce keeps no
    /// JS tags, so `js_tag` is null.
    struct CustomerPhoneNumber: Encodable {
        let destination_phone_number: String
        let js_tag: String?
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(destination_phone_number, forKey: .destination_phone_number)
            try c.encode(js_tag, forKey: .js_tag)
        }
        enum CodingKeys: String, CodingKey { case destination_phone_number, js_tag }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pool.id, forKey: .id)
        try c.encode(pool.idFromNetwork, forKey: .id_from_network)
        try c.encode(pool.name, forKey: .name)
        try c.encode(pool.destinationURL, forKey: .destination_url)
        try c.encode(pool.destinationType, forKey: .destination_type)
        try c.encode(objectURL, forKey: .object_url)
        try c.encode(pool.lifetimeSeconds, forKey: .lifetime_seconds)
        try c.encode(pool.maxPoolSize, forKey: .max_pool_size)
        try c.encode(pool.preferred, forKey: .preferred)
        try c.encode(pool.destinationPhoneNumber, forKey: .destination_phone_number)
        let center = pool.localCenter.map { center -> Center in
            let f = center.fields
            return Center(tn_prefix: f.tnPrefix, zipcode: f.zipcode, latitude: f.latitude, longitude: f.longitude)
        }
        try c.encode(center, forKey: .local_center)
        // A local pool shows the preferences it runs with, defaults included.
        let preferences = pool.localPreferences ?? (pool.isLocal ? LocalNumberPreferences() : nil)
        try c.encode(preferences.map {
            Preferences(search_radius_miles: $0.searchRadiusMiles, restrict_to_state: $0.restrictToState,
                        restrict_search_to_state: $0.restrictToState, allocation_fallback_strategy: $0.allocationFallbackStrategy.rawValue)
        }, forKey: .local_number_preferences)
        try c.encode(pool.tnPrefixWhitelist, forKey: .tn_prefix_whitelist)
        try c.encode(pool.allowOverflow, forKey: .allow_overflow)
        try c.encode(pool.key, forKey: .api_key)
        // dce fills every pool to max_pool_size at once.
        try c.encode(true, forKey: .fill_immediately)
        // The destination number, written as Invoca's GET writes it (`8005551216`).
        let destination = pool.destinationPhoneNumber.map { CustomerPhoneNumber(destination_phone_number: NumberFormats.plain($0), js_tag: nil) }
        try c.encode(destination.map { [$0] } ?? [], forKey: .customer_phone_numbers)
        try c.encode(destination, forKey: .default_customer_phone_number)
        try c.encode(pool.key, forKey: .ring_pool_key)
        try c.encode(pool.allocationState.rawValue, forKey: .allocation_state)
        try c.encode(pool.allocationNote, forKey: .allocation_note)
        try c.encode(pool.overflowNumber, forKey: .overflow_number)
        try c.encode(statistics?.size ?? 0, forKey: .size)
        try c.encode(statistics?.leased ?? 0, forKey: .leased)
        try c.encode(statistics?.free ?? 0, forKey: .free)
        try c.encode(statistics?.misses ?? 0, forKey: .misses)
        try c.encode(statistics?.leases ?? 0, forKey: .leases)
        try c.encode(pool.createdAt, forKey: .created_at)
        try c.encode(pool.updatedAt, forKey: .updated_at)
    }
}

/// `http://host:port` as the client reached dce, for absolute URLs in answers.
enum RequestOrigin {
    static func of(_ request: Request) -> String {
        let host = request.head.authority ?? "127.0.0.1"
        let forwarded = request.headers[HTTPField.Name("X-Forwarded-Proto")!]
        let scheme = forwarded ?? request.head.scheme ?? "http"
        return "\(scheme)://\(host)"
    }
}

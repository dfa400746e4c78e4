import DCEStorage
import Hummingbird
import Synchronization

/// A token bucket per caller: each holds up to `burst` tokens, refilled at `rate` per
/// second; a request takes one. A caller with an empty bucket is told how long to wait.
final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let rate: Double
    let burst: Double
    private let buckets = Mutex<[String: Bucket]>([:])
    /// Buckets kept before idle ones are dropped; a full bucket carries no state.
    private let pruneAbove = 100_000

    init(rate: Double, burst: Int) {
        self.rate = rate
        self.burst = Double(max(1, burst))
    }

    /// nil when admitted; else the whole seconds to wait before one token is back.
    func admit(_ caller: String, now: ContinuousClock.Instant = .now) -> Int? {
        guard rate > 0 else { return nil }
        return buckets.withLock { buckets in
            if buckets.count > pruneAbove { prune(&buckets, now: now) }
            var bucket = buckets[caller] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + max(0, seconds) * rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[caller] = bucket
                return nil
            }
            buckets[caller] = bucket
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }

    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let refill = Duration.seconds(burst / rate)
        buckets = buckets.filter { now - $0.value.updated < refill }
    }

    /// Throws 429 with `Retry-After` when `caller` is over its rate.
    func check(_ caller: String) throws {
        if let wait = admit(caller) { throw APIError.rateLimited(retryAfter: wait) }
    }
}

/// Rate-limits `/v1` requests per API key, after the key is known to be valid; signed
/// native deliveries count against their integration.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let key = PresentedKey.from(request) {
            // The key's visible prefix names it without keeping the secret in memory.
            try limiter.check(APIKeyFormat.prefix(of: key).map { "key:\($0)" } ?? "account:\(context.accountID?.rawValue ?? "")")
        } else if let account = context.accountID {
            try limiter.check("account:\(account.rawValue)")
        }
        return try await next(request, context)
    }
}

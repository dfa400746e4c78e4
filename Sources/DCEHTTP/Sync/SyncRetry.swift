import DCEDomain
import DCEStorage
import DCEVendors
import Foundation
import Synchronization

/// How hard a sync tries: the numbers of the retry, timeout and breaker rules, with the
/// jitter as a function so that a test can state the exact delays.
public struct SyncPolicy: Sendable {
    /// Tries of one request before the run fails.
    public var tries = 5
    public var backoffBase: Duration = .milliseconds(500)
    public var backoffCap: Duration = .seconds(30)
    public var requestTimeout: Duration = .seconds(30)
    /// The longest `Retry-After` waited for; a vendor asking more fails the run, which the
    /// schedule retries later.
    public var longestRetryAfter: Duration = .seconds(900)
    /// Consecutive failed runs before the breaker opens.
    public var breakerThreshold = 5
    public var breakerBase: Duration = .seconds(60)
    public var breakerCap: Duration = .seconds(3600)
    /// A scheduled run starts this far before the cursor, so that rows the vendor wrote
    /// late are still seen (pulling them again changes nothing).
    public var overlap: Duration = .seconds(600)
    /// How far back the first scheduled run of an integration starts.
    public var firstLookback: Duration = .seconds(86400)
    /// A lease outlives its holder by this much when the holder dies; renewed on every
    /// request.
    public var lease: Duration = .seconds(300)
    /// Full jitter: a delay drawn uniformly from zero to the computed one.
    public var jitter: @Sendable (Duration) -> Duration = { bound in
        bound * Double.random(in: 0...1)
    }

    public init() {}

    public static let standard = SyncPolicy()
}

/// The waits between tries, as pure functions.
public enum SyncBackoff {
    /// The bound of the wait before try `attempt + 1` (attempt 1 is the first retry):
    /// base·2^(attempt-1), at most `cap`.
    public static func bound(attempt: Int, base: Duration, cap: Duration) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let grown = base * Double(1 << exponent)
        return min(grown, cap)
    }

    /// A `Retry-After` value: delay-seconds or an HTTP date (RFC 9110 §10.2.3), as a wait
    /// from `now`; nil when it is neither. A date in the past is no wait.
    public static func retryAfter(_ value: String, now: Timestamp) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            guard text.count <= 9, let seconds = Int64(text) else { return .seconds(Int64(999_999_999)) }
            return .seconds(seconds)
        }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) {
                let milliseconds = Timestamp(date).millisecondsSince1970 - now.millisecondsSince1970
                return .milliseconds(max(milliseconds, 0))
            }
        }
        return nil
    }
}

/// What a vendor's answer means for the request that got it.
public enum SyncAnswer: Equatable, Sendable {
    case page
    /// Try again after the usual backoff, or after the vendor's `Retry-After`.
    case retry(after: Duration?)
    /// The token (or key) was refused: renew it once and try again.
    case renewToken
    /// A refusal trying again cannot change.
    case refused

    public static func of(_ response: PullResponse, now: Timestamp) -> SyncAnswer {
        switch response.status {
        case 200..<300: .page
        case 401, 403: .renewToken
        case 408, 425, 429, 500..<600:
            .retry(after: response.headers["retry-after"].flatMap { SyncBackoff.retryAfter($0, now: now) })
        default: .refused
        }
    }
}

/// The circuit breaker of an integration, kept in its sync state: after
/// `breakerThreshold` consecutive failed runs it opens for base·2^n (at most the cap),
/// then lets one run probe (half-open), and closes when a run succeeds.
public enum SyncBreaker {
    public enum Admission: Equatable, Sendable {
        case run
        /// The breaker's time is up: this run is the probe.
        case probe
        case refused(until: Timestamp)
    }

    public static func admission(_ state: SyncState, now: Timestamp) -> Admission {
        switch state.breaker {
        case .closed: return .run
        case .halfOpen: return .probe
        case .open:
            if let until = state.breakerUntil, now < until { return .refused(until: until) }
            return .probe
        }
    }

    /// The state after a failed run.
    public static func failed(_ state: SyncState, now: Timestamp, policy: SyncPolicy) -> SyncState {
        var state = state
        state.failures += 1
        let probeFailed = state.breaker != .closed
        if probeFailed || state.failures >= policy.breakerThreshold {
            let opened = max(state.failures - policy.breakerThreshold, 0)
            let wait = SyncBackoff.bound(attempt: opened + 1, base: policy.breakerBase, cap: policy.breakerCap)
            state.breaker = .open
            state.breakerUntil = now.adding(milliseconds: wait.milliseconds)
        }
        return state
    }

    /// The state after a successful run.
    public static func succeeded(_ state: SyncState) -> SyncState {
        var state = state
        state.failures = 0
        state.breaker = .closed
        state.breakerUntil = nil
        return state
    }
}

/// Spaces requests to stay within a vendor's published budget (`PullRateLimit`): each
/// request is given a slot no earlier than `seconds` after the request `count` before it.
/// Slots are computed, not polled, so an injected sleep that does not pass time still
/// spaces them.
public final class SyncRateGate: Sendable {
    private let limit: PullRateLimit?
    private let slots = Mutex<[Int64]>([])

    public init(_ limit: PullRateLimit?) { self.limit = limit }

    /// How long to wait before sending at `now`.
    public func wait(now: Timestamp) -> Duration {
        guard let limit, limit.count > 0, limit.seconds > 0 else { return .zero }
        return slots.withLock { slots in
            let nowMS = now.millisecondsSince1970
            var slot = nowMS
            if slots.count >= limit.count {
                slot = max(nowMS, slots[slots.count - limit.count] + Int64(limit.seconds) * 1000)
            }
            slots.append(slot)
            if slots.count > limit.count { slots.removeFirst(slots.count - limit.count) }
            return .milliseconds(slot - nowMS)
        }
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

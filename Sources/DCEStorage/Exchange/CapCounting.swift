import DCEDomain
import Foundation
import SQLKit
import Synchronization

/// Fills `RoutingUsage` at the moment of routing, inside the routing transaction, so the
/// counts and the attempt that follows them are one atomic step.
///
/// Each period is the one containing the call's time on the owner's clock (a target's or
/// a buyer's time zone). An attempt counts in the period it started in, for every metric:
/// a call connected or converted today after being routed yesterday counts for
/// yesterday, the day it was sold. The counts are kept as they change (`cap_counters`,
/// see `record`), so routing reads a few rows however many calls an owner has had; live
/// calls are counted from the attempts still open. Attempts stored before the counters
/// are counted from their own rows, as they always were.
enum CapCounting {
    /// How long an answered attempt that never reported its end still counts as live: a
    /// carrier's lost callback must not block a target's concurrency forever.
    static let liveWindowMilliseconds: Int64 = 4 * 3_600_000
    /// How long an attempt that was never answered counts as live: the longest ring a target
    /// may ask for and a minute for the carrier's callback. A lost "no answer" frees the line
    /// then, not hours later.
    static let ringingWindowMilliseconds: Int64 = Int64(RoutingPlan.ringTimeouts.upperBound + 60) * 1000

    /// The attempts that are live at `time`: not ended, and answered within the live window
    /// or started within the ringing window.
    static func live(at time: Timestamp) -> SQLQueryString {
        let liveSince = time.millisecondsSince1970 &- liveWindowMilliseconds
        let ringingSince = time.millisecondsSince1970 &- ringingWindowMilliseconds
        return """
            ended_at IS NULL AND started_at >= \(bind: liveSince) \
            AND (connected_at IS NOT NULL OR started_at >= \(bind: ringingSince))
            """
    }

    static func usage(
        for plan: RoutingPlan, accountID: AccountID, caller: PhoneNumber?, at time: Timestamp, uncounted: UncountedAttempts,
        on sql: any SQLDatabase
    ) async throws -> RoutingUsage {
        let withUncounted = try await uncounted.exist(on: sql)
        var usage = RoutingUsage()
        let capped = plan.targets.filter { !$0.caps.isEmpty }
        for (zone, targets) in Dictionary(grouping: capped, by: \.timeZone) {
            let counted = try await counts(
                owner: .target, ids: targets.map(\.id.rawValue), caps: targets.map(\.caps), zone: zone,
                accountID: accountID, at: time, withUncounted: withUncounted, on: sql)
            for (id, counts) in counted { usage.targets[TargetID(rawValue: id)] = counts }
        }
        let cappedBuyers = plan.buyers.filter { !$0.caps.isEmpty }
        for (zone, buyers) in Dictionary(grouping: cappedBuyers, by: \.timeZone) {
            let counted = try await counts(
                owner: .buyer, ids: buyers.map(\.id.rawValue), caps: buyers.map(\.caps), zone: zone,
                accountID: accountID, at: time, withUncounted: withUncounted, on: sql)
            for (id, counts) in counted { usage.buyers[BuyerID(rawValue: id)] = counts }
        }
        if let caller {
            usage.callerHistory = try await history(of: caller, buyers: plan.buyers, accountID: accountID, at: time, on: sql)
        }
        return usage
    }

    /// The first instant of the hour, day and month containing a time on an owner's clock:
    /// the periods an attempt starting then is counted in.
    struct PeriodStarts: Hashable, Sendable {
        var hour: Int64?
        var day: Int64?
        var month: Int64?

        init(hour: Int64?, day: Int64?, month: Int64?) {
            self.hour = hour
            self.day = day
            self.month = month
        }

        init(at time: Timestamp, in zone: IANATimeZone) {
            func start(_ period: CapPeriod) -> Int64? { period.interval(containing: time, in: zone)?.lowerBound.millisecondsSince1970 }
            self.init(hour: start(.hour), day: start(.day), month: start(.month))
        }

        /// Each period with its start; `total` starts at 0.
        var periods: [(CapPeriod, Int64)] {
            [(.hour, hour), (.day, day), (.month, month)].compactMap { period, start in start.map { (period, $0) } } + [(.total, 0)]
        }
    }

    /// Adds `delta` (1, or -1 when a late duration takes a conversion back) to `metric` of
    /// each owner, in the periods of its attempt. In the routing transaction, under the
    /// account's lock on PostgreSQL.
    static func record(
        _ delta: Int, _ metric: CapMetric, owners: [(id: String, starts: PeriodStarts)], accountID: AccountID, on sql: any SQLDatabase
    ) async throws {
        var rows: [SQLQueryString] = []
        for (id, starts) in owners {
            for (period, start) in starts.periods {
                rows.append("""
                    (\(bind: accountID.rawValue), \(bind: id), \(bind: metric.rawValue), \(bind: period.rawValue), \(bind: start), \(bind: Int64(delta)))
                    """)
            }
        }
        guard !rows.isEmpty else { return }
        try await sql.raw("""
            INSERT INTO cap_counters (account_id, owner_id, metric, period, period_start, count)
            VALUES \(SQLList(rows, separator: SQLRaw(", ")))
            ON CONFLICT (account_id, owner_id, metric, period, period_start) DO UPDATE SET count = cap_counters.count + excluded.count
            """).run()
    }

    enum Owner {
        case target, buyer

        var column: String {
            switch self {
            case .target: "target_id"
            case .buyer: "buyer_id"
            }
        }
    }

    /// Each owner's counts in the current periods: its counters, its live calls, and what
    /// attempts stored before the counters add.
    static func counts(
        owner: Owner, ids: [String], caps: [Caps], zone: IANATimeZone, accountID: AccountID, at time: Timestamp,
        withUncounted: Bool, on sql: any SQLDatabase
    ) async throws -> [String: CapCounts] {
        guard !ids.isEmpty else { return [:] }
        var result = withUncounted
            ? try await uncounted(owner: owner, ids: ids, caps: caps, zone: zone, accountID: accountID, at: time, on: sql) : [:]
        let starts = PeriodStarts(at: time, in: zone).periods
        let current = SQLList(starts.map { period, start -> SQLQueryString in
            "(period = \(bind: period.rawValue) AND period_start = \(bind: start))"
        }, separator: SQLRaw(" OR "))
        let counters = try await sql.raw("""
            SELECT owner_id, metric, period, count FROM cap_counters
            WHERE account_id = \(bind: accountID.rawValue) AND owner_id IN (\(binds: ids)) AND (\(current))
            """).all()
        for row in counters {
            let id = try row.decode(column: "owner_id", as: String.self)
            guard let metric = CapMetric(rawValue: try row.decode(column: "metric", as: String.self)),
                  let period = CapPeriod(rawValue: try row.decode(column: "period", as: String.self)) else { continue }
            let count = try row.decode(column: "count", as: Int.self)
            var counts = result[id] ?? .zero
            switch metric {
            case .routed: counts.routed.add(count, in: period)
            case .connected: counts.connected.add(count, in: period)
            case .converted: counts.converted.add(count, in: period)
            }
            result[id] = counts
        }
        // Live calls are read only where a concurrency cap needs them.
        guard caps.contains(where: { $0.concurrency != nil }) else { return result }
        let live = try await sql.raw("""
            SELECT \(unsafeRaw: owner.column) AS owner, \(count(owner, "1 = 1", as: "live"))
            FROM route_attempts
            WHERE account_id = \(bind: accountID.rawValue) AND \(unsafeRaw: owner.column) IN (\(binds: ids))
              AND \(Self.live(at: time)) AND counted = 1
            GROUP BY \(unsafeRaw: owner.column)
            """).all()
        for row in live {
            let id = try row.decode(column: "owner", as: String.self)
            result[id, default: .zero].live += try row.decode(column: "live", as: Int.self)
        }
        return result
    }

    /// What attempts stored before the counters (`counted = 0`) add, counted from their rows.
    /// A buyer's call that rang two of its targets in turn is one call to the buyer, so
    /// buyers count distinct routes.
    static func uncounted(
        owner: Owner, ids: [String], caps: [Caps], zone: IANATimeZone, accountID: AccountID, at time: Timestamp, on sql: any SQLDatabase
    ) async throws -> [String: CapCounts] {
        guard !ids.isEmpty else { return [:] }
        let liveSince = time.millisecondsSince1970 &- liveWindowMilliseconds
        var periods: [(CapPeriod, Range<Timestamp>)] = []
        for period in [CapPeriod.hour, .day, .month] {
            if let interval = period.interval(containing: time, in: zone) { periods.append((period, interval)) }
        }
        // Without a total cap nothing older than the current month (or the live window) counts.
        let needsTotal = caps.contains { $0.limits.contains { $0.period == .total } }
        var scope: SQLQueryString = ""
        if !needsTotal {
            let earliest = periods.map(\.1.lowerBound.millisecondsSince1970).min() ?? time.millisecondsSince1970
            scope = " AND started_at >= \(bind: min(earliest, liveSince))"
        }
        let conditions: [(CapMetric, SQLQueryString)] = [
            (.routed, "1 = 1"), (.connected, "connected_at IS NOT NULL"), (.converted, "converted_at IS NOT NULL"),
        ]
        var columns: [SQLQueryString] = []
        for (metric, condition) in conditions {
            for (period, interval) in periods {
                columns.append(count(owner, """
                    \(condition) AND started_at >= \(bind: interval.lowerBound.millisecondsSince1970) \
                    AND started_at < \(bind: interval.upperBound.millisecondsSince1970)
                    """, as: "\(metric.rawValue)_\(period.rawValue)"))
            }
            columns.append(count(owner, condition, as: "\(metric.rawValue)_total"))
        }
        columns.append(count(owner, Self.live(at: time), as: "live"))
        let rows = try await sql.raw("""
            SELECT \(unsafeRaw: owner.column) AS owner, \(SQLList(columns, separator: SQLRaw(", ")))
            FROM route_attempts
            WHERE account_id = \(bind: accountID.rawValue) AND \(unsafeRaw: owner.column) IN (\(binds: ids)) AND counted = 0\(scope)
            GROUP BY \(unsafeRaw: owner.column)
            """).all()
        var result: [String: CapCounts] = [:]
        for row in rows {
            func periodCounts(_ metric: CapMetric) throws -> PeriodCounts {
                func column(_ name: String) throws -> Int { try row.decodeNil(column: name) ? 0 : try row.decode(column: name, as: Int.self) }
                return PeriodCounts(
                    hour: try column("\(metric.rawValue)_hour"), day: try column("\(metric.rawValue)_day"),
                    month: try column("\(metric.rawValue)_month"), total: try column("\(metric.rawValue)_total"))
            }
            result[try row.decode(column: "owner", as: String.self)] = CapCounts(
                routed: try periodCounts(.routed), connected: try periodCounts(.connected),
                converted: try periodCounts(.converted), live: try row.decode(column: "live", as: Int.self))
        }
        return result
    }

    private static func count(_ owner: Owner, _ condition: SQLQueryString, as name: String) -> SQLQueryString {
        switch owner {
        case .target: "SUM(CASE WHEN \(condition) THEN 1 ELSE 0 END) AS \(unsafeRaw: name)"
        case .buyer: "COUNT(DISTINCT CASE WHEN \(condition) THEN route_id END) AS \(unsafeRaw: name)"
        }
    }

    /// When the caller last reached each buyer with a duplicate window, inside the longest window.
    static func history(
        of caller: PhoneNumber, buyers: [RoutingBuyer], accountID: AccountID, at time: Timestamp, on sql: any SQLDatabase
    ) async throws -> [BuyerID: [Timestamp]] {
        let windowed = buyers.filter { $0.duplicateWindowDays > 0 }
        guard let longest = windowed.map(\.duplicateWindowDays).max() else { return [:] }
        // Windows are at most 3650 days (validated), far from overflowing.
        let since = time.millisecondsSince1970 &- Int64(longest) * 86_400_000
        let rows = try await sql.raw("""
            SELECT buyer_id, connected_at FROM route_attempts
            WHERE account_id = \(bind: accountID.rawValue) AND caller = \(bind: caller.e164)
              AND buyer_id IN (\(binds: windowed.map(\.id.rawValue))) AND connected_at IS NOT NULL AND connected_at > \(bind: since)
            """).all()
        var history: [BuyerID: [Timestamp]] = [:]
        for row in rows {
            let buyer = BuyerID(rawValue: try row.decode(column: "buyer_id", as: String.self))
            history[buyer, default: []].append(Timestamp(millisecondsSince1970: try row.decode(column: "connected_at", as: Int64.self)))
        }
        return history
    }
}

/// Whether the database holds attempts stored before the counters, which are counted from
/// their rows. Every attempt stored since is counted, so once a check finds none there will
/// never be any: the answer is then kept, and routing skips their queries.
final class UncountedAttempts: Sendable {
    private let noneLeft = Mutex(false)

    func exist(on sql: any SQLDatabase) async throws -> Bool {
        if noneLeft.withLock({ $0 }) { return false }
        let found = try await sql.raw("SELECT 1 AS found FROM route_attempts WHERE counted = 0 LIMIT 1").first() != nil
        if !found { noneLeft.withLock { $0 = true } }
        return found
    }
}

extension PeriodCounts {
    /// Adds a counter's value to the period it is for.
    mutating func add(_ count: Int, in period: CapPeriod) {
        switch period {
        case .hour: hour += count
        case .day: day += count
        case .month: month += count
        case .total: total += count
        }
    }
}

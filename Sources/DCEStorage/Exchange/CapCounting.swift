import DCEDomain
import Foundation
import SQLKit

/// Fills `RoutingUsage` from `route_attempts` at the moment of routing, inside the routing
/// transaction, so the counts and the attempt that follows them are one atomic step.
///
/// Each period is the one containing the call's time on the owner's clock (a target's or
/// a buyer's time zone). An attempt counts in the period it started in, for every metric:
/// a call connected or converted today after being routed yesterday counts for
/// yesterday, the day it was sold. Owners sharing a time zone are counted in one query.
enum CapCounting {
    /// How long an attempt that never reported its end still counts as live: a carrier's
    /// lost callback must not block a target's concurrency forever.
    static let liveWindowMilliseconds: Int64 = 4 * 3_600_000

    static func usage(
        for plan: RoutingPlan, accountID: AccountID, caller: PhoneNumber?, at time: Timestamp, on sql: any SQLDatabase
    ) async throws -> RoutingUsage {
        var usage = RoutingUsage()
        let capped = plan.targets.filter { !$0.caps.isEmpty }
        for (zone, targets) in Dictionary(grouping: capped, by: \.timeZone) {
            let counted = try await counts(
                owner: .target, ids: targets.map(\.id.rawValue), caps: targets.map(\.caps), zone: zone,
                accountID: accountID, at: time, on: sql)
            for (id, counts) in counted { usage.targets[TargetID(rawValue: id)] = counts }
        }
        let cappedBuyers = plan.buyers.filter { !$0.caps.isEmpty }
        for (zone, buyers) in Dictionary(grouping: cappedBuyers, by: \.timeZone) {
            let counted = try await counts(
                owner: .buyer, ids: buyers.map(\.id.rawValue), caps: buyers.map(\.caps), zone: zone,
                accountID: accountID, at: time, on: sql)
            for (id, counts) in counted { usage.buyers[BuyerID(rawValue: id)] = counts }
        }
        if let caller {
            usage.callerHistory = try await history(of: caller, buyers: plan.buyers, accountID: accountID, at: time, on: sql)
        }
        return usage
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

    /// One row per owner with its counts in each current period. A buyer's call that rang
    /// two of its targets in turn is one call to the buyer, so buyers count distinct routes.
    static func counts(
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
        columns.append(count(owner, "ended_at IS NULL AND started_at >= \(bind: liveSince)", as: "live"))
        let rows = try await sql.raw("""
            SELECT \(unsafeRaw: owner.column) AS owner, \(SQLList(columns, separator: SQLRaw(", ")))
            FROM route_attempts
            WHERE account_id = \(bind: accountID.rawValue) AND \(unsafeRaw: owner.column) IN (\(binds: ids))\(scope)
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

import Foundation

/// Which calls a cap counts.
public enum CapMetric: String, Hashable, Sendable, Codable, CaseIterable {
    case routed, connected, converted
}

/// The span a cap counts over, on the wall clock of the target (or buyer) it belongs to.
public enum CapPeriod: String, Hashable, Sendable, Codable, CaseIterable {
    case hour, day, month, total

    /// The interval of this period that contains `time` on `timeZone`'s clock; `nil` for
    /// `total`, which never resets. Calendar arithmetic makes a DST day 23 or 25 hours
    /// long and the repeated autumn hour two distinct hours.
    public func interval(containing time: Timestamp, in timeZone: IANATimeZone) -> Range<Timestamp>? {
        let component: Calendar.Component
        switch self {
        case .hour: component = .hour
        case .day: component = .day
        case .month: component = .month
        case .total: return nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone.zone
        guard let interval = calendar.dateInterval(of: component, for: time.date) else { return nil }
        return Timestamp(interval.start)..<Timestamp(interval.end)
    }
}

/// At most `limit` calls of `metric` in each `period`.
public struct CapLimit: Hashable, Sendable, Codable {
    public var metric: CapMetric
    public var period: CapPeriod
    public var limit: Int

    public init(_ metric: CapMetric, per period: CapPeriod, limit: Int) {
        self.metric = metric
        self.period = period
        self.limit = limit
    }
}

/// A target's or a buyer's limits: counted calls per period, and live calls at once.
public struct Caps: Hashable, Sendable, Codable {
    public var limits: [CapLimit]
    /// At most this many calls ringing or connected at once; `nil`: no limit.
    public var concurrency: Int?

    public init(_ limits: [CapLimit] = [], concurrency: Int? = nil) {
        self.limits = limits
        self.concurrency = concurrency
    }

    public var isEmpty: Bool { limits.isEmpty && concurrency == nil }

    static let maximumLimits = 3 * 4 * 4

    func validate(field: String) throws(RoutingPlanError) {
        guard limits.count <= Self.maximumLimits else { throw RoutingPlanError(field: "\(field).limits", problem: .tooMany(maximum: Self.maximumLimits)) }
        for (index, cap) in limits.enumerated() where cap.limit < 0 {
            throw RoutingPlanError(field: "\(field).limits[\(index)].limit", problem: .negativeCap)
        }
        if let concurrency, concurrency < 0 { throw RoutingPlanError(field: "\(field).concurrency", problem: .negativeCap) }
    }

    /// The first limit the counts have reached, in the order hour, day, month, total (the
    /// shortest first, as it is the one that frees up soonest), or concurrency last.
    func reached(by counts: CapCounts) -> CapBreach? {
        for period in CapPeriod.allCases {
            for cap in limits where cap.period == period && counts[cap.metric, period] >= cap.limit {
                return .period(period)
            }
        }
        if let concurrency, counts.live >= concurrency { return .concurrency }
        return nil
    }
}

enum CapBreach: Hashable, Sendable {
    case period(CapPeriod)
    case concurrency
}

/// Calls counted in each current period. The storage layer fills these at the moment of
/// routing, in the owner's time zone (see `CapPeriod.interval(containing:in:)`).
public struct PeriodCounts: Hashable, Sendable, Codable {
    public var hour: Int
    public var day: Int
    public var month: Int
    public var total: Int

    public init(hour: Int = 0, day: Int = 0, month: Int = 0, total: Int = 0) {
        self.hour = hour
        self.day = day
        self.month = month
        self.total = total
    }

    public subscript(period: CapPeriod) -> Int {
        switch period {
        case .hour: hour
        case .day: day
        case .month: month
        case .total: total
        }
    }
}

/// What a target or buyer has used so far: counted calls by metric, and live calls.
public struct CapCounts: Hashable, Sendable, Codable {
    public var routed: PeriodCounts
    public var connected: PeriodCounts
    public var converted: PeriodCounts
    public var live: Int

    public static let zero = CapCounts()

    public init(routed: PeriodCounts = .init(), connected: PeriodCounts = .init(), converted: PeriodCounts = .init(), live: Int = 0) {
        self.routed = routed
        self.connected = connected
        self.converted = converted
        self.live = live
    }

    public subscript(metric: CapMetric, period: CapPeriod) -> Int {
        switch metric {
        case .routed: routed[period]
        case .connected: connected[period]
        case .converted: converted[period]
        }
    }
}

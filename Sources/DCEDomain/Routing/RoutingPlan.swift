/// A campaign's routing: its targets, the buyers behind them, and what a call gets when
/// none takes it. Only a valid plan can be built, so routing itself cannot fail.
public struct RoutingPlan: Hashable, Sendable, Codable {
    public static let maximumTargets = 1000
    public static let maximumIDLength = 128
    public static let priorities = 0...1000
    public static let weights = 0...1_000_000
    public static let ringTimeouts = 1...600
    public static let duplicateWindows = 0...3650

    public let targets: [RoutingTarget]
    public let buyers: [RoutingBuyer]
    public let fallback: RoutingFallback
    let buyersByID: [BuyerID: RoutingBuyer]

    /// Checks every rule whose breach would otherwise only show while a call rings, and
    /// names the first offending field.
    public init(targets: [RoutingTarget], buyers: [RoutingBuyer], fallback: RoutingFallback) throws(RoutingPlanError) {
        guard targets.count <= Self.maximumTargets else { throw RoutingPlanError(field: "targets", problem: .tooMany(maximum: Self.maximumTargets)) }
        guard buyers.count <= Self.maximumTargets else { throw RoutingPlanError(field: "buyers", problem: .tooMany(maximum: Self.maximumTargets)) }
        var buyersByID: [BuyerID: RoutingBuyer] = [:]
        for (index, buyer) in buyers.enumerated() {
            let field = "buyers[\(index)]"
            try Self.checkID(buyer.id.rawValue, field: "\(field).id")
            guard buyersByID[buyer.id] == nil else { throw RoutingPlanError(field: "\(field).id", problem: .duplicateID(buyer.id.rawValue)) }
            try buyer.caps.validate(field: "\(field).caps")
            try Self.check(buyer.duplicateWindowDays, in: Self.duplicateWindows, field: "\(field).duplicate_window_days")
            buyersByID[buyer.id] = buyer
        }
        var targetIDs: Set<TargetID> = []
        for (index, target) in targets.enumerated() {
            let field = "targets[\(index)]"
            try Self.checkID(target.id.rawValue, field: "\(field).id")
            guard targetIDs.insert(target.id).inserted else { throw RoutingPlanError(field: "\(field).id", problem: .duplicateID(target.id.rawValue)) }
            guard buyersByID[target.buyer] != nil else { throw RoutingPlanError(field: "\(field).buyer", problem: .unknownBuyer(target.buyer.rawValue)) }
            try Self.check(target.priority, in: Self.priorities, field: "\(field).priority")
            try Self.check(target.weight, in: Self.weights, field: "\(field).weight")
            try Self.check(target.ringTimeoutSeconds, in: Self.ringTimeouts, field: "\(field).ring_timeout_seconds")
            try target.hours?.validate(field: "\(field).hours")
            guard target.filters.count <= 100 else { throw RoutingPlanError(field: "\(field).filters", problem: .tooMany(maximum: 100)) }
            try target.caps.validate(field: "\(field).caps")
        }
        // A priority whose targets all weigh 0 could never split a call among them.
        var firstOfPriority: [Int: Int] = [:]
        var weighted: Set<Int> = []
        for (index, target) in targets.enumerated() {
            if firstOfPriority[target.priority] == nil { firstOfPriority[target.priority] = index }
            if target.weight > 0 { weighted.insert(target.priority) }
        }
        if let unweighted = firstOfPriority.filter({ !weighted.contains($0.key) }).min(by: { $0.value < $1.value }) {
            throw RoutingPlanError(field: "targets[\(unweighted.value)].weight", problem: .everyWeightZero(priority: unweighted.key))
        }
        self.targets = targets
        self.buyers = buyers
        self.fallback = fallback
        self.buyersByID = buyersByID
    }

    public func buyer(_ id: BuyerID) -> RoutingBuyer? { buyersByID[id] }

    private static func checkID(_ id: String, field: String) throws(RoutingPlanError) {
        guard !id.isEmpty else { throw RoutingPlanError(field: field, problem: .required) }
        guard id.utf8.count <= maximumIDLength else { throw RoutingPlanError(field: field, problem: .tooLong(maximum: maximumIDLength)) }
    }

    private static func check(_ value: Int, in range: ClosedRange<Int>, field: String) throws(RoutingPlanError) {
        guard range.contains(value) else { throw RoutingPlanError(field: field, problem: .outOfRange(range)) }
    }

    // MARK: - Coding (a stored plan is checked again as it is read)

    enum CodingKeys: String, CodingKey { case targets, buyers, fallback }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            targets: try container.decode([RoutingTarget].self, forKey: .targets),
            buyers: try container.decode([RoutingBuyer].self, forKey: .buyers),
            fallback: try container.decode(RoutingFallback.self, forKey: .fallback))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(targets, forKey: .targets)
        try container.encode(buyers, forKey: .buyers)
        try container.encode(fallback, forKey: .fallback)
    }

    public static func == (lhs: RoutingPlan, rhs: RoutingPlan) -> Bool {
        lhs.targets == rhs.targets && lhs.buyers == rhs.buyers && lhs.fallback == rhs.fallback
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(targets)
        hasher.combine(buyers)
        hasher.combine(fallback)
    }
}

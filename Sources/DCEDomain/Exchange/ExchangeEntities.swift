import Foundation

public struct CampaignID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }
public struct PublisherID: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }

/// The four kinds of thing an operator sets up to run an exchange. Their ids start with a
/// prefix of their own (`cmp_…`), so an id pasted in the wrong place is caught at once.
public enum ExchangeKind: String, Hashable, Sendable, Codable, CaseIterable {
    case campaign, publisher, buyer, target

    public var idPrefix: String {
        switch self {
        case .campaign: "cmp_"
        case .publisher: "pub_"
        case .buyer: "buy_"
        case .target: "tgt_"
        }
    }

    /// The path segment of its API (`/v1/campaigns`).
    public var plural: String { rawValue + "s" }
}

/// The ids a vendor gives the same thing (Ringba's `publisherId`, Retreaver's `afid`), per
/// vendor source: a call a vendor reports under one of them lands under the dce entity.
public struct ExternalIDs: Hashable, Sendable, Codable {
    public static let maximumVendors = 16
    public static let maximumPerVendor = 50
    public static let maximumLength = 128

    public var byVendor: [String: [String]]

    public init(_ byVendor: [String: [String]] = [:]) { self.byVendor = byVendor }

    public var isEmpty: Bool { byVendor.values.allSatisfy(\.isEmpty) }

    /// Every (vendor, id) pair, sorted, so a stored listing is stable.
    public var pairs: [(vendor: String, id: String)] {
        byVendor.keys.sorted().flatMap { vendor in Set(byVendor[vendor] ?? []).sorted().map { (vendor: vendor, id: $0) } }
    }

    public init(from decoder: any Decoder) throws {
        byVendor = try decoder.singleValueContainer().decode([String: [String]].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(byVendor)
    }

    func validate(field: String) throws(RoutingPlanError) {
        guard byVendor.count <= Self.maximumVendors else { throw RoutingPlanError(field: field, problem: .tooMany(maximum: Self.maximumVendors)) }
        for vendor in byVendor.keys.sorted() {
            let path = "\(field).\(vendor.prefix(32))"
            guard !vendor.isEmpty, vendor.utf8.count <= 32,
                  vendor.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
            else { throw RoutingPlanError(field: path, problem: .invalidVendor) }
            let ids = byVendor[vendor] ?? []
            guard ids.count <= Self.maximumPerVendor else { throw RoutingPlanError(field: path, problem: .tooMany(maximum: Self.maximumPerVendor)) }
            for (index, id) in ids.enumerated() {
                try ExchangeText.check(id, field: "\(path)[\(index)]", maximum: Self.maximumLength)
            }
        }
    }
}

enum ExchangeText {
    static let maximumNameLength = 200

    static func check(_ text: String, field: String, maximum: Int) throws(RoutingPlanError) {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw RoutingPlanError(field: field, problem: .required) }
        guard text.utf8.count <= maximum else { throw RoutingPlanError(field: field, problem: .tooLong(maximum: maximum)) }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw RoutingPlanError(field: field, problem: .controlCharacter)
        }
    }
}

/// When a buyer counts a call as converted, and what it pays for one.
public struct ConversionRule: Hashable, Sendable, Codable {
    public static let seconds = 0...86_400
    /// Connected seconds a call needs to convert (Ringba's and Retreaver's "call length").
    public var minimumSeconds: Int
    /// What the buyer pays for a converted call.
    public var revenue: Money

    public init(minimumSeconds: Int, revenue: Money) {
        self.minimumSeconds = minimumSeconds
        self.revenue = revenue
    }

    enum CodingKeys: String, CodingKey {
        case minimumSeconds = "min_seconds", revenue
    }

    func validate(field: String) throws(RoutingPlanError) {
        guard Self.seconds.contains(minimumSeconds) else { throw RoutingPlanError(field: "\(field).min_seconds", problem: .outOfRange(Self.seconds)) }
        guard revenue >= .zero else { throw RoutingPlanError(field: "\(field).revenue", problem: .negativeAmount) }
    }
}

/// When a publisher earns for a call, and how much: a fixed amount or a share of the
/// buyer's revenue.
public struct PayoutRule: Hashable, Sendable, Codable {
    public enum Amount: Hashable, Sendable {
        case fixed(Money)
        /// Percent of the call's revenue, 0 to 100.
        case revenueShare(percent: Int)
    }

    public var minimumSeconds: Int
    public var amount: Amount

    public init(minimumSeconds: Int, amount: Amount) {
        self.minimumSeconds = minimumSeconds
        self.amount = amount
    }

    enum CodingKeys: String, CodingKey {
        case minimumSeconds = "min_seconds", fixed
        case revenueShare = "revenue_share_percent"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        minimumSeconds = try container.decode(Int.self, forKey: .minimumSeconds)
        let fixed = try container.decodeIfPresent(Money.self, forKey: .fixed)
        let share = try container.decodeIfPresent(Int.self, forKey: .revenueShare)
        switch (fixed, share) {
        case (let money?, nil): amount = .fixed(money)
        case (nil, let percent?): amount = .revenueShare(percent: percent)
        default:
            throw DecodingError.dataCorruptedError(forKey: .fixed, in: container, debugDescription: "give exactly one of fixed and revenue_share_percent")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(minimumSeconds, forKey: .minimumSeconds)
        switch amount {
        case .fixed(let money): try container.encode(money, forKey: .fixed)
        case .revenueShare(let percent): try container.encode(percent, forKey: .revenueShare)
        }
    }

    func validate(field: String) throws(RoutingPlanError) {
        guard ConversionRule.seconds.contains(minimumSeconds) else { throw RoutingPlanError(field: "\(field).min_seconds", problem: .outOfRange(ConversionRule.seconds)) }
        switch amount {
        case .fixed(let money):
            guard money >= .zero else { throw RoutingPlanError(field: "\(field).fixed", problem: .negativeAmount) }
        case .revenueShare(let percent):
            guard (0...100).contains(percent) else { throw RoutingPlanError(field: "\(field).revenue_share_percent", problem: .outOfRange(0...100)) }
        }
    }
}

/// A buyer (advertiser): who pays for calls, its caps over all its targets, and its
/// duplicate-caller window.
public struct BuyerSpec: Hashable, Sendable, Codable {
    public var name: String
    public var timeZone: IANATimeZone
    public var conversion: ConversionRule
    public var caps: Caps
    public var duplicateWindowDays: Int
    public var externalIDs: ExternalIDs

    public init(name: String, timeZone: IANATimeZone = .utc, conversion: ConversionRule, caps: Caps = Caps(),
                duplicateWindowDays: Int = 0, externalIDs: ExternalIDs = ExternalIDs()) {
        self.name = name
        self.timeZone = timeZone
        self.conversion = conversion
        self.caps = caps
        self.duplicateWindowDays = duplicateWindowDays
        self.externalIDs = externalIDs
    }

    enum CodingKeys: String, CodingKey {
        case name, conversion, caps
        case timeZone = "time_zone", duplicateWindowDays = "duplicate_window_days", externalIDs = "external_ids"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        timeZone = try c.decodeIfPresent(IANATimeZone.self, forKey: .timeZone) ?? .utc
        conversion = try c.decode(ConversionRule.self, forKey: .conversion)
        caps = try c.decodeIfPresent(Caps.self, forKey: .caps) ?? Caps()
        duplicateWindowDays = try c.decodeIfPresent(Int.self, forKey: .duplicateWindowDays) ?? 0
        externalIDs = try c.decodeIfPresent(ExternalIDs.self, forKey: .externalIDs) ?? ExternalIDs()
    }

    public func validate() throws(RoutingPlanError) {
        try ExchangeText.check(name, field: "name", maximum: ExchangeText.maximumNameLength)
        try conversion.validate(field: "conversion")
        try caps.validate(field: "caps")
        guard RoutingPlan.duplicateWindows.contains(duplicateWindowDays) else {
            throw RoutingPlanError(field: "duplicate_window_days", problem: .outOfRange(RoutingPlan.duplicateWindows))
        }
        try externalIDs.validate(field: "external_ids")
    }
}

/// One destination of a buyer and the rules that decide whether a call may go there.
/// Its place in a campaign's order (priority, weight) belongs to the campaign.
public struct TargetSpec: Hashable, Sendable, Codable {
    public var name: String
    public var buyerID: BuyerID
    public var destination: RouteDestination
    public var timeZone: IANATimeZone
    public var hours: [HoursWindow]?
    public var filters: [RoutingFilter]
    public var caps: Caps
    public var ringTimeoutSeconds: Int
    public var externalIDs: ExternalIDs

    public init(name: String, buyerID: BuyerID, destination: RouteDestination, timeZone: IANATimeZone = .utc,
                hours: [HoursWindow]? = nil, filters: [RoutingFilter] = [], caps: Caps = Caps(),
                ringTimeoutSeconds: Int = RoutingTarget.defaultRingTimeoutSeconds, externalIDs: ExternalIDs = ExternalIDs()) {
        self.name = name
        self.buyerID = buyerID
        self.destination = destination
        self.timeZone = timeZone
        self.hours = hours
        self.filters = filters
        self.caps = caps
        self.ringTimeoutSeconds = ringTimeoutSeconds
        self.externalIDs = externalIDs
    }

    enum CodingKeys: String, CodingKey {
        case name, destination, hours, filters, caps
        case buyerID = "buyer_id", timeZone = "time_zone", ringTimeoutSeconds = "ring_timeout_seconds", externalIDs = "external_ids"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        buyerID = try c.decode(BuyerID.self, forKey: .buyerID)
        destination = try c.decode(RouteDestination.self, forKey: .destination)
        timeZone = try c.decodeIfPresent(IANATimeZone.self, forKey: .timeZone) ?? .utc
        hours = try c.decodeIfPresent([HoursWindow].self, forKey: .hours)
        filters = try c.decodeIfPresent([RoutingFilter].self, forKey: .filters) ?? []
        caps = try c.decodeIfPresent(Caps.self, forKey: .caps) ?? Caps()
        ringTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .ringTimeoutSeconds) ?? RoutingTarget.defaultRingTimeoutSeconds
        externalIDs = try c.decodeIfPresent(ExternalIDs.self, forKey: .externalIDs) ?? ExternalIDs()
    }

    public func validate() throws(RoutingPlanError) {
        try ExchangeText.check(name, field: "name", maximum: ExchangeText.maximumNameLength)
        try ExchangeText.check(buyerID.rawValue, field: "buyer_id", maximum: RoutingPlan.maximumIDLength)
        if let hours { try BusinessHours(hours).validate(field: "hours") }
        guard filters.count <= 100 else { throw RoutingPlanError(field: "filters", problem: .tooMany(maximum: 100)) }
        try caps.validate(field: "caps")
        guard RoutingPlan.ringTimeouts.contains(ringTimeoutSeconds) else {
            throw RoutingPlanError(field: "ring_timeout_seconds", problem: .outOfRange(RoutingPlan.ringTimeouts))
        }
        try externalIDs.validate(field: "external_ids")
    }
}

/// A publisher (affiliate, traffic source) and what it earns.
public struct PublisherSpec: Hashable, Sendable, Codable {
    public var name: String
    public var payout: PayoutRule
    public var externalIDs: ExternalIDs

    public init(name: String, payout: PayoutRule, externalIDs: ExternalIDs = ExternalIDs()) {
        self.name = name
        self.payout = payout
        self.externalIDs = externalIDs
    }

    enum CodingKeys: String, CodingKey {
        case name, payout
        case externalIDs = "external_ids"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        payout = try c.decode(PayoutRule.self, forKey: .payout)
        externalIDs = try c.decodeIfPresent(ExternalIDs.self, forKey: .externalIDs) ?? ExternalIDs()
    }

    public func validate() throws(RoutingPlanError) {
        try ExchangeText.check(name, field: "name", maximum: ExchangeText.maximumNameLength)
        try payout.validate(field: "payout")
        try externalIDs.validate(field: "external_ids")
    }
}

/// A target's place in a campaign's routing.
public struct RoutingEntry: Hashable, Sendable, Codable {
    /// The most targets one ring group dials at once: what a carrier's `<Dial>` takes.
    public static let maximumRingGroup = CampaignSpec.simultaneousRings.upperBound
    public static let maximumRingGroupLength = 64

    public var targetID: TargetID
    public var priority: Int
    public var weight: Int
    /// Targets sharing a ring group ring together: when the ringing order comes to the
    /// first of them, every one of them still eligible rings at once.
    public var ringGroup: String?

    public init(targetID: TargetID, priority: Int = 1, weight: Int = 1, ringGroup: String? = nil) {
        self.targetID = targetID
        self.priority = priority
        self.weight = weight
        self.ringGroup = ringGroup
    }

    enum CodingKeys: String, CodingKey {
        case priority, weight
        case targetID = "target_id", ringGroup = "ring_group"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        targetID = try c.decode(TargetID.self, forKey: .targetID)
        priority = try c.decodeIfPresent(Int.self, forKey: .priority) ?? 1
        weight = try c.decodeIfPresent(Int.self, forKey: .weight) ?? 1
        ringGroup = try c.decodeIfPresent(String.self, forKey: .ringGroup)
    }
}

/// A tracking number of a campaign; a static number also names the publisher whose ads
/// show it.
public struct CampaignNumber: Hashable, Sendable, Codable {
    public var number: PhoneNumber
    public var publisherID: PublisherID?

    public init(number: PhoneNumber, publisherID: PublisherID? = nil) {
        self.number = number
        self.publisherID = publisherID
    }

    enum CodingKeys: String, CodingKey {
        case number
        case publisherID = "publisher_id"
    }
}

/// Whose revenue, payout and conversion count on a campaign's calls: dce's rules, or the
/// figures a vendor reported (Ringba's conversion webhook, Retreaver's revenue/payout).
public enum FigureSource: String, Hashable, Sendable, Codable, CaseIterable {
    case dce, vendor
}

/// What a repeat caller inside the campaign's window earns and costs.
public struct DuplicatePolicy: Hashable, Sendable, Codable {
    public var payable: Bool
    public var receivable: Bool

    public init(payable: Bool = false, receivable: Bool = false) {
        self.payable = payable
        self.receivable = receivable
    }
}

/// A campaign: the numbers callers dial, the targets it routes to in order, and what a
/// call gets when none takes it.
public struct CampaignSpec: Hashable, Sendable, Codable {
    public static let maximumNumbers = 10_000
    public static let maximumPools = 100
    public static let simultaneousRings = 1...10

    public var name: String
    public var timeZone: IANATimeZone
    public var defaultPublisherID: PublisherID?
    public var numbers: [CampaignNumber]
    /// RingPool (number pool) ids whose numbers belong to the campaign.
    public var pools: [String]
    public var routing: [RoutingEntry]
    /// How many targets of the ringing order ring at once (1: one after another); a
    /// target in a ring group rings with its group instead.
    public var simultaneousRing: Int
    /// A caller who called the campaign less than this many days ago is a duplicate.
    public var duplicateWindowDays: Int
    public var duplicates: DuplicatePolicy
    public var figures: FigureSource
    public var fallback: RoutingFallback
    public var externalIDs: ExternalIDs

    public init(
        name: String, timeZone: IANATimeZone = .utc, defaultPublisherID: PublisherID? = nil, numbers: [CampaignNumber] = [],
        pools: [String] = [], routing: [RoutingEntry] = [], simultaneousRing: Int = 1, duplicateWindowDays: Int = 0,
        duplicates: DuplicatePolicy = DuplicatePolicy(), figures: FigureSource = .dce, fallback: RoutingFallback = .hangUp,
        externalIDs: ExternalIDs = ExternalIDs()
    ) {
        self.name = name
        self.timeZone = timeZone
        self.defaultPublisherID = defaultPublisherID
        self.numbers = numbers
        self.pools = pools
        self.routing = routing
        self.simultaneousRing = simultaneousRing
        self.duplicateWindowDays = duplicateWindowDays
        self.duplicates = duplicates
        self.figures = figures
        self.fallback = fallback
        self.externalIDs = externalIDs
    }

    enum CodingKeys: String, CodingKey {
        case name, numbers, pools, routing, duplicates, figures, fallback
        case timeZone = "time_zone", defaultPublisherID = "default_publisher_id", simultaneousRing = "simultaneous_ring"
        case duplicateWindowDays = "duplicate_window_days", externalIDs = "external_ids"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        timeZone = try c.decodeIfPresent(IANATimeZone.self, forKey: .timeZone) ?? .utc
        defaultPublisherID = try c.decodeIfPresent(PublisherID.self, forKey: .defaultPublisherID)
        numbers = try c.decodeIfPresent([CampaignNumber].self, forKey: .numbers) ?? []
        pools = try c.decodeIfPresent([String].self, forKey: .pools) ?? []
        routing = try c.decodeIfPresent([RoutingEntry].self, forKey: .routing) ?? []
        simultaneousRing = try c.decodeIfPresent(Int.self, forKey: .simultaneousRing) ?? 1
        duplicateWindowDays = try c.decodeIfPresent(Int.self, forKey: .duplicateWindowDays) ?? 0
        duplicates = try c.decodeIfPresent(DuplicatePolicy.self, forKey: .duplicates) ?? DuplicatePolicy()
        figures = try c.decodeIfPresent(FigureSource.self, forKey: .figures) ?? .dce
        fallback = try c.decodeIfPresent(RoutingFallback.self, forKey: .fallback) ?? .hangUp
        externalIDs = try c.decodeIfPresent(ExternalIDs.self, forKey: .externalIDs) ?? ExternalIDs()
    }

    /// Checks what can be checked without the other entities; the storage layer checks
    /// that the ids it names exist.
    public func validate() throws(RoutingPlanError) {
        try ExchangeText.check(name, field: "name", maximum: ExchangeText.maximumNameLength)
        guard numbers.count <= Self.maximumNumbers else { throw RoutingPlanError(field: "numbers", problem: .tooMany(maximum: Self.maximumNumbers)) }
        var seen: Set<PhoneNumber> = []
        for (index, entry) in numbers.enumerated() where !seen.insert(entry.number).inserted {
            throw RoutingPlanError(field: "numbers[\(index)].number", problem: .duplicateID(entry.number.e164))
        }
        guard pools.count <= Self.maximumPools else { throw RoutingPlanError(field: "pools", problem: .tooMany(maximum: Self.maximumPools)) }
        for (index, pool) in pools.enumerated() { try ExchangeText.check(pool, field: "pools[\(index)]", maximum: RoutingPlan.maximumIDLength) }
        guard routing.count <= RoutingPlan.maximumTargets else { throw RoutingPlanError(field: "routing", problem: .tooMany(maximum: RoutingPlan.maximumTargets)) }
        var targets: Set<TargetID> = []
        var firstOfPriority: [Int: Int] = [:]
        var weighted: Set<Int> = []
        var ringGroups: [String: Int] = [:]
        for (index, entry) in routing.enumerated() {
            let field = "routing[\(index)]"
            guard targets.insert(entry.targetID).inserted else { throw RoutingPlanError(field: "\(field).target_id", problem: .duplicateID(entry.targetID.rawValue)) }
            if let group = entry.ringGroup {
                try ExchangeText.check(group, field: "\(field).ring_group", maximum: RoutingEntry.maximumRingGroupLength)
                ringGroups[group, default: 0] += 1
                guard ringGroups[group, default: 0] <= RoutingEntry.maximumRingGroup else {
                    throw RoutingPlanError(field: "\(field).ring_group", problem: .tooMany(maximum: RoutingEntry.maximumRingGroup))
                }
            }
            guard RoutingPlan.priorities.contains(entry.priority) else { throw RoutingPlanError(field: "\(field).priority", problem: .outOfRange(RoutingPlan.priorities)) }
            guard RoutingPlan.weights.contains(entry.weight) else { throw RoutingPlanError(field: "\(field).weight", problem: .outOfRange(RoutingPlan.weights)) }
            if firstOfPriority[entry.priority] == nil { firstOfPriority[entry.priority] = index }
            if entry.weight > 0 { weighted.insert(entry.priority) }
        }
        if let unweighted = firstOfPriority.filter({ !weighted.contains($0.key) }).min(by: { $0.value < $1.value }) {
            throw RoutingPlanError(field: "routing[\(unweighted.value)].weight", problem: .everyWeightZero(priority: unweighted.key))
        }
        guard Self.simultaneousRings.contains(simultaneousRing) else { throw RoutingPlanError(field: "simultaneous_ring", problem: .outOfRange(Self.simultaneousRings)) }
        guard RoutingPlan.duplicateWindows.contains(duplicateWindowDays) else {
            throw RoutingPlanError(field: "duplicate_window_days", problem: .outOfRange(RoutingPlan.duplicateWindows))
        }
        try externalIDs.validate(field: "external_ids")
    }
}

/// A stored entity: its id, what the operator set, and when.
public struct ExchangeEntity<Spec: Hashable & Sendable & Codable>: Hashable, Sendable, Encodable {
    public var id: String
    public var spec: Spec
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: String, spec: Spec, createdAt: Timestamp, updatedAt: Timestamp) {
        self.id = id
        self.spec = spec
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    /// One flat object: `id`, the spec's fields, then the times.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try spec.encode(to: encoder)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

public typealias Campaign = ExchangeEntity<CampaignSpec>
public typealias Publisher = ExchangeEntity<PublisherSpec>
public typealias Buyer = ExchangeEntity<BuyerSpec>
public typealias Target = ExchangeEntity<TargetSpec>

/// Why a target did not take a call, as the codes stored with the call read:
/// `closed`, `cap_hourly`, `cap_daily`, `cap_monthly`, `cap_total`, `concurrency`,
/// `duplicate`, `filter:<field>`.
public enum SkipReason: Hashable, Sendable, Codable, CustomStringConvertible {
    case closed
    case cap(CapPeriod)
    case concurrency
    case duplicate
    case filter(field: String)

    public var code: String {
        switch self {
        case .closed: "closed"
        case .cap(.hour): "cap_hourly"
        case .cap(.day): "cap_daily"
        case .cap(.month): "cap_monthly"
        case .cap(.total): "cap_total"
        case .concurrency: "concurrency"
        case .duplicate: "duplicate"
        case .filter(let field): "filter:" + field
        }
    }

    public init?(code: String) {
        switch code {
        case "closed": self = .closed
        case "cap_hourly": self = .cap(.hour)
        case "cap_daily": self = .cap(.day)
        case "cap_monthly": self = .cap(.month)
        case "cap_total": self = .cap(.total)
        case "concurrency": self = .concurrency
        case "duplicate": self = .duplicate
        default:
            guard code.hasPrefix("filter:"), code.count > 7 else { return nil }
            self = .filter(field: String(code.dropFirst(7)))
        }
    }

    public var description: String { code }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let code = try container.decode(String.self)
        guard let reason = SkipReason(code: code) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(code.prefix(64))' is not a skip reason")
        }
        self = reason
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}

/// Whose limit stopped a target: its own, or its buyer's (which stops every target of it).
public enum LimitHolder: String, Hashable, Sendable, Codable {
    case target, buyer
}

/// One target as the decision saw it: skipped with a reason, or eligible (`reason` nil).
public struct ConsideredTarget: Hashable, Sendable, Codable {
    public var target: TargetID
    public var buyer: BuyerID
    public var reason: SkipReason?
    /// For a cap, concurrency or duplicate: whether the target's or the buyer's rule.
    public var heldBy: LimitHolder?

    public init(target: TargetID, buyer: BuyerID, reason: SkipReason? = nil, heldBy: LimitHolder? = nil) {
        self.target = target
        self.buyer = buyer
        self.reason = reason
        self.heldBy = heldBy
    }

    enum CodingKeys: String, CodingKey {
        case target, buyer, reason
        case heldBy = "held_by"
    }
}

/// A target in the order to ring: the first is the chosen one, the rest are tried in turn
/// on no-answer, busy or failure.
public struct RoutedTarget: Hashable, Sendable, Codable {
    public var target: TargetID
    public var buyer: BuyerID
    public var destination: RouteDestination
    public var ringTimeoutSeconds: Int
    /// The ring group it rings with; absent for a target outside any.
    public var ringGroup: String?

    public init(target: TargetID, buyer: BuyerID, destination: RouteDestination, ringTimeoutSeconds: Int, ringGroup: String? = nil) {
        self.target = target
        self.buyer = buyer
        self.destination = destination
        self.ringTimeoutSeconds = ringTimeoutSeconds
        self.ringGroup = ringGroup
    }

    enum CodingKeys: String, CodingKey {
        case target, buyer, destination
        case ringTimeoutSeconds = "ring_timeout_seconds", ringGroup = "ring_group"
    }
}

/// Why the call went to the fallback.
public enum FallbackReason: String, Hashable, Sendable, Codable {
    /// The plan has no targets at all.
    case noTargets = "no_targets"
    /// Every target was skipped; `considered` says why each one.
    case noEligibleTarget = "no_eligible_target"
    /// Every target of the ringing order was tried (or is capped now) and none answered.
    case targetsExhausted = "targets_exhausted"
    /// Routing failed (a campaign whose plan no longer builds, a storage error): the call
    /// still gets its campaign's fallback.
    case routingError = "routing_error"
}

/// The fallback a call was given, and why.
public struct AppliedFallback: Hashable, Sendable, Codable {
    public var action: RoutingFallback
    public var reason: FallbackReason

    public init(action: RoutingFallback, reason: FallbackReason) {
        self.action = action
        self.reason = reason
    }
}

/// Where a call goes and why, as stored with the call: every target considered (in the
/// plan's order) with its reason for being skipped, the eligible ones in ringing order,
/// and the fallback when none is eligible.
public struct RoutingDecision: Hashable, Sendable, Codable {
    public var chosen: TargetID?
    public var route: [RoutedTarget]
    public var considered: [ConsideredTarget]
    public var fallback: AppliedFallback?

    public init(route: [RoutedTarget], considered: [ConsideredTarget], fallback: AppliedFallback?) {
        self.chosen = route.first?.target
        self.route = route
        self.considered = considered
        self.fallback = fallback
    }
}

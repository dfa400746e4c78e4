/// The rules that price one call, taken from its campaign, buyer and publisher when the
/// call was routed or first attributed. Kept with the call, so an operator's later edit
/// changes the next call and never a past one.
public struct PricingRules: Hashable, Sendable, Codable {
    public var conversion: ConversionRule?
    public var payout: PayoutRule?
    public var duplicates: DuplicatePolicy
    public var figures: FigureSource
    public var duplicateWindowDays: Int

    public init(conversion: ConversionRule?, payout: PayoutRule?, duplicates: DuplicatePolicy = DuplicatePolicy(),
                figures: FigureSource = .dce, duplicateWindowDays: Int = 0) {
        self.conversion = conversion
        self.payout = payout
        self.duplicates = duplicates
        self.figures = figures
        self.duplicateWindowDays = duplicateWindowDays
    }

    enum CodingKeys: String, CodingKey {
        case conversion, payout, duplicates, figures
        case duplicateWindowDays = "duplicate_window_days"
    }
}

extension PricingRules {
    /// The rules a campaign's call is priced by: its buyer's conversion, its publisher's
    /// payout, and the campaign's duplicate policy and choice of figures.
    public init(campaign: CampaignSpec, buyer: BuyerSpec?, publisher: PublisherSpec?) {
        self.init(conversion: buyer?.conversion, payout: publisher?.payout, duplicates: campaign.duplicates,
                  figures: campaign.figures, duplicateWindowDays: campaign.duplicateWindowDays)
    }
}

/// What the ledger knows of a call when it is priced.
public struct PricedCall: Hashable, Sendable {
    public var status: CallStatus?
    /// Seconds connected to the buyer (the call's duration once answered).
    public var connectedSeconds: Int?
    /// The caller called the same campaign inside its duplicate window.
    public var isDuplicate: Bool
    public var vendorRevenue: Money?
    public var vendorPayout: Money?
    public var vendorConverted: Bool?
    public var cost: Money

    public init(status: CallStatus?, connectedSeconds: Int?, isDuplicate: Bool = false, vendorRevenue: Money? = nil,
                vendorPayout: Money? = nil, vendorConverted: Bool? = nil, cost: Money = .zero) {
        self.status = status
        self.connectedSeconds = connectedSeconds
        self.isDuplicate = isDuplicate
        self.vendorRevenue = vendorRevenue
        self.vendorPayout = vendorPayout
        self.vendorConverted = vendorConverted
        self.cost = cost
    }
}

/// One set of figures and the rule behind each.
public struct Figures: Hashable, Sendable, Codable {
    public var converted: Bool
    public var revenue: Money
    public var payable: Bool
    public var payout: Money
    /// Why `converted`/`revenue` came out as they did (`connected 95 s ≥ 90 s`).
    public var conversionRule: String
    public var payoutRule: String

    enum CodingKeys: String, CodingKey {
        case converted, revenue, payable, payout
        case conversionRule = "conversion_rule", payoutRule = "payout_rule"
    }
}

/// A call's money: dce's own figures from its rules, the vendor's where one reported them,
/// which of the two counts, and the profit of the one that counts.
public struct CallFigures: Hashable, Sendable, Codable {
    public var counted: FigureSource
    public var converted: Bool
    public var revenue: Money
    public var payable: Bool
    public var payout: Money
    public var cost: Money
    public var profit: Money
    public var duplicate: Bool
    public var dce: Figures
    public var vendor: Figures?

    /// Prices a call. Recomputed from the call's current facts whenever it is read or its
    /// events change, so a late duration converts a call that was short at first.
    public static func price(_ call: PricedCall, rules: PricingRules) -> CallFigures {
        let seconds = call.connectedSeconds ?? 0
        let connected = call.status.map(Self.connects) ?? (seconds > 0)
        var dce: Figures
        if let conversion = rules.conversion {
            let converts = connected && seconds >= conversion.minimumSeconds
            var converted = converts
            var conversionRule = converts
                ? "connected \(seconds) s ≥ \(conversion.minimumSeconds) s"
                : (connected ? "connected \(seconds) s < \(conversion.minimumSeconds) s" : "not connected")
            if converts, call.isDuplicate, !rules.duplicates.receivable {
                converted = false
                conversionRule = "duplicate caller within \(rules.duplicateWindowDays) days, not receivable"
            }
            dce = Figures(converted: converted, revenue: converted ? conversion.revenue : .zero, payable: false, payout: .zero,
                          conversionRule: conversionRule, payoutRule: "")
        } else {
            dce = Figures(converted: false, revenue: .zero, payable: false, payout: .zero, conversionRule: "no buyer", payoutRule: "")
        }
        if let payout = rules.payout {
            let qualifies = connected && seconds >= payout.minimumSeconds
            var payable = qualifies
            var payoutRule = qualifies
                ? "connected \(seconds) s ≥ \(payout.minimumSeconds) s"
                : (connected ? "connected \(seconds) s < \(payout.minimumSeconds) s" : "not connected")
            if qualifies, call.isDuplicate, !rules.duplicates.payable {
                payable = false
                payoutRule = "duplicate caller within \(rules.duplicateWindowDays) days, not payable"
            }
            dce.payable = payable
            if payable {
                switch payout.amount {
                case .fixed(let money):
                    dce.payout = money
                    payoutRule += ", fixed \(money)"
                case .revenueShare(let percent):
                    dce.payout = Money(cents: dce.revenue.cents * Int64(percent) / 100)
                    payoutRule += ", \(percent)% of revenue"
                }
            }
            dce.payoutRule = payoutRule
        } else {
            dce.payoutRule = "no publisher"
        }
        var vendor: Figures?
        if call.vendorRevenue != nil || call.vendorPayout != nil || call.vendorConverted != nil {
            let revenue = call.vendorRevenue ?? .zero
            let payout = call.vendorPayout ?? .zero
            vendor = Figures(
                converted: call.vendorConverted ?? (revenue > .zero), revenue: revenue,
                payable: payout > .zero, payout: payout, conversionRule: "reported by the vendor", payoutRule: "reported by the vendor")
        }
        let counted: FigureSource = (rules.figures == .vendor && vendor != nil) ? .vendor : .dce
        let chosen = counted == .vendor ? (vendor ?? dce) : dce
        return CallFigures(
            counted: counted, converted: chosen.converted, revenue: chosen.revenue, payable: chosen.payable, payout: chosen.payout,
            cost: call.cost, profit: chosen.revenue - chosen.payout - call.cost, duplicate: call.isDuplicate, dce: dce, vendor: vendor)
    }

    /// Whether a call in this status reached the buyer.
    static func connects(_ status: CallStatus) -> Bool {
        switch status {
        case .completed, .answered, .inProgress: true
        case .ringing, .noAnswer, .busy, .failed, .canceled, .unknown: false
        }
    }
}

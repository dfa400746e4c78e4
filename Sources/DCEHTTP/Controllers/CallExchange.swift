import DCEDomain
import DCEStorage

/// An entity a call names: its dce id and name, when the id resolves to one.
struct EntityRefJSON: Encodable, Sendable, Hashable {
    let id: String
    let name: String?
}

/// What the exchange made of one call: who it belongs to, where it was routed and why,
/// and its money with the rule behind each figure.
struct CallExchangeJSON: Encodable, Sendable {
    var campaign: EntityRefJSON?
    var publisher: EntityRefJSON?
    var buyer: EntityRefJSON?
    var target: EntityRefJSON?
    var route: RoutedCall?
    /// `route`: the rules kept when dce routed the call; `at_call_time`: a call dce did not
    /// route, priced by the revisions of its campaign, target, buyer and publisher in force
    /// when it started (or was first reported).
    var rulesTakenAt: String?
    /// The revisions behind `at_call_time`.
    var revisions: RevisionIDs?
    var figures: CallFigures?

    enum CodingKeys: String, CodingKey {
        case campaign, publisher, buyer, target, route, figures, revisions
        case rulesTakenAt = "rules"
    }
}

/// Reads a call's exchange view: its route if dce routed it (found by any of its vendor
/// ids), otherwise the dce entities its vendors' campaign, publisher and target ids resolve to.
struct CallExchange {
    let directory: ExchangeDirectory
    let desk: RouteDesk
    let ledger: Ledger

    func describe(_ call: CallRecord, vendorIDs: [(source: Source, externalCallID: String)], accountID: AccountID) async throws -> CallExchangeJSON {
        let route = try await desk.routes(of: vendorIDs, accountID: accountID).first
        let fields = call.fields
        var campaignID = route?.campaignID.rawValue
        var publisherID = route?.publisherID?.rawValue
        var targetID = route.flatMap { Self.currentTarget(of: $0, callTarget: fields.targetID) }
        if route == nil {
            campaignID = try await resolve(.campaign, fields.campaignID, source: call.source, accountID: accountID)
            publisherID = try await resolve(.publisher, fields.publisherID, source: call.source, accountID: accountID)
            targetID = try await resolve(.target, fields.targetID, source: call.source, accountID: accountID)
        }

        var rules = route?.rules
        var revisions: RevisionIDs?
        var buyerID = targetID.flatMap { id in route?.decision.route.first { $0.target.rawValue == id }?.buyer.rawValue }
        if route == nil, let campaignID, let inForce = try await directory.rulesInForce(
            campaignID: CampaignID(rawValue: campaignID), targetID: targetID.map(TargetID.init(rawValue:)),
            publisherID: publisherID.map(PublisherID.init(rawValue:)), at: fields.callStartedAt ?? call.createdAt, accountID: accountID
        ) {
            buyerID = inForce.buyerID?.rawValue
            publisherID = inForce.publisherID?.rawValue ?? publisherID
            rules = inForce.rules
            revisions = inForce.revisions
        }

        let ids = Set([campaignID, publisherID, targetID, buyerID].compactMap { $0 })
        let names = ids.isEmpty ? [:] : try await directory.names(ids: ids, accountID: accountID)
        func ref(_ id: String?) -> EntityRefJSON? { id.map { EntityRefJSON(id: $0, name: names[$0]) } }
        var isDuplicate = route?.duplicate ?? false
        if route == nil, let rules, rules.duplicateWindowDays > 0, let campaignID, let caller = fields.callerPhone {
            isDuplicate = try await calledBefore(call, caller: caller, campaignID: campaignID, days: rules.duplicateWindowDays, accountID: accountID)
        }
        let figures = rules.map { rules in
            CallFigures.price(PricedCall(
                status: fields.status, connectedSeconds: fields.durationSeconds, isDuplicate: isDuplicate,
                vendorRevenue: fields.revenue, vendorPayout: fields.payout, vendorConverted: fields.converted), rules: rules)
        }
        return CallExchangeJSON(
            campaign: ref(campaignID), publisher: ref(publisherID), buyer: ref(buyerID), target: ref(targetID), route: route,
            rulesTakenAt: rules == nil ? nil : (route == nil ? "at_call_time" : "route"), revisions: revisions, figures: figures)
    }

    /// The target the call is with: the one the call's events name if it is on the
    /// route, else the last one dialled.
    static func currentTarget(of route: RoutedCall, callTarget: String?) -> String? {
        if let callTarget, route.decision.route.contains(where: { $0.target.rawValue == callTarget }) { return callTarget }
        return route.ringing.last?.target.rawValue
    }

    /// Whether `caller` called the campaign (under any of its ids, from any vendor) within
    /// `days` before `call`: a repeat caller, as routing counts one for a call dce routes.
    private func calledBefore(_ call: CallRecord, caller: PhoneNumber, campaignID: String, days: Int, accountID: AccountID) async throws -> Bool {
        let start = call.fields.callStartedAt ?? call.createdAt
        var query = CallQuery(from: start.subtracting(seconds: Int64(days) * 86_400), to: start, callerPhone: caller, limit: 2)
        query.campaignAliases = try await directory.aliases(.campaign, id: campaignID, accountID: accountID)
        return try await ledger.calls(query, accountID: accountID).calls.contains { $0.id != call.id }
    }

    private func resolve(_ kind: ExchangeKind, _ id: String?, source: Source, accountID: AccountID) async throws -> String? {
        guard let id else { return nil }
        return try await directory.resolve(kind, vendor: source, ids: [id], accountID: accountID)[id]
    }
}

import DCEDomain
import Foundation
import SQLKit

/// How routes and their attempts are stored and read back.
extension RouteDesk {
    /// One target rung for a call.
    struct StoredAttempt: Sendable {
        var attempt: Int
        var target: TargetID
        var buyer: BuyerID
        var connectedAt: Timestamp?
        var convertedAt: Timestamp?
        var endedAt: Timestamp?
        /// The periods its target and buyer counted it in; nil for an attempt stored before
        /// the counters, which is counted from its row.
        var counted: (target: CapCounting.PeriodStarts, buyer: CapCounting.PeriodStarts)?

        /// Its target and buyer with the periods it counts in, for `CapCounting.record`.
        var owners: [(id: String, starts: CapCounting.PeriodStarts)] {
            guard let counted else { return [] }
            return [(target.rawValue, counted.target), (buyer.rawValue, counted.buyer)]
        }
    }

    /// A stored route with what following the call needs besides the answer.
    struct StoredRoute: Sendable {
        var call: RoutedCall
        var caller: PhoneNumber?
        var dialed: PhoneNumber?
        var tags: Tags
        var fallbackAction: RoutingFallback
        var simultaneousRing: Int
        var buyerRules: [String: ConversionRule]
        var attempts: [StoredAttempt]
    }

    /// Two nodes routing the same account take turns; other accounts are not held up.
    static func lock(_ accountID: AccountID, engine: DatabaseEngine, on sql: any SQLDatabase) async throws {
        guard engine == .postgres else { return }
        try await sql.raw("SELECT pg_advisory_xact_lock(7312005, hashtext(\(bind: accountID.rawValue)))").run()
    }

    static func byExternalID(_ source: Source, _ externalCallID: String) -> SQLQueryString {
        "source = \(bind: source.rawValue) AND external_call_id = \(bind: externalCallID)"
    }

    static func load(where condition: SQLQueryString, accountID: AccountID, on sql: any SQLDatabase) async throws -> RoutedCall? {
        try await loadRow(where: condition, accountID: accountID, on: sql)?.call
    }

    static func loadRow(routeID: String, accountID: AccountID, on sql: any SQLDatabase) async throws -> StoredRoute? {
        try await loadRow(where: "id = \(bind: routeID)", accountID: accountID, on: sql)
    }

    static func loadRow(where condition: SQLQueryString, accountID: AccountID, on sql: any SQLDatabase) async throws -> StoredRoute? {
        guard let row = try await sql.raw("""
            SELECT id, campaign_id, publisher_id, caller, dialed, tags, decision, rules, buyer_rules, fallback_action, fallback,
                   simultaneous_ring, duplicate
            FROM call_routes WHERE account_id = \(bind: accountID.rawValue) AND \(condition)
            """).first() else { return nil }
        let routeID = try row.decode(column: "id", as: String.self)
        let attempts = try await sql.raw("""
            SELECT attempt, target_id, buyer_id, connected_at, converted_at, ended_at, counted,
                   target_hour, target_day, target_month, buyer_hour, buyer_day, buyer_month
            FROM route_attempts
            WHERE account_id = \(bind: accountID.rawValue) AND route_id = \(bind: routeID) ORDER BY attempt
            """).all().map { attempt in
                func starts(_ owner: String) throws -> CapCounting.PeriodStarts {
                    CapCounting.PeriodStarts(
                        hour: try attempt.decode(column: "\(owner)_hour", as: Int64?.self),
                        day: try attempt.decode(column: "\(owner)_day", as: Int64?.self),
                        month: try attempt.decode(column: "\(owner)_month", as: Int64?.self))
                }
                return StoredAttempt(
                    attempt: try attempt.decode(column: "attempt", as: Int.self),
                    target: TargetID(rawValue: try attempt.decode(column: "target_id", as: String.self)),
                    buyer: BuyerID(rawValue: try attempt.decode(column: "buyer_id", as: String.self)),
                    connectedAt: try attempt.decode(column: "connected_at", as: Int64?.self).map(Timestamp.init(millisecondsSince1970:)),
                    convertedAt: try attempt.decode(column: "converted_at", as: Int64?.self).map(Timestamp.init(millisecondsSince1970:)),
                    endedAt: try attempt.decode(column: "ended_at", as: Int64?.self).map(Timestamp.init(millisecondsSince1970:)),
                    counted: try attempt.decode(column: "counted", as: Int.self) == 1 ? (try starts("target"), try starts("buyer")) : nil)
            }
        let decision = try decode(RoutingDecision.self, try row.decode(column: "decision", as: String.self))
        let ordered = Dictionary(decision.route.map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first })
        let call = RoutedCall(
            routeID: routeID,
            campaignID: CampaignID(rawValue: try row.decode(column: "campaign_id", as: String.self)),
            publisherID: try row.decode(column: "publisher_id", as: String?.self).map(PublisherID.init(rawValue:)),
            decision: decision,
            ringing: attempts.filter { $0.endedAt == nil }.compactMap { ordered[$0.target] },
            fallback: try row.decode(column: "fallback", as: String?.self).map { try decode(AppliedFallback.self, $0) },
            rules: try decode(PricingRules.self, try row.decode(column: "rules", as: String.self)),
            duplicate: try row.decode(column: "duplicate", as: Int.self) == 1)
        return StoredRoute(
            call: call,
            caller: try row.decode(column: "caller", as: String?.self).map { try PhoneNumber(parsing: $0) },
            dialed: try row.decode(column: "dialed", as: String?.self).map { try PhoneNumber(parsing: $0) },
            tags: try decode(Tags.self, try row.decode(column: "tags", as: String.self)),
            fallbackAction: try decode(RoutingFallback.self, try row.decode(column: "fallback_action", as: String.self)),
            simultaneousRing: try row.decode(column: "simultaneous_ring", as: Int.self),
            buyerRules: try decode([String: ConversionRule].self, try row.decode(column: "buyer_rules", as: String.self)),
            attempts: attempts)
    }

    static func insert(
        _ routed: RoutedCall, request: RouteRequest, accountID: AccountID, buyerRules: [String: ConversionRule],
        fallbackAction: RoutingFallback, simultaneousRing: Int, on sql: any SQLDatabase
    ) async throws {
        try await sql.raw("""
            INSERT INTO call_routes (account_id, id, source, external_call_id, campaign_id, publisher_id, caller, dialed, tags,
                                     decided_at, decision, rules, buyer_rules, fallback_action, fallback, simultaneous_ring, duplicate)
            VALUES (\(bind: accountID.rawValue), \(bind: routed.routeID), \(bind: request.source.rawValue), \(bind: request.externalCallID),
                    \(bind: routed.campaignID.rawValue), \(bind: routed.publisherID?.rawValue), \(bind: request.caller?.e164),
                    \(bind: request.dialed?.e164), \(bind: try json(request.tags)), \(bind: request.time.millisecondsSince1970),
                    \(bind: try json(routed.decision)), \(bind: try json(routed.rules)), \(bind: try json(buyerRules)),
                    \(bind: try json(fallbackAction)), \(bind: try routed.fallback.map(json)), \(bind: simultaneousRing),
                    \(bind: routed.duplicate ? 1 : 0))
            """).run()
    }

    /// Stores the attempts that ring now and counts each as routed: for its target in the
    /// periods of the target's clock, and for its buyer, on the buyer's clock, unless the
    /// route already rang that buyer (`buyersRung`): a buyer counts a call once.
    static func insertAttempts(
        _ targets: [RoutedTarget], after last: Int, routeID: String, caller: PhoneNumber?, at time: Timestamp,
        plan: RoutingPlan, buyersRung: Set<BuyerID> = [], accountID: AccountID, on sql: any SQLDatabase
    ) async throws {
        var buyersRung = buyersRung
        for (offset, target) in targets.enumerated() {
            let targetZone = plan.targets.first { $0.id == target.target }?.timeZone ?? .utc
            let buyerZone = plan.buyer(target.buyer)?.timeZone ?? .utc
            let targetStarts = CapCounting.PeriodStarts(at: time, in: targetZone)
            let buyerStarts = CapCounting.PeriodStarts(at: time, in: buyerZone)
            try await sql.raw("""
                INSERT INTO route_attempts (account_id, route_id, attempt, target_id, buyer_id, caller, started_at, counted,
                                            target_hour, target_day, target_month, buyer_hour, buyer_day, buyer_month)
                VALUES (\(bind: accountID.rawValue), \(bind: routeID), \(bind: last + offset + 1), \(bind: target.target.rawValue),
                        \(bind: target.buyer.rawValue), \(bind: caller?.e164), \(bind: time.millisecondsSince1970), 1,
                        \(bind: targetStarts.hour), \(bind: targetStarts.day), \(bind: targetStarts.month),
                        \(bind: buyerStarts.hour), \(bind: buyerStarts.day), \(bind: buyerStarts.month))
                """).run()
            var owners = [(id: target.target.rawValue, starts: targetStarts)]
            if buyersRung.insert(target.buyer).inserted { owners.append((target.buyer.rawValue, buyerStarts)) }
            try await CapCounting.record(1, .routed, owners: owners, accountID: accountID, on: sql)
        }
    }

    /// Whether the caller called the campaign within its duplicate window.
    static func calledBefore(
        _ caller: PhoneNumber?, campaign: Campaign, accountID: AccountID, at time: Timestamp, on sql: any SQLDatabase
    ) async throws -> Bool {
        guard let caller, campaign.spec.duplicateWindowDays > 0 else { return false }
        // At most 3650 days (validated).
        let since = time.subtracting(seconds: Int64(campaign.spec.duplicateWindowDays) * 86_400)
        return try await sql.raw("""
            SELECT 1 AS hit FROM call_routes
            WHERE account_id = \(bind: accountID.rawValue) AND campaign_id = \(bind: campaign.id) AND caller = \(bind: caller.e164)
              AND decided_at > \(bind: since.millisecondsSince1970)
            LIMIT 1
            """).first() != nil
    }

    /// The call's conversion rule becomes that of the buyer now taking it.
    static func reprice(for buyer: BuyerID, stored: StoredRoute, accountID: AccountID, on sql: any SQLDatabase) async throws -> PricingRules {
        var rules = stored.call.rules
        rules.conversion = stored.buyerRules[buyer.rawValue]
        guard rules != stored.call.rules else { return rules }
        try await sql.raw("""
            UPDATE call_routes SET rules = \(bind: try json(rules))
            WHERE account_id = \(bind: accountID.rawValue) AND id = \(bind: stored.call.routeID)
            """).run()
        return rules
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder.ledger.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

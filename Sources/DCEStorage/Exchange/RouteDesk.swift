import DCEDomain
import Foundation
import Logging
import SQLKit

/// A call to route: who calls, the number dialled, its tags, and where it came from.
public struct RouteRequest: Sendable {
    public var campaignID: CampaignID
    public var caller: PhoneNumber?
    public var dialed: PhoneNumber?
    public var tags: Tags
    /// Else the static number's publisher, else the campaign's default.
    public var publisherID: PublisherID?
    /// `carrier` for voice webhooks, `native` for `POST /v1/route`.
    public var source: Source
    /// The platform's call id (a carrier's CallSid): routing it again answers the stored route.
    public var externalCallID: String?
    public var time: Timestamp

    public init(
        campaignID: CampaignID, caller: PhoneNumber?, dialed: PhoneNumber? = nil, tags: Tags = Tags(),
        publisherID: PublisherID? = nil, source: Source, externalCallID: String? = nil, time: Timestamp = .now()
    ) {
        self.campaignID = campaignID
        self.caller = caller
        self.dialed = dialed
        self.tags = tags
        self.publisherID = publisherID
        self.source = source
        self.externalCallID = externalCallID
        self.time = time
    }
}

/// A routed call as stored: the decision made when it arrived, what rings now, or the
/// fallback it got.
public struct RoutedCall: Sendable, Hashable, Codable {
    /// `rte_…`
    public var routeID: String
    public var campaignID: CampaignID
    public var publisherID: PublisherID?
    /// Targets considered with reasons, the ringing order, the fallback.
    public var decision: RoutingDecision
    /// Dial these now (1 … the campaign's simultaneous ring, or a ring group); empty: the fallback.
    public var ringing: [RoutedTarget]
    public var fallback: AppliedFallback?
    /// The rules that price the call, as they were when it was routed.
    public var rules: PricingRules
    /// The caller called this campaign within its duplicate window.
    public var duplicate: Bool

    public init(
        routeID: String, campaignID: CampaignID, publisherID: PublisherID?, decision: RoutingDecision,
        ringing: [RoutedTarget], fallback: AppliedFallback?, rules: PricingRules, duplicate: Bool
    ) {
        self.routeID = routeID
        self.campaignID = campaignID
        self.publisherID = publisherID
        self.decision = decision
        self.ringing = ringing
        self.fallback = fallback
        self.rules = rules
        self.duplicate = duplicate
    }

    enum CodingKeys: String, CodingKey {
        case decision, ringing, fallback, rules, duplicate
        case routeID = "route_id", campaignID = "campaign_id", publisherID = "publisher_id"
    }
}

/// How a rung target's attempt ended without the call being answered.
public enum AttemptOutcome: String, Sendable {
    case noAnswer = "no_answer", busy, failed, canceled
}

/// Routes calls at the moment they arrive and follows each one as it rings.
///
/// The counts behind caps and concurrency, the decision and the attempt it starts are one
/// atomic step. On PostgreSQL a transaction-scoped advisory lock per account makes two dce
/// nodes take turns routing the same account's calls, so a capped buyer is never sold past
/// its cap; on SQLite the database's one writer does the same.
///
/// Concurrent calls' steps share a commit (`GroupCommitter`): each runs in its own
/// savepoint after the ones before it in the group, so each counts what they stored, and
/// a burst of calls costs one commit and one sync instead of one each. On PostgreSQL an
/// account's steps always go to the same one of a few committers, each running one group
/// at a time: a burst for one account is one group under one lock and one commit, instead
/// of several groups on several connections queueing for the account's lock and each
/// committing under it, while other accounts' calls route alongside.
public struct RouteDesk: Sendable {
    let database: any Database
    let directory: ExchangeDirectory
    let places: any CallerPlaces
    let committers: [GroupCommitter<Never, Never>]
    let uncounted = UncountedAttempts()

    /// Committers on PostgreSQL: accounts routing at once without waiting for each other.
    static let lanes = 6

    public init(database: any Database, directory: ExchangeDirectory, places: any CallerPlaces) {
        self.database = database
        self.directory = directory
        self.places = places
        committers = database.engine == .postgres
            ? (0..<Self.lanes).map { _ in GroupCommitter(database: database, oneAtATime: true) }
            : [GroupCommitter(database: database)]
    }

    /// Runs `body` as one write of a commit group of `accountID`'s lane; returns once the
    /// group is durable.
    func write<T: Sendable>(_ accountID: AccountID, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await committers[Self.lane(of: accountID, among: committers.count)].submit(body)
    }

    /// The same lane for an account on every call of this process.
    static func lane(of accountID: AccountID, among count: Int) -> Int {
        Int(UInt(bitPattern: accountID.rawValue.hashValue) % UInt(max(count, 1)))
    }

    /// Routes a call. Throws only when the campaign cannot be read (`ExchangeError.notFound`
    /// for one not in the account): any later failure, a plan that no longer builds
    /// included, gives the campaign's fallback with `routing_error` recorded.
    public func route(_ request: RouteRequest, accountID: AccountID, random: inout some RandomNumberGenerator) async throws -> RoutedCall {
        // The transaction's closure cannot hold the caller's generator: it gets a seed from it.
        let seed = random.next()
        let snapshot: ExchangeSnapshot
        do {
            guard let loaded = try await directory.snapshot(campaignID: request.campaignID, accountID: accountID) else {
                throw ExchangeError.notFound
            }
            snapshot = loaded
        } catch {
            // A call routed before its campaign was deleted or broken still has its route;
            // a new call is otherwise found stored inside the routing transaction.
            if let stored = try? await storedRoute(of: request, accountID: accountID) { return stored }
            if let error = error as? ExchangeError, error == .notFound { throw error }
            return try await fallBack(request, accountID: accountID, because: error)
        }
        do {
            return try await decide(request, snapshot: snapshot, accountID: accountID, seed: seed)
        } catch {
            return try await fallBack(request, accountID: accountID, because: error)
        }
    }

    private func decide(_ request: RouteRequest, snapshot: ExchangeSnapshot, accountID: AccountID, seed: UInt64) async throws -> RoutedCall {
        let engine = database.engine
        let places = self.places
        let uncounted = self.uncounted
        let campaign = snapshot.campaign
        let publisherID = request.publisherID
            ?? campaign.spec.numbers.first(where: { $0.number == request.dialed && request.dialed != nil })?.publisherID
            ?? campaign.spec.defaultPublisherID
        let call = RoutingCall(caller: request.caller, dialed: request.dialed, tags: request.tags, time: request.time)
        let buyerRules = snapshot.plan.buyers.reduce(into: [String: ConversionRule]()) { rules, buyer in
            rules[buyer.id.rawValue] = snapshot.buyers[buyer.id]?.spec.conversion
        }
        let routeID = Self.newRouteID()
        return try await write(accountID) { sql in
            try await Self.lock(accountID, engine: engine, on: sql)
            if let externalCallID = request.externalCallID,
               let stored = try await Self.load(where: Self.byExternalID(request.source, externalCallID), accountID: accountID, on: sql) {
                return stored
            }
            let usage = try await CapCounting.usage(
                for: snapshot.plan, accountID: accountID, caller: request.caller, at: request.time, uncounted: uncounted, on: sql)
            var random = SeededRandom(seed: seed)
            let decision = snapshot.plan.route(call, usage: usage, places: places, random: &random)
            let ringing = Self.pick(
                campaign.spec.simultaneousRing, from: decision.route, eligible: Set(decision.route.map(\.target)),
                plan: snapshot.plan, call: call, usage: usage, places: places)
            let duplicate = try await Self.calledBefore(
                request.caller, campaign: campaign, accountID: accountID, at: request.time, on: sql)
            let rules = PricingRules(
                conversion: ringing.first.flatMap { buyerRules[$0.buyer.rawValue] },
                payout: publisherID.flatMap { snapshot.publishers[$0]?.spec.payout },
                duplicates: campaign.spec.duplicates, figures: campaign.spec.figures,
                duplicateWindowDays: campaign.spec.duplicateWindowDays)
            let routed = RoutedCall(
                routeID: routeID, campaignID: request.campaignID, publisherID: publisherID, decision: decision,
                ringing: ringing, fallback: ringing.isEmpty ? decision.fallback : nil, rules: rules, duplicate: duplicate)
            try await Self.insert(
                routed, request: request, accountID: accountID, buyerRules: buyerRules,
                fallbackAction: campaign.spec.fallback, simultaneousRing: campaign.spec.simultaneousRing, on: sql)
            try await Self.insertAttempts(
                ringing, after: 0, routeID: routeID, caller: request.caller, at: request.time, plan: snapshot.plan, accountID: accountID, on: sql)
            return routed
        }
    }

    /// The campaign's fallback, recorded with why routing failed; stored like any route so
    /// the call shows it. Throws only when the campaign itself cannot be read.
    private func fallBack(_ request: RouteRequest, accountID: AccountID, because error: any Error) async throws -> RoutedCall {
        database.logger.error("routing failed; the call gets its campaign's fallback", metadata: [
            "campaign": "\(request.campaignID)", "error": "\(String(reflecting: error).prefix(300))",
        ])
        guard let campaign = try await directory.get(CampaignSpec.self, id: request.campaignID.rawValue, accountID: accountID) else {
            throw ExchangeError.notFound
        }
        let applied = AppliedFallback(action: campaign.spec.fallback, reason: .routingError)
        let routed = RoutedCall(
            routeID: Self.newRouteID(), campaignID: request.campaignID,
            publisherID: request.publisherID ?? campaign.spec.defaultPublisherID,
            decision: RoutingDecision(route: [], considered: [], fallback: applied), ringing: [], fallback: applied,
            rules: PricingRules(conversion: nil, payout: nil, duplicates: campaign.spec.duplicates, figures: campaign.spec.figures,
                                duplicateWindowDays: campaign.spec.duplicateWindowDays),
            duplicate: false)
        do {
            try await write(accountID) { sql in
                try await Self.insert(routed, request: request, accountID: accountID, buyerRules: [:], fallbackAction: campaign.spec.fallback,
                                      simultaneousRing: campaign.spec.simultaneousRing, on: sql)
            }
            return routed
        } catch {
            // The same call routed at the same moment by another request: answer that one.
            if let externalCallID = request.externalCallID,
               let stored = try? await route(source: request.source, externalCallID: externalCallID, accountID: accountID) {
                return stored
            }
            database.logger.error("a fallback route could not be stored", metadata: ["error": "\(String(reflecting: error).prefix(300))"])
            return routed
        }
    }

    /// The ringing attempt(s) ended with `outcome`: the next targets of the stored order
    /// whose caps still allow ring, or, with none left, the fallback.
    public func fallThrough(routeID: String, accountID: AccountID, outcome: AttemptOutcome, at: Timestamp) async throws -> RoutedCall {
        guard let current = try await route(id: routeID, accountID: accountID) else { throw ExchangeError.notFound }
        let snapshot: ExchangeSnapshot?
        do {
            snapshot = try await directory.snapshot(campaignID: current.campaignID, accountID: accountID)
        } catch {
            database.logger.error("a campaign's plan failed while a call fell through", metadata: ["route": "\(routeID)", "error": "\(error)"])
            snapshot = nil
        }
        let engine = database.engine
        let places = self.places
        let uncounted = self.uncounted
        return try await write(accountID) { sql in
            try await Self.lock(accountID, engine: engine, on: sql)
            guard let stored = try await Self.loadRow(routeID: routeID, accountID: accountID, on: sql) else { throw ExchangeError.notFound }
            // Already answered or already given its fallback: a late or repeated callback changes nothing.
            guard stored.call.fallback == nil, !stored.attempts.contains(where: { $0.connectedAt != nil }) else { return stored.call }
            try await sql.raw("""
                UPDATE route_attempts SET ended_at = \(bind: at.millisecondsSince1970), outcome = \(bind: outcome.rawValue)
                WHERE account_id = \(bind: accountID.rawValue) AND route_id = \(bind: routeID) AND ended_at IS NULL
                """).run()
            let tried = Set(stored.attempts.map(\.target))
            let remaining = stored.call.decision.route.filter { !tried.contains($0.target) }
            var next: [RoutedTarget] = []
            var reason = FallbackReason.targetsExhausted
            // The targets' caps, hours, filters and clocks as they are now; the order stays the stored one.
            let plan = snapshot.map { Self.plan($0.plan, narrowedTo: Set(remaining.map(\.target))) }
            if !remaining.isEmpty {
                if let plan {
                    let call = RoutingCall(caller: stored.caller, dialed: stored.dialed, tags: stored.tags, time: at)
                    let usage = try await CapCounting.usage(
                        for: plan, accountID: accountID, caller: stored.caller, at: at, uncounted: uncounted, on: sql)
                    next = Self.pick(stored.simultaneousRing, from: remaining, plan: plan, call: call, usage: usage, places: places)
                } else {
                    reason = .routingError
                }
            }
            var call = stored.call
            if next.isEmpty {
                let applied = AppliedFallback(action: stored.fallbackAction, reason: reason)
                try await sql.raw("""
                    UPDATE call_routes SET fallback = \(bind: try Self.json(applied))
                    WHERE account_id = \(bind: accountID.rawValue) AND id = \(bind: routeID)
                    """).run()
                call.fallback = applied
            } else if let plan {
                let last = stored.attempts.map(\.attempt).max() ?? 0
                try await Self.insertAttempts(
                    next, after: last, routeID: routeID, caller: stored.caller, at: at, plan: plan,
                    buyersRung: Set(stored.attempts.map(\.buyer)), accountID: accountID, on: sql)
                call.rules = try await Self.reprice(for: next[0].buyer, stored: stored, accountID: accountID, on: sql)
            }
            call.ringing = next
            return call
        }
    }

    /// The call was answered: by `target` when the carrier says which, else by the first
    /// target ringing. Others still ringing are cancelled.
    public func connected(routeID: String, accountID: AccountID, at: Timestamp, target: TargetID? = nil) async throws {
        let engine = database.engine
        try await write(accountID) { sql in
            // Counters change under the account's lock, as routing reads them: nodes never
            // update an account's counter rows in opposite orders.
            try await Self.lock(accountID, engine: engine, on: sql)
            guard let stored = try await Self.loadRow(routeID: routeID, accountID: accountID, on: sql) else { throw ExchangeError.notFound }
            let open = stored.attempts.filter { $0.endedAt == nil }
            guard !open.contains(where: { $0.connectedAt != nil }),
                  let answered = open.first(where: { target == nil || $0.target == target }) else { return }
            try await sql.raw("""
                UPDATE route_attempts SET connected_at = \(bind: at.millisecondsSince1970)
                WHERE account_id = \(bind: accountID.rawValue) AND route_id = \(bind: routeID) AND attempt = \(bind: answered.attempt)
                """).run()
            // One attempt of a route connects, so its buyer counts the call once.
            try await CapCounting.record(1, .connected, owners: answered.owners, accountID: accountID, on: sql)
            try await sql.raw("""
                UPDATE route_attempts SET ended_at = \(bind: at.millisecondsSince1970), outcome = \(bind: AttemptOutcome.canceled.rawValue)
                WHERE account_id = \(bind: accountID.rawValue) AND route_id = \(bind: routeID) AND ended_at IS NULL
                  AND attempt <> \(bind: answered.attempt)
                """).run()
            _ = try await Self.reprice(for: answered.buyer, stored: stored, accountID: accountID, on: sql)
        }
    }

    /// The call ended. The answered attempt converts when it lasted the buyer's minimum
    /// seconds (`durationSeconds`, else the time since it connected); a later call with a
    /// duration (a late status callback) decides again.
    public func ended(routeID: String, accountID: AccountID, at: Timestamp, durationSeconds: Int?) async throws {
        let engine = database.engine
        try await write(accountID) { sql in
            // Counters change under the account's lock, as routing reads them: nodes never
            // update an account's counter rows in opposite orders.
            try await Self.lock(accountID, engine: engine, on: sql)
            guard let stored = try await Self.loadRow(routeID: routeID, accountID: accountID, on: sql) else { throw ExchangeError.notFound }
            if let answered = stored.attempts.first(where: { $0.connectedAt != nil }), let connectedAt = answered.connectedAt {
                // A repeated end without a duration measures to the first end, not to now.
                let endedAt = answered.endedAt ?? at
                let seconds = durationSeconds.map(Int64.init)
                    ?? Int64(clamping: Timestamp.gap(endedAt.millisecondsSince1970, connectedAt.millisecondsSince1970) / 1000)
                let converted = stored.call.rules.conversion.map { seconds >= Int64($0.minimumSeconds) } ?? false
                try await sql.raw("""
                    UPDATE route_attempts SET ended_at = \(bind: endedAt.millisecondsSince1970), outcome = 'completed',
                        converted_at = \(bind: converted ? (answered.convertedAt ?? endedAt).millisecondsSince1970 : nil as Int64?)
                    WHERE account_id = \(bind: accountID.rawValue) AND route_id = \(bind: routeID) AND attempt = \(bind: answered.attempt)
                    """).run()
                // A late duration can take a conversion back as well as make one.
                if converted != (answered.convertedAt != nil) {
                    try await CapCounting.record(converted ? 1 : -1, .converted, owners: answered.owners, accountID: accountID, on: sql)
                }
            }
            try await sql.raw("""
                UPDATE route_attempts SET ended_at = \(bind: at.millisecondsSince1970), outcome = \(bind: AttemptOutcome.canceled.rawValue)
                WHERE account_id = \(bind: accountID.rawValue) AND route_id = \(bind: routeID) AND ended_at IS NULL
                """).run()
        }
    }

    private func storedRoute(of request: RouteRequest, accountID: AccountID) async throws -> RoutedCall? {
        guard let externalCallID = request.externalCallID else { return nil }
        return try await route(source: request.source, externalCallID: externalCallID, accountID: accountID)
    }

    /// The stored route of a platform's call id.
    public func route(source: Source, externalCallID: String, accountID: AccountID) async throws -> RoutedCall? {
        try await database.read { sql in
            try await Self.load(where: Self.byExternalID(source, externalCallID), accountID: accountID, on: sql)
        }
    }

    /// The routes stored under any of a call's ids (each vendor's id for the same call), in
    /// the order the ids are given, each route once; read in one go.
    public func routes(of callIDs: [(source: Source, externalCallID: String)], accountID: AccountID) async throws -> [RoutedCall] {
        try await database.read { sql in
            var routes: [RoutedCall] = []
            for callID in callIDs {
                guard let route = try await Self.load(where: Self.byExternalID(callID.source, callID.externalCallID), accountID: accountID, on: sql),
                      !routes.contains(where: { $0.routeID == route.routeID })
                else { continue }
                routes.append(route)
            }
            return routes
        }
    }

    public func route(id: String, accountID: AccountID) async throws -> RoutedCall? {
        try await database.read { sql in try await Self.loadRow(routeID: id, accountID: accountID, on: sql)?.call }
    }

    // MARK: - Deciding (pure)

    /// Up to `count` targets of `order` to ring at once, or the first one's ring group, each
    /// still eligible once the ones before it are counted against the caps they share.
    /// `eligible`: the targets a decision just made with `usage` found eligible, if any.
    static func pick(
        _ count: Int, from order: [RoutedTarget], eligible known: Set<TargetID>? = nil, plan: RoutingPlan, call: RoutingCall,
        usage: RoutingUsage, places: some CallerPlaces
    ) -> [RoutedTarget] {
        var usage = usage
        var picked: [RoutedTarget] = []
        // Only which targets are eligible is read here; the order is the stored one.
        var random = SeededRandom(seed: 0)
        var eligible = known ?? Set(plan.route(call, usage: usage, places: places, random: &random).route.map(\.target))
        // The first eligible target decides what rings: its ring group, every member still
        // eligible (the carrier dials at most ten), or, outside any group, it and the next
        // `count − 1` targets outside a group. Other groups' members wait for their turn.
        var group: String?
        var limit = count
        for candidate in order where eligible.contains(candidate.target) {
            if picked.isEmpty {
                group = candidate.ringGroup
                if group != nil { limit = RoutingEntry.maximumRingGroup }
            } else if candidate.ringGroup != group {
                continue
            }
            picked.append(candidate)
            guard picked.count < limit else { break }
            usage.countOne(candidate)
            eligible = Set(plan.route(call, usage: usage, places: places, random: &random).route.map(\.target))
        }
        return picked
    }

    /// The plan's rules for `targets` alone. Weights only order a draw, which a fall-through
    /// does not make, so each is at least 1 (a plan refuses a priority weighing 0 in all).
    static func plan(_ plan: RoutingPlan, narrowedTo targets: Set<TargetID>) -> RoutingPlan {
        let kept = plan.targets.filter { targets.contains($0.id) }.map { target in
            var target = target
            target.weight = max(target.weight, 1)
            return target
        }
        let buyers = Set(kept.map(\.buyer))
        // A subset of a valid plan, every weight positive: valid too.
        return (try? RoutingPlan(targets: kept, buyers: plan.buyers.filter { buyers.contains($0.id) }, fallback: plan.fallback))
            ?? plan
    }

    static func newRouteID() -> String { "rte_" + Token.random(length: 20) }
}

extension RoutingUsage {
    /// One more call routed to `target` and its buyer, live now, in every period.
    mutating func countOne(_ target: RoutedTarget) {
        func add(_ counts: inout CapCounts) {
            counts.routed.hour += 1
            counts.routed.day += 1
            counts.routed.month += 1
            counts.routed.total += 1
            counts.live += 1
        }
        add(&targets[target.target, default: .zero])
        add(&buyers[target.buyer, default: .zero])
    }
}

// MARK: - Storage

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

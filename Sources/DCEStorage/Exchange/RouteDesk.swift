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

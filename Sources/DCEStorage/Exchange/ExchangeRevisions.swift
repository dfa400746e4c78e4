import DCEDomain
import Foundation
import SQLKit

/// A spec as an entity had it from `validFrom` until its next revision.
public struct ExchangeRevision<Spec: ExchangeSpecValue>: Sendable, Hashable {
    /// `rev_…`
    public var id: String
    public var entityID: String
    public var spec: Spec
    public var validFrom: Timestamp
}

/// The revisions that priced a call, by the kind of entity.
public struct RevisionIDs: Sendable, Hashable, Encodable {
    public var campaign: String
    public var publisher: String?
    public var buyer: String?
    public var target: String?
}

/// The rules a call dce did not route is priced by: those in force when it happened.
public struct RulesInForce: Sendable, Hashable {
    public var rules: PricingRules
    public var publisherID: PublisherID?
    public var buyerID: BuyerID?
    public var revisions: RevisionIDs
}

extension ExchangeDirectory {
    /// The spec `id` had at `time`; a time before its first revision gets the first (a
    /// vendor may report a call from before the entity was set up in dce).
    public func revision<Spec: ExchangeSpecValue>(
        _ type: Spec.Type, id: String, at time: Timestamp, accountID: AccountID
    ) async throws -> ExchangeRevision<Spec>? {
        try await database.read { sql in try await Self.revision(type, id: id, at: time, accountID: accountID, on: sql) }
    }

    /// A call's campaign, target and publisher (else the campaign's default publisher then),
    /// the target's buyer then, and the rules they made at `time`. Nil when the campaign
    /// has no revision (it was deleted).
    public func rulesInForce(
        campaignID: CampaignID, targetID: TargetID?, publisherID: PublisherID?, at time: Timestamp, accountID: AccountID
    ) async throws -> RulesInForce? {
        try await database.read { sql in
            guard let campaign = try await Self.revision(CampaignSpec.self, id: campaignID.rawValue, at: time, accountID: accountID, on: sql) else {
                return nil
            }
            var target: ExchangeRevision<TargetSpec>?
            var buyer: ExchangeRevision<BuyerSpec>?
            var publisher: ExchangeRevision<PublisherSpec>?
            if let targetID {
                target = try await Self.revision(TargetSpec.self, id: targetID.rawValue, at: time, accountID: accountID, on: sql)
            }
            if let buyerID = target?.spec.buyerID {
                buyer = try await Self.revision(BuyerSpec.self, id: buyerID.rawValue, at: time, accountID: accountID, on: sql)
            }
            if let publisherID = publisherID ?? campaign.spec.defaultPublisherID {
                publisher = try await Self.revision(PublisherSpec.self, id: publisherID.rawValue, at: time, accountID: accountID, on: sql)
            }
            return RulesInForce(
                rules: PricingRules(campaign: campaign.spec, buyer: buyer?.spec, publisher: publisher?.spec),
                publisherID: publisher.map { PublisherID(rawValue: $0.entityID) },
                buyerID: buyer.map { BuyerID(rawValue: $0.entityID) },
                revisions: RevisionIDs(campaign: campaign.id, publisher: publisher?.id, buyer: buyer?.id, target: target?.id))
        }
    }

    static func revision<Spec: ExchangeSpecValue>(
        _ type: Spec.Type, id: String, at time: Timestamp, accountID: AccountID, on sql: any SQLDatabase
    ) async throws -> ExchangeRevision<Spec>? {
        let scope: SQLQueryString = """
            SELECT id, entity_id, spec, valid_from FROM exchange_revisions
            WHERE account_id = \(bind: accountID.rawValue) AND entity_id = \(bind: id) AND kind = \(bind: Spec.kind.rawValue)
            """
        var found = try await sql.raw("\(scope) AND valid_from <= \(bind: time.millisecondsSince1970) ORDER BY valid_from DESC LIMIT 1").first()
        if found == nil { found = try await sql.raw("\(scope) ORDER BY valid_from LIMIT 1").first() }
        guard let row = found else { return nil }
        return ExchangeRevision(
            id: try row.decode(column: "id", as: String.self),
            entityID: try row.decode(column: "entity_id", as: String.self),
            spec: try JSONDecoder().decode(Spec.self, from: Data(try row.decode(column: "spec", as: String.self).utf8)),
            validFrom: Timestamp(millisecondsSince1970: try row.decode(column: "valid_from", as: Int64.self)))
    }

    /// Keeps `spec` as the entity's revision from `now`, or from a millisecond after its
    /// latest one, so that revisions of one entity never share a moment.
    static func keepRevision<Spec: ExchangeSpecValue>(
        _ spec: Spec, json: String, id: String, accountID: AccountID, now: Timestamp, on sql: any SQLDatabase
    ) async throws {
        let latest = try await sql.raw("""
            SELECT MAX(valid_from) AS latest FROM exchange_revisions
            WHERE account_id = \(bind: accountID.rawValue) AND entity_id = \(bind: id)
            """).first()?.decode(column: "latest", as: Int64?.self)
        let validFrom = latest.map { max(now.millisecondsSince1970, $0 &+ 1) } ?? now.millisecondsSince1970
        try await sql.raw("""
            INSERT INTO exchange_revisions (account_id, id, entity_id, kind, spec, valid_from)
            VALUES (\(bind: accountID.rawValue), \(bind: "rev_" + Token.random(length: 20)), \(bind: id), \(bind: Spec.kind.rawValue),
                    \(bind: json), \(bind: validFrom))
            """).run()
    }
}

import DCEDomain
import Foundation
import SQLKit

/// Everything routing needs for one campaign, read in one statement so that the campaign,
/// its targets and their buyers are of one moment.
public struct ExchangeSnapshot: Sendable {
    public let campaign: Campaign
    /// `campaign.spec.plan(targets:buyers:)`
    public let plan: RoutingPlan
    public let targets: [TargetID: Target]
    public let buyers: [BuyerID: Buyer]
    /// The campaign's default publisher and those of its static numbers.
    public let publishers: [PublisherID: Publisher]

    public init(campaign: Campaign, plan: RoutingPlan, targets: [TargetID: Target], buyers: [BuyerID: Buyer], publishers: [PublisherID: Publisher]) {
        self.campaign = campaign
        self.plan = plan
        self.targets = targets
        self.buyers = buyers
        self.publishers = publishers
    }
}

extension ExchangeDirectory {
    static let idsPerStatement = 500

    /// Vendor ids (or dce ids) on incoming calls -> the dce entity id; ids the account does
    /// not know are absent from the answer. A dce id wins over a vendor id that looks the same.
    public func resolve(_ kind: ExchangeKind, vendor: Source, ids: Set<String>, accountID: AccountID) async throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        return try await database.read { sql in
            var resolved: [String: String] = [:]
            for chunk in ids.sorted().chunks(of: Self.idsPerStatement) {
                let rows = try await sql.raw("""
                    SELECT id AS given, id AS entity_id, 0 AS rank FROM exchange_entities
                    WHERE account_id = \(bind: accountID.rawValue) AND kind = \(bind: kind.rawValue) AND id IN (\(binds: Array(chunk)))
                    UNION ALL
                    SELECT external_id AS given, entity_id, 1 AS rank FROM exchange_external_ids
                    WHERE account_id = \(bind: accountID.rawValue) AND vendor = \(bind: vendor.rawValue) AND kind = \(bind: kind.rawValue)
                      AND external_id IN (\(binds: Array(chunk)))
                    ORDER BY rank DESC
                    """).all()
                // Dce ids come last and overwrite.
                for row in rows {
                    resolved[try row.decode(column: "given", as: String.self)] = try row.decode(column: "entity_id", as: String.self)
                }
            }
            return resolved
        }
    }

    /// Every id a call may carry for one entity: its dce id first, then its vendors' ids.
    public func aliases(_ kind: ExchangeKind, id: String, accountID: AccountID) async throws -> [String] {
        let external = try await database.read { sql in
            try await sql.raw("""
                SELECT DISTINCT external_id FROM exchange_external_ids
                WHERE account_id = \(bind: accountID.rawValue) AND kind = \(bind: kind.rawValue) AND entity_id = \(bind: id)
                """).all().map { try $0.decode(column: "external_id", as: String.self) }
        }
        return [id] + external.filter { $0 != id }.sorted()
    }

    /// Id -> name, for showing calls; ids the account does not have are absent.
    public func names(ids: Set<String>, accountID: AccountID) async throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        return try await database.read { sql in
            var names: [String: String] = [:]
            for chunk in ids.sorted().chunks(of: Self.idsPerStatement) {
                for row in try await sql.raw("""
                    SELECT id, name FROM exchange_entities WHERE account_id = \(bind: accountID.rawValue) AND id IN (\(binds: Array(chunk)))
                    """).all() {
                    names[try row.decode(column: "id", as: String.self)] = try row.decode(column: "name", as: String.self)
                }
            }
            return names
        }
    }

    /// The campaigns a dialled number belongs to, in any account: as one of a campaign's
    /// numbers (with the publisher a static number names), then as a tracking number of
    /// one of its pools.
    public func campaign(dialing number: PhoneNumber) async throws -> [(accountID: AccountID, campaign: Campaign, publisherID: PublisherID?)] {
        let rows = try await database.read { sql in
            try await sql.raw("""
                SELECT e.account_id, e.id, e.spec, e.created_at, e.updated_at, x.publisher_id, x.via FROM (
                    SELECT account_id, campaign_id, publisher_id, 0 AS via FROM campaign_numbers WHERE number = \(bind: number.e164)
                    UNION ALL
                    SELECT p.account_id, p.campaign_id, NULL AS publisher_id, 1 AS via
                    FROM tracking_numbers t JOIN campaign_pools p ON p.account_id = t.account_id AND p.pool_id = t.pool_id
                    WHERE t.number = \(bind: number.e164)
                ) x JOIN exchange_entities e ON e.account_id = x.account_id AND e.id = x.campaign_id
                ORDER BY x.via, e.account_id, e.id
                """).all().map { row in
                (accountID: AccountID(rawValue: try row.decode(column: "account_id", as: String.self)),
                 campaign: try Self.entity(row, as: CampaignSpec.self),
                 publisherID: try row.decode(column: "publisher_id", as: String?.self).map(PublisherID.init(rawValue:)))
            }
        }
        var seen: Set<[String]> = []
        return rows.filter { seen.insert([$0.accountID.rawValue, $0.campaign.id]).inserted }
    }

    /// A campaign by id in any account: carrier webhooks carry no API key, and campaign ids
    /// are random enough not to be guessed. Read through the cache (`ExchangeCache`).
    public func campaign(id: CampaignID) async throws -> (accountID: AccountID, campaign: Campaign)? {
        try await cache.campaign(id: id) { try await readCampaign(id: id) }
    }

    func readCampaign(id: CampaignID) async throws -> (accountID: AccountID, campaign: Campaign)? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT account_id, id, spec, created_at, updated_at FROM exchange_entities
                WHERE id = \(bind: id.rawValue) AND kind = 'campaign'
                """).first().map { row in
                (accountID: AccountID(rawValue: try row.decode(column: "account_id", as: String.self)),
                 campaign: try Self.entity(row, as: CampaignSpec.self))
            }
        }
    }

    /// The campaign, the targets and publishers it names, the buyers of those targets, and
    /// the routing plan they make; read through the cache (`ExchangeCache`), so an edit
    /// another dce node made may take a second to be seen here.
    public func snapshot(campaignID: CampaignID, accountID: AccountID) async throws -> ExchangeSnapshot? {
        try await cache.snapshot(campaignID: campaignID, accountID: accountID) {
            try await readSnapshot(campaignID: campaignID, accountID: accountID)
        }
    }

    func readSnapshot(campaignID: CampaignID, accountID: AccountID) async throws -> ExchangeSnapshot? {
        let account = accountID.rawValue
        let id = campaignID.rawValue
        let rows = try await database.read { sql in
            try await sql.raw("""
                SELECT id, kind, spec, created_at, updated_at FROM exchange_entities
                WHERE account_id = \(bind: account) AND (
                    id = \(bind: id)
                    OR id IN (SELECT to_id FROM exchange_references WHERE account_id = \(bind: account) AND from_id = \(bind: id))
                    OR id IN (SELECT r2.to_id FROM exchange_references r1
                              JOIN exchange_references r2 ON r2.account_id = r1.account_id AND r2.from_id = r1.to_id
                              WHERE r1.account_id = \(bind: account) AND r1.from_id = \(bind: id)))
                """).all()
        }
        var campaign: Campaign?
        var targets: [TargetID: Target] = [:]
        var buyers: [BuyerID: Buyer] = [:]
        var publishers: [PublisherID: Publisher] = [:]
        for row in rows {
            switch ExchangeKind(rawValue: try row.decode(column: "kind", as: String.self)) {
            case .campaign:
                let entity = try Self.entity(row, as: CampaignSpec.self)
                if entity.id == id { campaign = entity }
            case .target:
                let entity = try Self.entity(row, as: TargetSpec.self)
                targets[TargetID(rawValue: entity.id)] = entity
            case .buyer:
                let entity = try Self.entity(row, as: BuyerSpec.self)
                buyers[BuyerID(rawValue: entity.id)] = entity
            case .publisher:
                let entity = try Self.entity(row, as: PublisherSpec.self)
                publishers[PublisherID(rawValue: entity.id)] = entity
            case nil:
                continue
            }
        }
        guard let campaign else { return nil }
        do {
            let plan = try campaign.spec.plan(targets: targets, buyers: buyers)
            return ExchangeSnapshot(campaign: campaign, plan: plan, targets: targets, buyers: buyers, publishers: publishers)
        } catch {
            throw ExchangeError.invalid(error)
        }
    }
}

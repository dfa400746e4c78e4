import DCEDomain
import DCEStorage
import DCETestSupport
import Foundation
import Testing

/// Campaigns, publishers, buyers and targets as the directory stores them: one path for the
/// four kinds, the ids a spec names checked in the write, numbers, pools and vendor ids
/// claimed once per account, and everything scoped to its account.
@Suite struct ExchangeDirectoryTests {
    static let created = Timestamp(millisecondsSince1970: 1_767_225_600_000)
    static let edited = Timestamp(millisecondsSince1970: 1_767_312_000_000)

    static func number(_ text: String) throws -> PhoneNumber { try PhoneNumber(parsing: text) }

    static func buyer(_ name: String = "Acme Insurance", externalIDs: ExternalIDs = ExternalIDs()) -> BuyerSpec {
        BuyerSpec(name: name, conversion: ConversionRule(minimumSeconds: 90, revenue: Money(cents: 4_000)), externalIDs: externalIDs)
    }

    static func publisher(_ name: String = "Search Partners", externalIDs: ExternalIDs = ExternalIDs()) -> PublisherSpec {
        PublisherSpec(name: name, payout: PayoutRule(minimumSeconds: 60, amount: .fixed(Money(cents: 1_500))), externalIDs: externalIDs)
    }

    static func target(_ name: String = "Acme call center", buyer: Buyer) throws -> TargetSpec {
        TargetSpec(name: name, buyerID: BuyerID(rawValue: buyer.id), destination: .number(try number("+14155550100")))
    }

    /// A buyer, its target, a publisher, and a campaign routing to the target.
    struct Exchange {
        let buyer: Buyer
        let target: Target
        let publisher: Publisher
        let campaign: Campaign
    }

    static func exchange(_ directory: ExchangeDirectory, accountID: AccountID, numbers: [String] = ["+18885550100"],
                         pools: [String] = [], campaignIDs: ExternalIDs = ExternalIDs()) async throws -> Exchange {
        let buyer = try await directory.create(Self.buyer(), accountID: accountID, now: created)
        let target = try await directory.create(try Self.target(buyer: buyer), accountID: accountID, now: created)
        let publisher = try await directory.create(Self.publisher(), accountID: accountID, now: created)
        let publisherID = PublisherID(rawValue: publisher.id)
        let campaign = try await directory.create(CampaignSpec(
            name: "Auto insurance", defaultPublisherID: publisherID,
            numbers: try numbers.map { CampaignNumber(number: try number($0), publisherID: publisherID) }, pools: pools,
            routing: [RoutingEntry(targetID: TargetID(rawValue: target.id))], externalIDs: campaignIDs
        ), accountID: accountID, now: created)
        return Exchange(buyer: buyer, target: target, publisher: publisher, campaign: campaign)
    }

    /// Create, get, list, replace and delete of one kind; `edit` changes the spec.
    static func roundTrip<Spec: ExchangeSpecValue>(
        _ first: Spec, _ second: Spec, edit: (Spec) -> Spec, directory: ExchangeDirectory, accountID: AccountID
    ) async throws {
        // run: two entities, the second sorting first by name
        let a = try await directory.create(first, accountID: accountID, now: created)
        let b = try await directory.create(second, accountID: accountID, now: created)
        // validate
        #expect(a.id.hasPrefix(Spec.kind.idPrefix) && a.id.count == Spec.kind.idPrefix.count + 20)
        #expect(a == ExchangeEntity(id: a.id, spec: first, createdAt: created, updatedAt: created))
        #expect(try await directory.get(Spec.self, id: a.id, accountID: accountID) == a)
        #expect(try await directory.list(Spec.self, accountID: accountID) == [b, a])
        // run: replace
        let replaced = try await directory.replace(edit(first), id: a.id, accountID: accountID, now: edited)
        #expect(replaced == ExchangeEntity(id: a.id, spec: edit(first), createdAt: created, updatedAt: edited))
        #expect(try await directory.get(Spec.self, id: a.id, accountID: accountID) == replaced)
        // run: delete
        try await directory.delete(Spec.self, id: a.id, accountID: accountID)
        #expect(try await directory.get(Spec.self, id: a.id, accountID: accountID) == nil)
        #expect(try await directory.list(Spec.self, accountID: accountID) == [b])
        await #expect(throws: ExchangeError.notFound) { try await directory.delete(Spec.self, id: a.id, accountID: accountID) }
        await #expect(throws: ExchangeError.notFound) { try await directory.replace(first, id: a.id, accountID: accountID) }
    }

    @Test(arguments: TestEngine.all)
    func eachKindIsCreatedReadListedReplacedAndDeleted(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let accountID = try await TestAccount.make(database).account.id
            let directory = ExchangeDirectory(database: database)
            try await Self.roundTrip(Self.buyer("Zeta Home"), Self.buyer("Alpha Auto"), edit: { spec in
                var spec = spec
                spec.conversion.minimumSeconds = 120
                return spec
            }, directory: directory, accountID: accountID)
            try await Self.roundTrip(Self.publisher("Zeta Media"), Self.publisher("Alpha Ads"), edit: { spec in
                var spec = spec
                spec.payout.amount = .revenueShare(percent: 40)
                return spec
            }, directory: directory, accountID: accountID)
            let buyer = try await directory.create(Self.buyer(), accountID: accountID)
            try await Self.roundTrip(try Self.target("Zeta floor", buyer: buyer), try Self.target("Alpha floor", buyer: buyer), edit: { spec in
                var spec = spec
                spec.destination = .sip("sip:sales@acme.example")
                return spec
            }, directory: directory, accountID: accountID)
            try await Self.roundTrip(
                CampaignSpec(name: "Zeta solar", numbers: [CampaignNumber(number: try Self.number("+18885550100"))]),
                CampaignSpec(name: "Alpha auto", numbers: [CampaignNumber(number: try Self.number("+18885550101"))]),
                edit: { spec in
                    var spec = spec
                    spec.simultaneousRing = 3
                    return spec
                }, directory: directory, accountID: accountID)
        }
    }

    @Test(arguments: TestEngine.all)
    func anIDTheAccountDoesNotHaveIsRefusedByTheFieldThatNamesIt(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let accountID = try await TestAccount.make(database).account.id
            let directory = ExchangeDirectory(database: database)
            let exchange = try await Self.exchange(directory, accountID: accountID)
            // a target naming a buyer that does not exist
            var target = try Self.target(buyer: exchange.buyer)
            target.buyerID = "buy_nope"
            await #expect(throws: ExchangeError.invalid(RoutingPlanError(field: "buyer_id", problem: .unknownID("buy_nope")))) {
                try await directory.create(target, accountID: accountID)
            }
            // a campaign whose second routing entry is unknown
            var campaign = exchange.campaign.spec
            campaign.numbers = []
            campaign.routing.append(RoutingEntry(targetID: "tgt_gone"))
            await #expect(throws: ExchangeError.invalid(RoutingPlanError(field: "routing[1].target_id", problem: .unknownID("tgt_gone")))) {
                try await directory.create(campaign, accountID: accountID)
            }
            // an id of the wrong kind: a target where a publisher belongs
            campaign = exchange.campaign.spec
            campaign.defaultPublisherID = PublisherID(rawValue: exchange.target.id)
            await #expect(throws: ExchangeError.invalid(RoutingPlanError(field: "default_publisher_id", problem: .unknownID(exchange.target.id)))) {
                try await directory.replace(campaign, id: exchange.campaign.id, accountID: accountID)
            }
            // a static number's publisher
            campaign = exchange.campaign.spec
            campaign.numbers[0].publisherID = "pub_gone"
            await #expect(throws: ExchangeError.invalid(RoutingPlanError(field: "numbers[0].publisher_id", problem: .unknownID("pub_gone")))) {
                try await directory.replace(campaign, id: exchange.campaign.id, accountID: accountID)
            }
            // the spec's own checks come first, and the refused writes changed nothing
            await #expect(throws: ExchangeError.invalid(RoutingPlanError(field: "name", problem: .required))) {
                try await directory.create(Self.buyer(" "), accountID: accountID)
            }
            #expect(try await directory.list(TargetSpec.self, accountID: accountID) == [exchange.target])
            #expect(try await directory.list(CampaignSpec.self, accountID: accountID) == [exchange.campaign])
        }
    }

    @Test(arguments: TestEngine.all)
    func somethingAnotherEntityNamesCannotBeDeleted(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let accountID = try await TestAccount.make(database).account.id
            let directory = ExchangeDirectory(database: database)
            let exchange = try await Self.exchange(directory, accountID: accountID)
            let second = try await directory.create(try Self.target("Overflow", buyer: exchange.buyer), accountID: accountID)
            // validate: the buyer is named by both targets, the target and publisher by the campaign
            await #expect(throws: ExchangeError.inUse(field: "buyer_id", by: [exchange.target.id, second.id].sorted())) {
                try await directory.delete(BuyerSpec.self, id: exchange.buyer.id, accountID: accountID)
            }
            await #expect(throws: ExchangeError.inUse(field: "routing[0].target_id", by: [exchange.campaign.id])) {
                try await directory.delete(TargetSpec.self, id: exchange.target.id, accountID: accountID)
            }
            await #expect(throws: ExchangeError.inUse(field: "default_publisher_id", by: [exchange.campaign.id])) {
                try await directory.delete(PublisherSpec.self, id: exchange.publisher.id, accountID: accountID)
            }
            // an id of another kind is not found, whatever it names
            await #expect(throws: ExchangeError.notFound) {
                try await directory.delete(CampaignSpec.self, id: exchange.buyer.id, accountID: accountID)
            }
            // run: take them away in order
            try await directory.delete(CampaignSpec.self, id: exchange.campaign.id, accountID: accountID)
            try await directory.delete(TargetSpec.self, id: exchange.target.id, accountID: accountID)
            try await directory.delete(PublisherSpec.self, id: exchange.publisher.id, accountID: accountID)
            await #expect(throws: ExchangeError.inUse(field: "buyer_id", by: [second.id])) {
                try await directory.delete(BuyerSpec.self, id: exchange.buyer.id, accountID: accountID)
            }
            // a target moved to another buyer frees the first
            let other = try await directory.create(Self.buyer("Other"), accountID: accountID)
            var moved = second.spec
            moved.buyerID = BuyerID(rawValue: other.id)
            _ = try await directory.replace(moved, id: second.id, accountID: accountID)
            try await directory.delete(BuyerSpec.self, id: exchange.buyer.id, accountID: accountID)
            #expect(try await directory.list(BuyerSpec.self, accountID: accountID).map(\.id) == [other.id])
        }
    }

    @Test(arguments: TestEngine.all)
    func aBuyerDeletedWhileTargetsNameItIsEitherRefusedOrLeavesNoTarget(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let accountID = try await TestAccount.make(database).account.id
            let directory = ExchangeDirectory(database: database)
            let buyer = try await directory.create(Self.buyer(), accountID: accountID)
            let spec = try Self.target(buyer: buyer)
            // run: creates naming the buyer race its delete; every refusal is a typed one
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        do {
                            _ = try await directory.create(spec, accountID: accountID)
                            return "created"
                        } catch ExchangeError.invalid(let error) where error.field == "buyer_id" {
                            return "unknown"
                        }
                    }
                    if index == 3 {
                        group.addTask {
                            do {
                                try await directory.delete(BuyerSpec.self, id: buyer.id, accountID: accountID)
                                return "deleted"
                            } catch ExchangeError.inUse(let field, _) where field == "buyer_id" {
                                return "in use"
                            }
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            // validate: either the buyer stays with every created target, or it went before any
            let targets = try await directory.list(TargetSpec.self, accountID: accountID)
            #expect(targets.count == outcomes.filter { $0 == "created" }.count)
            if outcomes.contains("deleted") {
                #expect(targets.isEmpty)
                #expect(try await directory.get(BuyerSpec.self, id: buyer.id, accountID: accountID) == nil)
            } else {
                #expect(outcomes.contains("in use") && !outcomes.contains("unknown"))
            }
        }
    }

    @Test(arguments: TestEngine.all)
    func aNumberPoolOrVendorIDBelongsToOneEntityOfTheAccount(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let accountID = try await TestAccount.make(database).account.id
            let directory = ExchangeDirectory(database: database)
            let exchange = try await Self.exchange(
                directory, accountID: accountID, numbers: ["+18885550100", "+18885550101"], pools: ["rp_web"],
                campaignIDs: ExternalIDs(["ringba": ["CA1"]]))
            // a second campaign asking for the first one's second number
            let numbers = try ["+18885550199", "+18885550101"].map { CampaignNumber(number: try Self.number($0)) }
            await #expect(throws: ExchangeError.conflict(
                field: "numbers[1].number", message: "+18885550101 is already a number of campaign \(exchange.campaign.id)")) {
                try await directory.create(CampaignSpec(name: "Solar", numbers: numbers), accountID: accountID)
            }
            await #expect(throws: ExchangeError.conflict(field: "pools[0]", message: "'rp_web' is already a pool of campaign \(exchange.campaign.id)")) {
                try await directory.create(CampaignSpec(name: "Solar", pools: ["rp_web"]), accountID: accountID)
            }
            await #expect(throws: ExchangeError.conflict(field: "external_ids.ringba[1]", message: "'CA1' is already an id of \(exchange.campaign.id)")) {
                try await directory.create(CampaignSpec(name: "Solar", externalIDs: ExternalIDs(["ringba": ["CA9", "CA1"]])), accountID: accountID)
            }
            await #expect(throws: ExchangeError.invalid(RoutingPlanError(field: "pools[1]", problem: .duplicateID("rp_app")))) {
                try await directory.create(CampaignSpec(name: "Solar", pools: ["rp_app", "rp_app"]), accountID: accountID)
            }
            // nothing of the refused campaigns was kept
            #expect(try await directory.list(CampaignSpec.self, accountID: accountID) == [exchange.campaign])
            // the same vendor id names a publisher as well as a campaign: ids are per kind
            _ = try await directory.create(Self.publisher(externalIDs: ExternalIDs(["ringba": ["CA1"]])), accountID: accountID)
            // a campaign keeps its own claims when replaced, and gives up those it drops
            var spec = exchange.campaign.spec
            spec.numbers.removeLast()
            _ = try await directory.replace(spec, id: exchange.campaign.id, accountID: accountID)
            let solar = try await directory.create(CampaignSpec(name: "Solar", numbers: numbers), accountID: accountID)
            #expect(try await directory.campaign(dialing: try Self.number("+18885550101")).map(\.campaign) == [solar])
        }
    }

    @Test(arguments: TestEngine.all)
    func aCampaignsIDsFromEveryVendorResolveToIt(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let accountID = try await TestAccount.make(database).account.id
            let directory = ExchangeDirectory(database: database)
            let exchange = try await Self.exchange(
                directory, accountID: accountID, campaignIDs: ExternalIDs(["ringba": ["CA5f1e"], "retreaver": ["7731"]]))
            let id = exchange.campaign.id
            // run
            let ringba = try await directory.resolve(.campaign, vendor: .ringba, ids: ["CA5f1e", "7731", id, "CAunknown"], accountID: accountID)
            let retreaver = try await directory.resolve(.campaign, vendor: .retreaver, ids: ["7731"], accountID: accountID)
            let asPublisher = try await directory.resolve(.publisher, vendor: .ringba, ids: ["CA5f1e", id], accountID: accountID)
            // validate
            #expect(ringba == ["CA5f1e": id, id: id])
            #expect(retreaver == ["7731": id])
            #expect(asPublisher == [:])
            #expect(try await directory.aliases(.campaign, id: id, accountID: accountID) == [id, "7731", "CA5f1e"])
            #expect(try await directory.names(ids: [id, exchange.buyer.id, "tgt_unknown"], accountID: accountID)
                == [id: "Auto insurance", exchange.buyer.id: "Acme Insurance"])
        }
    }

    @Test(arguments: TestEngine.all)
    func anotherAccountSeesAndChangesNothing(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let owner = try await TestAccount.make(database, name: "owner").account.id
            let stranger = try await TestAccount.make(database, name: "stranger").account.id
            let directory = ExchangeDirectory(database: database)
            let exchange = try await Self.exchange(directory, accountID: owner, campaignIDs: ExternalIDs(["ringba": ["CA1"]]))
            let campaignID = CampaignID(rawValue: exchange.campaign.id)
            // validate: nothing visible
            #expect(try await directory.get(CampaignSpec.self, id: exchange.campaign.id, accountID: stranger) == nil)
            #expect(try await directory.list(BuyerSpec.self, accountID: stranger).isEmpty)
            #expect(try await directory.resolve(.campaign, vendor: .ringba, ids: ["CA1", exchange.campaign.id], accountID: stranger).isEmpty)
            #expect(try await directory.names(ids: [exchange.campaign.id], accountID: stranger).isEmpty)
            #expect(try await directory.snapshot(campaignID: campaignID, accountID: stranger) == nil)
            // validate: nothing changeable, nothing nameable
            await #expect(throws: ExchangeError.notFound) {
                try await directory.delete(CampaignSpec.self, id: exchange.campaign.id, accountID: stranger)
            }
            await #expect(throws: ExchangeError.notFound) {
                try await directory.replace(exchange.campaign.spec, id: exchange.campaign.id, accountID: stranger)
            }
            await #expect(throws: ExchangeError.invalid(RoutingPlanError(field: "buyer_id", problem: .unknownID(exchange.buyer.id)))) {
                try await directory.create(try Self.target(buyer: exchange.buyer), accountID: stranger)
            }
            // the same number and vendor id in another account are that account's own
            var spec = exchange.campaign.spec
            spec.defaultPublisherID = nil
            spec.routing = []
            spec.numbers = spec.numbers.map { CampaignNumber(number: $0.number) }
            let theirs = try await directory.create(spec, accountID: stranger)
            #expect(try await directory.resolve(.campaign, vendor: .ringba, ids: ["CA1"], accountID: stranger) == ["CA1": theirs.id])
            #expect(try await directory.get(CampaignSpec.self, id: exchange.campaign.id, accountID: owner) == exchange.campaign)
        }
    }

    @Test(arguments: TestEngine.all)
    func aDialledNumberFindsItsCampaignAsAStaticNumberOrThroughAPool(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let accountID = try await TestAccount.make(database).account.id
            let directory = ExchangeDirectory(database: database)
            // setup: a pool number in the inventory, a campaign with a static number and the pool
            let inventory = NumberInventory(database: database)
            _ = try await inventory.add(TrackingNumber(number: try Self.number("+18885550150"), poolID: "rp_web"), accountID: accountID)
            _ = try await inventory.add(TrackingNumber(number: try Self.number("+18885550151")), accountID: accountID)
            let exchange = try await Self.exchange(directory, accountID: accountID, pools: ["rp_web"])
            // run
            let byStatic = try await directory.campaign(dialing: try Self.number("+18885550100"))
            let byPool = try await directory.campaign(dialing: try Self.number("+18885550150"))
            // validate
            #expect(byStatic.map(\.accountID) == [accountID])
            #expect(byStatic.map(\.campaign) == [exchange.campaign])
            #expect(byStatic.map(\.publisherID) == [PublisherID(rawValue: exchange.publisher.id)])
            #expect(byPool.map(\.campaign) == [exchange.campaign])
            #expect(byPool.map(\.publisherID) == [nil])
            #expect(try await directory.campaign(dialing: try Self.number("+18885550151")).isEmpty)
            let byID = try await directory.campaign(id: CampaignID(rawValue: exchange.campaign.id))
            #expect(byID?.accountID == accountID)
            #expect(byID?.campaign == exchange.campaign)
            #expect(try await directory.campaign(id: CampaignID(rawValue: exchange.target.id)) == nil)
        }
    }

    @Test(arguments: TestEngine.all)
    func aSnapshotHoldsWhatRoutingNeedsAndSeesTheLatestEdit(engine: TestEngine) async throws {
        try await TestDatabases.with(engine) { database in
            let accountID = try await TestAccount.make(database).account.id
            let directory = ExchangeDirectory(database: database)
            let exchange = try await Self.exchange(directory, accountID: accountID)
            _ = try await directory.create(Self.buyer("Unrelated"), accountID: accountID)
            let campaignID = CampaignID(rawValue: exchange.campaign.id)
            // run
            let snapshot = try #require(try await directory.snapshot(campaignID: campaignID, accountID: accountID))
            // validate
            let targets = [TargetID(rawValue: exchange.target.id): exchange.target]
            let buyers = [BuyerID(rawValue: exchange.buyer.id): exchange.buyer]
            #expect(snapshot.campaign == exchange.campaign)
            #expect(snapshot.targets == targets)
            #expect(snapshot.buyers == buyers)
            #expect(snapshot.publishers == [PublisherID(rawValue: exchange.publisher.id): exchange.publisher])
            #expect(snapshot.plan == (try exchange.campaign.spec.plan(targets: targets, buyers: buyers)))
            #expect(snapshot.plan.targets.map(\.id) == [TargetID(rawValue: exchange.target.id)])
            // run: the target's destination changes; the next snapshot routes there
            var edited = exchange.target.spec
            edited.destination = .sip("sip:overflow@acme.example")
            _ = try await directory.replace(edited, id: exchange.target.id, accountID: accountID)
            let next = try #require(try await directory.snapshot(campaignID: campaignID, accountID: accountID))
            #expect(next.plan.targets.map(\.destination) == [.sip("sip:overflow@acme.example")])
            #expect(try await directory.snapshot(campaignID: CampaignID(rawValue: exchange.target.id), accountID: accountID) == nil)
        }
    }
}

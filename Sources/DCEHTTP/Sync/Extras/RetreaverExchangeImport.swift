import DCEDomain
import DCEStorage
import DCEVendors

/// Imports a Retreaver account's affiliates, campaigns and targets into dce's exchange after
/// each sync of an integration whose credentials say `import_exchange=true`: a publisher
/// per `afid`, a campaign per `cid`, a target per Retreaver target, each carrying the ids
/// Retreaver's calls name it by (as `external_ids.retreaver`), so that the calls pulled land
/// under them. Every page is kept as the sync keeps its pages; an object that cannot be read
/// or stored is a dead letter naming its field, and the others go on.
///
/// A second run matches each object by those ids and changes only what Retreaver changed
/// (`ExchangeImportPlan`), through the same directory calls as the API, so revisions are kept.
struct RetreaverExchangeImport: SyncExtra {
    var name: String { "retreaver-exchange-import" }

    func run(_ context: SyncContext) async throws {
        guard try RetreaverPull.importsExchange(context.credentials) else { return }
        let exchange = ExchangeImport(directory: context.services.exchange, accountID: context.integration.accountID,
                                      vendor: RetreaverAdapter.source, now: context.now)
        try await importList(.affiliates, context, read: RetreaverDirectory.affiliates) { affiliate in
            try await exchange.upsert(PublisherSpec.self, ids: affiliate.callIDs, path: affiliate.path, vendorChangedAt: affiliate.updatedAt,
                                      create: { ids in PublisherSpec(name: affiliate.name, payout: Self.vendorPayout, externalIDs: ids) },
                                      imported: { spec in spec.name = affiliate.name })
        }
        try await importList(.campaigns, context, read: RetreaverDirectory.campaigns) { campaign in
            try await exchange.upsert(CampaignSpec.self, ids: campaign.callIDs, path: campaign.path, vendorChangedAt: campaign.updatedAt,
                                      create: { ids in CampaignSpec(name: campaign.name, figures: .vendor, externalIDs: ids) },
                                      imported: { spec in spec.name = campaign.name })
        }
        let buyer = ImportedTargetsBuyer(exchange: exchange, integration: context.integration)
        try await importList(.targets, context, read: RetreaverDirectory.targets) { target in
            let buyerID = try await buyer.id()
            try await exchange.upsert(TargetSpec.self, ids: target.callIDs, path: target.path, vendorChangedAt: target.updatedAt,
                                      create: { ids in
                                          TargetSpec(name: target.name, buyerID: buyerID, destination: target.destination, timeZone: target.timeZone,
                                                     caps: target.caps, ringTimeoutSeconds: target.ringTimeoutSeconds ?? RoutingTarget.defaultRingTimeoutSeconds,
                                                     externalIDs: ids)
                                      },
                                      imported: { spec in
                                          spec.name = target.name
                                          spec.destination = target.destination
                                      })
        }
    }

    /// Retreaver reports each call's revenue and payout, so imported campaigns take its
    /// figures (`figures: vendor`) and a publisher's own rule earns nothing beside them.
    static let vendorPayout = PayoutRule(minimumSeconds: 0, amount: .fixed(.zero))

    /// Pages through `list`, storing each object read, and keeps every page with a dead
    /// letter for each object refused. A page that is not a list at all is kept as a dead
    /// letter and ends the import.
    private func importList<Value: Sendable>(
        _ list: RetreaverDirectory.List, _ context: SyncContext,
        read: (PullResponse, PullRequest, String) throws(VendorError) -> RetreaverListPage<Value>,
        store: (Value) async throws -> Void
    ) async throws {
        var next: PullRequest? = RetreaverDirectory.firstRequest(list, credentials: context.credentials)
        while let request = next {
            try Task.checkCancellation()
            let response = try await context.send(request, false)
            let page: RetreaverListPage<Value>
            do {
                page = try read(response, request, context.credentials.apiBaseURL)
            } catch {
                _ = try await context.ingest(request, response, [PulledRow(payload: String(decoding: response.body, as: UTF8.self), outcome: .failure(error))])
                throw SyncError.unreadablePage(endpoint: request.endpoint, reason: error.message)
            }
            var rows: [PulledRow] = []
            for item in page.items {
                do {
                    try await store(try item.value.get())
                    rows.append(PulledRow(payload: item.payload, outcome: .success([])))
                } catch let refused as VendorError {
                    rows.append(PulledRow(payload: item.payload, outcome: .failure(refused)))
                }
            }
            _ = try await context.ingest(request, response, rows)
            next = page.next
        }
    }
}

/// The buyer imported targets are filed under: one per integration, "Retreaver targets
/// (<integration>)". Retreaver's API has no buyer above its targets (in its own words a
/// target *is* the buyer), and the Retreaver company is the operator's own account, not
/// someone who pays for calls, so a buyer named after it would bill the operator to itself.
/// One clearly named holding buyer lets an operator moving over see at once which targets
/// came from Retreaver and move each to its real buyer in dce; a target moved is never
/// moved back. It is found again by an id of the integration's own under `external_ids`.
actor ImportedTargetsBuyer {
    let exchange: ExchangeImport
    let integration: Integration
    private var found: BuyerID?

    init(exchange: ExchangeImport, integration: Integration) {
        self.exchange = exchange
        self.integration = integration
    }

    var key: String { "integration:\(integration.id)" }

    /// Created the first time a run has a target to file.
    func id() async throws -> BuyerID {
        if let found { return found }
        let ids = ExternalIDs([exchange.vendor.rawValue: [key]])
        let id: String
        if let existing = try await exchange.directory.resolve(.buyer, vendor: exchange.vendor, ids: [key], accountID: exchange.accountID)[key] {
            id = existing
        } else {
            let named = "Retreaver targets (\(integration.name))"
            let name = named.utf8.count <= 200 ? named : "Retreaver targets"
            id = try await exchange.directory.create(
                BuyerSpec(name: name, conversion: ConversionRule(minimumSeconds: 0, revenue: .zero), externalIDs: ids),
                accountID: exchange.accountID, now: exchange.now).id
        }
        let buyer = BuyerID(rawValue: id)
        found = buyer
        return buyer
    }
}

extension RetreaverAdapter: SyncExtrasVendor {
    var syncExtras: [any SyncExtra] { [RetreaverExchangeImport()] }
}

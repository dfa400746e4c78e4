import DCEDomain
import DCEStorage
import DCEVendors

/// Keeps a RingCentral webhook subscription delivering the account's telephony events to
/// the integration's dce webhook (`services.publicURL` + its path), proving itself with the
/// integration's secret as its verification token: created when there is none (or dce's
/// address changed), renewed a day before it expires, created again when RingCentral no
/// longer knows it. Without a public URL dce has no address to give, and does nothing.
struct RingCentralSubscription: SyncExtra {
    var name: String { "ringcentral-subscription" }

    func run(_ context: SyncContext) async throws {
        guard let publicURL = context.services.publicURL else { return }
        let services = context.services
        guard let integration = try await IntegrationStore(database: services.database, box: services.secretBox)
            .integration(id: context.integration.id), let secret = integration.secret, !secret.hasPrefix("v1:") else {
            throw SyncError.refused(endpoint: RingCentralAccountAPI.subscriptionEndpoint, status: 0,
                                    reason: "the integration has no readable verification token (its secret)")
        }
        let address = publicURL + integration.webhookPath
        let store = VendorSubscriptions(database: services.database)
        if let current = try await store.subscription(integrationID: integration.id), current.address == address {
            if current.expiresAt.subtracting(seconds: RingCentralAccountAPI.renewalMarginSeconds) > context.now { return }
            do {
                let response = try await context.send(
                    RingCentralAccountAPI.renewRequest(subscriptionID: current.subscriptionID, credentials: context.credentials), false)
                try await save(response, address: address, context: context, store: store)
                return
            } catch SyncError.refused(_, let status, _) where status == 404 {
                // Expired or deleted at RingCentral: subscribe again.
            }
        }
        let response = try await context.send(
            RingCentralAccountAPI.subscribeRequest(address: address, verificationToken: secret, credentials: context.credentials), false)
        try await save(response, address: address, context: context, store: store)
    }

    private func save(_ response: PullResponse, address: String, context: SyncContext, store: VendorSubscriptions) async throws {
        let read: (id: String, expiresAt: Timestamp)
        do {
            read = try RingCentralAccountAPI.readSubscription(response, now: context.now)
        } catch {
            throw SyncError.unreadablePage(endpoint: RingCentralAccountAPI.subscriptionEndpoint, reason: error.message)
        }
        try await store.save(VendorSubscription(integrationID: context.integration.id, accountID: context.integration.accountID,
                                                subscriptionID: read.id, address: address, expiresAt: read.expiresAt), at: context.now)
    }
}

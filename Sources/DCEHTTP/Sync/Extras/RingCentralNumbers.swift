import DCEDomain
import DCEStorage
import DCEVendors

/// Keeps dce's number inventory and the account's RingCentral numbers agreeing on labels
/// (seed 001: each tracking number labelled with its standard destination number). Numbers
/// dce does not have are imported with their RingCentral label; a number dce labels is
/// labelled the same at RingCentral (`PUT …/phone-number/{id}`); a number dce has without
/// a label takes RingCentral's.
struct RingCentralNumbers: SyncExtra {
    var name: String { "ringcentral-numbers" }

    func run(_ context: SyncContext) async throws {
        let accountID = context.integration.accountID
        var numbers: [RingCentralAccountAPI.PhoneNumber] = []
        var next: PullRequest? = RingCentralAccountAPI.phoneNumbersRequest(context.credentials)
        while let request = next {
            let response = try await context.send(request, true)
            do {
                let page = try RingCentralAccountAPI.readPhoneNumbers(response, of: request, credentials: context.credentials)
                numbers += page.numbers
                next = page.next
            } catch {
                throw SyncError.unreadablePage(endpoint: request.endpoint, reason: error.message)
            }
        }
        let inventory = NumberInventory(database: context.services.database)
        var changed: [TrackingNumber] = []
        for number in numbers {
            guard let stored = try await inventory.number(number.phoneNumber, accountID: accountID)?.number else {
                // The account's own numbers, never free for a visitor pool.
                changed.append(TrackingNumber(number: number.phoneNumber, label: number.label,
                                              kind: number.paymentType?.lowercased() == "tollfree" ? .tollFree : nil, use: .static))
                continue
            }
            if let ours = stored.label {
                if ours != number.label {
                    _ = try await context.send(RingCentralAccountAPI.labelRequest(numberID: number.id, label: ours, credentials: context.credentials), false)
                }
            } else if let theirs = number.label {
                var labelled = stored
                labelled.label = theirs
                changed.append(labelled)
            }
        }
        if !changed.isEmpty { _ = try await inventory.importNumbers(changed, accountID: accountID) }
    }
}

extension RingCentralAdapter: SyncExtrasVendor {
    /// The seed's set-up and downloads: numbers and their labels, the webhook subscription,
    /// then the recordings of the calls pulled.
    var syncExtras: [any SyncExtra] { [RingCentralNumbers(), RingCentralSubscription(), RingCentralRecordings()] }
}

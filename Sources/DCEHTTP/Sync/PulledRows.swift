import DCEDomain
import DCEStorage
import DCEVendors

/// A page's rows, pulled or posted to a webhook, as the ledger takes them: their events,
/// with what the account's own data decides as for a webhook (a correction's call from the
/// event it corrects, a campaign from the account's numbers), and the rows that cannot be
/// read, each with its reason. The sync engine, the webhook route and a replay read a page
/// through this one function, so a page replayed is read as it came.
struct PulledRows {
    var events: [IncomingEvent] = []
    var refusals: [DeadLetterReason] = []

    static func read(_ rows: [PulledRow], vendor: any VendorAdapter, accountID: AccountID, lookups: WebhookLookups) async throws -> PulledRows {
        var read = PulledRows()
        for (index, row) in rows.enumerated() {
            switch row.outcome {
            case .success(let items):
                for item in items { read.events.append(try await read.incoming(item, row: row, vendor: vendor, accountID: accountID, lookups: lookups)) }
            case .failure(let error):
                read.refusals.append(DeadLetterReason(reason: "row \(index + 1) of the page: \(error.message)", field: error.field))
            }
        }
        return read
    }

    private func incoming(_ item: VendorEvent, row: PulledRow, vendor: any VendorAdapter, accountID: AccountID,
                          lookups: WebhookLookups) async throws -> IncomingEvent {
        var event = item.event
        if let key = item.correctedKey {
            if let same = events.first(where: { $0.event.idempotencyKey == key }) {
                event.externalCallID = same.event.externalCallID
            } else if let stored = try await lookups.externalCallID(forKey: key, accountID: accountID) {
                event.externalCallID = stored
            }
        }
        var incoming = item.isWholeBody ? IncomingEvent.wholeBody(event)
            : IncomingEvent(event: event, payload: item.payload.isEmpty ? row.payload : item.payload)
        if vendor.campaignFromNumbers, event.fields.campaignID == nil {
            incoming.campaignLookup = CampaignLookup(label: item.attributionLabel, trackingNumber: event.fields.trackingNumber)
        }
        return incoming
    }
}

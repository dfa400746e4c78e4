import DCEDomain
import SQLKit

/// Gives events that need it (`IncomingEvent.campaignLookup`) their campaign from the
/// account's numbers, for a whole commit group with one or two reads, inside its
/// transaction.
///
/// The rule: the label the vendor sent decides first: the inventory entry for that
/// number, or else any number labelled with it (the lowest number first), names the
/// campaign. Otherwise the called tracking number's own entry does, directly or through
/// its own label by the same rule.
enum CampaignAttribution {
    struct Number {
        let number: String
        let label: String?
        let campaignID: String?
    }

    static func resolve(_ items: [AppendItem], on sql: any SQLDatabase) async throws -> [AppendItem] {
        var wanted: [String: (numbers: Set<String>, labels: Set<String>)] = [:]
        for item in items {
            for incoming in item.events {
                guard let lookup = incoming.campaignLookup else { continue }
                var entry = wanted[item.accountID.rawValue] ?? ([], [])
                if let label = lookup.label {
                    entry.labels.formUnion([label, asNumber(label)])
                    entry.numbers.insert(asNumber(label))
                }
                if let tracking = lookup.trackingNumber { entry.numbers.insert(tracking.e164) }
                wanted[item.accountID.rawValue] = entry
            }
        }
        guard !wanted.isEmpty else { return items }

        var inventories: [String: [Number]] = [:]
        for (account, entry) in wanted {
            var numbers = try await read(account: account, numbers: entry.numbers, labels: entry.labels, on: sql)
            // A tracking number without a campaign of its own goes through its label.
            let ownLabels = Set(numbers.filter { entry.numbers.contains($0.number) && $0.campaignID == nil }.compactMap(\.label))
                .subtracting(entry.labels)
            if !ownLabels.isEmpty {
                let more = try await read(account: account, numbers: Set(ownLabels.map(asNumber)),
                                          labels: ownLabels.union(ownLabels.map(asNumber)), on: sql)
                let known = Set(numbers.map(\.number))
                numbers += more.filter { !known.contains($0.number) }
            }
            inventories[account] = numbers
        }

        return items.map { item in
            guard item.events.contains(where: { $0.campaignLookup != nil }) else { return item }
            let numbers = inventories[item.accountID.rawValue] ?? []
            var changed = false
            let events = item.events.map { incoming -> IncomingEvent in
                guard let lookup = incoming.campaignLookup, let campaign = campaign(for: lookup, in: numbers) else { return incoming }
                var incoming = incoming
                incoming.event.fields.campaignID = campaign
                changed = true
                return incoming
            }
            return changed ? AppendItem(events: events, accountID: item.accountID, request: item.request, storedRequestID: item.storedRequestID) : item
        }
    }

    static func campaign(for lookup: CampaignLookup, in numbers: [Number]) -> String? {
        if let label = lookup.label, let campaign = campaign(forLabel: label, in: numbers) { return campaign }
        guard let tracking = lookup.trackingNumber?.e164, let own = numbers.first(where: { $0.number == tracking }) else { return nil }
        if let campaign = own.campaignID { return campaign }
        guard let label = own.label else { return nil }
        return campaign(forLabel: label, in: numbers)
    }

    static func campaign(forLabel label: String, in numbers: [Number]) -> String? {
        let number = asNumber(label)
        return numbers
            .filter { $0.campaignID != nil && ($0.number == number || $0.label == label || $0.label == number) }
            .min { ($0.number == number ? 0 : 1, $0.number) < ($1.number == number ? 0 : 1, $1.number) }?
            .campaignID
    }

    /// A label that is a phone number, as stored numbers are written.
    static func asNumber(_ label: String) -> String {
        (try? PhoneNumber(parsing: label))?.e164 ?? label
    }

    static func read(account: String, numbers: Set<String>, labels: Set<String>, on sql: any SQLDatabase) async throws -> [Number] {
        try await sql.raw("""
            SELECT number, label, campaign_id FROM tracking_numbers
            WHERE account_id = \(bind: account)
              AND (number IN (\(binds: numbers.isEmpty ? [""] : numbers.sorted())) OR label IN (\(binds: labels.isEmpty ? [""] : labels.sorted())))
            """).all().map { row in
            Number(
                number: try row.decode(column: "number", as: String.self),
                label: try row.decode(column: "label", as: String?.self),
                campaignID: try row.decode(column: "campaign_id", as: String?.self)
            )
        }
    }
}

import DCEDomain
import DCEStorage
import DCEVendors

/// The dashboard's integrations: each one's pull sync as `GET /v1/integrations/{id}` shows
/// it (`SyncJSON`), in words and times an operator reads at a glance. An integration without
/// credentials takes webhooks only; the page says how to give it some.
struct DashboardIntegrationsView {
    let integrations: [Integration]
    let credentials: [String: CredentialSummary]
    let states: [String: SyncState]
    let vendors: VendorRegistry
    let now: Timestamp

    var context: [String: Any] {
        ["title": "Integrations", "count": integrations.count, "rows": integrations.map(row)]
    }

    func row(_ integration: Integration) -> [String: Any] {
        var row: [String: Any] = [
            "id": integration.id, "name": integration.name, "vendor": integration.vendor, "webhookPath": integration.webhookPath,
        ]
        guard let client = vendors.adapter(named: integration.vendor)?.pull else {
            row["webhooksOnly"] = ["reason": "dce does not pull \(integration.vendor)'s call records"]
            return row
        }
        let state = states[integration.id]
        guard let summary = credentials[integration.id],
              let sync = SyncJSON(integration, credentials: summary, state: state, vendors: vendors, now: now)
        else {
            let keys = client.keys.alternatives.first ?? []
            row["webhooksOnly"] = [
                "keys": client.keys.alternatives.map { $0.joined(separator: " + ") }.joined(separator: " or "),
                "cli": "dce integrations credentials \(integration.id)" + keys.map { " --set \($0)=…" }.joined(),
                "api": "PUT /v1/integrations/\(integration.id)/credentials",
            ]
            return row
        }
        row["sync"] = syncContext(sync, breakerUntil: state?.breakerUntil)
        return row
    }

    private func syncContext(_ sync: SyncJSON, breakerUntil: Timestamp?) -> [String: Any] {
        var context: [String: Any] = [
            "keys": sync.credentials ?? [],
            "apiBaseURL": sync.apiBaseURL,
            "interval": "every " + Self.span(Int64(sync.syncIntervalSeconds)),
            "lag": sync.lagSeconds.map(Self.span) ?? "not synced yet",
            "rows": DashboardView.grouped(Int(clamping: sync.rowsPulled)),
            "breaker": sync.breaker.rawValue,
            "breakerLabel": Self.label(sync.breaker),
        ]
        if let success = sync.lastSuccessAt { context["lastSuccess"] = moment(success) }
        if let syncedTo = sync.syncedTo { context["syncedTo"] = Self.absolute(syncedTo) }
        if let next = sync.nextRunAt, next > now {
            context["nextRun"] = moment(next)
        } else {
            context["nextRun"] = ["relative": "due now", "absolute": ""]
        }
        if sync.breaker == .open, let until = breakerUntil, until > now {
            context["breakerNote"] = "probes again " + Self.relative(until, now: now)
        }
        if let error = sync.lastError {
            var failure: [String: Any] = ["text": error]
            if let attempt = sync.lastAttemptAt { failure["when"] = moment(attempt) }
            context["lastError"] = failure
        }
        return context
    }

    private func moment(_ time: Timestamp) -> [String: String] {
        ["relative": Self.relative(time, now: now), "absolute": Self.absolute(time)]
    }

    static func label(_ breaker: BreakerState) -> String {
        switch breaker {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half-open"
        }
    }

    static func absolute(_ time: Timestamp) -> String { DashboardView.dateTime(time) + " UTC" }

    /// `3 min ago`, `in 2 h 5 min`, or `just now` within a few seconds either way.
    static func relative(_ time: Timestamp, now: Timestamp) -> String {
        let milliseconds = time.millisecondsSince1970 - now.millisecondsSince1970
        let seconds = Int64(milliseconds.magnitude / 1000)
        if seconds < 5 { return "just now" }
        return milliseconds < 0 ? span(seconds) + " ago" : "in " + span(seconds)
    }

    /// A length of time in its two largest units: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
    static func span(_ seconds: Int64) -> String {
        let units: [(size: Int64, name: String)] = [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")]
        guard let first = units.firstIndex(where: { seconds >= $0.size }) else { return "0 s" }
        let large = units[first]
        var text = "\(seconds / large.size) \(large.name)"
        if first + 1 < units.count, large.size > 60 {
            let small = units[first + 1]
            let rest = seconds % large.size / small.size
            if rest > 0 { text += " \(rest) \(small.name)" }
        }
        return text
    }
}

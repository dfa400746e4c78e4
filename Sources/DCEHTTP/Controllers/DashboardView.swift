import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// What the dashboard template shows, computed from the ledger's answers.
struct DashboardView {
    let account: Account
    let query: CallQuery
    let rangeQuery: CallQuery
    let totals: CallTotals
    let daily: [DailyCount]
    let page: CallPage
    let campaigns: [String]
    let publishers: [String]
    let parameters: Parameters
    let filterError: String?
    /// Names of the exchange entities the calls and menus name by id.
    var names: [String: String] = [:]

    var context: [String: Any] {
        var context: [String: Any] = [
            "title": "Dashboard",
            "accountName": account.name,
            "rangeLabel": rangeLabel,
            "totals": [
                "calls": Self.grouped(totals.calls),
                "answered": Self.grouped(totals.answered),
                "converted": Self.grouped(totals.converted),
                "conversionRate": String(format: "%.1f%%", totals.conversionRate * 100),
                "revenue": Self.money(totals.revenue),
                "payout": Self.money(totals.payout),
                "profit": Self.money(totals.revenue - totals.payout),
                "averageDuration": Self.duration(totals.averageDurationSeconds),
            ],
            "hasDays": !daily.isEmpty,
            "days": days,
            "statuses": CallStatus.allCases.map { ["value": $0.rawValue, "selected": $0 == query.status] },
            "campaigns": byName(campaigns).map { ["value": $0, "label": names[$0] ?? $0, "selected": $0 == query.campaignID] },
            "publishers": byName(publishers).map { ["value": $0, "label": names[$0] ?? $0, "selected": $0 == query.publisherID] },
            "filters": [
                "caller": parameters.string("caller") ?? "",
                "from": parameters.string("from") ?? "",
                "to": parameters.string("to") ?? "",
            ],
            "calls": page.calls.map { Self.row($0, names: names) },
            "nav": DashboardExchangeController.navigation(current: "calls"),
        ]
        if let filterError { context["filterError"] = filterError }
        if let next = page.nextCursor { context["nextURL"] = nextURL(cursor: next) }
        return context
    }

    private func byName(_ ids: [String]) -> [String] {
        ids.sorted { (names[$0] ?? $0, $0) < (names[$1] ?? $1, $1) }
    }

    private var rangeLabel: String {
        let from = rangeQuery.from.map { Self.day($0) } ?? "the beginning"
        let to = query.to.map { Self.day($0.adding(seconds: -1)) } ?? "today"
        return "\(from) to \(to)"
    }

    /// One bar per day of the range, including days without calls, scaled to the busiest day.
    private var days: [String: Any] {
        guard let first = daily.first?.day else { return ["bars": [], "first": "", "last": ""] }
        let byDay = Dictionary(uniqueKeysWithValues: daily.map { ($0.day.millisecondsSince1970, $0) })
        let lastDay = daily.last!.day.millisecondsSince1970
        let peak = max(1, daily.map(\.calls).max() ?? 1)
        var bars: [[String: Any]] = []
        var day = first.millisecondsSince1970
        while day <= lastDay {
            let count = byDay[day]
            bars.append([
                "height": max(1, Int((Double(count?.calls ?? 0) / Double(peak) * 100).rounded())),
                "label": Self.day(Timestamp(millisecondsSince1970: day)),
                "calls": count?.calls ?? 0,
                "revenue": Self.money(count?.revenue ?? .zero),
            ])
            day += 86_400_000
        }
        return ["bars": bars, "first": Self.day(first), "last": Self.day(Timestamp(millisecondsSince1970: lastDay))]
    }

    private func nextURL(cursor: CallCursor) -> String {
        var items: [URLQueryItem] = []
        for name in ["status", "campaign_id", "publisher_id", "caller", "from", "to"] {
            if let value = parameters.string(name), !value.isEmpty { items.append(URLQueryItem(name: name, value: value)) }
        }
        items.append(URLQueryItem(name: "cursor", value: cursor.token))
        var components = URLComponents()
        components.path = "/dashboard"
        components.queryItems = items
        return components.string ?? "/dashboard"
    }

    static func row(_ call: CallRecord, names: [String: String] = [:]) -> [String: Any] {
        let f = call.fields
        let status = f.status ?? .unknown
        return [
            "id": call.id.rawValue,
            "started": f.callStartedAt.map(dateTime) ?? dateTime(call.createdAt),
            "caller": f.callerPhone?.nationalFormat ?? "—",
            "tracking": f.trackingNumber?.nationalFormat ?? "—",
            "campaign": f.campaignID.map { names[$0] ?? $0 } ?? "—",
            "publisher": f.publisherID.map { names[$0] ?? $0 } ?? "—",
            "state": f.callerState ?? "—",
            "status": status.rawValue,
            "statusLabel": status.rawValue.replacingOccurrences(of: "_", with: " "),
            "converted": f.converted == true,
            "duration": f.durationSeconds.map(duration) ?? "—",
            "revenue": f.revenue.map { "$" + money($0) } ?? "—",
            "payout": f.payout.map { "$" + money($0) } ?? "—",
            "source": call.source.rawValue,
        ]
    }

    static func money(_ amount: Money) -> String {
        let text = amount.decimalString
        let negative = text.hasPrefix("-")
        let parts = text.drop(while: { $0 == "-" }).split(separator: ".")
        let whole = grouped(Int(parts[0]) ?? 0)
        return (negative ? "-" : "") + whole + "." + parts[1]
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    static func duration(_ seconds: Int) -> String {
        seconds >= 60 ? "\(seconds / 60)m \(String(format: "%02d", seconds % 60))s" : "\(seconds)s"
    }

    static func day(_ time: Timestamp) -> String { String(time.iso8601.prefix(10)) }

    static func dateTime(_ time: Timestamp) -> String {
        let iso = time.iso8601
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(5))
    }
}

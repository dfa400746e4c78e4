import DCEJSON
import DCEDomain
import DCEStorage
import Foundation

/// One line of a table cell or summary; `link` makes it point at another page.
struct ExchangeLine {
    let text: String
    var link: String?

    /// `href` rather than `link`, which the row around it uses for its own page.
    var context: [String: Any] {
        var context: [String: Any] = ["text": text]
        if let link { context["href"] = link }
        return context
    }
}

/// How the dashboard lists and describes one kind of exchange entity: its columns, and
/// each entity's key settings in words. `names` maps the ids a spec names to their names.
protocol DashboardListed: ExchangeSpecValue {
    static var title: String { get }
    static var columns: [String] { get }
    func cells(names: [String: String]) -> [[ExchangeLine]]
    /// The JSON a "New" form starts from, naming existing entities where the spec needs some.
    static func example(firstIDs: [ExchangeKind: String]) -> String
}

extension DashboardListed {
    static var singular: String { kind.rawValue }
    static var path: String { "/dashboard/\(kind.plural)" }
}

extension CampaignSpec: DashboardListed {
    static var title: String { "Campaigns" }
    static var columns: [String] { ["Numbers", "Routing order", "Duplicates", "Fallback", "Publisher"] }

    func cells(names: [String: String]) -> [[ExchangeLine]] {
        var numberLines = numbers.prefix(6).map { entry in
            ExchangeLine(text: entry.number.nationalFormat + (entry.publisherID.map { " · " + ExchangeWords.name($0.rawValue, names) } ?? ""))
        }
        if numbers.count > 6 { numberLines.append(ExchangeLine(text: "and \(numbers.count - 6) more")) }
        numberLines += pools.map { ExchangeLine(text: "pool \($0)") }
        if numberLines.isEmpty { numberLines = [ExchangeLine(text: "no numbers")] }

        let totals = routing.reduce(into: [Int: Int]()) { $0[$1.priority, default: 0] += $1.weight }
        var routingLines = routing.enumerated().map { index, entry in
            let total = totals[entry.priority] ?? 0
            let share = total > 0 ? " (\(entry.weight * 100 / total)%)" : ""
            let group = entry.ringGroup.map { ", rings with group \($0)" } ?? ""
            return ExchangeLine(
                text: "\(index + 1). \(ExchangeWords.name(entry.targetID.rawValue, names)): priority \(entry.priority), weight \(entry.weight)\(share)\(group)",
                link: "/dashboard/targets/\(entry.targetID.rawValue)")
        }
        if routingLines.isEmpty { routingLines = [ExchangeLine(text: "no targets")] }
        if simultaneousRing > 1 { routingLines.append(ExchangeLine(text: "rings \(simultaneousRing) at once")) }

        let duplicateLines = duplicateWindowDays == 0
            ? [ExchangeLine(text: "no window")]
            : [ExchangeLine(text: "\(duplicateWindowDays)-day window"),
               ExchangeLine(text: (duplicates.payable ? "payable" : "not payable") + ", " + (duplicates.receivable ? "receivable" : "not receivable"))]
        let publisher = defaultPublisherID.map {
            ExchangeLine(text: ExchangeWords.name($0.rawValue, names), link: "/dashboard/publishers/\($0.rawValue)")
        } ?? ExchangeLine(text: "none")
        return [
            numberLines, routingLines, duplicateLines,
            [ExchangeLine(text: ExchangeWords.fallback(fallback)), ExchangeLine(text: "\(figures.rawValue) figures count")],
            [publisher, ExchangeLine(text: timeZone.identifier)],
        ]
    }

    static func example(firstIDs: [ExchangeKind: String]) -> String {
        let routing = firstIDs[.target].map { #"{"target_id": "\#($0)", "priority": 1, "weight": 1}"# } ?? ""
        let publisher = firstIDs[.publisher].map { #""\#($0)""# } ?? "null"
        return """
            {
              "name": "New campaign",
              "time_zone": "America/New_York",
              "default_publisher_id": \(publisher),
              "numbers": [],
              "routing": [\(routing)],
              "duplicate_window_days": 30,
              "fallback": {"action": "hang_up"}
            }
            """
    }
}

extension PublisherSpec: DashboardListed {
    static var title: String { "Publishers" }
    static var columns: [String] { ["Payout", "Vendor ids"] }

    func cells(names: [String: String]) -> [[ExchangeLine]] {
        [[ExchangeLine(text: ExchangeWords.payout(payout))], ExchangeWords.externalIDs(externalIDs)]
    }

    static func example(firstIDs: [ExchangeKind: String]) -> String {
        """
        {
          "name": "New publisher",
          "payout": {"min_seconds": 60, "fixed": "10.00"},
          "external_ids": {}
        }
        """
    }
}

extension BuyerSpec: DashboardListed {
    static var title: String { "Buyers" }
    static var columns: [String] { ["Conversion", "Caps", "Duplicates", "Time zone", "Vendor ids"] }

    func cells(names: [String: String]) -> [[ExchangeLine]] {
        [
            [ExchangeLine(text: ExchangeWords.conversion(conversion))],
            ExchangeWords.caps(caps),
            [ExchangeLine(text: duplicateWindowDays == 0 ? "no window" : "skipped for \(duplicateWindowDays) days after a call")],
            [ExchangeLine(text: timeZone.identifier)],
            ExchangeWords.externalIDs(externalIDs),
        ]
    }

    static func example(firstIDs: [ExchangeKind: String]) -> String {
        """
        {
          "name": "New buyer",
          "time_zone": "America/New_York",
          "conversion": {"min_seconds": 90, "revenue": "30.00"},
          "caps": {"limits": [{"metric": "routed", "period": "day", "limit": 50}], "concurrency": 5},
          "duplicate_window_days": 30
        }
        """
    }
}

extension TargetSpec: DashboardListed {
    static var title: String { "Targets" }
    static var columns: [String] { ["Buyer", "Destination", "Hours", "Filters", "Caps"] }

    func cells(names: [String: String]) -> [[ExchangeLine]] {
        [
            [ExchangeLine(text: ExchangeWords.name(buyerID.rawValue, names), link: "/dashboard/buyers/\(buyerID.rawValue)")],
            [ExchangeLine(text: ExchangeWords.destination(destination)), ExchangeLine(text: "rings \(ringTimeoutSeconds) s")],
            ExchangeWords.hours(hours, timeZone: timeZone),
            filters.isEmpty ? [ExchangeLine(text: "any caller")] : filters.map { ExchangeLine(text: ExchangeWords.filter($0)) },
            ExchangeWords.caps(caps),
        ]
    }

    static func example(firstIDs: [ExchangeKind: String]) -> String {
        """
        {
          "name": "New target",
          "buyer_id": "\(firstIDs[.buyer] ?? "buy_…")",
          "destination": "+18005550100",
          "time_zone": "America/New_York",
          "hours": [
            {"weekday": "monday", "opens": "09:00", "closes": "17:00"},
            {"weekday": "tuesday", "opens": "09:00", "closes": "17:00"}
          ],
          "filters": [{"field": "caller_state", "operator": "in", "values": ["NY", "NJ"]}],
          "ring_timeout_seconds": 30
        }
        """
    }
}

/// Settings in words, as an operator reads them.
enum ExchangeWords {
    static func name(_ id: String, _ names: [String: String]) -> String { names[id] ?? id }

    static func money(_ amount: Money) -> String { "$" + DashboardView.money(amount) }

    static func payout(_ rule: PayoutRule) -> String {
        switch rule.amount {
        case .fixed(let amount): "\(money(amount)) per call of \(rule.minimumSeconds) s or more"
        case .revenueShare(let percent): "\(percent)% of revenue on calls of \(rule.minimumSeconds) s or more"
        }
    }

    static func conversion(_ rule: ConversionRule) -> String {
        "pays \(money(rule.revenue)) after \(rule.minimumSeconds) s connected"
    }

    static func caps(_ caps: Caps) -> [ExchangeLine] {
        var lines = caps.limits.map { cap in
            let per = switch cap.period {
            case .hour: "an hour"
            case .day: "a day"
            case .month: "a month"
            case .total: "in total"
            }
            return ExchangeLine(text: "\(cap.limit) \(cap.metric.rawValue) \(per)")
        }
        if let concurrency = caps.concurrency { lines.append(ExchangeLine(text: "\(concurrency) live at once")) }
        return lines.isEmpty ? [ExchangeLine(text: "no caps")] : lines
    }

    static func externalIDs(_ ids: ExternalIDs) -> [ExchangeLine] {
        let lines = ids.byVendor.keys.sorted().compactMap { vendor -> ExchangeLine? in
            guard let list = ids.byVendor[vendor], !list.isEmpty else { return nil }
            return ExchangeLine(text: "\(vendor): " + list.joined(separator: ", "))
        }
        return lines.isEmpty ? [ExchangeLine(text: "none")] : lines
    }

    static func destination(_ destination: RouteDestination) -> String {
        switch destination {
        case .number(let number): number.nationalFormat
        case .sip(let uri): uri
        }
    }

    static func fallback(_ fallback: RoutingFallback) -> String {
        switch fallback {
        case .number(let number): "forward to \(number.nationalFormat)"
        case .voicemail: "voicemail"
        case .hangUp: "hang up"
        }
    }

    static func filter(_ filter: RoutingFilter) -> String {
        switch filter.condition {
        case .equals(let value): "\(filter.field) is \(value)"
        case .oneOf(let values): "\(filter.field) in \(values.sorted().joined(separator: ", "))"
        case .noneOf(let values): "\(filter.field) not in \(values.sorted().joined(separator: ", "))"
        case .exists: "\(filter.field) is present"
        case .range(let minimum, let maximum):
            switch (minimum, maximum) {
            case (let low?, let high?): "\(filter.field) from \(low) to \(high)"
            case (let low?, nil): "\(filter.field) at least \(low)"
            case (nil, let high?): "\(filter.field) at most \(high)"
            case (nil, nil): "\(filter.field) any number"
            }
        }
    }

    static let weekOrder: [Weekday] = [.monday, .tuesday, .wednesday, .thursday, .friday, .saturday, .sunday]

    /// `Mon–Fri 08:00–20:00`: days that share opening times are written together, and
    /// runs of days as a span.
    static func hours(_ windows: [HoursWindow]?, timeZone: IANATimeZone) -> [ExchangeLine] {
        guard let windows else { return [ExchangeLine(text: "always open")] }
        var times: [(opens: ClockTime, closes: ClockTime)] = []
        var days: [Int: Set<Weekday>] = [:]
        for day in weekOrder {
            for window in windows where window.weekday == day {
                let index = times.firstIndex { $0.opens == window.opens && $0.closes == window.closes } ?? {
                    times.append((window.opens, window.closes))
                    return times.count - 1
                }()
                days[index, default: []].insert(day)
            }
        }
        var lines = times.indices.map { index in
            let time = times[index]
            let overnight = time.closes <= time.opens ? " (overnight)" : ""
            return ExchangeLine(text: "\(dayRuns(days[index] ?? [])) \(time.opens)–\(time.closes)\(overnight)")
        }
        lines.append(ExchangeLine(text: timeZone.identifier))
        return lines
    }

    static func dayRuns(_ days: Set<Weekday>) -> String {
        var runs: [[Weekday]] = []
        for day in weekOrder where days.contains(day) {
            if let last = runs.last?.last, let position = weekOrder.firstIndex(of: last), position + 1 < weekOrder.count, weekOrder[position + 1] == day {
                runs[runs.count - 1].append(day)
            } else {
                runs.append([day])
            }
        }
        func short(_ day: Weekday) -> String { day.name.prefix(3).capitalized }
        return runs.map { run in
            guard let first = run.first, let last = run.last else { return "" }
            return run.count > 2 ? "\(short(first))–\(short(last))" : run.map(short).joined(separator: ", ")
        }.joined(separator: ", ")
    }
}

/// A spec as the edit form shows it: the fields in the order an operator thinks of them
/// (name first), short arrays and objects on one line, numbers as they were written.
enum SpecJSON {
    static let order = [
        "name", "buyer_id", "destination", "time_zone", "default_publisher_id", "numbers", "pools", "routing", "simultaneous_ring",
        "hours", "filters", "conversion", "payout", "caps", "ring_timeout_seconds", "duplicate_window_days", "duplicates", "figures",
        "fallback", "external_ids", "target_id", "priority", "weight", "ring_group", "number", "publisher_id", "weekday", "opens", "closes",
        "field", "operator", "values", "minimum", "maximum", "limits", "metric", "period", "limit", "concurrency", "min_seconds",
        "revenue", "fixed", "revenue_share_percent", "action", "payable", "receivable",
    ]
    static let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($0.element, $0.offset) })
    static let lineWidth = 96

    static func pretty(_ json: String) -> String {
        guard let value = JSONValue.parse(json) else { return json }
        return pretty(value, indent: "", expand: true)
    }

    static func keys(_ object: [String: JSONValue]) -> [String] {
        object.keys.sorted { (rank[$0] ?? order.count, $0) < (rank[$1] ?? order.count, $1) }
    }

    static func compact(_ value: JSONValue) -> String {
        switch value {
        case .object(let object): "{" + keys(object).map { JSONText.string($0) + ": " + compact(object[$0] ?? .null) }.joined(separator: ", ") + "}"
        case .array(let array): "[" + array.map(compact).joined(separator: ", ") + "]"
        default: value.text
        }
    }

    static func pretty(_ value: JSONValue, indent: String, expand: Bool = false) -> String {
        let flat = compact(value)
        if !expand, indent.count + flat.count <= lineWidth { return flat }
        let inner = indent + "  "
        switch value {
        case .object(let object) where !object.isEmpty:
            let members = keys(object).map { inner + JSONText.string($0) + ": " + pretty(object[$0] ?? .null, indent: inner) }
            return "{\n" + members.joined(separator: ",\n") + "\n" + indent + "}"
        case .array(let array) where !array.isEmpty:
            return "[\n" + array.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        default:
            return flat
        }
    }
}

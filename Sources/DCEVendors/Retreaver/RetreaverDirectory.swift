import DCEJSON
import DCEDomain

/// Retreaver's lists of campaigns, affiliates and targets (core-api-docs "Get all
/// Campaigns", "Get all Affiliates", "Get all Targets"): pages of `{"campaign": {…}}`,
/// `{"affiliate": {…}}` and `{"target": {…}}`, 25 a page, the next named by the `Link`
/// header as for calls. Each object is read on its own, so that one that cannot be read
/// is refused by the field at fault and the rest of its page still counts.
public enum RetreaverDirectory {
    /// One of the lists, by its path under the account's API root.
    public enum List: String, CaseIterable, Sendable {
        case affiliates, campaigns, targets

        /// The stored page's endpoint (`/sync/retreaver/<integration>/campaigns`).
        public var endpoint: String { rawValue }

        /// The key each listed object is wrapped in.
        var wrapper: String { String(rawValue.dropLast()) }

        init?(endpoint: String) { self.init(rawValue: endpoint) }
    }

    /// Longest id dce keeps for a vendor (`ExternalIDs.maximumLength`).
    static let maximumIDLength = 128

    /// The first page of `list`, with the account's `company_id` as the calls request sends it.
    public static func firstRequest(_ list: List, credentials: PullCredentials) -> PullRequest {
        RetreaverPull().request(credentials, [], path: "api/v2/\(list.rawValue).json", endpoint: list.endpoint)
    }

    public static func campaigns(_ response: PullResponse, of request: PullRequest, base: String) throws(VendorError) -> RetreaverListPage<RetreaverCampaign> {
        try page(response, of: request, list: .campaigns, base: base, read: RetreaverCampaign.init)
    }

    public static func affiliates(_ response: PullResponse, of request: PullRequest, base: String) throws(VendorError) -> RetreaverListPage<RetreaverAffiliate> {
        try page(response, of: request, list: .affiliates, base: base, read: RetreaverAffiliate.init)
    }

    public static func targets(_ response: PullResponse, of request: PullRequest, base: String) throws(VendorError) -> RetreaverListPage<RetreaverTarget> {
        try page(response, of: request, list: .targets, base: base, read: RetreaverTarget.init)
    }

    /// A page of `list`: each object read by `read`, and the next page.
    static func page<Value: Sendable>(
        _ response: PullResponse, of request: PullRequest, list: List, base: String,
        read: (JSONMembers) throws(VendorError) -> Value
    ) throws(VendorError) -> RetreaverListPage<Value> {
        guard case .array(let elements) = try JSONBody.parse(response.body) else {
            throw VendorError(field: nil, message: "Retreaver's \(list.rawValue).json must be a JSON array", code: "malformed_json")
        }
        let items = elements.enumerated().map { index, element in
            RetreaverListed(payload: JSONBody.text(element), value: Result { () throws(VendorError) -> Value in
                try read(try unwrap(element, list: list, path: "[\(index)]"))
            })
        }
        var next: PullRequest?
        if !elements.isEmpty, let link = response.headers["link"], let url = try RetreaverPull.nextURL(link, base: base) {
            next = PullRequest(url: url, headers: request.headers, endpoint: list.endpoint)
        }
        return RetreaverListPage(items: items, next: next)
    }

    /// A page of `list` as pulled rows: a listed object carries no call events, and one that
    /// cannot be read is a row refused by its field (the sync and a replay read it alike).
    static func rows(_ response: PullResponse, of request: PullRequest, list: List, base: String) throws(VendorError) -> PulledPage {
        func rows<Value: Sendable>(_ page: RetreaverListPage<Value>) -> PulledPage {
            PulledPage(rows: page.items.map { PulledRow(payload: $0.payload, outcome: $0.value.map { _ in [] }) }, next: page.next)
        }
        switch list {
        case .campaigns: return rows(try campaigns(response, of: request, base: base))
        case .affiliates: return rows(try affiliates(response, of: request, base: base))
        case .targets: return rows(try targets(response, of: request, base: base))
        }
    }

    /// `{"campaign": {…}}` or the bare object.
    static func unwrap(_ element: JSONValue, list: List, path: String) throws(VendorError) -> JSONMembers {
        guard case .object(let object) = element else { throw VendorError(field: path, message: "\(path) must be a \(list.wrapper) object") }
        if object.count == 1, case .object(let inner)? = object[list.wrapper] {
            return JSONMembers(inner, path: "\(path).\(list.wrapper)")
        }
        return JSONMembers(object, path: path)
    }

    /// A required id, as a string or a number, no longer than dce keeps.
    static func id(_ members: JSONMembers, _ key: String) throws(VendorError) -> String {
        guard let id = try optionalID(members, key) else { throw .missing(members.field(key)) }
        return id
    }

    static func optionalID(_ members: JSONMembers, _ key: String) throws(VendorError) -> String? {
        guard let text = try members.text(key)?.trimmingWhitespace(), !text.isEmpty else { return nil }
        guard text.utf8.count <= maximumIDLength else { throw .invalid(members.field(key), "must be at most \(maximumIDLength) bytes") }
        return text
    }

    static func updatedAt(_ members: JSONMembers) throws(VendorError) -> Timestamp? {
        guard let text = try members.string("updated_at") else { return nil }
        do { return try Timestamp.parse(text) } catch { throw .invalid(members.field("updated_at"), error.description) }
    }

    static func name(_ members: JSONMembers, _ key: String) throws(VendorError) -> String? {
        guard let name = try members.string(key)?.trimmingWhitespace(), !name.isEmpty else { return nil }
        return name
    }
}

/// One page of a list.
public struct RetreaverListPage<Value: Sendable>: Sendable {
    public var items: [RetreaverListed<Value>]
    public var next: PullRequest?
}

/// One listed object: as Retreaver sent it, and what it says or why it cannot be read.
public struct RetreaverListed<Value: Sendable>: Sendable {
    public var payload: String
    public var value: Result<Value, VendorError>
}

/// A campaign: `cid`, the id the account gives it, and Retreaver's own `id`, which a v2
/// call carries as `campaign_id`.
public struct RetreaverCampaign: Sendable, Hashable {
    public var cid: String
    public var id: String?
    public var name: String
    public var updatedAt: Timestamp?
    /// Where it was read (`[2].campaign`), for errors about it.
    public var path: String

    init(_ members: JSONMembers) throws(VendorError) {
        cid = try RetreaverDirectory.id(members, "cid")
        id = try RetreaverDirectory.optionalID(members, "id")
        name = try RetreaverDirectory.name(members, "name") ?? "Retreaver campaign \(cid)"
        updatedAt = try RetreaverDirectory.updatedAt(members)
        path = members.path
    }

    /// Every id a call may name it by.
    public var callIDs: [String] { [cid] + (id.map { [$0] } ?? []) }
}

/// An affiliate (a publisher): `afid`, the id calls carry, and its person's and company's names.
public struct RetreaverAffiliate: Sendable, Hashable {
    public var afid: String
    public var id: String?
    public var firstName: String?
    public var lastName: String?
    public var companyName: String?
    public var updatedAt: Timestamp?
    public var path: String

    init(_ members: JSONMembers) throws(VendorError) {
        afid = try RetreaverDirectory.id(members, "afid")
        id = try RetreaverDirectory.optionalID(members, "id")
        firstName = try RetreaverDirectory.name(members, "first_name")
        lastName = try RetreaverDirectory.name(members, "last_name")
        companyName = try RetreaverDirectory.name(members, "company_name")
        updatedAt = try RetreaverDirectory.updatedAt(members)
        path = members.path
    }

    /// Its company's name, else its person's, as Retreaver's affiliate list shows them.
    public var name: String {
        if let companyName { return companyName }
        let person = [firstName, lastName].compactMap { $0 }.joined(separator: " ")
        return person.isEmpty ? "Retreaver affiliate \(afid)" : person
    }

    public var callIDs: [String] { [afid] + (id.map { [$0] } ?? []) }
}

/// A target (a buyer's destination): Retreaver's `id`, which a v2 call carries as
/// `target_id`, and the account's own `tid` when it set one (the docs' example has none).
public struct RetreaverTarget: Sendable, Hashable {
    public var id: String
    public var tid: String?
    public var name: String
    public var destination: RouteDestination
    public var timeZone: IANATimeZone
    public var caps: Caps
    /// `timeout_seconds`: how long it rings before routing moves on.
    public var ringTimeoutSeconds: Int?
    public var updatedAt: Timestamp?
    public var path: String

    /// Retreaver's cap types, by the period dce counts them over.
    static let capPeriods: [String: CapPeriod] = ["hard": .total, "hourly": .hour, "daily": .day, "monthly": .month]
    static let capValues = 0...1_000_000

    init(_ members: JSONMembers) throws(VendorError) {
        id = try RetreaverDirectory.id(members, "id")
        // `client_tid` in the docs' answer to a create.
        let clientTID = try RetreaverDirectory.optionalID(members, "client_tid")
        tid = try RetreaverDirectory.optionalID(members, "tid") ?? clientTID
        name = try RetreaverDirectory.name(members, "name") ?? "Retreaver target \(tid ?? id)"
        guard let number = try members.string("number") else { throw .missing(members.field("number")) }
        do { destination = try RouteDestination(parsing: number, field: members.field("number")) } catch {
            throw .invalid(members.field("number"), "'\(number.prefix(64))' is neither an E.164 phone number nor a SIP address")
        }
        timeZone = try Self.timeZone(members)
        caps = try Self.caps(members)
        if let seconds = try members.integer("timeout_seconds") {
            guard RoutingPlan.ringTimeouts.contains(seconds) else {
                throw .invalid(members.field("timeout_seconds"), "must be \(RoutingPlan.ringTimeouts.lowerBound) to \(RoutingPlan.ringTimeouts.upperBound)")
            }
            ringTimeoutSeconds = seconds
        }
        updatedAt = try RetreaverDirectory.updatedAt(members)
        path = members.path
    }

    public var callIDs: [String] { [id] + (tid.map { [$0] } ?? []) }

    /// `time_zone`, one of Retreaver's names ("Eastern Time (US & Canada)") or an IANA name.
    static func timeZone(_ members: JSONMembers) throws(VendorError) -> IANATimeZone {
        let key = members.members["time_zone"] != nil ? "time_zone" : "business_timezone"
        guard let name = try members.string(key)?.trimmingWhitespace(), !name.isEmpty else { return .utc }
        do {
            return try IANATimeZone(identifier: RetreaverTimeZones.iana[name] ?? name, field: members.field(key))
        } catch {
            throw .invalid(members.field(key), "'\(name.prefix(64))' is not one of Retreaver's time zones")
        }
    }

    /// `concurrency_cap` and `caps` (`{"type": "Daily", "cap": 10}`; a null cap is none),
    /// counting the calls routed to the target, as Retreaver counts them by default.
    static func caps(_ members: JSONMembers) throws(VendorError) -> Caps {
        func checked(_ value: Int?, _ field: String) throws(VendorError) -> Int? {
            guard let value else { return nil }
            guard capValues.contains(value) else { throw .invalid(field, "must be \(capValues.lowerBound) to \(capValues.upperBound)") }
            return value
        }
        var caps = Caps(concurrency: try checked(try members.integer("concurrency_cap"), members.field("concurrency_cap")))
        for (cap, _) in try members.objects("caps") ?? [] {
            guard let limit = try checked(try cap.integer("cap"), cap.field("cap")) else { continue }
            let type = try cap.string("type") ?? ""
            guard let period = capPeriods[type.lowercased()] else {
                throw .invalid(cap.field("type"), "'\(type.prefix(32))' is not a cap type dce counts (Hard, Hourly, Daily, Monthly)")
            }
            caps.limits.removeAll { $0.period == period }
            caps.limits.append(CapLimit(.routed, per: period, limit: limit))
        }
        caps.limits.sort { CapPeriod.allCases.firstIndex(of: $0.period) ?? 0 < CapPeriod.allCases.firstIndex(of: $1.period) ?? 0 }
        return caps
    }
}

extension JSONMembers {
    /// A member's path, for errors.
    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

import DCEDomain
import DCEJSON
import DCEStorage
import DCEVendors
import Foundation

/// `dce replay`: the kept requests read again with today's readers and mappings, and their
/// calls folded again (`Ledger.replay`), so that a mapping fix applies to history. Each
/// request is read as its route read it, without authenticating it again: it was
/// authenticated when it was kept.
public struct Replay: Sendable {
    let services: AppServices

    public init(services: AppServices) { self.services = services }

    public func run(_ filter: ReplayFilter) async throws -> ReplayReport {
        let reader = KeptRequestReader(services: services)
        return try await services.ledger.replay(filter) { kept in try await reader.read(kept) }
    }
}

public enum ReplayError: Error, Equatable, CustomStringConvertible {
    /// A kept delivery names an integration since deleted: its mapping is gone, so its
    /// calls cannot be folded again as they were.
    case integrationGone(requestID: String, integrationID: String)

    public var description: String {
        switch self {
        case .integrationGone(let request, let integration):
            "request \(request) was delivered to integration '\(integration)', which no longer exists; "
                + "replay a time range or an integration that leaves it out"
        }
    }
}

/// Reads one kept request the way its route did, by its path: a vendor webhook, a pulled
/// page, `/v1/events`, or the ribbon's log-call. Called in received order: the ribbon's
/// reading depends on the events of the same call before it.
final class KeptRequestReader {
    let services: AppServices
    let webhooks: WebhooksController
    let ribbon: RibbonReplay

    init(services: AppServices) {
        self.services = services
        self.webhooks = WebhooksController(services: services)
        self.ribbon = RibbonReplay(sessions: RibbonSessions(database: services.database))
    }

    func read(_ kept: KeptRequest) async throws -> ReplayReading {
        do {
            try IngestChecks.requireUTF8(kept.request.body)
            return try await reading(kept)
        } catch let error as APIError where error.status.code < 500 {
            return .refused(reason: error.message, field: error.field)
        }
    }

    private func reading(_ kept: KeptRequest) async throws -> ReplayReading {
        let request = kept.request
        let (path, query) = Self.split(request.path)
        let parts = path.split(separator: "/").map(String.init)
        switch parts.first {
        case "v1" where parts == ["v1", "events"]:
            return .events(try EventsController.events(request.body, receivedAt: request.receivedAt).events)
        case "api" where parts == ["api", "ribbon", "log-call"]:
            return .events(try await ribbon.events(kept))
        case "webhooks" where parts.count == 3:
            let (vendor, integration) = try await addressed(kept, vendor: parts[1], integrationID: parts[2])
            let read = try await webhooks.events(vendor, of: request, query: FlatFields.form(query).values, integration: integration)
            return read.refusals.isEmpty ? .events(read.events) : .page(events: read.events, refusedRows: read.refusals)
        case "sync" where parts.count == 4:
            let (vendor, integration) = try await addressed(kept, vendor: parts[1], integrationID: parts[2])
            let read = try await PulledPageEvents.read(kept, vendor: vendor, integration: integration, endpoint: parts[3], services: services)
            return .page(events: read.events, refusedRows: read.refusals)
        default:
            throw APIError.badRequest("no route reads \(request.method) \(path)", field: "path")
        }
    }

    private func addressed(_ kept: KeptRequest, vendor name: String, integrationID: String) async throws -> (any VendorAdapter, Integration) {
        guard let vendor = services.vendors.adapter(named: name) else {
            throw APIError.badRequest("no vendor '\(name)' is registered", field: "vendor")
        }
        guard let integration = try await webhooks.integrations.integration(id: integrationID),
              integration.accountID == kept.accountID
        else { throw ReplayError.integrationGone(requestID: kept.id, integrationID: integrationID) }
        return (vendor, integration)
    }

    /// A kept path and its query (a webhook's token shows as `***` and is never read).
    static func split(_ path: String) -> (path: String, query: String) {
        guard let mark = path.firstIndex(of: "?") else { return (path, "") }
        return (String(path[..<mark]), String(path[path.index(after: mark)...]))
    }
}

/// A kept pulled page read again with its vendor's client: its rows' events and the rows
/// that still cannot be read, as the sync engine reads them; a page that is not the
/// vendor's shape at all is refused.
enum PulledPageEvents {
    static func read(_ kept: KeptRequest, vendor: any VendorAdapter, integration: Integration, endpoint: String,
                     services: AppServices) async throws -> PulledRows {
        guard let pull = vendor.pull else { throw APIError.badRequest("vendor '\(vendor.name)' has no pull client", field: "vendor") }
        let request = kept.request
        let url = request.headers["x-dce-pull-url"] ?? ""
        let pullRequest = PullRequest(method: request.method, url: url, body: request.headers["x-dce-pull-body"].map { Array($0.utf8) },
                                      endpoint: endpoint)
        let response = PullResponse(status: 200, headers: request.contentType.map { ["content-type": $0] } ?? [:], body: request.body)
        // The page is read for its rows only: the next request it names is not followed, so
        // no credential is needed, and every row is in the window.
        let window = PullWindow(from: Timestamp(millisecondsSince1970: 0), to: Timestamp(millisecondsSince1970: Int64.max / 2))
        let credentials = PullCredentials(values: [:], apiBaseURL: Self.origin(of: url))
        let profile = IntegrationProfile(id: integration.id, fieldMapping: integration.fieldMapping)
        let page: PulledPage
        do {
            page = try pull.read(response, of: pullRequest, window: window, credentials: credentials, integration: profile)
        } catch {
            throw APIError.badRequest(error.message, field: error.field, code: error.code)
        }
        let read = try await PulledRows.read(page.rows, vendor: vendor, accountID: integration.accountID,
                                             lookups: WebhookLookups(database: services.database))
        try IngestChecks.requireStorableText(read.events, batched: read.events.count > 1)
        return read
    }

    /// `https://api.example.com/` of `https://api.example.com/v2/calls?page=2`.
    static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return url }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")/"
    }
}

/// The ribbon's log-call read again. Its event depends on the call's session as the route
/// found it: the session the call was claimed under, whether this event opened it, and
/// whether the call was answered before it; a replay reads those from the events of the
/// same call before it instead of claiming (and counting) the call again.
final class RibbonReplay {
    let sessions: RibbonSessions
    private var seen: [String: (answered: Bool, sessionID: String)] = [:]

    init(sessions: RibbonSessions) { self.sessions = sessions }

    func events(_ kept: KeptRequest) async throws -> [IncomingEvent] {
        guard let document = JSONValue.parse(bytes: kept.request.body), case .object(let object) = document else {
            throw APIError.badRequest("the body must be a JSON object", code: "malformed_json")
        }
        let parsed = try RibbonLogEvent(object, receivedAt: kept.request.receivedAt)
        let call = "\(kept.accountID.rawValue)|\(parsed.callSid)"
        let before = seen[call]
        let sessionID: String
        if let before {
            sessionID = before.sessionID
        } else if let stored = try await sessions.sessionID(callSid: parsed.callSid, accountID: kept.accountID) {
            sessionID = stored
        } else {
            throw APIError.badRequest("no ribbon session holds call \(parsed.callSid)", field: "data.callSid")
        }
        let claim = RibbonSessionClaim(replayedSession: sessionID, isNew: before == nil, answered: before?.answered ?? false)
        let prefix = "ribbon:\(parsed.callSid):\(parsed.event):"
        let event = parsed.callEvent(claim: claim, storedKey: kept.storedKeys.first { $0.hasPrefix(prefix) })
        seen[call] = ((before?.answered ?? false) || event.fields.callAnsweredAt != nil, sessionID)
        return [.wholeBody(event)]
    }
}

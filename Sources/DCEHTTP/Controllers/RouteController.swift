import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// `POST /v1/route`: the decision API for platforms that ask dce where to send a call,
/// answered by the same routing as the carriers' voice webhooks; `GET /v1/routes/{id}`
/// reads a stored decision back.
struct RouteController {
    let services: AppServices
    var directory: ExchangeDirectory { services.exchange }
    var desk: RouteDesk { services.routes }

    static let maximumCallIDLength = 128

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("route", use: route)
        routes.get("routes/{id}", use: show)
        return routes
    }

    struct RouteInput: Decodable {
        let campaign_id: String?
        let caller: String?
        let dialed: String?
        let tags: [String: String]?
        let call_id: String?
    }

    @Sendable func route(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let input: RouteInput = try await decodeJSON(request, context: context)
        let caller = try input.caller.map { try Self.phone($0, field: "caller") }
        let dialed = try input.dialed.map { try Self.phone($0, field: "dialed") }
        let tags: Tags
        do {
            tags = try Tags(validating: input.tags ?? [:])
        } catch {
            throw APIError.badRequest(error.description, field: "tags", code: "invalid_field")
        }
        if let callID = input.call_id {
            guard !callID.isEmpty, callID.utf8.count <= Self.maximumCallIDLength,
                  !callID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw APIError.badRequest("call_id must be 1 to \(Self.maximumCallIDLength) characters without control characters",
                                          field: "call_id", code: "invalid_field")
            }
        }
        let (campaignID, publisherID) = try await campaign(input.campaign_id, dialed: dialed, accountID: accountID)
        let routeRequest = RouteRequest(
            campaignID: campaignID, caller: caller, dialed: dialed, tags: tags, publisherID: publisherID,
            source: .native, externalCallID: input.call_id, time: .now())
        var random = SystemRandomNumberGenerator()
        do {
            let routed = try await desk.route(routeRequest, accountID: accountID, random: &random)
            return try JSONResponse(RouteJSON(routed)).response(from: request, context: context)
        } catch let error as ExchangeError where error == .notFound {
            throw Self.unknownCampaign(campaignID.rawValue)
        }
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let id = try context.parameters.require("id")
        guard let routed = try await desk.route(id: id, accountID: accountID) else {
            throw APIError.notFound("no route \(id.prefix(64)) in this account")
        }
        return try JSONResponse(RouteJSON(routed)).response(from: request, context: context)
    }

    /// The campaign named, or else the one whose numbers include the dialled number (with
    /// that number's publisher), in the caller's account only.
    func campaign(_ id: String?, dialed: PhoneNumber?, accountID: AccountID) async throws -> (CampaignID, PublisherID?) {
        if let id {
            guard id.hasPrefix(ExchangeKind.campaign.idPrefix), id.utf8.count <= RoutingPlan.maximumIDLength else { throw Self.unknownCampaign(id) }
            return (CampaignID(rawValue: id), nil)
        }
        guard let dialed else {
            throw APIError.badRequest("give campaign_id, or the dialled number of one of the campaign's numbers", field: "campaign_id", code: "missing_field")
        }
        guard let found = try await directory.campaign(dialing: dialed).first(where: { $0.accountID == accountID }) else {
            throw APIError.badRequest("no campaign of this account has the number \(dialed)", field: "dialed", code: "unknown_id")
        }
        return (CampaignID(rawValue: found.campaign.id), found.publisherID)
    }

    static func phone(_ text: String, field: String) throws -> PhoneNumber {
        do {
            return try PhoneNumber(parsing: text)
        } catch {
            throw APIError.badRequest("\(field): \(error.description)", field: field, code: "invalid_field")
        }
    }

    static func unknownCampaign(_ id: String) -> APIError {
        APIError.badRequest("no campaign '\(id.prefix(64))' in this account", field: "campaign_id", code: "unknown_id")
    }
}

/// A routed call as the decision API answers it: the target to dial now, every target
/// ringing, the fallback, and each target considered with its reason.
struct RouteJSON: Encodable, Sendable {
    let call: RoutedCall
    init(_ call: RoutedCall) { self.call = call }

    enum CodingKeys: String, CodingKey { case route_id, campaign_id, publisher_id, target, ringing, fallback, considered, duplicate }

    struct Target: Encodable {
        let routed: RoutedTarget
        enum CodingKeys: String, CodingKey { case id, buyer_id, destination, ring_timeout_seconds, ring_group }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(routed.target, forKey: .id)
            try c.encode(routed.buyer, forKey: .buyer_id)
            try c.encode(routed.destination, forKey: .destination)
            try c.encode(routed.ringTimeoutSeconds, forKey: .ring_timeout_seconds)
            try c.encodeIfPresent(routed.ringGroup, forKey: .ring_group)
        }
    }

    struct Fallback: Encodable {
        let applied: AppliedFallback
        enum CodingKeys: String, CodingKey { case reason }
        func encode(to encoder: any Encoder) throws {
            // `action` (and `number`) as the campaign spells its fallback, then why.
            try applied.action.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(applied.reason, forKey: .reason)
        }
    }

    struct Considered: Encodable {
        let considered: ConsideredTarget
        enum CodingKeys: String, CodingKey { case target_id, buyer_id, reason, held_by }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(considered.target, forKey: .target_id)
            try c.encode(considered.buyer, forKey: .buyer_id)
            try c.encode(considered.reason, forKey: .reason)
            try c.encodeIfPresent(considered.heldBy, forKey: .held_by)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(call.routeID, forKey: .route_id)
        try c.encode(call.campaignID, forKey: .campaign_id)
        try c.encode(call.publisherID, forKey: .publisher_id)
        try c.encode(call.ringing.first.map(Target.init), forKey: .target)
        try c.encode(call.ringing.map(Target.init), forKey: .ringing)
        try c.encode(call.fallback.map(Fallback.init), forKey: .fallback)
        try c.encode(call.decision.considered.map(Considered.init), forKey: .considered)
        try c.encode(call.duplicate, forKey: .duplicate)
    }
}

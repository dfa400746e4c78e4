import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// Invoca's RingPool API: `GET /api/{version}/ring_pools/{ring_pool_id}/allocate_number.json?ring_pool_key=…`
/// leases a promo number; every other query parameter (utm_*, gclid, landing_page, an
/// affiliate id …) becomes a tag of the visitor's session.
struct AllocateNumberController {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.group().add(middleware: VisitorCORSMiddleware<AppRequestContext>())
            .get("api/{version}/ring_pools/{ring_pool_id}/allocate_number.json", use: allocate)
    }

    struct Answer: Encodable, Sendable {
        let promo_number: String
        let promo_number_formatted: String
        let tracking_url: String?
        let overflow: Bool
        let lease_id: Int64?
        let expires_at: Timestamp?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(promo_number, forKey: .promo_number)
            try c.encode(promo_number_formatted, forKey: .promo_number_formatted)
            try c.encode(tracking_url, forKey: .tracking_url)
            try c.encode(overflow, forKey: .overflow)
            try c.encode(lease_id, forKey: .lease_id)
            try c.encode(expires_at, forKey: .expires_at)
        }
        enum CodingKeys: String, CodingKey { case promo_number, promo_number_formatted, tracking_url, overflow, lease_id, expires_at }
    }

    @Sendable func allocate(request: Request, context: AppRequestContext) async throws -> Response {
        let resource = try context.parameters.require("ring_pool_id")
        let parameters = request.uri.queryParameters
        guard let key = parameters.get("ring_pool_key"), !key.isEmpty else {
            throw TextError(status: .forbidden, text: "InvalidKey: ring_pool_key is required for resource '\(resource)'")
        }
        var tags: [String: String] = [:]
        for (name, value) in parameters where name != "ring_pool_key" && name != "visitor_id" {
            tags[String(name)] = String(value)
        }
        guard tags.count <= Tags.maximumPerWrite else {
            throw APIError.badRequest("\(tags.count) parameters; at most \(Tags.maximumPerWrite) are kept as tags", field: "query")
        }
        let session = VisitorSession(
            pageURL: tags["landing_page"], visitorID: parameters.get("visitor_id"), tags: tags
        )
        guard let found = try await services.pools.store.pool(key: key) else {
            throw TextError(status: .notFound, text: "InvalidKey: API Key '\(key)' is not valid for resource '\(resource)'")
        }
        let (accountID, pool) = found
        guard String(pool.id) == resource || pool.idFromNetwork == resource else {
            throw TextError(status: .forbidden, text: "InvalidKey: API Key '\(key)' is not valid for resource '\(resource)'")
        }
        let outcome = try await services.pools.lease(from: pool, accountID: accountID, session: session)
        let answer: Answer
        if let lease = outcome.lease {
            answer = Answer(
                promo_number: NumberFormats.plain(lease.number), promo_number_formatted: NumberFormats.dashed(lease.number),
                tracking_url: Self.trackingURL(pool.destinationURL, number: lease.number), overflow: false,
                lease_id: lease.id, expires_at: lease.expiresAt
            )
        } else if let fallback = Self.exhaustedAnswer(pool, outcome: outcome) {
            answer = Answer(
                promo_number: NumberFormats.plain(fallback), promo_number_formatted: NumberFormats.dashed(fallback),
                tracking_url: Self.trackingURL(pool.destinationURL, number: fallback), overflow: true, lease_id: nil, expires_at: nil
            )
        } else {
            throw APIError(status: .serviceUnavailable, code: "pool_exhausted",
                           message: "every number of the pool is leased and it has neither an overflow nor a destination number")
        }
        return try JSONResponse(answer).response(from: request, context: context)
    }

    /// The number a visitor sees when the pool is full: the overflow number when the pool
    /// keeps one, else its destination number (the page's own number stays).
    static func exhaustedAnswer(_ pool: RingPool, outcome: LeaseOutcome) -> PhoneNumber? {
        if case .miss(let overflow) = outcome, let overflow { return overflow }
        return pool.destinationPhoneNumber
    }

    /// The landing page with the promo number in `PPCPN`, as Invoca's click URLs carry it.
    static func trackingURL(_ destination: String?, number: PhoneNumber) -> String? {
        guard let destination, var components = URLComponents(string: destination) else { return nil }
        var items = components.queryItems ?? []
        items.append(URLQueryItem(name: "PPCPN", value: NumberFormats.plain(number)))
        components.queryItems = items
        return components.string
    }
}

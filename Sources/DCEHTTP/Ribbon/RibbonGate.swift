import DCEJSON
import DCEDomain
import DCEStorage
import Foundation
import HTTPTypes
import Hummingbird

/// Admits a ribbon request as the seed describes: the client's API key in the JSON body
/// (`apiKey`) for POST, in the `X-API-Key` header for GET; then the request's `domain` and
/// its `Origin`, when present, must be among the client's domains.
struct RibbonGate: Sendable {
    let accounts: AccountDirectory
    let clients: RibbonClientDirectory
    let rateLimiter: RateLimiter

    /// A POST body: the client, its JSON object and the bytes as received.
    struct Admitted: Sendable {
        let client: RibbonClient
        let object: [String: JSONValue]
        let body: CollectedBody
    }

    static let maximumBody = 256 * 1024

    func admitGET(_ request: Request) async throws -> RibbonClient {
        // The seed's download link passes the key in the query string, where no header can go.
        let key = request.headers[.xAPIKey] ?? request.uri.queryParameters.string("X-API-Key")
        return try await admit(key: key, place: "the 'X-API-Key' header", domain: nil, request: request)
    }

    func admitPOST(_ request: Request) async throws -> Admitted {
        let body = try await CollectedBody.collect(request, limit: Self.maximumBody)
        if body.truncated { throw APIError.tooLarge("the body is larger than \(Self.maximumBody) bytes") }
        guard let document = JSONValue.parse(bytes: body.bytes), case .object(let object) = document else {
            throw APIError.badRequest("the body must be a JSON object", code: "malformed_json")
        }
        let key: String?
        switch object["apiKey"] {
        case nil, .null?: key = nil
        case .string(let text)?: key = text
        default: throw APIError(status: .unauthorized, code: "invalid_api_key", message: "'apiKey' must be a string", field: "apiKey")
        }
        let domain: String?
        switch object["domain"] {
        case nil, .null?: domain = nil
        case .string(let text)?: domain = text
        default: throw APIError.badRequest("domain: expected a string", field: "domain", code: "invalid_field")
        }
        let client = try await admit(key: key, place: "'apiKey' in the JSON body", domain: domain, request: request)
        if let path = JSONValue.object(object).pathWithUnstorableText() {
            throw APIError.badRequest("\(path): contains a NUL character", field: path, code: "invalid_field")
        }
        return Admitted(client: client, object: object, body: body)
    }

    private func admit(key: String?, place: String, domain: String?, request: Request) async throws -> RibbonClient {
        guard let key, !key.isEmpty else {
            throw APIError(status: .unauthorized, code: "invalid_api_key", message: "an API key is required: send it as \(place)",
                           field: place.hasPrefix("'apiKey'") ? "apiKey" : "X-API-Key")
        }
        guard let accountID = try await accounts.authenticate(key: key),
              let client = try await clients.client(accountID)
        else {
            throw APIError(status: .unauthorized, code: "invalid_api_key", message: "Invalid API key")
        }
        if let domain {
            try check(domain, field: "domain", client: client)
        }
        if let origin = request.headers[.origin] {
            try check(origin, field: "Origin", client: client)
            RibbonCORS.admission?.admit(origin)
        }
        try rateLimiter.check("ribbon:\(accountID.rawValue)")
        return client
    }

    private func check(_ value: String, field: String, client: RibbonClient) throws {
        guard let host = RibbonDomain.host(of: value), client.profile.allowedDomains.contains(host) else {
            throw APIError(status: .forbidden, code: "domain_not_allowed", message: "Domain not allowed: '\(value)' is not one of this client's domains", field: field)
        }
    }

    static func limitReached(_ limit: Int) -> APIError {
        APIError(status: .tooManyRequests, code: "monthly_limit_exceeded",
                 message: "Monthly limit exceeded: the plan allows \(limit) calls a month")
    }
}

extension HTTPField.Name {
    static let origin = HTTPField.Name("Origin")!
    static let accessControlAllowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
    static let accessControlAllowMethods = HTTPField.Name("Access-Control-Allow-Methods")!
    static let accessControlAllowHeaders = HTTPField.Name("Access-Control-Allow-Headers")!
    static let accessControlMaxAge = HTTPField.Name("Access-Control-Max-Age")!
    static let vary = HTTPField.Name("Vary")!
    static let contentDisposition = HTTPField.Name("Content-Disposition")!
}

/// CORS for `/api/ribbon/…`: a response, or an error, names the request's own origin only
/// once the gate has found that origin among the admitted client's domains. Never `*`.
struct RibbonCORS: RouterMiddleware {
    typealias Context = AppRequestContext

    /// What the gate decided about the current request's origin.
    final class Admission: @unchecked Sendable {
        private let lock = NSLock()
        private var origin: String?
        func admit(_ origin: String) { lock.withLock { self.origin = origin } }
        var admitted: String? { lock.withLock { origin } }
    }

    @TaskLocal static var admission: Admission?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.headers[.origin] != nil else { return try await next(request, context) }
        let admission = Admission()
        do {
            var response = try await Self.$admission.withValue(admission) { try await next(request, context) }
            if let origin = admission.admitted { Self.allow(origin, in: &response.headers) }
            return response
        } catch var error as APIError {
            if let origin = admission.admitted { Self.allow(origin, in: &error.extraHeaders) }
            throw error
        }
    }

    static func allow(_ origin: String, in headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = origin
        headers[.vary] = "Origin"
    }
}

/// Answers browsers' preflight requests for `/api/ribbon/…`. A preflight carries no API key,
/// so it is allowed when some client lists the origin; the request that follows is then
/// checked against its own client.
struct RibbonPreflight: RouterMiddleware {
    typealias Context = AppRequestContext
    let clients: RibbonClientDirectory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .options, request.uri.path.hasPrefix("/api/ribbon/") else {
            return try await next(request, context)
        }
        guard let origin = request.headers[.origin], let host = RibbonDomain.host(of: origin),
              try await clients.anyClientAllows(host: host)
        else {
            throw APIError(status: .forbidden, code: "domain_not_allowed", message: "Domain not allowed", field: "Origin")
        }
        var headers: HTTPFields = [:]
        RibbonCORS.allow(origin, in: &headers)
        headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
        headers[.accessControlAllowHeaders] = "Content-Type, X-API-Key"
        headers[.accessControlMaxAge] = "600"
        return Response(status: .noContent, headers: headers)
    }
}

import DCEDomain
import DCEStorage
import DCEVendors
import Foundation
import Hummingbird

/// What an account says about a carrier, checked: its kind, a name, and the secret that
/// authenticates its voice webhooks (Twilio's or SignalWire's auth token, Telnyx's public key).
public struct CarrierSpec: Sendable, Equatable {
    public let kind: CarrierKind
    public let name: String
    public let secret: String

    public struct Invalid: Error, Equatable {
        public let field: String
        public let message: String
        public var code = "invalid_field"
    }

    public init(kind: String?, name: String?, authToken: String?, publicKey: String?) throws(Invalid) {
        guard let kindText = kind else { throw Invalid(field: "kind", message: "'kind' is required: twilio, signalwire or telnyx", code: "missing_field") }
        guard let kind = CarrierKind(rawValue: kindText) else {
            throw Invalid(field: "kind", message: "'\(kindText.prefix(32))' is not twilio, signalwire or telnyx")
        }
        guard let name = name?.trimmingWhitespace(), !name.isEmpty else { throw Invalid(field: "name", message: "'name' is required", code: "missing_field") }
        guard name.count <= 100, !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw Invalid(field: "name", message: "must be at most 100 characters without control characters")
        }
        if kind.usesPublicKey {
            if authToken != nil { throw Invalid(field: "auth_token", message: "Telnyx signs with its key pair: give its 'public_key' instead") }
            guard let publicKey else { throw Invalid(field: "public_key", message: "'public_key' is required for telnyx", code: "missing_field") }
            guard TelnyxSignature.publicKey(base64: publicKey) != nil else {
                throw Invalid(field: "public_key", message: "must be the base64 Ed25519 public key Telnyx shows (32 bytes)")
            }
            self.secret = publicKey.trimmingWhitespace()
        } else {
            if publicKey != nil { throw Invalid(field: "public_key", message: "\(kind.rawValue) signs with the auth token: give 'auth_token' instead") }
            guard let authToken else { throw Invalid(field: "auth_token", message: "'auth_token' is required for \(kind.rawValue)", code: "missing_field") }
            guard (8...256).contains(authToken.utf8.count), !authToken.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
                throw Invalid(field: "auth_token", message: "must be 8 to 256 characters without spaces or control characters")
            }
            self.secret = authToken
        }
        self.kind = kind
        self.name = name
    }
}

/// `/v1/carriers`: the carriers whose voice webhooks dce answers for the account. The
/// voice URL token is in the creation's answer and never again; secrets never are.
struct CarriersController {
    let services: AppServices
    var store: CarrierStore { CarrierStore(database: services.database) }

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("carriers", use: list)
        routes.post("carriers", use: create)
        routes.delete("carriers/{id}", use: delete)
        return routes
    }

    struct Input: Decodable {
        let kind: String?
        let name: String?
        let authToken: String?
        let publicKey: String?
        enum CodingKeys: String, CodingKey { case kind, name, authToken = "auth_token", publicKey = "public_key" }
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let body = try await CollectedBody.collect(request, limit: 16 * 1024)
        if body.truncated { throw APIError.tooLarge("the body is larger than 16 KiB") }
        let input: Input
        do {
            input = try JSONDecoder().decode(Input.self, from: Data(body.bytes))
        } catch let error as DecodingError {
            let field = error.fieldPath()
            throw APIError.badRequest("\(field.map { "\($0): " } ?? "")\(error.readableMessage)", field: field, code: error.code)
        } catch {
            throw APIError.badRequest("the body is not valid JSON", code: "malformed_json")
        }
        let spec: CarrierSpec
        do {
            spec = try CarrierSpec(kind: input.kind, name: input.name, authToken: input.authToken, publicKey: input.publicKey)
        } catch {
            throw APIError.badRequest(error.message, field: error.field, code: error.code)
        }
        do {
            let (carrier, token) = try await store.create(accountID: accountID, kind: spec.kind, name: spec.name, authToken: spec.secret)
            let json = CarrierJSON(carrier, base: IntegrationsController.baseURL(request), urlToken: token)
            return try JSONResponse(json, status: .created).response(from: request, context: context)
        } catch let error as CarrierError {
            throw APIError(status: .conflict, code: "conflict", message: error.description, field: "name")
        }
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        struct Body: Encodable, Sendable { let data: [CarrierJSON] }
        let base = IntegrationsController.baseURL(request)
        let items = try await store.list(accountID: accountID).map { CarrierJSON($0, base: base, urlToken: nil) }
        return try JSONResponse(Body(data: items)).response(from: request, context: context)
    }

    @Sendable func delete(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let id = try context.parameters.require("id")
        guard try await store.delete(id: id, accountID: accountID) else { throw APIError.notFound("no carrier with id '\(id)'") }
        return Response(status: .noContent)
    }
}

/// A carrier as the API shows it: never its auth token or key; its URL token only in the
/// creation's answer, also folded into the voice URL to give the carrier.
struct CarrierJSON: Encodable, Sendable {
    let id: String
    let kind: String
    let name: String
    let voiceURL: String
    let voiceURLToken: String?
    let createdAt: Timestamp

    init(_ carrier: Carrier, base: String, urlToken: String?) {
        id = carrier.id
        kind = carrier.kind.rawValue
        name = carrier.name
        voiceURLToken = urlToken
        voiceURL = base + "/voice/{campaign}" + (urlToken.map { "?token=" + $0 } ?? "")
        createdAt = carrier.createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, name, voiceURL = "voice_url", voiceURLToken = "voice_url_token", createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(kind, forKey: .kind)
        try c.encode(name, forKey: .name)
        try c.encode(voiceURL, forKey: .voiceURL)
        try c.encodeIfPresent(voiceURLToken, forKey: .voiceURLToken)
        try c.encode(createdAt, forKey: .createdAt)
    }
}

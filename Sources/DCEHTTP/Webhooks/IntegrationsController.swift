import DCEDomain
import DCEStorage
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird

/// `/v1/integrations`: the account's connections to vendors, each with its webhook URL.
/// The secret is in the answer to the creation and never again.
struct IntegrationsController {
    let services: AppServices
    var store: IntegrationStore { IntegrationStore(database: services.database) }

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("integrations", use: list)
        routes.post("integrations", use: create)
        routes.get("integrations/{id}", use: show)
        routes.delete("integrations/{id}", use: delete)
        routes.post("integrations/{id}/secret", use: setSecret)
        return routes
    }

    struct Input: Decodable {
        let vendor: String?
        let name: String?
        let fieldMapping: [String: String]?
        let secret: String?

        enum CodingKeys: String, CodingKey { case vendor, name, fieldMapping = "field_mapping", secret }
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let body = try await CollectedBody.collect(request, limit: 64 * 1024)
        if body.truncated { throw APIError.tooLarge("the body is larger than 64 KiB") }
        let input: Input
        do {
            input = try JSONDecoder().decode(Input.self, from: Data(body.bytes))
        } catch let error as DecodingError {
            let field = error.fieldPath()
            throw APIError.badRequest("\(field.map { "\($0): " } ?? "")\(error.readableMessage)", field: field, code: error.code)
        } catch {
            throw APIError.badRequest("the body is not valid JSON", code: "malformed_json")
        }
        let spec: IntegrationSpec
        do {
            spec = try IntegrationSpec(
                vendor: input.vendor, name: input.name, fieldMapping: input.fieldMapping, secret: input.secret, vendors: services.vendors
            )
        } catch {
            throw APIError.badRequest(error.message, field: error.field, code: error.code)
        }
        do {
            let integration = try await store.create(
                accountID: accountID, vendor: spec.vendor.name, name: spec.name, fieldMapping: spec.fieldMapping, secret: spec.secret
            )
            let json = IntegrationJSON(integration, base: Self.baseURL(request), revealSecret: true, vendors: services.vendors)
            return try JSONResponse(json, status: .created).response(from: request, context: context)
        } catch let error as IntegrationError {
            throw APIError(status: .conflict, code: "conflict", message: error.description, field: "name")
        }
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let base = Self.baseURL(request)
        struct Body: Encodable, Sendable { let data: [IntegrationJSON] }
        let items = try await store.list(accountID: accountID).map { IntegrationJSON($0, base: base, revealSecret: false, vendors: services.vendors) }
        return try JSONResponse(Body(data: items)).response(from: request, context: context)
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let id = try context.parameters.require("id")
        guard let integration = try await store.integration(id: id), integration.accountID == accountID else {
            throw APIError.notFound("no integration with id '\(id)'")
        }
        return try JSONResponse(IntegrationJSON(integration, base: Self.baseURL(request), revealSecret: false, vendors: services.vendors)).response(from: request, context: context)
    }

    /// A new secret, given in `{"secret": …}` or generated, shown in this answer only. An
    /// integration made without one (by an older dce) takes deliveries once it has one.
    @Sendable func setSecret(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let id = try context.parameters.require("id")
        let body = try await CollectedBody.collect(request, limit: 8 * 1024)
        if body.truncated { throw APIError.tooLarge("the body is larger than 8 KiB") }
        struct SecretInput: Decodable { let secret: String? }
        var chosen: String?
        let text = String(decoding: body.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.isEmpty {
            do {
                chosen = try JSONDecoder().decode(SecretInput.self, from: Data(text.utf8)).secret
            } catch {
                throw APIError.badRequest("the body is not a JSON object with an optional 'secret' string", field: "secret", code: "malformed_json")
            }
        }
        if let chosen {
            do { try IntegrationSpec.validate(secret: chosen) } catch {
                throw APIError.badRequest(error.message, field: error.field, code: error.code)
            }
        }
        guard let existing = try await store.integration(id: id), existing.accountID == accountID,
              let vendor = services.vendors.adapter(named: existing.vendor)
        else { throw APIError.notFound("no integration with id '\(id)'") }
        guard let updated = try await store.setSecret(chosen ?? vendor.makeSecret(), id: id, accountID: accountID) else {
            throw APIError.notFound("no integration with id '\(id)'")
        }
        return try JSONResponse(IntegrationJSON(updated, base: Self.baseURL(request), revealSecret: true, vendors: services.vendors)).response(from: request, context: context)
    }

    @Sendable func delete(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let id = try context.parameters.require("id")
        guard try await store.remove(id: id, accountID: accountID) else {
            throw APIError.notFound("no integration with id '\(id)'")
        }
        return Response(status: .noContent)
    }

    /// `http://host:port` as the caller reached dce (behind a proxy, its forwarded scheme).
    static func baseURL(_ request: Request) -> String {
        let host = request.head.authority ?? "127.0.0.1:8080"
        let scheme = request.headers[HTTPField.Name("X-Forwarded-Proto")!] ?? "http"
        return "\(scheme)://\(host)"
    }
}

/// An integration as the API shows it. The secret appears only in the creation answer,
/// also folded into the webhook URL for the vendors that authenticate with a URL token.
struct IntegrationJSON: Encodable, Sendable {
    let id: String
    let vendor: String
    let name: String
    let fieldMapping: [String: String]
    let webhookURL: String
    let hasSecret: Bool
    let secret: String?
    let createdAt: Timestamp

    init(_ integration: Integration, base: String, revealSecret: Bool, vendors: VendorRegistry) {
        id = integration.id
        vendor = integration.vendor
        name = integration.name
        fieldMapping = integration.fieldMapping
        hasSecret = integration.secret != nil
        secret = revealSecret ? integration.secret : nil
        createdAt = integration.createdAt
        var url = base + integration.webhookPath
        if revealSecret, let secret = integration.secret, vendors.adapter(named: integration.vendor)?.credential.usesURLToken == true {
            url += "?token=" + IntegrationSpec.percentEncoded(secret)
        }
        webhookURL = url
    }

    enum CodingKeys: String, CodingKey {
        case id, vendor, name, fieldMapping = "field_mapping", webhookURL = "webhook_url"
        case hasSecret = "has_secret", secret, createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(vendor, forKey: .vendor)
        try c.encode(name, forKey: .name)
        try c.encode(fieldMapping, forKey: .fieldMapping)
        try c.encode(webhookURL, forKey: .webhookURL)
        try c.encode(hasSecret, forKey: .hasSecret)
        if let secret { try c.encode(secret, forKey: .secret) }
        try c.encode(createdAt, forKey: .createdAt)
    }
}

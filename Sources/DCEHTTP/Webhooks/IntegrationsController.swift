import DCEDomain
import DCEJSON
import DCEStorage
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird

/// `/v1/integrations`: the account's connections to vendors, each with its webhook URL and
/// its sync state. The secret is in the answer to the creation and never again; vendor
/// credentials are in no answer at all, only their key names.
struct IntegrationsController {
    let services: AppServices
    var store: IntegrationStore { IntegrationStore(database: services.database, box: services.secretBox) }
    var credentials: CredentialStore { CredentialStore(database: services.database, box: services.secretBox) }
    var syncStates: SyncStateStore { SyncStateStore(database: services.database, box: services.secretBox) }

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("integrations", use: list)
        routes.post("integrations", use: create)
        routes.get("integrations/{id}", use: show)
        routes.delete("integrations/{id}", use: delete)
        routes.post("integrations/{id}/secret", use: setSecret)
        routes.put("integrations/{id}/credentials", use: setCredentials)
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
            var json = IntegrationJSON(integration, base: Self.baseURL(request), revealSecret: true, vendors: services.vendors)
            json.sync = SyncJSON(integration, credentials: nil, state: nil, vendors: services.vendors, now: .now())
            return try JSONResponse(json, status: .created).response(from: request, context: context)
        } catch let error as IntegrationError {
            throw APIError(status: .conflict, code: "conflict", message: error.description, field: "name")
        }
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let base = Self.baseURL(request)
        struct Body: Encodable, Sendable { let data: [IntegrationJSON] }
        let summaries = try await credentials.summaries(accountID: accountID)
        let states = try await syncStates.states(accountID: accountID)
        let now = Timestamp.now()
        let items = try await store.list(accountID: accountID).map { integration in
            var json = IntegrationJSON(integration, base: base, revealSecret: false, vendors: services.vendors)
            json.sync = SyncJSON(integration, credentials: summaries[integration.id], state: states[integration.id], vendors: services.vendors, now: now)
            return json
        }
        return try JSONResponse(Body(data: items)).response(from: request, context: context)
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let id = try context.parameters.require("id")
        guard let integration = try await store.integration(id: id), integration.accountID == accountID else {
            throw APIError.notFound("no integration with id '\(id)'")
        }
        return try await shown(integration, request: request, context: context)
    }

    /// The integration as GET shows it, with its sync state.
    func shown(_ integration: Integration, request: Request, context: AppRequestContext) async throws -> Response {
        var json = IntegrationJSON(integration, base: Self.baseURL(request), revealSecret: false, vendors: services.vendors)
        json.sync = SyncJSON(
            integration, credentials: try await credentials.summary(integrationID: integration.id, accountID: integration.accountID),
            state: try await syncStates.state(integrationID: integration.id), vendors: services.vendors, now: .now()
        )
        return try JSONResponse(json).response(from: request, context: context)
    }

    /// Sets the vendor API credentials a sync pulls with (replacing any before), sealed
    /// with DCE_SECRET_KEY. The answer shows the integration, with the key names only.
    @Sendable func setCredentials(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let id = try context.parameters.require("id")
        guard let integration = try await store.integration(id: id), integration.accountID == accountID else {
            throw APIError.notFound("no integration with id '\(id)'")
        }
        guard let client = services.vendors.adapter(named: integration.vendor)?.pull else {
            throw APIError.badRequest("dce cannot pull \(integration.vendor)'s call records, so it takes no API credentials", field: "vendor", code: "not_pullable")
        }
        let body = try await CollectedBody.collect(request, limit: 16 * 1024)
        if body.truncated { throw APIError.tooLarge("the body is larger than 16 KiB") }
        guard let json = JSONValue.parse(bytes: body.bytes) else {
            throw APIError.badRequest("the body is not valid JSON", code: "malformed_json")
        }
        let spec: CredentialsSpec
        do {
            spec = try CredentialsSpec(json: json, client: client)
        } catch {
            throw APIError.badRequest(error.message, field: error.field, code: error.code)
        }
        guard services.secretBox != nil else {
            throw APIError(status: .conflict, code: "secret_key_missing", message: CredentialStoreError.noSecretKey.description, field: SecretBox.variable)
        }
        try await credentials.set(StoredCredentials(
            integrationID: integration.id, accountID: accountID, values: spec.values, apiBaseURL: spec.apiBaseURL,
            syncIntervalSeconds: spec.syncIntervalSeconds, updatedAt: .now()
        ))
        context.logger.info("integration credentials set", metadata: ["integration": "\(integration.id)", "keys": "\(spec.values.keys.sorted())"])
        return try await shown(integration, request: request, context: context)
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
        var json = IntegrationJSON(updated, base: Self.baseURL(request), revealSecret: true, vendors: services.vendors)
        json.sync = SyncJSON(
            updated, credentials: try await credentials.summary(integrationID: id, accountID: accountID),
            state: try await syncStates.state(integrationID: id), vendors: services.vendors, now: .now()
        )
        return try JSONResponse(json).response(from: request, context: context)
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
    /// Set by the routes that show it.
    var sync: SyncJSON?

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
        case hasSecret = "has_secret", secret, createdAt = "created_at", sync
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
        try c.encode(sync, forKey: .sync)
    }
}

/// An integration's pull sync as the API shows it: which credential keys it has (never a
/// value), where and how often it pulls, and how its last runs went. Nil for a vendor dce
/// does not pull.
struct SyncJSON: Encodable, Sendable {
    let credentials: [String]?
    let apiBaseURL: String
    let syncIntervalSeconds: Int
    let syncedTo: Timestamp?
    let lagSeconds: Int64?
    let lastSuccessAt: Timestamp?
    let lastAttemptAt: Timestamp?
    let lastError: String?
    let breaker: BreakerState
    let rowsPulled: Int64
    let nextRunAt: Timestamp?

    init?(_ integration: Integration, credentials: CredentialSummary?, state: SyncState?, vendors: VendorRegistry, now: Timestamp) {
        guard let client = vendors.adapter(named: integration.vendor)?.pull else { return nil }
        self.credentials = credentials?.keyNames
        apiBaseURL = credentials?.apiBaseURL ?? client.defaultBaseURL
        syncIntervalSeconds = credentials?.syncIntervalSeconds ?? client.defaultIntervalSeconds
        syncedTo = state?.syncedTo
        // Both times are the database's own, within years 1970 to 2200: no overflow.
        lagSeconds = state?.syncedTo.map { max(0, now.millisecondsSince1970 - $0.millisecondsSince1970) / 1000 }
        lastSuccessAt = state?.lastSuccessAt
        lastAttemptAt = state?.lastAttemptAt
        lastError = state?.lastError
        breaker = state?.breaker ?? .closed
        rowsPulled = state?.rowsPulled ?? 0
        nextRunAt = state?.nextRunAt
    }

    enum CodingKeys: String, CodingKey {
        case credentials, apiBaseURL = "api_base_url", syncIntervalSeconds = "sync_interval_seconds", syncedTo = "synced_to"
        case lagSeconds = "lag_seconds", lastSuccessAt = "last_success_at", lastAttemptAt = "last_attempt_at"
        case lastError = "last_error", breaker, rowsPulled = "rows_pulled", nextRunAt = "next_run_at"
    }

    // Every key present, null when unknown, so a client sees the whole shape.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(credentials, forKey: .credentials)
        try c.encode(apiBaseURL, forKey: .apiBaseURL)
        try c.encode(syncIntervalSeconds, forKey: .syncIntervalSeconds)
        try c.encode(syncedTo, forKey: .syncedTo)
        try c.encode(lagSeconds, forKey: .lagSeconds)
        try c.encode(lastSuccessAt, forKey: .lastSuccessAt)
        try c.encode(lastAttemptAt, forKey: .lastAttemptAt)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(breaker, forKey: .breaker)
        try c.encode(rowsPulled, forKey: .rowsPulled)
        try c.encode(nextRunAt, forKey: .nextRunAt)
    }
}

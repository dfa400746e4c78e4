import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

/// `/v1/admin/…`: accounts and their keys, behind the admin key.
struct AdminController {
    let services: AppServices

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("accounts", use: listAccounts)
        routes.post("accounts", use: createAccount)
        routes.post("accounts/{name}/keys", use: issueKey)
        routes.delete("keys/{key}", use: revokeKey)
        return routes
    }

    struct AccountJSON: Encodable, Sendable {
        let id: String
        let name: String
        let created_at: Timestamp
        init(_ account: Account) {
            id = account.id.rawValue
            name = account.name
            created_at = account.createdAt
        }
    }

    struct KeyJSON: Encodable, Sendable {
        let id: String
        let account_id: String
        let prefix: String
        let label: String?
        let created_at: Timestamp
        let revoked_at: Timestamp?
        /// Present only in the answer that issued the key.
        let key: String?

        init(_ record: APIKeyRecord, plaintext: String? = nil) {
            id = record.id
            account_id = record.accountID.rawValue
            prefix = record.prefix
            label = record.label
            created_at = record.createdAt
            revoked_at = record.revokedAt
            key = plaintext
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(account_id, forKey: .account_id)
            try c.encode(prefix, forKey: .prefix)
            try c.encode(label, forKey: .label)
            try c.encode(created_at, forKey: .created_at)
            try c.encode(revoked_at, forKey: .revoked_at)
            try c.encodeIfPresent(key, forKey: .key)
        }
        enum CodingKeys: String, CodingKey { case id, account_id, prefix, label, created_at, revoked_at, key }
    }

    @Sendable func listAccounts(request: Request, context: AppRequestContext) async throws -> Response {
        struct Body: Encodable, Sendable { let data: [AccountJSON] }
        let accounts = try await services.accounts.all()
        return try JSONResponse(Body(data: accounts.map(AccountJSON.init))).response(from: request, context: context)
    }

    @Sendable func createAccount(request: Request, context: AppRequestContext) async throws -> Response {
        struct Input: Decodable { let name: String }
        let input: Input = try await decodeJSON(request, context: context)
        do {
            let account = try await services.accounts.create(name: input.name)
            return try JSONResponse(AccountJSON(account), status: .created).response(from: request, context: context)
        } catch let error as AccountError {
            switch error {
            case .nameTaken: throw APIError(status: .conflict, code: "conflict", message: error.description, field: "name")
            default: throw APIError.badRequest(error.description, field: "name")
            }
        }
    }

    @Sendable func issueKey(request: Request, context: AppRequestContext) async throws -> Response {
        struct Input: Decodable { let label: String? }
        let name = try context.parameters.require("name")
        let input: Input = request.headers[.contentLength] == "0" || request.headers[.contentLength] == nil && request.headers[.transferEncoding] == nil
            ? Input(label: nil) : try await decodeJSON(request, context: context)
        guard let account = try await services.accounts.account(named: name) else {
            throw APIError.notFound("no account named '\(name)'")
        }
        let issued = try await services.accounts.issueKey(for: account.id, label: input.label)
        return try JSONResponse(KeyJSON(issued.record, plaintext: issued.plaintext), status: .created).response(from: request, context: context)
    }

    @Sendable func revokeKey(request: Request, context: AppRequestContext) async throws -> Response {
        let key = try context.parameters.require("key")
        do {
            let record = try await services.accounts.revokeKey(key)
            return try JSONResponse(KeyJSON(record)).response(from: request, context: context)
        } catch let error as AccountError {
            throw APIError.notFound(error.description)
        }
    }
}

/// Decodes a small JSON request body, naming the field that is wrong.
func decodeJSON<T: Decodable>(_ request: Request, context: AppRequestContext, limit: Int = 64 * 1024) async throws -> T {
    let body = try await CollectedBody.collect(request, limit: limit)
    if body.truncated { throw APIError.tooLarge("the body is larger than \(limit) bytes") }
    do {
        let value = try JSONDecoder().decode(T.self, from: Data(body.bytes))
        try IngestChecks.requireStorableText(json: body.bytes)
        return value
    } catch let error as DecodingError {
        if case .dataCorrupted(let c) = error, c.codingPath.isEmpty {
            throw APIError.badRequest("the body is not valid JSON", code: "malformed_json")
        }
        let field = error.fieldPath()
        throw APIError.badRequest("\(field.map { "\($0): " } ?? "")\(error.readableMessage)", field: field, code: error.code)
    }
}

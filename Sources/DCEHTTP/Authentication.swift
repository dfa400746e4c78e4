import DCEDomain
import DCEStorage
import HTTPTypes
import Hummingbird

/// Reads an API key from `Authorization: Bearer …` or `X-API-Key: …`.
enum PresentedKey {
    static func from(_ request: Request) -> String? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
        }
        if let key = request.headers[.xAPIKey], !key.isEmpty { return key }
        return nil
    }
}

extension HTTPField.Name {
    static let xAPIKey = HTTPField.Name("X-API-Key")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}

/// Admits requests that carry a valid, unrevoked API key, and records whose it is.
struct AccountAuthenticator: RouterMiddleware {
    typealias Context = AppRequestContext
    let accounts: AccountDirectory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let key = PresentedKey.from(request) else {
            throw APIError.unauthorized("an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
        }
        guard let accountID = try await accounts.authenticate(key: key) else {
            // Log only the visible prefix of a well-formed key, never anything secret.
            let prefix = APIKeyFormat.prefix(of: key) ?? "malformed"
            context.logger.notice("rejected API key", metadata: ["key_prefix": "\(prefix)"])
            throw APIError.unauthorized("the API key is not valid or has been revoked")
        }
        var context = context
        context.accountID = accountID
        context.logger[metadataKey: "account"] = "\(accountID)"
        return try await next(request, context)
    }
}

/// Admits requests that carry the admin key. With no admin key configured, admin routes
/// are closed to everyone.
struct AdminAuthenticator: RouterMiddleware {
    typealias Context = AppRequestContext
    let adminKeyHash: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let adminKeyHash else {
            throw APIError(status: .forbidden, code: "admin_disabled", message: "admin routes are disabled: no admin key is configured (DCE_ADMIN_KEY)")
        }
        guard let key = PresentedKey.from(request) else {
            throw APIError.unauthorized("the admin key is required")
        }
        guard SecretHash.matches(key, hex: adminKeyHash) else {
            context.logger.notice("rejected admin key")
            throw APIError.unauthorized("the admin key is not valid")
        }
        return try await next(request, context)
    }
}

import Foundation

import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The one error shape every dce route answers with:
/// `{"error": {"code": "...", "message": "...", "field": "..."}}`.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let field: String?
    public var extraHeaders: HTTPFields = [:]

    public init(status: HTTPResponse.Status, code: String, message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public static func badRequest(_ message: String, field: String? = nil, code: String = "invalid_request") -> APIError {
        APIError(status: .badRequest, code: code, message: message, field: field)
    }
    public static func unauthorized(_ message: String) -> APIError {
        APIError(status: .unauthorized, code: "unauthorized", message: message)
    }
    public static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, code: "not_found", message: message)
    }
    public static func tooLarge(_ message: String) -> APIError {
        APIError(status: .contentTooLarge, code: "payload_too_large", message: message)
    }
    public static func rateLimited(retryAfter seconds: Int) -> APIError {
        var error = APIError(status: .tooManyRequests, code: "rate_limited",
                             message: "too many requests from this key; retry after \(seconds) s")
        error.extraHeaders[.retryAfter] = String(seconds)
        return error
    }
    public static func busy(_ message: String, retryAfter seconds: Int) -> APIError {
        var error = APIError(status: .serviceUnavailable, code: "busy", message: message)
        error.extraHeaders[.retryAfter] = String(seconds)
        return error
    }

    public var headers: HTTPFields {
        var headers = extraHeaders
        headers[.contentType] = "application/json; charset=utf-8"
        return headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: body()))
    }

    func body() -> ByteBuffer {
        struct Envelope: Encodable {
            struct Detail: Encodable {
                let code: String
                let message: String
                let field: String?
                func encode(to encoder: any Encoder) throws {
                    var c = encoder.container(keyedBy: CodingKeys.self)
                    try c.encode(code, forKey: .code)
                    try c.encode(message, forKey: .message)
                    try c.encode(field, forKey: .field)
                }
                enum CodingKeys: String, CodingKey { case code, message, field }
            }
            let error: Detail
        }
        let data = (try? JSONEncoder().encode(Envelope(error: .init(code: code, message: message, field: field)))) ?? Data()
        return ByteBuffer(bytes: data)
    }
}

/// Turns every error, including the framework's own 404s and 413s, into `APIError`'s
/// JSON shape, and answers 405 (with `Allow`) where a path exists under other methods.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTableBox

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            if error.status == .notFound {
                let allowed = routes.methods(matching: request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method) {
                    var apiError = APIError(status: .methodNotAllowed, code: "method_not_allowed",
                                            message: "\(request.method) is not allowed on \(request.uri.path)")
                    apiError.extraHeaders[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                    throw apiError
                }
                throw APIError.notFound("no route for \(request.method) \(request.uri.path)")
            }
            let code = switch error.status {
            case .contentTooLarge: "payload_too_large"
            case .badRequest: "invalid_request"
            case .unauthorized: "unauthorized"
            default: "http_\(error.status.code)"
            }
            throw APIError(status: error.status, code: code, message: error.body ?? error.status.reasonPhrase)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            throw APIError(status: .internalServerError, code: "internal_error", message: "an internal error occurred; the request was not completed")
        }
    }
}

/// The paths and methods the router serves, for 405 answers and the OpenAPI check.
public struct RouteTable: Sendable {
    public struct Entry: Sendable, Hashable {
        public let method: HTTPRequest.Method
        /// `/v1/calls/{id}`
        public let path: String
    }
    public let entries: [Entry]

    init(entries: [Entry]) { self.entries = entries }

    func methods(matching path: String) -> Set<HTTPRequest.Method> {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return Set(entries.filter { entry in
            let pattern = entry.path.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == parts.count else { return false }
            return zip(pattern, parts).allSatisfy { p, s in (p.hasPrefix("{") && p.hasSuffix("}")) || p == s }
        }.map(\.method))
    }
}

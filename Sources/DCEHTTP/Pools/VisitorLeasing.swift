import DCEDomain
import DCEStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Leasing a number to a website visitor by pool key, shared by the retreaver-js,
/// Invoca allocate_number and dce.js routes.
extension PoolServices {
    func lease(from pool: RingPool, accountID: AccountID, session: VisitorSession) async throws -> LeaseOutcome {
        let outcome = try await desk.lease(from: pool, accountID: accountID, session: session)
        metrics.poolLease(pool: pool, accountID: accountID, outcome: outcome)
        return outcome
    }
}

/// Lets any web page call the visitor routes from the browser: every answer, errors
/// included, carries the CORS headers, and preflight requests are answered.
struct VisitorCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    static var headers: HTTPFields {
        [
            .accessControlAllowOrigin: "*",
            .accessControlAllowMethods: "GET, POST, OPTIONS",
            .accessControlAllowHeaders: "Content-Type",
            .accessControlMaxAge: "86400",
        ]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        for field in Self.headers { response.headers[field.name] = field.value }
        return response
    }

    /// The answer to a preflight `OPTIONS` request.
    @Sendable static func preflight(request: Request, context: Context) async throws -> Response {
        Response(status: .noContent)
    }
}

/// Plain text answers, as Invoca's allocate_number gives its errors in JSON mode.
struct TextError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let text: String
    var headers: HTTPFields { [.contentType: "text/plain; charset=utf-8"] }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

import Hummingbird
import Synchronization

/// Bounds the memory that request bodies in flight may take together. A request with a
/// body reserves what it may hold (its Content-Length, or the largest body allowed when it
/// is sent in chunks) before its handler reads it, and gives it back when answered.
final class BodyBudget: Sendable {
    let capacity: Int
    private let used = Mutex(0)

    init(capacity: Int) { self.capacity = capacity }

    /// Whether `bytes` more fit; reserves them when they do.
    func reserve(_ bytes: Int) -> Bool {
        used.withLock { used in
            guard bytes <= capacity - used else { return false }
            used += bytes
            return true
        }
    }

    func release(_ bytes: Int) { used.withLock { $0 -= bytes } }

    var inUse: Int { used.withLock { $0 } }
}

/// Reserves a request's body in the budget around its handler: 503 with `Retry-After`
/// when the bodies already in flight use it up, before a byte of this one is read.
struct BodyBudgetMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let budget: BodyBudget
    let largestBody: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        let chunked = request.headers[.transferEncoding] != nil
        let bytes = declared.map { min(max(0, $0), largestBody) } ?? (chunked ? largestBody : 0)
        guard bytes > 0 else { return try await next(request, context) }
        guard budget.reserve(bytes) else {
            throw APIError.busy("the server is holding as many request bodies as it may; retry shortly", retryAfter: 1)
        }
        defer { budget.release(bytes) }
        return try await next(request, context)
    }
}

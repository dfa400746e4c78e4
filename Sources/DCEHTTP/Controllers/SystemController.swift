import DCEStorage
import Foundation
import Hummingbird

/// `/health` and `/openapi.yaml`, open to all; `/metrics`, behind the admin key: its
/// figures (pool sizes, traffic by vendor) are the operator's business.
struct SystemController {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("health", use: health)
        router.group()
            .add(middleware: AdminAuthenticator(adminKeyHash: services.adminKeyHash))
            .get("metrics", use: metrics)
        router.get("openapi.yaml", use: openAPI)
    }

    /// The Exotel seed's health shape: `{"status": "healthy", "version": "…", "uptime": seconds}`.
    @Sendable func health(request: Request, context: AppRequestContext) async throws -> Response {
        struct Health: Encodable, Sendable {
            let status: String
            let version: String
            let uptime: Int
        }
        let uptime = ContinuousClock.now - services.startedAt
        let healthy: Bool
        do {
            _ = try await services.database.read { sql in try await sql.raw("SELECT 1 AS one").first() }
            healthy = true
        } catch {
            healthy = false
        }
        return try JSONResponse(
            Health(status: healthy ? "healthy" : "unhealthy", version: services.version, uptime: Int(uptime.components.seconds)),
            status: healthy ? .ok : .serviceUnavailable
        ).response(from: request, context: context)
    }

    @Sendable func metrics(request: Request, context: AppRequestContext) async throws -> Response {
        try await services.pools.refreshGauges()
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: services.metrics.render()))
        )
    }

    @Sendable func openAPI(request: Request, context: AppRequestContext) async throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text))
        )
    }
}

/// The OpenAPI 3.1 description of every route, shipped inside the binary.
public enum OpenAPIDocument {
    public static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml", subdirectory: "Resources")
                ?? Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "openapi: 3.1.0\n" }
        return text
    }()
}

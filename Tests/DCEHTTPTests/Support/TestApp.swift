import DCEHTTP
import DCEStorage
import DCETestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore

/// The real router, in-process, on a fresh database of the given engine.
struct TestApp {
    static let adminKey = "test-admin-key-0123456789"

    static func with(
        _ engine: TestEngine, limits: ServerLimits = ServerLimits(),
        _ body: @Sendable @escaping (any TestClientProtocol, AppServices, TestAccount) async throws -> Void
    ) async throws {
        try await TestDatabases.with(engine) { database in
            let services = AppServices(database: database, adminKey: adminKey, limits: limits)
            let account = try await TestAccount.make(database)
            let app = Application(router: try buildRouter(services))
            try await app.test(.router) { client in
                try await body(client, services, account)
            }
        }
    }
}

extension TestResponse {
    /// The body decoded as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:]
    }

    var text: String { String(buffer: body) }

    /// `error.field` of dce's error shape.
    var errorField: String? { (json["error"] as? [String: Any])?["field"] as? String }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

extension HTTPFields {
    static func bearer(_ key: String) -> HTTPFields {
        [.authorization: "Bearer \(key)", .contentType: "application/json"]
    }
}

extension ByteBuffer {
    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}

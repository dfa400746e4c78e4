import DCEHTTP
import DCEJSON
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
    /// The body as a JSON document (`null` when it is not JSON), for whole-value assertions:
    /// `#expect(response.value == ["error": [...]])`.
    var value: JSONValue { JSONValue.parse(bytes: Array(buffer: body)) ?? .null }

    var text: String { String(buffer: body) }

    /// `error.field` of dce's error shape.
    var errorField: String? { value["error"]?["field"]?.string }
    var errorCode: String? { value["error"]?["code"]?.string }
    var errorMessage: String? { value["error"]?["message"]?.string }
}

extension JSONValue {
    /// A request body written from a literal.
    var body: ByteBuffer { ByteBuffer(string: text) }

    /// An object with only these members (those it has), so that a test can state the part
    /// of a large answer it is about as one value.
    func keeping(_ keys: String...) -> JSONValue {
        guard case .object(let members) = self else { return self }
        return .object(members.filter { keys.contains($0.key) })
    }
}

extension HTTPFields {
    static func bearer(_ key: String) -> HTTPFields {
        [.authorization: "Bearer \(key)", .contentType: "application/json"]
    }
}

extension ByteBuffer {
    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}

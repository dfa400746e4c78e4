import Crypto
import DCEDomain
import Foundation
import SQLKit

/// Which pages an integration's syncs have stored, by a digest of the request and the answer.
/// A page stored whole once adds nothing the second time: its raw answer is kept already and
/// its events are all stored (a mapping fixed since is applied to it by `dce replay`).
public struct PulledPages: Sendable {
    let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    /// A page's digest: its URL and body as kept (credentials masked) and the answer's body.
    public static func digest(url: String, requestBody: String?, responseBody: [UInt8]) -> String {
        var hash = SHA256()
        hash.update(data: Data(url.utf8))
        hash.update(data: Data([0]))
        hash.update(data: Data((requestBody ?? "").utf8))
        hash.update(data: Data([0]))
        hash.update(data: responseBody)
        return hash.finalize().hexString
    }

    public func stored(_ digest: String, integrationID: String) async throws -> Bool {
        try await database.read { sql in
            try await sql.raw("""
                SELECT 1 AS found FROM pulled_pages WHERE integration_id = \(bind: integrationID) AND digest = \(bind: digest)
                """).first() != nil
        }
    }

    /// Notes a page once its commit is durable.
    public func note(_ digest: String, integrationID: String, at time: Timestamp) async throws {
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO pulled_pages (integration_id, digest, stored_at)
                VALUES (\(bind: integrationID), \(bind: digest), \(bind: time.millisecondsSince1970))
                ON CONFLICT (integration_id, digest) DO NOTHING
                """).run()
        }
    }
}

import DCEDomain
import Foundation
import SQLKit

/// Attribution of calls to website visitors: a call to a pooled number placed while the
/// number was leased to a session (or within the grace period after) carries that
/// session's tags: its utm_* values, click ids, pages and visitor id. The rule depends
/// only on the call's tracking number and time, so it holds whichever vendor reported it.
enum SessionAttribution {
    /// The tags of the session the call belongs to, empty when it belongs to none.
    static func sessionTags(forCall callID: CallID, fields: CallFields, firstHeardAt: Int64?, on sql: any SQLDatabase) async throws -> Tags {
        guard let number = fields.trackingNumber else { return Tags() }
        guard let callTime = fields.callStartedAt?.millisecondsSince1970 ?? firstHeardAt else { return Tags() }
        let row = try await sql.raw("""
            SELECT l.id, l.session_tags FROM pool_leases l JOIN calls c ON c.account_id = l.account_id
            WHERE c.id = \(bind: callID.rawValue) AND l.number = \(bind: number.e164)
              AND l.leased_at <= \(bind: callTime)
              AND COALESCE(l.released_at, l.expires_at) >= \(bind: callTime - LeasePolicy.attributionGraceSeconds * 1000)
            ORDER BY l.leased_at DESC LIMIT 1
            """).first()
        guard let row else { return Tags() }
        var tags = try JSONDecoder().decode([String: String].self, from: Data(try row.decode(column: "session_tags", as: String.self).utf8))
        tags["dce_lease_id"] = String(try row.decode(column: "id", as: Int64.self))
        return (try? Tags(validating: tags)) ?? Tags()
    }
}

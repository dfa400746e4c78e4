import DCEDomain
import SQLKit

/// Attribution of calls to website visitors: a call to a pooled number placed while the
/// number was leased to a session (or within the grace period after) carries that
/// session's tags: its utm_* values, click ids, pages and visitor id. The rule depends
/// only on the call's tracking number and time, so it holds whichever vendor reported it.
/// When several leases qualify, the latest leased wins.
enum SessionAttribution {
    struct Call: Sendable {
        let callID: CallID
        let accountID: AccountID
        /// The tracking number called, E.164.
        let number: String
        /// When the call started or, before anything says so, when dce first heard of it.
        let time: Int64
    }

    /// The tags of the session each call belongs to; calls that belong to none are left out.
    static func sessionTags(for calls: [Call], on sql: any SQLDatabase) async throws -> [CallID: Tags] {
        let grace = LeasePolicy.attributionGraceSeconds * 1000
        var tags: [CallID: Tags] = [:]
        for (account, accountCalls) in Dictionary(grouping: calls, by: \.accountID.rawValue) {
            let numbers = Array(Set(accountCalls.map(\.number))).sorted()
            let earliest = accountCalls.map(\.time).min()!
            let latest = accountCalls.map(\.time).max()!
            let rows = try await sql.raw("""
                SELECT id, number, leased_at, COALESCE(released_at, expires_at) AS held_until, session_tags FROM pool_leases
                WHERE account_id = \(bind: account) AND number IN (\(binds: numbers))
                  AND leased_at <= \(bind: latest) AND COALESCE(released_at, expires_at) >= \(bind: earliest - grace)
                """).all()
            struct Lease { let id: Int64; let number: String; let leasedAt: Int64; let heldUntil: Int64; let tags: String }
            let leases = try rows.map {
                Lease(id: try $0.decode(column: "id", as: Int64.self), number: try $0.decode(column: "number", as: String.self),
                      leasedAt: try $0.decode(column: "leased_at", as: Int64.self), heldUntil: try $0.decode(column: "held_until", as: Int64.self),
                      tags: try $0.decode(column: "session_tags", as: String.self))
            }
            guard !leases.isEmpty else { continue }
            for call in accountCalls {
                let lease = leases
                    .filter { $0.number == call.number && $0.leasedAt <= call.time && $0.heldUntil >= call.time - grace }
                    .max { ($0.leasedAt, $0.id) < ($1.leasedAt, $1.id) }
                guard let lease else { continue }
                var values = try Tags(storedJSON: lease.tags).values
                values["dce_lease_id"] = String(lease.id)
                tags[call.callID] = (try? Tags(validating: values)) ?? Tags()
            }
        }
        return tags
    }
}

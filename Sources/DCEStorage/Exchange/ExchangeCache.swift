import DCEDomain
import Synchronization

/// Campaigns and routing snapshots read moments ago, so that a burst of calls to one
/// campaign reads it once rather than once per call.
///
/// An entry serves for at most `lifetime`, and not at all once any directory of this
/// process has changed an entity since the entry was read: an edit made here takes effect
/// for the next call, one made by another dce node within `lifetime`.
final class ExchangeCache: Sendable {
    /// How long another node's edit may go unseen here.
    static let lifetime = Duration.seconds(1)
    /// Entries kept at most; past it the cache starts again empty.
    static let capacity = 4096

    /// Counts the changes committed by every directory of the process.
    private static let changes = Atomic<Int>(0)

    private struct Entry<Value: Sendable>: Sendable {
        var value: Value
        var generation: Int
        var readAt: ContinuousClock.Instant
    }

    private let snapshots = Mutex<[String: Entry<ExchangeSnapshot>]>([:])
    private let campaigns = Mutex<[String: Entry<(accountID: AccountID, campaign: Campaign)>]>([:])

    /// Called once a change is committed (or has failed): entries read before it no longer serve.
    static func changed() { changes.add(1, ordering: .sequentiallyConsistent) }

    func snapshot(
        campaignID: CampaignID, accountID: AccountID, read: () async throws -> ExchangeSnapshot?
    ) async throws -> ExchangeSnapshot? {
        try await cached(in: snapshots, key: accountID.rawValue + " " + campaignID.rawValue, read: read)
    }

    func campaign(
        id: CampaignID, read: () async throws -> (accountID: AccountID, campaign: Campaign)?
    ) async throws -> (accountID: AccountID, campaign: Campaign)? {
        try await cached(in: campaigns, key: id.rawValue, read: read)
    }

    /// Absent answers are not kept: a campaign created a moment ago is found at once.
    private func cached<Value: Sendable>(
        in entries: borrowing Mutex<[String: Entry<Value>]>, key: String, read: () async throws -> Value?
    ) async throws -> Value? {
        let now = ContinuousClock.now
        // Read before the database is, so that a change committed meanwhile voids the entry.
        let generation = Self.changes.load(ordering: .sequentiallyConsistent)
        let hit = entries.withLock { entries -> Value? in
            guard let entry = entries[key], entry.generation == generation, now - entry.readAt < Self.lifetime else { return nil }
            return entry.value
        }
        if let hit { return hit }
        guard let value = try await read() else { return nil }
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(value: value, generation: generation, readAt: now)
        }
        return value
    }
}

import DCEDomain
import Foundation
import SQLKit

/// A number leased to one visitor session.
public struct Lease: Hashable, Sendable {
    public let id: Int64
    /// Secret to the page that holds the lease: keep-alives must present it.
    public let token: String
    public let poolID: Int64
    public let number: PhoneNumber
    public let visitorID: String?
    public let tags: [String: String]
    public let leasedAt: Timestamp
    public let expiresAt: Timestamp
}

/// What asking a pool for a number gave.
public enum LeaseOutcome: Hashable, Sendable {
    /// A number newly leased to this session.
    case leased(Lease)
    /// The visitor already held a live lease in this pool: it is kept alive and answered again.
    case renewed(Lease)
    /// The pool had no free number (a miss, counted). `overflow` is the pool's overflow
    /// number when it keeps one.
    case miss(overflow: PhoneNumber?)

    public var lease: Lease? {
        switch self {
        case .leased(let lease), .renewed(let lease): lease
        case .miss: nil
        }
    }
}

/// Leases pool numbers to visitor sessions and keeps them alive.
///
/// Whether a number is free is decided by the database alone: a lease is inserted under
/// the unique index on live leases, so two processes that pick the same number cannot
/// both succeed; the loser tries the next number. On PostgreSQL candidates are taken with
/// `FOR UPDATE SKIP LOCKED`, so concurrent requests pick different numbers instead of
/// queueing on one.
///
/// A number's `free_since` (NULL while leased) orders the pick: the first entry of the
/// index of free numbers, whatever the pool's size. It is set with each lease and release,
/// and corrected when an insert finds the number leased after all.
public struct LeaseDesk: Sendable {
    let database: any Database
    private let committer: GroupCommitter<Never, Never>?

    public init(database: any Database) {
        self.database = database
        // Leases share commits: one fsync for a burst of page views, on either engine.
        self.committer = GroupCommitter(database: database)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if let committer { return try await committer.submit(body) }
        return try await database.write(body)
    }

    /// Leases a number of `pool` to the session, or renews the visitor's live lease.
    public func lease(from pool: RingPool, accountID: AccountID, session: VisitorSession, now: Timestamp = .now()) async throws -> LeaseOutcome {
        let tags = session.callTags
        let tagsJSON = String(decoding: try JSONEncoder.ledger.encode(tags), as: UTF8.self)
        let engine = database.engine
        return try await write { sql in
            if engine == .postgres {
                // One lease at a time per pool across every process: concurrent pickers would
                // otherwise chase the same least-recently-released numbers, collide on the
                // live-lease index and could report a miss while numbers are free.
                try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: Int32(73125)), \(bind: Int32(truncatingIfNeeded: pool.id)))").run()
            }
            if let visitorID = session.visitorID, let live = try await Self.renew(visitorID: visitorID, pool: pool, now: now, on: sql) {
                return .renewed(live)
            }
            let expires = pool.leasePolicy.expiry(after: now)
            // Expired leases are ended here only when no number is free (the background
            // service ends them every few seconds anyway): one statement less per lease.
            var releasedExpired = false
            for _ in 0..<8 {
                guard let number = try await Self.freeNumber(pool: pool, accountID: accountID, engine: engine, on: sql) else {
                    if releasedExpired { break }
                    try await Self.releaseExpired(pool: pool, now: now, engine: engine, on: sql)
                    releasedExpired = true
                    continue
                }
                let token = Token.random(length: 24)
                let inserted = try await sql.raw("""
                    INSERT INTO pool_leases (id, account_id, pool_id, number, token, visitor_id, session_tags, lifetime_seconds,
                                             leased_at, last_seen_at, expires_at)
                    VALUES (\(bind: Self.newLeaseID()), \(bind: accountID.rawValue), \(bind: pool.id), \(bind: number), \(bind: token), \(bind: session.visitorID),
                            \(bind: tagsJSON), \(bind: Int64(pool.lifetimeSeconds)), \(bind: now.millisecondsSince1970),
                            \(bind: now.millisecondsSince1970), \(bind: expires.millisecondsSince1970))
                    ON CONFLICT (account_id, number) WHERE released_at IS NULL DO NOTHING
                    RETURNING id
                    """).first()
                // Leased either way: by this lease, or by one the number's free_since missed.
                try await Self.markLeased(number, accountID: accountID, on: sql)
                guard let inserted else { continue }
                return .leased(Lease(
                    id: try inserted.decode(column: "id", as: Int64.self), token: token, poolID: pool.id,
                    number: try PhoneNumber(parsing: number), visitorID: session.visitorID, tags: tags,
                    leasedAt: now, expiresAt: expires
                ))
            }
            try await sql.raw("UPDATE ring_pools SET misses = misses + 1 WHERE id = \(bind: pool.id)").run()
            return .miss(overflow: pool.allowOverflow ? pool.overflowNumber : nil)
        }
    }

    /// A lease's id names it to the page that holds it, and retreaver-js's tag calls carry
    /// nothing else: so it is random, not a sequence a stranger could walk. Below 2^53, so
    /// that a browser's numbers hold it exactly; 2^53 - 2^32 values, from the secure generator.
    static func newLeaseID() -> Int64 {
        var generator = SystemRandomNumberGenerator()
        return Int64.random(in: (Int64(1) << 32)..<(Int64(1) << 53), using: &generator)
    }

    /// Keeps leases alive: each `(id, token)` pair that names a live lease gets a new
    /// lifetime from now. Returns the leases still live, the others are over.
    public func keepAlive(_ pairs: [(id: Int64, token: String)], now: Timestamp = .now()) async throws -> [Lease] {
        guard !pairs.isEmpty else { return [] }
        return try await write { sql in
            var alive: [Lease] = []
            for (id, token) in pairs {
                let row = try await sql.raw("""
                    UPDATE pool_leases SET last_seen_at = \(bind: now.millisecondsSince1970),
                        expires_at = \(bind: now.millisecondsSince1970) + lifetime_seconds * 1000
                    WHERE id = \(bind: id) AND token = \(bind: token) AND released_at IS NULL
                      AND expires_at > \(bind: now.millisecondsSince1970)
                    RETURNING *
                    """).first()
                if let row { alive.append(try Self.decode(row)) }
            }
            return alive
        }
    }

    /// The live leases of a pool, for tests and the operator.
    public func liveLeases(accountID: AccountID, now: Timestamp = .now()) async throws -> [Lease] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM pool_leases WHERE account_id = \(bind: accountID.rawValue) AND released_at IS NULL
                  AND expires_at > \(bind: now.millisecondsSince1970) ORDER BY id
                """).all().map(Self.decode)
        }
    }

    // MARK: - Inside the transaction

    static func renew(visitorID: String, pool: RingPool, now: Timestamp, on sql: any SQLDatabase) async throws -> Lease? {
        try await sql.raw(renewStatement(visitorID: visitorID, pool: pool, now: now)).first().map(decode)
    }

    /// `+expires_at`: find the visitor's lease by visitor (one row), not by time, which would
    /// read every live lease of the pool.
    static func renewStatement(visitorID: String, pool: RingPool, now: Timestamp) -> SQLQueryString {
        """
        UPDATE pool_leases SET last_seen_at = \(bind: now.millisecondsSince1970),
            expires_at = \(bind: pool.leasePolicy.expiry(after: now).millisecondsSince1970)
        WHERE pool_id = \(bind: pool.id) AND visitor_id = \(bind: visitorID) AND released_at IS NULL
          AND +expires_at > \(bind: now.millisecondsSince1970)
        RETURNING *
        """
    }

    /// Ends the pool's leases whose lifetime is over (all pools' when `pool` is nil), and
    /// records when each number was released, for least-recently-released order. On
    /// PostgreSQL rows another transaction is already releasing are skipped, not waited for.
    static func releaseExpired(pool: RingPool?, now: Timestamp, engine: DatabaseEngine, on sql: any SQLDatabase) async throws {
        let scope: SQLQueryString = pool.map { "pool_id = \(bind: $0.id) AND " } ?? ""
        let lock: SQLQueryString = engine == .postgres ? "FOR UPDATE SKIP LOCKED" : ""
        let released = try await sql.raw("""
            UPDATE pool_leases SET released_at = expires_at
            WHERE id IN (SELECT id FROM pool_leases WHERE \(scope) released_at IS NULL
                           AND expires_at <= \(bind: now.millisecondsSince1970) \(lock))
            RETURNING account_id, number, expires_at
            """).all()
        for row in released {
            let accountID = try row.decode(column: "account_id", as: String.self)
            let number = try row.decode(column: "number", as: String.self)
            try await sql.raw("""
                UPDATE tracking_numbers SET free_since = \(bind: try row.decode(column: "expires_at", as: Int64.self))
                WHERE account_id = \(bind: accountID) AND number = \(bind: number)
                """).run()
        }
    }

    /// Ends every lease whose lifetime is over, in every pool.
    public func releaseExpired(now: Timestamp = .now()) async throws {
        let engine = database.engine
        try await write { sql in try await Self.releaseExpired(pool: nil, now: now, engine: engine, on: sql) }
    }

    /// The pool's least recently released free number (never-leased numbers first), other
    /// than the overflow number: the first entry of `tracking_numbers_free` for the pool.
    static func freeNumber(pool: RingPool, accountID: AccountID, engine: DatabaseEngine, on sql: any SQLDatabase) async throws -> String? {
        try await sql.raw(pickQuery(pool: pool, accountID: accountID, engine: engine)).first()
            .map { try $0.decode(column: "number", as: String.self) }
    }

    /// The pick's statement, apart so that a test can ask each engine for its plan.
    static func pickQuery(pool: RingPool, accountID: AccountID, engine: DatabaseEngine) -> SQLQueryString {
        let lock: SQLQueryString = engine == .postgres ? "FOR UPDATE SKIP LOCKED" : ""
        return """
            SELECT number FROM tracking_numbers
            WHERE account_id = \(bind: accountID.rawValue) AND pool_id = \(bind: pool.key) AND free_since IS NOT NULL
              AND number <> \(bind: pool.overflowNumber?.e164 ?? "")
            ORDER BY free_since, number
            LIMIT 1 \(lock)
            """
    }

    static func markLeased(_ number: String, accountID: AccountID, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE tracking_numbers SET free_since = NULL WHERE account_id = \(bind: accountID.rawValue) AND number = \(bind: number)
            """).run()
    }

    static func decode(_ row: any SQLRow) throws -> Lease {
        Lease(
            id: try row.decode(column: "id", as: Int64.self),
            token: try row.decode(column: "token", as: String.self),
            poolID: try row.decode(column: "pool_id", as: Int64.self),
            number: try PhoneNumber(parsing: try row.decode(column: "number", as: String.self)),
            visitorID: try row.decode(column: "visitor_id", as: String?.self),
            tags: try JSONDecoder().decode([String: String].self, from: Data(try row.decode(column: "session_tags", as: String.self).utf8)),
            leasedAt: Timestamp(millisecondsSince1970: try row.decode(column: "leased_at", as: Int64.self)),
            expiresAt: Timestamp(millisecondsSince1970: try row.decode(column: "expires_at", as: Int64.self))
        )
    }
}

/// A change to the tags of a visitor's session (retreaver-js's add, replace and remove tags).
public enum SessionTagChange: Sendable {
    case add([String: String])
    case remove([String: String])
    case removeKeys([String])
    case removeAll
}

extension LeaseDesk {
    /// Changes the tags of live leases of the pool with `poolKey`; returns the leases changed.
    public func retag(_ leaseIDs: [Int64], poolKey: String, change: SessionTagChange, now: Timestamp = .now()) async throws -> [Lease] {
        try await write { sql in
            var changed: [Lease] = []
            for id in leaseIDs {
                guard let row = try await sql.raw("""
                    SELECT l.* FROM pool_leases l JOIN ring_pools p ON p.id = l.pool_id
                    WHERE l.id = \(bind: id) AND p.pool_key = \(bind: poolKey) AND l.released_at IS NULL
                      AND l.expires_at > \(bind: now.millisecondsSince1970)
                    """).first() else { continue }
                var tags = try Self.decode(row).tags
                switch change {
                case .add(let added): tags.merge(added) { _, new in new }
                case .remove(let removed): for (key, value) in removed where tags[key] == value { tags[key] = nil }
                case .removeKeys(let keys): for key in keys { tags[key] = nil }
                case .removeAll: tags = [:]
                }
                guard tags.count <= Tags.maximumPerWrite else { throw SessionTagError.tooMany(tags.count) }
                let json = String(decoding: try JSONEncoder.ledger.encode(tags), as: UTF8.self)
                let updated = try await sql.raw("""
                    UPDATE pool_leases SET session_tags = \(bind: json) WHERE id = \(bind: id) RETURNING *
                    """).first()
                if let updated { changed.append(try Self.decode(updated)) }
            }
            return changed
        }
    }
}

public enum SessionTagError: Error, CustomStringConvertible {
    case tooMany(Int)
    public var description: String {
        switch self {
        case .tooMany(let count): "a session would have \(count) tags; at most \(Tags.maximumPerWrite) are kept"
        }
    }
}

/// Number pools (Invoca's RingPools), the leases of their numbers to website visitors,
/// and when each number was last released.
///
/// A lease is live while `released_at` is NULL; the unique partial index on live leases
/// is what guarantees that one number is never leased to two sessions at once, whichever
/// dce process asks.
let m005NumberPools = Migration(version: 5, name: "number pools") { engine in
    let serial = engine == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"
    return [
        """
        CREATE TABLE ring_pools (
            id \(serial),
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            pool_key TEXT NOT NULL UNIQUE,
            network_id TEXT NOT NULL,
            advertiser_id TEXT NOT NULL,
            campaign_id TEXT NOT NULL,
            id_from_network TEXT NOT NULL,
            name TEXT,
            destination_url TEXT,
            destination_type TEXT,
            destination_phone_number TEXT,
            lifetime_seconds BIGINT NOT NULL CHECK (lifetime_seconds > 0),
            max_pool_size BIGINT NOT NULL CHECK (max_pool_size > 0),
            preferred BIGINT NOT NULL CHECK (preferred IN (0, 1)),
            allow_overflow BIGINT NOT NULL CHECK (allow_overflow IN (0, 1)),
            local_center TEXT,
            local_preferences TEXT,
            tn_prefix_whitelist TEXT NOT NULL,
            allocation_state TEXT NOT NULL CHECK (allocation_state IN ('pending', 'allocated', 'waiting')),
            allocation_note TEXT,
            allocate_after BIGINT NOT NULL,
            overflow_number TEXT,
            misses BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            UNIQUE (account_id, network_id, id_from_network)
        )
        """,
        "CREATE INDEX ring_pools_scope ON ring_pools (account_id, network_id, advertiser_id, campaign_id)",
        "CREATE INDEX ring_pools_allocation ON ring_pools (allocation_state, allocate_after)",
        """
        CREATE TABLE pool_leases (
            id \(serial),
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            pool_id BIGINT NOT NULL REFERENCES ring_pools(id) ON DELETE CASCADE,
            number TEXT NOT NULL,
            token TEXT NOT NULL,
            visitor_id TEXT,
            session_tags TEXT NOT NULL,
            lifetime_seconds BIGINT NOT NULL,
            leased_at BIGINT NOT NULL,
            last_seen_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            released_at BIGINT
        )
        """,
        "CREATE UNIQUE INDEX pool_leases_live_number ON pool_leases (account_id, number) WHERE released_at IS NULL",
        "CREATE INDEX pool_leases_pool_live ON pool_leases (pool_id, expires_at) WHERE released_at IS NULL",
        "CREATE INDEX pool_leases_visitor ON pool_leases (pool_id, visitor_id) WHERE released_at IS NULL",
        "CREATE INDEX pool_leases_number_time ON pool_leases (account_id, number, leased_at)",
        """
        CREATE TABLE pool_number_releases (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            number TEXT NOT NULL,
            released_at BIGINT NOT NULL,
            PRIMARY KEY (account_id, number)
        )
        """,
    ]
}

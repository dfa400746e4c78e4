/// Picking a pool's next number reads one entry of an index instead of every number of the
/// pool. `tracking_numbers.free_since` is NULL while the number has a live lease, else when
/// it was last released (0: never leased); `tracking_numbers_free` holds the free numbers of
/// each pool in least-recently-released order, so the pick is the index's first entry.
///
/// The column replaces `pool_number_releases`, whose times it takes over. The unique index
/// on live leases still decides whether a number is free; the column only orders the search.
let m007LeasePicking = Migration(version: 7, name: "lease picking") { _ in
    [
        "ALTER TABLE tracking_numbers ADD COLUMN free_since BIGINT DEFAULT 0",
        """
        UPDATE tracking_numbers SET free_since = COALESCE(
            (SELECT r.released_at FROM pool_number_releases r
             WHERE r.account_id = tracking_numbers.account_id AND r.number = tracking_numbers.number), 0)
        """,
        """
        UPDATE tracking_numbers SET free_since = NULL WHERE EXISTS (
            SELECT 1 FROM pool_leases l
            WHERE l.account_id = tracking_numbers.account_id AND l.number = tracking_numbers.number AND l.released_at IS NULL)
        """,
        "CREATE INDEX tracking_numbers_free ON tracking_numbers (account_id, pool_id, free_since, number) WHERE free_since IS NOT NULL",
        "DROP TABLE pool_number_releases",
        // The background release of expired leases in every pool reads only the expired ones.
        "CREATE INDEX pool_leases_live_expiry ON pool_leases (expires_at) WHERE released_at IS NULL",
    ]
}

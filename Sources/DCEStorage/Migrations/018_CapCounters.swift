/// Running counts of routed, connected and converted calls per target and buyer and per
/// period, kept in the routing transaction as each attempt starts, connects or converts,
/// so routing reads a few counter rows instead of counting a month (or a lifetime) of
/// attempts for every call.
///
/// `period_start` is the period's first instant on the owner's clock when the attempt
/// started (0 for `total`); an attempt keeps the starts it was counted in (`target_*`,
/// `buyer_*`), so its connection and conversion count in the same periods. Attempts stored
/// before the counters (`counted = 0`) are still counted from their own rows, through a
/// partial index that only they are in.
let m018CapCounters = Migration(version: 18, name: "cap counters") { _ in
    [
        """
        CREATE TABLE cap_counters (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            owner_id TEXT NOT NULL,
            metric TEXT NOT NULL CHECK (metric IN ('routed', 'connected', 'converted')),
            period TEXT NOT NULL CHECK (period IN ('hour', 'day', 'month', 'total')),
            period_start BIGINT NOT NULL,
            count BIGINT NOT NULL,
            PRIMARY KEY (account_id, owner_id, metric, period, period_start)
        )
        """,
        "ALTER TABLE route_attempts ADD COLUMN counted BIGINT NOT NULL DEFAULT 0 CHECK (counted IN (0, 1))",
        "ALTER TABLE route_attempts ADD COLUMN target_hour BIGINT",
        "ALTER TABLE route_attempts ADD COLUMN target_day BIGINT",
        "ALTER TABLE route_attempts ADD COLUMN target_month BIGINT",
        "ALTER TABLE route_attempts ADD COLUMN buyer_hour BIGINT",
        "ALTER TABLE route_attempts ADD COLUMN buyer_day BIGINT",
        "ALTER TABLE route_attempts ADD COLUMN buyer_month BIGINT",
        "CREATE INDEX route_attempts_uncounted_target ON route_attempts (account_id, target_id, started_at) WHERE counted = 0",
        "CREATE INDEX route_attempts_uncounted_buyer ON route_attempts (account_id, buyer_id, started_at) WHERE counted = 0",
    ]
}

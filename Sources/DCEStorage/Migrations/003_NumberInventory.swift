/// The tracking-number inventory. A number belongs to at most one pool: `pool_id` is a
/// single column.
let m003NumberInventory = Migration(version: 3, name: "number inventory") { _ in
    [
        """
        CREATE TABLE tracking_numbers (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            number TEXT NOT NULL,
            label TEXT,
            campaign_id TEXT,
            pool_id TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('local', 'toll_free')),
            area_code TEXT,
            state TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (account_id, number)
        )
        """,
        "CREATE INDEX tracking_numbers_pool ON tracking_numbers (account_id, pool_id)",
        "CREATE INDEX tracking_numbers_campaign ON tracking_numbers (account_id, campaign_id)",
    ]
}

/// Vendor integrations (one webhook URL each) and the index cross-vendor dedupe searches:
/// the same caller on the same tracking number around the same moment.
let m004Integrations = Migration(version: 4, name: "integrations") { _ in
    [
        """
        CREATE TABLE integrations (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            vendor TEXT NOT NULL CHECK (vendor IN ('ringba', 'retreaver', 'ringcentral', 'exotel', 'invoca', 'native')),
            name TEXT NOT NULL,
            field_mapping TEXT NOT NULL,
            secret TEXT,
            created_at BIGINT NOT NULL,
            UNIQUE (account_id, name)
        )
        """,
        "CREATE INDEX integrations_account ON integrations (account_id, created_at)",
        "CREATE INDEX calls_account_caller_tracking ON calls (account_id, caller_phone, tracking_number, sort_at)",
    ]
}

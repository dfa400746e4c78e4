/// Pull sync: each integration's vendor API credentials (sealed with DCE_SECRET_KEY; the
/// key names kept apart so the API can list them without the key), and its sync state: the
/// cursor, the run in progress, the breaker, and the lease that keeps two processes from
/// pulling the same integration at once.
let m015Sync = Migration(version: 15, name: "sync") { _ in
    [
        """
        CREATE TABLE integration_credentials (
            integration_id TEXT PRIMARY KEY REFERENCES integrations(id) ON DELETE CASCADE,
            account_id TEXT NOT NULL,
            sealed TEXT NOT NULL,
            key_names TEXT NOT NULL,
            api_base_url TEXT,
            sync_interval_seconds BIGINT,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX integration_credentials_account ON integration_credentials (account_id)",
        """
        CREATE TABLE sync_state (
            integration_id TEXT PRIMARY KEY REFERENCES integrations(id) ON DELETE CASCADE,
            account_id TEXT NOT NULL,
            synced_to BIGINT,
            run_from BIGINT,
            run_to BIGINT,
            next_request TEXT,
            last_attempt_at BIGINT,
            last_success_at BIGINT,
            last_error TEXT,
            failures BIGINT NOT NULL DEFAULT 0,
            breaker TEXT NOT NULL DEFAULT 'closed' CHECK (breaker IN ('closed', 'open', 'half_open')),
            breaker_until BIGINT,
            rows_pulled BIGINT NOT NULL DEFAULT 0,
            next_run_at BIGINT,
            token_sealed TEXT,
            lease_holder TEXT,
            lease_until BIGINT
        )
        """,
        "CREATE INDEX sync_state_account ON sync_state (account_id)",
    ]
}

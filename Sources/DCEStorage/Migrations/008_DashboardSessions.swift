/// Dashboard sign-ins: the browser's cookie holds a random session id, never an API key.
/// Only the id's hash is kept, so a copy of the database opens no session. A session
/// belongs to the key that opened it: revoking the key, or deleting the account, ends it.
let m008DashboardSessions = Migration(version: 8, name: "dashboard sessions") { _ in
    [
        """
        CREATE TABLE dashboard_sessions (
            id_hash TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            api_key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            CHECK (expires_at > created_at)
        )
        """,
        "CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at)",
    ]
}

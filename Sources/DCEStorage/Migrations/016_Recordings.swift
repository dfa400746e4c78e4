/// Call recordings pulled from a vendor (RingCentral's `recording.contentUri`): one row per
/// vendor recording, pending until its file is whole on disk, then linked to the call; and
/// each integration's webhook subscription at its vendor, renewed before it expires.
let m016Recordings = Migration(version: 16, name: "recordings") { _ in
    [
        """
        CREATE TABLE call_recordings (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            recording_id TEXT NOT NULL,
            call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
            integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
            content_uri TEXT NOT NULL,
            file_name TEXT,
            content_type TEXT,
            byte_count BIGINT CHECK (byte_count >= 0),
            stored_at BIGINT,
            attempts BIGINT NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (account_id, source, recording_id),
            CHECK ((stored_at IS NULL) = (file_name IS NULL))
        )
        """,
        "CREATE INDEX call_recordings_call ON call_recordings (call_id, stored_at)",
        "CREATE INDEX call_recordings_pending ON call_recordings (integration_id, stored_at, created_at)",
        """
        CREATE TABLE vendor_subscriptions (
            integration_id TEXT PRIMARY KEY REFERENCES integrations(id) ON DELETE CASCADE,
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            subscription_id TEXT NOT NULL,
            address TEXT NOT NULL,
            expires_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
    ]
}

/// Accounts, API keys, the verbatim request store, raw events, calls and dead letters.
let m001CallLedger = Migration(version: 1, name: "call ledger") { engine in
    let serial = engine == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"
    let statuses = "'completed','answered','in_progress','ringing','no_answer','busy','failed','canceled','unknown'"
    return [
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            prefix TEXT NOT NULL UNIQUE,
            key_hash TEXT NOT NULL,
            label TEXT,
            created_at BIGINT NOT NULL,
            revoked_at BIGINT
        )
        """,
        "CREATE INDEX api_keys_account ON api_keys (account_id)",
        // Every request that reached an ingestion endpoint, verbatim, accepted or not.
        """
        CREATE TABLE inbound_requests (
            id TEXT PRIMARY KEY,
            account_id TEXT REFERENCES accounts(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            content_type TEXT,
            headers TEXT NOT NULL,
            body TEXT NOT NULL,
            body_encoding TEXT NOT NULL CHECK (body_encoding IN ('utf8', 'base64'))
        )
        """,
        """
        CREATE TABLE calls (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            external_call_id TEXT NOT NULL,
            caller_phone TEXT,
            tracking_number TEXT,
            destination_number TEXT,
            duration_seconds BIGINT CHECK (duration_seconds >= 0),
            call_started_at BIGINT,
            call_answered_at BIGINT,
            call_ended_at BIGINT,
            status TEXT NOT NULL CHECK (status IN (\(statuses))),
            campaign_id TEXT,
            publisher_id TEXT,
            target_id TEXT,
            caller_state TEXT,
            revenue_cents BIGINT,
            payout_cents BIGINT,
            converted BIGINT CHECK (converted IN (0, 1)),
            recording_url TEXT,
            call_metadata TEXT NOT NULL,
            event_count BIGINT NOT NULL,
            sort_at BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX calls_account_sort ON calls (account_id, sort_at, id)",
        "CREATE INDEX calls_account_caller ON calls (account_id, caller_phone)",
        "CREATE INDEX calls_account_tracking ON calls (account_id, tracking_number)",
        // A call may be known to several vendors under several ids; each id names one call.
        """
        CREATE TABLE call_vendor_ids (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            external_call_id TEXT NOT NULL,
            call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
            PRIMARY KEY (account_id, source, external_call_id)
        )
        """,
        "CREATE INDEX call_vendor_ids_call ON call_vendor_ids (call_id)",
        """
        CREATE TABLE raw_events (
            id \(serial),
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            request_id TEXT NOT NULL REFERENCES inbound_requests(id),
            source TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            external_call_id TEXT NOT NULL,
            event_type TEXT,
            occurred_at BIGINT NOT NULL,
            received_at BIGINT NOT NULL,
            payload TEXT NOT NULL,
            normalized TEXT NOT NULL,
            call_id TEXT NOT NULL REFERENCES calls(id),
            UNIQUE (account_id, idempotency_key)
        )
        """,
        "CREATE INDEX raw_events_call ON raw_events (call_id, occurred_at, id)",
        """
        CREATE TABLE dead_letters (
            id TEXT PRIMARY KEY,
            account_id TEXT REFERENCES accounts(id) ON DELETE CASCADE,
            request_id TEXT NOT NULL REFERENCES inbound_requests(id),
            source TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            reason TEXT NOT NULL,
            field TEXT
        )
        """,
        "CREATE INDEX dead_letters_account ON dead_letters (account_id, received_at)",
    ]
}

/// The Exotel call ribbon: a client profile per account (plan, limit, features, domains,
/// Exotel credentials), call sessions keyed by Exotel's `callSid`, the log of ribbon events
/// (each one a raw event in the ledger) and the client's customer records.
let m002Ribbon = Migration(version: 2, name: "ribbon") { _ in
    [
        """
        CREATE TABLE ribbon_clients (
            account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
            display_name TEXT NOT NULL,
            plan TEXT NOT NULL,
            monthly_call_limit BIGINT NOT NULL CHECK (monthly_call_limit >= 0),
            features TEXT NOT NULL,
            exotel_token TEXT NOT NULL,
            exotel_user_id TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        // Hosts (lower case, no scheme or port) a client's ribbon may be embedded in.
        """
        CREATE TABLE ribbon_client_domains (
            account_id TEXT NOT NULL REFERENCES ribbon_clients(account_id) ON DELETE CASCADE,
            domain TEXT NOT NULL,
            PRIMARY KEY (account_id, domain)
        )
        """,
        "CREATE INDEX ribbon_client_domains_domain ON ribbon_client_domains (domain)",
        // One row per real call; `usage_month` is the UTC month the call counts against, once.
        """
        CREATE TABLE ribbon_sessions (
            session_id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            call_sid TEXT NOT NULL,
            call_id TEXT REFERENCES calls(id),
            usage_month TEXT NOT NULL,
            call_direction TEXT,
            phone_number TEXT,
            customer_id TEXT,
            customer_name TEXT,
            customer_data TEXT NOT NULL,
            domain TEXT,
            created_at BIGINT NOT NULL,
            UNIQUE (account_id, call_sid)
        )
        """,
        "CREATE INDEX ribbon_sessions_usage ON ribbon_sessions (account_id, usage_month)",
        "CREATE INDEX ribbon_sessions_customer ON ribbon_sessions (account_id, customer_id)",
        "CREATE INDEX ribbon_sessions_call ON ribbon_sessions (call_id)",
        """
        CREATE TABLE ribbon_call_logs (
            log_id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            session_id TEXT NOT NULL REFERENCES ribbon_sessions(session_id) ON DELETE CASCADE,
            raw_event_id BIGINT NOT NULL UNIQUE REFERENCES raw_events(id),
            event TEXT NOT NULL,
            occurred_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX ribbon_call_logs_account ON ribbon_call_logs (account_id, occurred_at, log_id)",
        "CREATE INDEX ribbon_call_logs_session ON ribbon_call_logs (session_id, occurred_at)",
        """
        CREATE TABLE ribbon_customers (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            customer_id TEXT NOT NULL,
            name TEXT,
            email TEXT,
            phone TEXT,
            company TEXT,
            tags TEXT NOT NULL,
            custom_fields TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (account_id, customer_id)
        )
        """,
    ]
}

/// The carriers an account's voice webhooks come from, with what authenticates them: the
/// auth token Twilio and SignalWire sign with, or Telnyx's public key; and the hash of a
/// URL token for carriers (or proxies) that sign nothing.
let m013Carriers = Migration(version: 13, name: "carriers") { _ in
    [
        """
        CREATE TABLE carriers (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('twilio', 'signalwire', 'telnyx')),
            name TEXT NOT NULL,
            auth_token TEXT NOT NULL,
            url_token_hash TEXT NOT NULL UNIQUE,
            created_at BIGINT NOT NULL,
            UNIQUE (account_id, name)
        )
        """,
        "CREATE INDEX carriers_account ON carriers (account_id, created_at)",
    ]
}

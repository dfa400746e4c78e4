/// Where each call was routed and why, and every target it rang.
///
/// `call_routes` keeps the decision as it was made (targets considered with reasons, the
/// ringing order) and the pricing rules of that moment, so a later edit never rewrites a
/// past call. A carrier's call id is unique per (account, source): routing the same call
/// twice answers the stored route.
///
/// `route_attempts` is what caps count: one row per target rung, with when it connected,
/// converted and ended. Its indexes serve the counts taken at the moment of routing: per
/// target and per buyer by start time, live calls (not ended), and a caller's history.
let m012CallRoutes = Migration(version: 12, name: "call routes") { _ in
    [
        """
        CREATE TABLE call_routes (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            source TEXT NOT NULL,
            external_call_id TEXT,
            campaign_id TEXT NOT NULL,
            publisher_id TEXT,
            caller TEXT,
            dialed TEXT,
            tags TEXT NOT NULL,
            decided_at BIGINT NOT NULL,
            decision TEXT NOT NULL,
            rules TEXT NOT NULL,
            buyer_rules TEXT NOT NULL,
            fallback_action TEXT NOT NULL,
            fallback TEXT,
            simultaneous_ring BIGINT NOT NULL CHECK (simultaneous_ring BETWEEN 1 AND 10),
            duplicate BIGINT NOT NULL CHECK (duplicate IN (0, 1)),
            PRIMARY KEY (account_id, id),
            UNIQUE (account_id, source, external_call_id)
        )
        """,
        "CREATE INDEX call_routes_campaign_caller ON call_routes (account_id, campaign_id, caller, decided_at)",
        """
        CREATE TABLE route_attempts (
            account_id TEXT NOT NULL,
            route_id TEXT NOT NULL,
            attempt BIGINT NOT NULL,
            target_id TEXT NOT NULL,
            buyer_id TEXT NOT NULL,
            caller TEXT,
            started_at BIGINT NOT NULL,
            connected_at BIGINT,
            converted_at BIGINT,
            ended_at BIGINT,
            outcome TEXT,
            PRIMARY KEY (account_id, route_id, attempt),
            FOREIGN KEY (account_id, route_id) REFERENCES call_routes(account_id, id) ON DELETE CASCADE
        )
        """,
        "CREATE INDEX route_attempts_target ON route_attempts (account_id, target_id, started_at)",
        "CREATE INDEX route_attempts_buyer ON route_attempts (account_id, buyer_id, started_at)",
        "CREATE INDEX route_attempts_live_target ON route_attempts (account_id, target_id, started_at) WHERE ended_at IS NULL",
        "CREATE INDEX route_attempts_live_buyer ON route_attempts (account_id, buyer_id, started_at) WHERE ended_at IS NULL",
        """
        CREATE INDEX route_attempts_caller ON route_attempts (account_id, caller, buyer_id, connected_at)
        WHERE connected_at IS NOT NULL
        """,
    ]
}

/// The digest of every page a sync stored, per integration: a page pulled again exactly as
/// it was (a scheduled run's window overlaps the last; Invoca's `from`/`to` are whole dates,
/// so each run reads the day again) is kept once, not once a run.
let m019PulledPages = Migration(version: 19, name: "pulled pages") { _ in
    [
        """
        CREATE TABLE pulled_pages (
            integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
            digest TEXT NOT NULL,
            stored_at BIGINT NOT NULL,
            PRIMARY KEY (integration_id, digest)
        )
        """,
    ]
}

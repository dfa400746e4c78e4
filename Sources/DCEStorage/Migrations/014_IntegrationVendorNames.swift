/// Which vendors exist is the vendor registry's business, not the schema's: the list of
/// names in `integrations.vendor`'s CHECK goes, so that a new vendor needs no migration.
/// SQLite cannot drop a constraint, so its table is rebuilt without it.
let m014IntegrationVendorNames = Migration(version: 14, name: "integration_vendor_names") { engine in
    switch engine {
    case .postgres:
        return ["ALTER TABLE integrations DROP CONSTRAINT IF EXISTS integrations_vendor_check"]
    case .sqlite:
        return [
            """
            CREATE TABLE integrations_rebuilt (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                vendor TEXT NOT NULL,
                name TEXT NOT NULL,
                field_mapping TEXT NOT NULL,
                secret TEXT,
                created_at BIGINT NOT NULL,
                UNIQUE (account_id, name)
            )
            """,
            """
            INSERT INTO integrations_rebuilt (id, account_id, vendor, name, field_mapping, secret, created_at)
            SELECT id, account_id, vendor, name, field_mapping, secret, created_at FROM integrations
            """,
            "DROP TABLE integrations",
            "ALTER TABLE integrations_rebuilt RENAME TO integrations",
            "CREATE INDEX integrations_account ON integrations (account_id, created_at)",
        ]
    }
}

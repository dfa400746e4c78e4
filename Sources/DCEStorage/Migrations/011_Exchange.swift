/// The exchange's campaigns, publishers, buyers and targets, one row each with the spec
/// as JSON, and beside them what must be found or kept unique without reading every spec:
/// the ids a spec names (so a referenced entity cannot be deleted), the vendors' ids of an
/// entity, and the numbers and pools a campaign answers.
///
/// Entity ids are random and unique across accounts, so a carrier webhook that names only a
/// campaign finds one. A reference's target has no ON DELETE action: deleting something
/// still named by another entity is refused by the database as well as by the directory.
let m011Exchange = Migration(version: 11, name: "exchange") { _ in
    [
        """
        CREATE TABLE exchange_entities (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('campaign', 'publisher', 'buyer', 'target')),
            name TEXT NOT NULL CHECK (length(name) > 0),
            spec TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL CHECK (updated_at >= created_at),
            PRIMARY KEY (account_id, id),
            CHECK (substr(id, 1, 4) = CASE kind WHEN 'campaign' THEN 'cmp_' WHEN 'publisher' THEN 'pub_'
                                                WHEN 'buyer' THEN 'buy_' ELSE 'tgt_' END)
        )
        """,
        "CREATE UNIQUE INDEX exchange_entities_id ON exchange_entities (id)",
        "CREATE INDEX exchange_entities_kind_name ON exchange_entities (account_id, kind, name)",
        """
        CREATE TABLE exchange_references (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            from_id TEXT NOT NULL,
            to_id TEXT NOT NULL,
            field TEXT NOT NULL,
            PRIMARY KEY (account_id, from_id, to_id, field),
            FOREIGN KEY (account_id, from_id) REFERENCES exchange_entities (account_id, id) ON DELETE CASCADE,
            FOREIGN KEY (account_id, to_id) REFERENCES exchange_entities (account_id, id)
        )
        """,
        "CREATE INDEX exchange_references_to ON exchange_references (account_id, to_id)",
        """
        CREATE TABLE exchange_external_ids (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            vendor TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('campaign', 'publisher', 'buyer', 'target')),
            external_id TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            PRIMARY KEY (account_id, vendor, kind, external_id),
            FOREIGN KEY (account_id, entity_id) REFERENCES exchange_entities (account_id, id) ON DELETE CASCADE
        )
        """,
        "CREATE INDEX exchange_external_ids_entity ON exchange_external_ids (account_id, entity_id)",
        """
        CREATE TABLE campaign_numbers (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            number TEXT NOT NULL,
            campaign_id TEXT NOT NULL,
            publisher_id TEXT,
            PRIMARY KEY (account_id, number),
            FOREIGN KEY (account_id, campaign_id) REFERENCES exchange_entities (account_id, id) ON DELETE CASCADE
        )
        """,
        "CREATE INDEX campaign_numbers_number ON campaign_numbers (number)",
        "CREATE INDEX campaign_numbers_campaign ON campaign_numbers (account_id, campaign_id)",
        """
        CREATE TABLE campaign_pools (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            pool_id TEXT NOT NULL,
            campaign_id TEXT NOT NULL,
            PRIMARY KEY (account_id, pool_id),
            FOREIGN KEY (account_id, campaign_id) REFERENCES exchange_entities (account_id, id) ON DELETE CASCADE
        )
        """,
        "CREATE INDEX campaign_pools_campaign ON campaign_pools (account_id, campaign_id)",
        // A dialled number is looked up in every account: a carrier's webhook carries no key.
        "CREATE INDEX tracking_numbers_number ON tracking_numbers (number)",
    ]
}

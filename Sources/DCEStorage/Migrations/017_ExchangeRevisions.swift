/// Every spec a campaign, publisher, buyer or target has had, each valid from the moment it
/// was stored until the next one: a call dce did not route is priced by the rules in force
/// when it happened, so an edit never rewrites a past call's money.
///
/// `valid_from` increases per entity (a second edit within the same millisecond is a
/// millisecond later). An entity stored before revisions were kept gets one revision, its
/// spec at the upgrade, valid from its creation. Revisions go with their entity.
let m017ExchangeRevisions = Migration(version: 17, name: "exchange revisions") { _ in
    [
        """
        CREATE TABLE exchange_revisions (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            id TEXT NOT NULL CHECK (substr(id, 1, 4) = 'rev_'),
            entity_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('campaign', 'publisher', 'buyer', 'target')),
            spec TEXT NOT NULL,
            valid_from BIGINT NOT NULL,
            PRIMARY KEY (account_id, id),
            UNIQUE (account_id, entity_id, valid_from),
            FOREIGN KEY (account_id, entity_id) REFERENCES exchange_entities (account_id, id) ON DELETE CASCADE
        )
        """,
        """
        INSERT INTO exchange_revisions (account_id, id, entity_id, kind, spec, valid_from)
        SELECT account_id, 'rev_' || substr(id, 5), id, kind, spec, created_at FROM exchange_entities
        """,
    ]
}

/// The times of a call's first and last events, kept on the call so that a commit group
/// can fold new events onto the call as stored instead of reading all of its events again
/// (`LedgerBatch.refold`). NULL on calls folded before this migration: their next event
/// folds them from all of their events once, which sets both.
///
/// Also drops `calls_account_caller`: `calls_account_caller_tracking` begins with the same
/// two columns and serves every lookup by caller, and each index costs every fold a write.
/// Adds `tracking_numbers_label`: RingCentral attribution looks numbers up by label for
/// every event, which otherwise reads every number of the account.
let m006CallFoldBounds = Migration(version: 6, name: "call fold bounds") { _ in
    [
        "ALTER TABLE calls ADD COLUMN first_event_at BIGINT",
        "ALTER TABLE calls ADD COLUMN last_event_at BIGINT",
        "DROP INDEX calls_account_caller",
        "CREATE INDEX tracking_numbers_label ON tracking_numbers (account_id, label)",
    ]
}

/// A number's use beside its kind: `static` for a number printed in an ad or labelled with
/// the destination it stands in for, `pool` for one that may be leased to website visitors.
/// The pool allocator took any number outside a pool, so an ad's number could be leased
/// and its calls credited to a website visit. Numbers already in a pool are `pool`; others
/// that name a campaign or a label are `static`; the rest stay free for pools.
let m010NumberUse = Migration(version: 10, name: "number use") { _ in
    [
        "ALTER TABLE tracking_numbers ADD COLUMN number_use TEXT NOT NULL DEFAULT 'pool' CHECK (number_use IN ('static', 'pool'))",
        """
        UPDATE tracking_numbers SET number_use = 'static'
        WHERE pool_id IS NULL AND (label IS NOT NULL OR campaign_id IS NOT NULL)
        """,
    ]
}

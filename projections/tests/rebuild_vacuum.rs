//! A rebuild's tables go live vacuumed (decision A48).
//!
//! The one test of its binary, on purpose: cargo runs test binaries one after
//! another, so no other test of ours has a transaction open on the cluster
//! while it runs. A VACUUM may mark a page all-visible only if no snapshot of
//! its database can still miss the page's rows, and a snapshot reaches back to
//! the oldest transaction running anywhere in the cluster: beside the other
//! tests of a binary (each in a database of its own, but autovacuum analyses
//! each new database's catalogs, holding such a snapshot there), the
//! rebuild's newest pages could stay unmarked whatever the rebuild did.

mod common;

use common::*;
use projections::requests::RequestsProjection;
use projections::{rebuild, run_until_idle, Projection};
use sqlx::PgPool;

/// The tables go live vacuumed (decision A48): every page marked all-visible,
/// so that index-only scans skip the heap and autovacuum has nothing to do
/// right after the swap. `ANALYZE` alone would leave `relallvisible` at 0.
/// And with the live tables' storage settings: none.
#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_leaves_its_tables_vacuumed(pool: PgPool) {
    varied_history(&pool, 40).await;
    let p = RequestsProjection;
    run_until_idle(&pool, &p).await.unwrap();

    rebuild(&pool, &p).await.unwrap();

    for table in p.tables() {
        let (pages, all_visible, rows): (i32, i32, f32) = sqlx::query_as(
            "SELECT relpages, relallvisible, reltuples FROM pg_class \
             WHERE oid = to_regclass('public.' || $1)",
        )
        .bind(table)
        .fetch_one(&pool)
        .await
        .unwrap();
        let holds_rows = !table_contents(&pool, table).await.is_empty();
        assert_eq!(pages > 0, holds_rows, "{table}: {pages} pages");
        assert_eq!(all_visible, pages, "{table}: pages all-visible");
        assert!(rows >= 0.0, "{table}: analysed (reltuples {rows})");
        // Autovacuum, kept off the shadow tables while they fill, is back.
        let options: Vec<Option<Vec<String>>> = sqlx::query_scalar(
            "SELECT reloptions FROM pg_class WHERE oid = to_regclass('public.' || $1) \
             UNION ALL \
             SELECT t.reloptions FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid \
             WHERE c.oid = to_regclass('public.' || $1)",
        )
        .bind(table)
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(options.iter().all(Option::is_none), "{table}: {options:?}");
    }
}

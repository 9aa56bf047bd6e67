//! The shadow tables of a rebuild: created with the keys the replay needs,
//! their other indexes built once they are full, then vacuumed and analysed
//! (steps 1 and 3 of `rebuild.rs`).

use crate::ProjectionError;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

/// Builds the deferred indexes two at a time, this session and one more, the
/// GIN ones first: PostgreSQL builds a GIN index on one core, and one may
/// take as long as several B-tree indexes.
pub(super) async fn build_indexes(
    conn: &mut PgConnection,
    connect: &PgConnectOptions,
    mut statements: Vec<String>,
) -> Result<(), ProjectionError> {
    // Stable: the others keep their order.
    statements.sort_by_key(|statement| !statement.contains(" USING gin "));
    two_at_a_time(conn, connect, statements).await
}

/// Runs `statements` in order on this session and one more, each taking the
/// next as soon as it is free.
async fn two_at_a_time(
    conn: &mut PgConnection,
    connect: &PgConnectOptions,
    statements: Vec<String>,
) -> Result<(), ProjectionError> {
    let queue = std::sync::Mutex::new(statements.into_iter());
    let mut second = PgConnection::connect_with(connect).await?;
    let (here, there) = tokio::join!(build_from(conn, &queue), build_from(&mut second, &queue));
    let closed = second.close().await;
    here?;
    there?;
    closed?;
    Ok(())
}

/// `VACUUM`, then `ANALYZE`, each a pass of its own, two at a time as the
/// indexes (they are on the critical path, one core each). A VACUUM marks a page
/// all-visible only if no snapshot of this database may still miss its rows,
/// and such a snapshot reaches back to the oldest transaction running
/// anywhere in the cluster. A VACUUM's snapshot does not count while it
/// vacuums a table, but it does while it looks its tables up and when it
/// updates the database's oldest xid, after them; an ANALYZE's counts
/// throughout. Either, beside the other session's VACUUM, while a
/// transaction older than the replay's last writes still runs (a command of
/// the live service under load, for the `request_search` rows written
/// moments ago), could leave that table's newest pages for autovacuum after
/// the swap: one more VACUUM of every table on this session alone, a pass
/// later, visits those pages only, the others being marked all-visible
/// already.
pub(super) async fn vacuum_and_analyse(
    conn: &mut PgConnection,
    connect: &PgConnectOptions,
    schema: &str,
    tables: &[&str],
) -> Result<(), ProjectionError> {
    let each = |command: &str| -> Vec<String> {
        tables
            .iter()
            .map(|table| format!("{command} {schema}.{table}"))
            .collect()
    };
    two_at_a_time(conn, connect, each("VACUUM")).await?;
    let every_table = tables
        .iter()
        .map(|table| format!("{schema}.{table}"))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query(&format!("VACUUM {every_table}"))
        .execute(&mut *conn)
        .await?;
    two_at_a_time(conn, connect, each("ANALYZE")).await
}

/// Runs statements from `queue` on `conn` until it is empty.
async fn build_from(
    conn: &mut PgConnection,
    queue: &std::sync::Mutex<std::vec::IntoIter<String>>,
) -> Result<(), ProjectionError> {
    loop {
        let next = queue.lock().expect("index queue").next();
        let Some(statement) = next else {
            return Ok(());
        };
        sqlx::query(&statement).execute(&mut *conn).await?;
    }
}

/// A shadow table is vacuumed once, when it is full (decision A48): while the
/// replay fills it, autovacuum would scan it again at every fifth of growth,
/// on a core the replay needs. These storage settings are off meanwhile,
/// then reset to the live tables' defaults.
pub(super) const AUTOVACUUM_SETTINGS: [&str; 2] =
    ["autovacuum_enabled", "toast.autovacuum_enabled"];

/// `WITH (…)` of a shadow table: [`AUTOVACUUM_SETTINGS`] off.
fn autovacuum_off() -> String {
    AUTOVACUUM_SETTINGS
        .map(|s| format!("{s} = false"))
        .join(", ")
}

pub(super) async fn create_shadow_tables(
    conn: &mut PgConnection,
    schema: &str,
    tables: &[&str],
) -> Result<(), ProjectionError> {
    // A schema left by a crashed rebuild is garbage: the advisory lock says
    // no other rebuild of this projection runs.
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&mut *conn)
        .await?;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut *conn)
        .await?;
    for table in tables {
        sqlx::query(&format!(
            "CREATE TABLE {schema}.{table} (LIKE public.{table} INCLUDING ALL EXCLUDING INDEXES EXCLUDING STATISTICS) \
             WITH ({})",
            autovacuum_off()
        ))
        .execute(&mut *conn)
        .await?;
        // Primary keys and unique constraints, under their live names: the
        // upserts of the replay need them, and they must be constraints (not
        // bare indexes) for the swapped-in table to match the migrations'.
        let constraints: Vec<(String, String)> = sqlx::query_as(
            "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = to_regclass('public.' || $1) AND contype IN ('p', 'u', 'x') \
             ORDER BY conname",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        for (name, definition) in constraints {
            sqlx::query(&format!(
                "ALTER TABLE {schema}.{table} ADD CONSTRAINT {name} {definition}"
            ))
            .execute(&mut *conn)
            .await?;
        }
        // Unique indexes that back no constraint: upserts may infer them too.
        for create_index in live_indexes(conn, schema, table, IndexKind::UniqueOnly).await? {
            sqlx::query(&create_index).execute(&mut *conn).await?;
        }
        let grants: Vec<(String, String)> = sqlx::query_as(
            "SELECT a.privilege_type, \
                    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END \
             FROM pg_class c \
             CROSS JOIN LATERAL aclexplode(c.relacl) a \
             LEFT JOIN pg_roles r ON r.oid = a.grantee \
             WHERE c.oid = to_regclass('public.' || $1) AND a.grantee <> c.relowner",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        for (privilege, grantee) in grants {
            sqlx::query(&format!(
                "GRANT {privilege} ON {schema}.{table} TO {grantee}"
            ))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// The `CREATE INDEX` statements, aimed at the shadow tables, of every live
/// index that [`create_shadow_tables`] left out, with their tables: built
/// after the replay, or by the replay that fills their table ahead.
pub(super) async fn deferred_indexes(
    conn: &mut PgConnection,
    schema: &str,
    tables: &[&'static str],
) -> Result<Vec<(&'static str, String)>, ProjectionError> {
    let mut statements = Vec::new();
    for &table in tables {
        let indexes = live_indexes(conn, schema, table, IndexKind::NonUnique).await?;
        statements.extend(indexes.into_iter().map(|index| (table, index)));
    }
    Ok(statements)
}

/// The live tables' extended statistics (`CREATE STATISTICS`), as
/// `(name, statement)` creating each under its live name on the shadow table
/// in the shadow schema; the swap moves them to `public`.
pub(super) async fn shadow_statistics(
    conn: &mut PgConnection,
    schema: &str,
    tables: &[&str],
) -> Result<Vec<(String, String)>, ProjectionError> {
    let mut out = Vec::new();
    for table in tables {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT quote_ident(s.stxname), pg_get_statisticsobjdef(s.oid) \
             FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace \
             WHERE s.stxrelid = to_regclass('public.' || $1) AND n.nspname = 'public' \
             ORDER BY s.stxname",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        for (name, definition) in rows {
            // The table is qualified or not depending on the search_path.
            let body = definition
                .strip_prefix(&format!("CREATE STATISTICS public.{name} "))
                .and_then(|rest| {
                    rest.strip_suffix(&format!(" FROM public.{table}"))
                        .or_else(|| rest.strip_suffix(&format!(" FROM {table}")))
                });
            let Some(body) = body else {
                return Err(ProjectionError::Rebuild(format!(
                    "statistics definition of {table} not understood: {definition}"
                )));
            };
            let statement =
                format!("CREATE STATISTICS {schema}.{name} {body} FROM {schema}.{table}");
            out.push((name, statement));
        }
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum IndexKind {
    /// Unique indexes that no constraint owns.
    UniqueOnly,
    NonUnique,
}

/// `CREATE INDEX` statements for indexes of `public.table` of one kind,
/// rewritten to create the same index, with the same name, on `schema.table`.
async fn live_indexes(
    conn: &mut PgConnection,
    schema: &str,
    table: &str,
    kind: IndexKind,
) -> Result<Vec<String>, ProjectionError> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT pg_get_indexdef(x.indexrelid) FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         WHERE x.indrelid = to_regclass('public.' || $1) AND x.indisunique = $2 \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) \
         ORDER BY i.relname",
    )
    .bind(table)
    .bind(kind == IndexKind::UniqueOnly)
    .fetch_all(&mut *conn)
    .await?;
    let live_target = format!(" ON public.{table} USING ");
    let shadow_target = format!(" ON {schema}.{table} USING ");
    rows.into_iter()
        .map(|definition| {
            if definition.contains(&live_target) {
                Ok(definition.replacen(&live_target, &shadow_target, 1))
            } else {
                Err(ProjectionError::Rebuild(format!(
                    "index definition of {table} not understood: {definition}"
                )))
            }
        })
        .collect()
}

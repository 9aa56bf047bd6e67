//! The one batch writer of the read models: how the rows a fold made reach
//! their tables, live or in a rebuild's replay (decision A60). A projection's
//! `store.rs` says which tables and keys; this module does the rest.
//!
//! - [`CachedTable`]: a table of rows keyed by request that a fold reads,
//!   changes and writes back (`request_summary`, `stat_requests`). Read once
//!   per batch for the requests not in memory; kept across batches by a
//!   replay (`row_cache.rs`, least recently used written out first); written
//!   with one upsert, with `COPY` for rows no one has written yet
//!   (`copy.rs`), or on a second session (`side_writer.rs`).
//! - [`AppendRows`]: rows written once and never changed (timelines,
//!   attachments, replies, bookings): `INSERT … ON CONFLICT DO NOTHING`, or
//!   `COPY` into a replay's empty tables.
//!
//! Rows travel as JSON arrays to `jsonb_populate_recordset`, typed by the
//! table itself: a struct's field names are its table's column names.

mod copy;
mod row_cache;
mod side_writer;

pub(crate) use copy::CopyRows;
pub(crate) use row_cache::{RowCache, RowSet};

use crate::rebuild::SideSession;
use crate::ProjectionError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use side_writer::SideWriter;
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

/// How a projection's batches are written.
#[derive(Debug, Clone)]
// One per batch or replay, never in a collection: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Mode {
    /// The live worker: idempotent statements, nothing kept between batches.
    Live,
    /// A rebuild's replay into empty shadow tables that only it writes: up to
    /// `cached` rows of each cached table kept across batches, rows no one
    /// has written yet sent with `COPY`; with `side`, a cached table's
    /// evicted rows are written on that session, beside the replay's own.
    Replay {
        cached: usize,
        side: Option<SideSession>,
    },
}

impl Mode {
    /// A replay's empty tables: nothing there is written twice.
    pub(crate) fn is_bulk(&self) -> bool {
        matches!(self, Mode::Replay { .. })
    }
}

/// A row of a [`CachedTable`]: keyed by `request_id`, and only ever replaced
/// by a row of a higher `version`.
pub(crate) trait CachedRow:
    Serialize + DeserializeOwned + Clone + Send + Sync + Unpin + 'static
{
    const TABLE: &'static str;
    /// Every column but the key, `request_id`.
    const UPDATED_COLUMNS: &'static [&'static str];
    fn key(&self) -> Uuid;
}

/// The upsert of a JSON array of `T` rows: a row replaces the table's only
/// when its version is higher, so writing a batch twice changes nothing.
pub(crate) fn upsert_sql<T: CachedRow>() -> String {
    let table = T::TABLE;
    let set: Vec<String> = T::UPDATED_COLUMNS
        .iter()
        .map(|c| format!("{c} = EXCLUDED.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} \
         SELECT * FROM jsonb_populate_recordset(NULL::{table}, $1) \
         ON CONFLICT (request_id) DO UPDATE SET {} \
         WHERE {table}.version < EXCLUDED.version",
        set.join(", ")
    )
}

/// The rows of one [`CachedRow`] table that a batch reads and changes.
pub(crate) struct CachedTable<T: CachedRow> {
    rows: RowCache<T>,
    /// Rows kept in memory after a batch (0: the live worker).
    keep: usize,
    select: String,
    upsert: String,
    evictions: Evictions<T>,
}

/// Where a [`CachedTable`]'s evicted rows go.
enum Evictions<T> {
    /// One upsert of them all.
    Upsert,
    /// New rows with `COPY`, the others upserted, on the batch's session.
    Copy(CopyRows),
    /// Both, on a session of their own.
    Side(SideWriter<T>),
}

impl<T: CachedRow> CachedTable<T> {
    pub(crate) fn new(mode: &Mode) -> Self {
        let (keep, evictions) = match mode {
            Mode::Live => (0, Evictions::Upsert),
            Mode::Replay { cached, side: None } => {
                (*cached, Evictions::Copy(CopyRows::new(T::TABLE)))
            }
            Mode::Replay {
                cached,
                side: Some(side),
            } => (*cached, Evictions::Side(SideWriter::start(side.clone()))),
        };
        CachedTable {
            rows: RowCache::new(),
            keep,
            select: format!(
                "SELECT to_jsonb(s) FROM {} s WHERE request_id = ANY($1)",
                T::TABLE
            ),
            upsert: upsert_sql::<T>(),
            evictions,
        }
    }

    /// The rows in memory, as the fold reads and changes them.
    pub(crate) fn rows(&mut self) -> &mut RowCache<T> {
        &mut self.rows
    }

    pub(crate) fn get(&self) -> &RowCache<T> {
        &self.rows
    }

    /// Reads the rows of `ids` that are not in memory (one statement), and
    /// starts a new batch: rows used from now on are younger than before.
    pub(crate) async fn load(
        &mut self,
        conn: &mut PgConnection,
        ids: impl Iterator<Item = Uuid>,
    ) -> Result<(), ProjectionError> {
        self.rows.next_batch();
        let mut ids = self.rows.missing(ids);
        if let Evictions::Side(writer) = &self.evictions {
            // A row handed off to the writer may not be committed yet: it
            // comes from the hand-off.
            ids.retain(|id| match writer.in_flight(id) {
                Some(row) => {
                    self.rows.loaded(*id, row);
                    false
                }
                None => true,
            });
        }
        if ids.is_empty() {
            return Ok(());
        }
        let rows: Vec<Json<T>> = sqlx::query_scalar(&self.select)
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?;
        for Json(row) in rows {
            self.rows.loaded(row.key(), row);
        }
        Ok(())
    }

    /// Writes the changed rows among those that no longer fit in memory.
    pub(crate) async fn evict(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        self.evict_to(conn, self.keep).await
    }

    /// Writes every changed row still held, and waits for the side session.
    pub(crate) async fn finish(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        self.evict_to(conn, 0).await?;
        match &mut self.evictions {
            Evictions::Side(writer) => writer.finish().await,
            _ => Ok(()),
        }
    }

    async fn evict_to(
        &mut self,
        conn: &mut PgConnection,
        keep: usize,
    ) -> Result<(), ProjectionError> {
        let evicted = self.rows.evict(keep);
        let upserted = match &mut self.evictions {
            Evictions::Side(writer) => return writer.write(evicted.new, evicted.stored).await,
            Evictions::Copy(copy) => {
                for row in &evicted.new {
                    copy.push(row);
                }
                copy.send(conn).await?;
                evicted.stored
            }
            Evictions::Upsert => evicted.all(),
        };
        if !upserted.is_empty() {
            sqlx::query(&self.upsert)
                .bind(Json(&upserted))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

/// Rows of one table written once and never changed.
pub(crate) struct AppendRows {
    insert: String,
    /// A replay's empty table: every row is new (`COPY`).
    copy: Option<CopyRows>,
}

impl AppendRows {
    /// Rows of `table`, whose key is `key` (the columns of its primary key).
    pub(crate) fn new(table: &'static str, key: &str, mode: &Mode) -> Self {
        AppendRows {
            insert: format!(
                "INSERT INTO {table} \
                 SELECT * FROM jsonb_populate_recordset(NULL::{table}, $1) \
                 ON CONFLICT ({key}) DO NOTHING"
            ),
            copy: mode.is_bulk().then(|| CopyRows::new(table)),
        }
    }

    /// Writes `rows` (one statement, none for no rows) and empties it.
    pub(crate) async fn write<R: Serialize>(
        &mut self,
        conn: &mut PgConnection,
        rows: &mut Vec<R>,
    ) -> Result<(), ProjectionError> {
        match &mut self.copy {
            Some(copy) => {
                for row in rows.iter() {
                    copy.push(row);
                }
                copy.send(conn).await?;
            }
            None if !rows.is_empty() => {
                sqlx::query(&self.insert)
                    .bind(Json(&*rows))
                    .execute(&mut *conn)
                    .await?;
            }
            None => {}
        }
        rows.clear();
        Ok(())
    }
}

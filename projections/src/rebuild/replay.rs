//! The rebuild-only surface of a projection: what it may do when the log is
//! replayed into its empty shadow tables (`rebuild.rs`), beyond applying
//! batch after batch — keep rows in memory across batches, write on a second
//! session, fill a table ahead of the replay. The live worker never uses it,
//! and [`crate::Projection`] does not know it.

use crate::{Projection, ProjectionError};
use async_trait::async_trait;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use store::RecordedEvent;

/// A projection that `combipat rebuild` may replace (the notifier, whose
/// table records what was sent, is not one).
pub trait Rebuildable: Projection {
    /// How a rebuild replays the log into this projection's empty shadow
    /// tables; `None` (the default): batch by batch with
    /// [`Projection::apply_batch`]. A projection whose batches keep
    /// re-reading and re-writing the same rows returns a [`Replay`] that
    /// holds them in memory across batches.
    fn replay(&self, _options: ReplayOptions) -> Option<Box<dyn Replay>> {
        None
    }
}

/// What a [`Replay`] may hold in memory, and where else it may write.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Rows (of each kind) kept between batches before the least recently
    /// used are written out.
    pub cached_rows: usize,
    /// A second session on the shadow tables, for writes that may run beside
    /// the replay's own.
    pub side_session: SideSession,
}

/// How to open a second session on a rebuild's shadow tables.
#[derive(Debug, Clone)]
pub struct SideSession {
    pub connect: PgConnectOptions,
    /// The shadow schema, first on the session's `search_path`.
    pub schema: String,
}

impl SideSession {
    /// A session whose unqualified table names are the shadow tables, with
    /// the replay's settings.
    pub async fn open(&self) -> Result<PgConnection, ProjectionError> {
        let mut conn = PgConnection::connect_with(&self.connect).await?;
        enter_shadow_tables(&mut conn, &self.schema).await?;
        Ok(conn)
    }
}

/// A replay of the whole log into a projection's shadow tables (a rebuild).
///
/// Nothing reads the shadow tables until the rebuild has called
/// [`Replay::finish`], so a replay may keep rows in memory across batches
/// and write each once, when it is evicted or at the end, instead of once per
/// batch that touches it. After `finish` the tables must equal what
/// [`crate::Projection::apply_batch`] over the same events would have written.
#[async_trait]
pub trait Replay: Send {
    /// The next consecutive events of the log, in order.
    async fn apply_batch(
        &mut self,
        tx: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError>;
    /// Writes every row still held in memory.
    async fn finish(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError>;

    /// Tables this replay fills from the log on its own, beside the batches
    /// (rows written once and never changed): the rebuild hands their
    /// deferred indexes to [`Replay::fill_ahead`] instead of building them
    /// after the replay, so that they are built while the replay goes on.
    fn filled_ahead(&self) -> &'static [&'static str] {
        &[]
    }

    /// Starts filling [`Replay::filled_ahead`] and then building `indexes`
    /// (their `CREATE INDEX` statements) in the background; called once,
    /// before the first batch.
    async fn fill_ahead(&mut self, _indexes: Vec<String>) -> Result<(), ProjectionError> {
        Ok(())
    }

    /// Waits for the tables filled ahead, which must then hold what the
    /// batches alone would have written; called after [`Replay::finish`] and
    /// the other deferred indexes.
    async fn complete_ahead(&mut self, _conn: &mut PgConnection) -> Result<(), ProjectionError> {
        Ok(())
    }
}

/// Points `conn`'s unqualified table names at the shadow tables of `schema`,
/// with the settings of a replay: the replay's session and every session of
/// its own that a [`Replay`] opens ([`SideSession::open`]).
pub(crate) async fn enter_shadow_tables(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<(), ProjectionError> {
    let search_path = format!("SET search_path TO {schema}, public");
    sqlx::query(&search_path).execute(&mut *conn).await?;
    // The shadow tables have no statistics until the replay ends (autovacuum
    // may analyse them at any moment, or never): planned as the empty tables
    // they were, the replay's key look-ups (`request_id = ANY($1)`) become a
    // sequential scan of the whole table per batch, and the rebuild slows
    // down as the tables grow (decision A13). Every look-up of a replay is
    // by key.
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await?;
    // Shadow tables a crash would throw away anyway: their batches need no
    // WAL flush each. The swap commits durably again.
    sqlx::query("SET synchronous_commit = off")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

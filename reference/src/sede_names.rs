//! The names of the sedi by code, for the screens' lists: kept in memory while
//! the reference generation is unchanged (see [`super::cache`]), so that a page
//! of the history names its sedi without a join on every row. Names are only
//! shown, never decided on, so the generation is read again at most every
//! [`RECHECK`] rather than on every page: a list costs no database read.

use super::cache::ReferenceGeneration;
use commands::ports::PortResult;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long names are used before the generation is read again.
pub const RECHECK: Duration = Duration::from_secs(5);

/// Names by code, the generation they were read at, and when that was checked.
type Memo = Option<(i64, Instant, Arc<HashMap<String, String>>)>;

#[derive(Clone)]
pub struct SedeNames {
    pool: PgPool,
    generation: ReferenceGeneration,
    memo: Arc<Mutex<Memo>>,
}

impl SedeNames {
    pub fn new(pool: PgPool, generation: ReferenceGeneration) -> Self {
        Self {
            pool,
            generation,
            memo: Arc::default(),
        }
    }

    /// Every sede's name by code, as of the current reference generation.
    pub async fn all(&self) -> PortResult<Arc<HashMap<String, String>>> {
        if let Some((_, checked, names)) = &*self.memo.lock().expect("not poisoned") {
            if checked.elapsed() < RECHECK {
                return Ok(names.clone());
            }
        }
        let current = self.generation.current().await?;
        let checked = Instant::now();
        {
            let mut memo = self.memo.lock().expect("not poisoned");
            if let Some((generation, at, names)) = &mut *memo {
                if *generation == current {
                    *at = checked;
                    return Ok(names.clone());
                }
            }
        }
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT code, name FROM ref_sedi")
            .fetch_all(&self.pool)
            .await?;
        let names = Arc::new(rows.into_iter().collect::<HashMap<_, _>>());
        *self.memo.lock().expect("not poisoned") = Some((current, checked, names.clone()));
        Ok(names)
    }
}

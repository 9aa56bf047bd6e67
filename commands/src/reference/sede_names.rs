//! The names of the sedi by code, for the screens' lists: kept in memory while
//! the reference generation is unchanged (see [`super::cache`]), so that a page
//! of the history names its sedi without a join on every row.

use super::cache::ReferenceGeneration;
use crate::ports::PortResult;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Names by code, and the generation they were read at.
type Memo = Option<(i64, Arc<HashMap<String, String>>)>;

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
        let current = self.generation.current().await?;
        if let Some((generation, names)) = &*self.memo.lock().expect("not poisoned") {
            if *generation == current {
                return Ok(names.clone());
            }
        }
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT code, name FROM ref_sedi")
            .fetch_all(&self.pool)
            .await?;
        let names = Arc::new(rows.into_iter().collect::<HashMap<_, _>>());
        *self.memo.lock().expect("not poisoned") = Some((current, names.clone()));
        Ok(names)
    }
}

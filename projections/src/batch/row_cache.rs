//! The rows of one table a projection holds in memory, keyed by request,
//! with what changed since they were last written and when each was last
//! used: the live worker empties it at the end of every batch, a rebuild
//! keeps the most recently used across batches (`CachedTable`, `batch/mod.rs`).

use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub(crate) struct RowCache<T> {
    rows: HashMap<Uuid, T>,
    /// The batch (see [`RowCache::next_batch`]) in which each row was last used.
    touched: HashMap<Uuid, u64>,
    /// Rows changed since they were last written.
    changed: HashSet<Uuid>,
    /// Rows that their table does not have yet (made by [`RowCache::insert_new`]
    /// and not written since).
    unstored: HashSet<Uuid>,
    batch: u64,
}

/// The changed rows that [`RowCache::evict`] forgets, to be written.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Evicted<T> {
    /// Rows the table does not have: a plain insert (or COPY) writes them.
    pub(crate) new: Vec<T>,
    /// Rows read from the table (or written before), changed since.
    pub(crate) stored: Vec<T>,
}

impl<T> Evicted<T> {
    /// Every row, new or stored.
    pub(crate) fn all(mut self) -> Vec<T> {
        self.new.append(&mut self.stored);
        self.new
    }
}

impl<T> RowCache<T> {
    pub(crate) fn new() -> Self {
        RowCache {
            rows: HashMap::new(),
            touched: HashMap::new(),
            changed: HashSet::new(),
            unstored: HashSet::new(),
            batch: 0,
        }
    }

    /// A new batch begins: rows used from now on are younger than before.
    pub(crate) fn next_batch(&mut self) {
        self.batch += 1;
    }

    /// The ids, sorted and once each, of the rows not in memory.
    pub(crate) fn missing(&self, ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
        let mut missing: Vec<Uuid> = ids.filter(|id| !self.rows.contains_key(id)).collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }

    /// A row as read from its table (unchanged).
    pub(crate) fn loaded(&mut self, id: Uuid, row: T) {
        self.touched.insert(id, self.batch);
        self.rows.insert(id, row);
    }

    /// A row that its table does not have yet.
    pub(crate) fn insert_new(&mut self, id: Uuid, row: T) {
        self.rows.insert(id, row);
        self.unstored.insert(id);
        self.changed(id);
    }

    /// Marks a row changed (to be written) and recently used.
    pub(crate) fn changed(&mut self, id: Uuid) {
        self.changed.insert(id);
        self.touched.insert(id, self.batch);
    }

    /// Keeps at most `keep` rows (none with `keep` 0): forgets the least
    /// recently used and returns those of them that changed, to be written.
    /// Above the bound it evicts down to three quarters of it, so that
    /// evictions come in large writes.
    pub(crate) fn evict(&mut self, keep: usize) -> Evicted<T> {
        let mut evicted = Evicted {
            new: Vec::new(),
            stored: Vec::new(),
        };
        if self.rows.len() <= keep {
            return evicted;
        }
        let target = keep - keep / 4;
        let mut by_age: Vec<(u64, Uuid)> = self
            .rows
            .keys()
            .map(|id| (self.touched.get(id).copied().unwrap_or(0), *id))
            .collect();
        by_age.sort_unstable();
        by_age.truncate(by_age.len() - target);
        for (_, id) in by_age {
            self.touched.remove(&id);
            let unstored = self.unstored.remove(&id);
            let Some(row) = self.rows.remove(&id) else {
                continue;
            };
            if self.changed.remove(&id) {
                if unstored {
                    evicted.new.push(row);
                } else {
                    evicted.stored.push(row);
                }
            }
        }
        evicted
    }
}

/// Rows by request, as a fold reads and changes them: a [`RowCache`] in the
/// workers, a plain map in the folds' tests.
pub(crate) trait RowSet<T> {
    fn get(&self, id: &Uuid) -> Option<&T>;
    /// The row, marked changed (to be written).
    fn change(&mut self, id: &Uuid) -> Option<&mut T>;
    /// A row that its table does not have yet.
    fn insert_new(&mut self, id: Uuid, row: T);
}

impl<T> RowSet<T> for RowCache<T> {
    fn get(&self, id: &Uuid) -> Option<&T> {
        self.rows.get(id)
    }

    fn change(&mut self, id: &Uuid) -> Option<&mut T> {
        if !self.rows.contains_key(id) {
            return None;
        }
        self.changed(*id);
        self.rows.get_mut(id)
    }

    fn insert_new(&mut self, id: Uuid, row: T) {
        RowCache::insert_new(self, id, row)
    }
}

impl<T> RowSet<T> for HashMap<Uuid, T> {
    fn get(&self, id: &Uuid) -> Option<&T> {
        HashMap::get(self, id)
    }

    fn change(&mut self, id: &Uuid) -> Option<&mut T> {
        self.get_mut(id)
    }

    fn insert_new(&mut self, id: Uuid, row: T) {
        self.insert(id, row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used_and_returns_only_changed_rows() {
        let ids: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
        let mut cache = RowCache::new();
        cache.next_batch();
        cache.loaded(ids[0], "read, then changed");
        cache.insert_new(ids[1], "new");
        cache.next_batch();
        cache.insert_new(ids[2], "new, later");
        cache.loaded(ids[3], "read later");
        cache.changed(ids[0]);
        assert!(cache.evict(4).all().is_empty());
        let written = cache.evict(3);
        // Down to 3 − 0 = 3 rows: the one used longest ago (ids[1]) goes, changed.
        assert_eq!(
            written,
            Evicted {
                new: vec!["new"],
                stored: vec![]
            }
        );
        assert!(RowSet::get(&cache, &ids[1]).is_none());
        assert_eq!(cache.missing(ids.iter().copied().chain([ids[1]])), {
            let mut v = vec![ids[1]];
            v.sort_unstable();
            v
        });
        let rest = cache.evict(0);
        // ids[0] was read from its table, then changed: an update, not an insert.
        assert_eq!(
            rest,
            Evicted {
                new: vec!["new, later"],
                stored: vec!["read, then changed"]
            }
        );
        assert!(cache.evict(0).all().is_empty());
        // A row read back after it was written is a stored row.
        cache.next_batch();
        cache.loaded(ids[1], "new, written, read back");
        cache.changed(ids[1]);
        assert_eq!(cache.evict(0).stored, vec!["new, written, read back"]);
    }
}

//! Protocol numbers for a batch: counted by sede and year, handed out in
//! batch order, either from one upsert of the counters in the batch's
//! transaction or from where the committer knows its counters stand.

use super::Job;
use crate::StoreError;
use domain::ids::ProtocolNumber;
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};

/// The last number of each protocol counter as a committer's own commits
/// left it: the counters it owns move only by its writes, unless another
/// process writes to the same database.
#[derive(Debug, Default)]
pub(super) struct KnownCounters(std::sync::Mutex<HashMap<(String, i32), i32>>);

impl KnownCounters {
    /// The batch's numbers from the counters the committer knows, and how
    /// each counter moves; `None` if it does not know one of them.
    pub(super) fn numbers_for(
        &self,
        batch: &[Job],
    ) -> Option<(Vec<Option<ProtocolNumber>>, CounterMoves)> {
        let known = self.0.lock().expect("counters lock");
        let mut moves = CounterMoves::default();
        let mut first = HashMap::new();
        for (counter, n) in wanted_numbers(batch) {
            let seen = *known.get(&counter)?;
            first.insert(counter.clone(), (seen + 1) as u32);
            moves.sedi.push(counter.0);
            moves.years.push(counter.1);
            moves.seen.push(seen);
            moves.lasts.push(seen + n);
        }
        Some((hand_out(batch, first), moves))
    }

    /// Where the counters stand after a commit of the committer's.
    pub(super) fn remember(&self, lasts: CounterLasts) {
        self.0.lock().expect("counters lock").extend(lasts);
    }

    /// The batch's counters are about to move by other means, or may have.
    pub(super) fn forget(&self, batch: &[Job]) {
        let mut known = self.0.lock().expect("counters lock");
        for (sede, year) in batch.iter().filter_map(|j| j.protocol.as_ref()) {
            known.remove(&(sede.as_str().to_string(), *year));
        }
    }
}

/// How a batch of creations moves its counters, as the parameters of
/// [`super::statements::INSERT_NUMBERED_FAILING_IF_MOVED_ON`].
#[derive(Debug, Default)]
pub(super) struct CounterMoves {
    pub(super) sedi: Vec<String>,
    pub(super) years: Vec<i32>,
    /// The last number as the committer knows it.
    pub(super) seen: Vec<i32>,
    /// The last number the batch takes.
    pub(super) lasts: Vec<i32>,
}

impl CounterMoves {
    pub(super) fn into_lasts(self) -> CounterLasts {
        self.sedi
            .into_iter()
            .zip(self.years)
            .zip(self.lasts)
            .collect()
    }
}

/// The last number of each protocol counter (sede, year) a batch used.
pub(super) type CounterLasts = Vec<((String, i32), i32)>;

/// The counters a batch asks numbers of, and how many of each.
pub(super) fn wanted_numbers(batch: &[Job]) -> BTreeMap<(String, i32), i32> {
    let mut wanted: BTreeMap<(String, i32), i32> = BTreeMap::new();
    for (sede, year) in batch.iter().filter_map(|j| j.protocol.as_ref()) {
        *wanted
            .entry((sede.as_str().to_string(), *year))
            .or_default() += 1;
    }
    wanted
}

/// The numbers of a batch's writes, in batch order, from the number before
/// the first of each counter.
pub(super) fn hand_out(
    batch: &[Job],
    mut next: HashMap<(String, i32), u32>,
) -> Vec<Option<ProtocolNumber>> {
    batch
        .iter()
        .map(|job| {
            job.protocol.as_ref().map(|(sede, year)| {
                let n = next
                    .get_mut(&(sede.as_str().to_string(), *year))
                    .expect("every counter of the batch has its first number");
                let number = ProtocolNumber::new(sede, *year, *n);
                *n += 1;
                number
            })
        })
        .collect()
}

/// The protocol numbers of the batch's writes that ask for one: one upsert
/// of every counter involved (in sede and year order), numbers handed out in
/// batch order.
pub(super) async fn allocate_protocols(
    conn: &mut PgConnection,
    batch: &[Job],
) -> Result<(Vec<Option<ProtocolNumber>>, CounterLasts), StoreError> {
    let wanted = wanted_numbers(batch);
    if wanted.is_empty() {
        return Ok((vec![None; batch.len()], Vec::new()));
    }
    let (sedi, (years, counts)): (Vec<&str>, (Vec<i32>, Vec<i32>)) = wanted
        .iter()
        .map(|((s, y), n)| (s.as_str(), (*y, *n)))
        .unzip();
    let lasts: Vec<(String, i32, i32)> = sqlx::query_as(
        "INSERT INTO protocol_counters (sede, year, last) \
         SELECT * FROM unnest($1::text[], $2::int4[], $3::int4[]) \
         ON CONFLICT (sede, year) DO UPDATE SET last = protocol_counters.last + excluded.last \
         RETURNING sede, year, last",
    )
    .bind(sedi)
    .bind(years)
    .bind(counts)
    .fetch_all(&mut *conn)
    .await?;
    // The first number to hand out, per counter.
    let first: HashMap<(String, i32), u32> = lasts
        .iter()
        .map(|(sede, year, last)| {
            let n = wanted[&(sede.clone(), *year)];
            ((sede.clone(), *year), (last - n + 1) as u32)
        })
        .collect();
    let lasts = lasts
        .into_iter()
        .map(|(sede, year, last)| ((sede, year), last))
        .collect();
    Ok((hand_out(batch, first), lasts))
}

//! Read-your-writes: a command answers with the global position of its last
//! event; a query may first wait until the projections it reads have passed it.

use crate::ProjectionError;
use commands::store::log::position_of;
use sqlx::PgPool;
use std::time::Duration;
use tokio::time::{sleep, Instant};

const FIRST_STEP: Duration = Duration::from_millis(5);
const LONGEST_STEP: Duration = Duration::from_millis(20);

/// `true` once every projection in `projection_names` has applied the event
/// at global `position` (its checkpoint is at or after the event's
/// `(tx_id, position)`); `false` if that did not happen within `timeout`
/// (including an unknown position or a projection that never ran).
pub async fn wait_for_position(
    pool: &PgPool,
    projection_names: &[&str],
    position: i64,
    timeout: Duration,
) -> Result<bool, ProjectionError> {
    let deadline = Instant::now() + timeout;
    let mut names: Vec<&str> = projection_names.to_vec();
    names.sort_unstable();
    names.dedup();
    let mut step = FIRST_STEP;
    let mut target = None;
    loop {
        if target.is_none() {
            target = position_of(pool, position).await?;
        }
        if let Some(at) = target {
            let passed: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM projection_checkpoints \
                 WHERE name = ANY($1) AND (tx_id, position) >= ($2, $3)",
            )
            .bind(&names)
            .bind(at.tx_id)
            .bind(at.position)
            .fetch_one(pool)
            .await?;
            if passed == names.len() as i64 {
                return Ok(true);
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        sleep(step.min(deadline - now)).await;
        step = (step * 2).min(LONGEST_STEP);
    }
}

//! The booking rules' port on the sedi and their counters: `ref_sedi`,
//! `ref_counters` and their hours, and the compiled-in service catalogue.

use super::counters::counters_of;
use super::sedi::get_sede;
use super::sportelli;
use async_trait::async_trait;
use commands::ports::{CounterDirectory, CounterHours, PortResult, SedeCounters};
use domain::booking::{CounterOffer, WeeklyHours};
use domain::ids::SedeCode;
use sqlx::PgPool;

/// [`CounterDirectory`] on the reference tables.
#[derive(Debug, Clone)]
pub struct PgCounterDirectory {
    pool: PgPool,
}

impl PgCounterDirectory {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl CounterDirectory for PgCounterDirectory {
    async fn sede(&self, sede: &SedeCode) -> PortResult<Option<SedeCounters>> {
        Ok(get_sede(&self.pool, sede.as_str())
            .await?
            .map(|s| SedeCounters {
                active: s.active,
                slot_minutes: u32::from(s.slot_minutes),
                city: s.city,
                province: s.province,
            }))
    }

    async fn counters(&self, sede: &SedeCode) -> PortResult<Vec<CounterHours>> {
        Ok(counters_of(&self.pool, sede)
            .await?
            .into_iter()
            .map(|c| CounterHours {
                counter_type: c.counter_type,
                name: c.name,
                active: c.active,
                hours: c
                    .hours
                    .iter()
                    .map(|h| WeeklyHours {
                        weekday: h.weekday,
                        opens: h.opens,
                        closes: h.closes,
                    })
                    .collect(),
            })
            .collect())
    }

    fn counter_offer(&self, counter_type: &str, province: Option<&str>) -> CounterOffer {
        sportelli::counter_offer(counter_type, province)
    }
}

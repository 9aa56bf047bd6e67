//! Where "now" comes from. Every rule takes its time from a clock, so a test or
//! a demo can move time forward (manual clock) and cross the 15-day rules.

use chrono::{DateTime, Duration, Utc};
use std::sync::RwLock;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Real time shifted by an offset that can be set or advanced; never goes back
/// unless set explicitly.
#[derive(Default)]
pub struct ManualClock {
    offset: RwLock<Duration>,
}

impl ManualClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.offset.write().expect("clock lock") = at - Utc::now();
    }

    pub fn advance(&self, by: Duration) {
        *self.offset.write().expect("clock lock") += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.read().expect("clock lock")
    }
}

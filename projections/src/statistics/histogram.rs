//! First-reply times as a histogram with fixed, geometric bucket edges, so that
//! daily rows can be summed and a percentile read from the sum.
//!
//! Bucket 0 is `[0, 60 s)`; bucket `i ≥ 1` is `[60·1.05^(i−1), 60·1.05^i)`
//! seconds. A value is estimated as if the `c` values of its bucket were
//! evenly spread over it (at the midpoints of `c` equal slices), and the
//! `p`-quantile is interpolated between the values at ranks ⌊p·(n−1)⌋ and
//! ⌈p·(n−1)⌉, as `percentile_cont` does. The estimate stays inside the bucket
//! of the true value: relative error below 5 % (above one minute).
//!
//! `analytics.hist_percentile` (migrations/0005_statistics.sql) is the same
//! algorithm in SQL.

use std::collections::BTreeMap;

/// Bucket growth factor.
pub const RATIO: f64 = 1.05;
/// Upper edge of bucket 0, seconds.
pub const FIRST_EDGE_SECONDS: f64 = 60.0;
/// Largest bucket index (≈ 48,000 years: never reached in practice).
const MAX_BUCKET: u32 = 600;

/// The bucket of a duration in seconds.
pub fn bucket(seconds: f64) -> u32 {
    if !seconds.is_finite() || seconds < FIRST_EDGE_SECONDS {
        return 0;
    }
    let i = 1 + ((seconds / FIRST_EDGE_SECONDS).ln() / RATIO.ln()).floor() as i64;
    // Guard the float edges: the value must lie in [low, high).
    let mut i = i.clamp(1, i64::from(MAX_BUCKET)) as u32;
    while i > 1 && seconds < low(i) {
        i -= 1;
    }
    while i < MAX_BUCKET && seconds >= high(i) {
        i += 1;
    }
    i
}

/// Lower edge of a bucket, seconds.
pub fn low(bucket: u32) -> f64 {
    if bucket == 0 {
        0.0
    } else {
        FIRST_EDGE_SECONDS * RATIO.powi(bucket as i32 - 1)
    }
}

/// Upper edge of a bucket, seconds.
pub fn high(bucket: u32) -> f64 {
    FIRST_EDGE_SECONDS * RATIO.powi(bucket as i32)
}

/// Counts per bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    counts: BTreeMap<u32, u64>,
}

impl Histogram {
    pub fn add(&mut self, bucket: u32, count: u64) {
        if count > 0 {
            *self.counts.entry(bucket).or_default() += count;
        }
    }

    pub fn record(&mut self, seconds: f64) {
        self.add(bucket(seconds), 1);
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// The `p`-quantile (`0 ≤ p ≤ 1`) in seconds; `None` when empty.
    pub fn quantile(&self, p: f64) -> Option<f64> {
        let n = self.total();
        if n == 0 || !(0.0..=1.0).contains(&p) {
            return None;
        }
        let rank = p * (n - 1) as f64;
        let k0 = rank.floor() as u64;
        let k1 = rank.ceil() as u64;
        let v0 = self.value_at(k0)?;
        let v1 = self.value_at(k1)?;
        Some(v0 + (rank - k0 as f64) * (v1 - v0))
    }

    /// The estimated value of the `k`-th smallest duration (0-based).
    fn value_at(&self, k: u64) -> Option<f64> {
        let mut seen = 0u64;
        for (&b, &c) in &self.counts {
            if k < seen + c {
                let (lo, hi) = (low(b), high(b));
                return Some(lo + ((k - seen) as f64 + 0.5) / c as f64 * (hi - lo));
            }
            seen += c;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_hold_their_values() {
        assert_eq!(bucket(0.0), 0);
        assert_eq!(bucket(59.9), 0);
        assert_eq!(bucket(60.0), 1);
        assert_eq!(bucket(62.9), 1);
        assert_eq!(bucket(63.0), 2);
        for s in [61.0, 3_600.0, 86_400.0, 15.0 * 86_400.0, 400.0 * 86_400.0] {
            let b = bucket(s);
            assert!(low(b) <= s && s < high(b), "{s} in bucket {b}");
        }
    }

    #[test]
    fn quantiles_are_within_five_percent_of_the_exact_ones() {
        let values: Vec<f64> = (1..=997)
            .map(|i| (i as f64 * 7_919.0) % 2_000_000.0 + 90.0)
            .collect();
        let mut h = Histogram::default();
        for v in &values {
            h.record(*v);
        }
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for p in [0.0, 0.1, 0.5, 0.9, 1.0] {
            let rank = p * (sorted.len() - 1) as f64;
            let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
            let exact = sorted[lo] + (rank - lo as f64) * (sorted[hi] - sorted[lo]);
            let estimate = h.quantile(p).unwrap();
            assert!(
                (estimate - exact).abs() <= 0.05 * exact,
                "p{p}: {estimate} vs {exact}"
            );
        }
    }

    #[test]
    fn an_empty_histogram_has_no_quantile() {
        assert_eq!(Histogram::default().quantile(0.5), None);
    }
}

//! Latency histograms (`hdrhistogram`, 3 significant digits, nanoseconds) and their summaries.

use anyhow::{Context, Result};
use evshare_bench::report::Summary;
use hdrhistogram::Histogram;

/// A latency histogram in nanoseconds.
pub struct Latencies {
    histogram: Histogram<u64>,
}

impl Latencies {
    /// An empty histogram from 1 ns to an hour (a sample beyond counts as an hour).
    pub fn new() -> Result<Latencies> {
        const HOUR_NS: u64 = 3_600_000_000_000;
        let histogram =
            Histogram::new_with_bounds(1, HOUR_NS, 3).context("creating a histogram")?;
        Ok(Latencies { histogram })
    }

    /// Records one sample.
    pub fn record(&mut self, nanos: u64) {
        self.histogram.saturating_record(nanos);
    }

    /// Records `count` samples of the same value.
    pub fn record_n(&mut self, nanos: u64, count: u64) {
        self.histogram.saturating_record_n(nanos, count);
    }

    /// Percentiles, extremes and mean.
    pub fn summary(&self) -> Summary {
        let h = &self.histogram;
        if h.is_empty() {
            return Summary::default();
        }
        Summary {
            count: h.len(),
            min_ns: h.min(),
            p50_ns: h.value_at_quantile(0.50),
            p90_ns: h.value_at_quantile(0.90),
            p99_ns: h.value_at_quantile(0.99),
            p999_ns: h.value_at_quantile(0.999),
            max_ns: h.max(),
            mean_ns: h.mean(),
        }
    }
}

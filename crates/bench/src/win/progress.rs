//! Progress while the benchmarks run: one line when a part starts, a line at most every second
//! while it runs, one line with its result. Plain lines on standard error, which Wine passes
//! through whether or not it is a terminal.

use std::time::{Duration, Instant};

/// Progress of one part of the run.
pub struct Progress {
    name: String,
    started: Instant,
    last: Instant,
}

const EVERY: Duration = Duration::from_secs(1);

impl Progress {
    /// Announces part `index` of `total`.
    pub fn start(index: usize, total: usize, name: &str, what: &str) -> Progress {
        eprintln!("[{index}/{total}] {name}: {what}");
        let now = Instant::now();
        Progress {
            name: name.to_owned(),
            started: now,
            last: now,
        }
    }

    /// Prints `done` of `total` samples, at most once a second.
    pub fn samples(&mut self, done: u64, total: u64) {
        if self.due() {
            eprintln!("      {}: {done}/{total} samples", self.name);
        }
    }

    /// Prints a ring's progress, at most once a second.
    pub fn ring(&mut self, elapsed: Duration, seconds: f64, records: u64) {
        if self.due() {
            let rate = records as f64 / elapsed.as_secs_f64().max(1e-9);
            eprintln!(
                "      {}: {:.0}/{seconds:.0} s, {:.1} M records, {:.2} M/s",
                self.name,
                elapsed.as_secs_f64(),
                records as f64 / 1e6,
                rate / 1e6
            );
        }
    }

    /// Prints the part's result.
    pub fn done(self, result: &str) {
        eprintln!(
            "      {}: {result} ({:.1} s)",
            self.name,
            self.started.elapsed().as_secs_f64()
        );
    }

    fn due(&mut self) -> bool {
        let now = Instant::now();
        if now.duration_since(self.last) >= EVERY {
            self.last = now;
            return true;
        }
        false
    }
}

//! The results of one run of `evshare-bench`, the ratios to the floors, the targets of issue 5,
//! and the tables that show them.
//!
//! Every latency is in nanoseconds, from the performance counter (`QueryPerformanceCounter` in
//! the app, `KeQueryPerformanceCounter` in the driver: one clock, 10 MHz under Wine, so a
//! resolution of 100 ns). A part of the run that failed is `None`, and its error is in
//! [`Results::failures`].

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// The version of this schema, written into every result file.
pub const SCHEMA_VERSION: u32 = 1;

/// Target: the event's one-way p50 is at most this times the event round-trip floor's p50.
pub const EVENT_ONE_WAY_MAX_RATIO: f64 = 0.75;
/// Target: the ring through the driver moves at least this many 64-byte records per second.
pub const RING_MIN_RECORDS_PER_SECOND: f64 = 10_000_000.0;
/// Target: the ring through the driver moves at least this fraction of what the same ring
/// code moves between two threads of one process.
pub const RING_MIN_RATIO_TO_INPROCESS: f64 = 0.5;

/// Everything one run measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// [`SCHEMA_VERSION`].
    pub schema: u32,
    /// Whether this was a `--quick` run (fewer samples, shorter ring runs).
    pub quick: bool,
    /// What the Windows side saw: clock, processors, Wine, the driver.
    pub environment: Environment,
    /// The machine underneath (added by `cargo xtask bench`, which sees the Linux host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<Host>,
    /// How the run was set up.
    pub settings: Settings,
    /// The floors: what the same host does without the driver.
    pub floors: Floors,
    /// Event: the driver's timestamp just before it sets the event → the app's timestamp after
    /// its wait returns.
    pub event_one_way: Option<Latency>,
    /// Inverted call: the driver's timestamp when it makes the notification (just before it
    /// completes the pending IRP) → the app's timestamp once the IRP's result is in hand.
    pub inverted_one_way: Option<Latency>,
    /// The ring through the driver: `PRODUCE` from one app thread, the consumer in another.
    pub ring_driver: Option<RingRun>,
    /// Every part that failed or lost data, with why. Empty for a good run.
    #[serde(default)]
    pub failures: Vec<String>,
}

/// What the Windows side of the run saw.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// `QueryPerformanceFrequency`: ticks per second of the clock every timestamp uses.
    pub qpc_frequency_hz: u64,
    /// Logical processors Windows reports.
    pub logical_processors: u32,
    /// `wine_get_version()`, when running under Wine.
    pub wine_version: Option<String>,
    /// The driver's version (`QUERY_VERSION`), e.g. `0.1.0`.
    pub driver_version: Option<String>,
    /// Where the driver says it runs: `Wine` or `Windows`.
    pub driver_host: Option<String>,
}

/// The machine the run came from (Linux side).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// `model name` of `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Processors available (`nproc`).
    pub nproc: u32,
    /// The kernel (`uname -sr`).
    pub kernel: String,
    /// `PRETTY_NAME` of `/etc/os-release`.
    pub os: String,
    /// `wine64 --version`.
    pub wine: String,
    /// When the run ended (UTC).
    pub date: String,
    /// `/proc/loadavg`'s 1-minute load before and after the run: other work on the machine
    /// shows up in the tails.
    #[serde(default)]
    pub load_average: String,
}

/// How the run was set up.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Samples kept per latency method (after the warm-up).
    pub samples: u64,
    /// Samples taken and thrown away first, per latency method.
    pub warmup: u64,
    /// Idle time before each latency sample, in microseconds (the waiter is asleep in its wait
    /// when the signal comes, every time, for every method).
    pub gap_us: u64,
    /// How long each ring run produces, in seconds.
    pub ring_seconds: f64,
    /// Records each ring holds (all three rings alike).
    pub ring_capacity: u32,
    /// Unread records before the producer wakes a sleeping consumer (evshare's ring).
    pub watermark: u32,
    /// The most records one producer call asks for.
    pub chunk_max: u32,
    /// The fewest free slots worth a producer call (the producer waits for this much room, so
    /// it never overruns the consumer).
    pub chunk_min: u32,
    /// Records stamped with one timestamp (the driver takes one per chunk of this many).
    pub stamp_every: u32,
}

/// What the same host does without the driver.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Floors {
    /// An auto-reset event round trip between two threads of one process (`SetEvent` →
    /// `WaitForSingleObject`, both ways).
    pub event_round_trip: Option<Latency>,
    /// The first half of that round trip, user → user: the setter's timestamp just before
    /// `SetEvent` → the waiter's after its wait returns.
    pub event_user_one_way: Option<Latency>,
    /// The same ring code (`evshare-ring`) between two threads of one process, woken through
    /// a Win32 auto-reset event.
    pub ring_inprocess: Option<RingRun>,
    /// The same records through `rtrb`, a well-kept lock-free SPSC queue (busy-waiting).
    pub rtrb: Option<RingRun>,
}

/// A latency distribution and what it measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Short name for tables and the plot.
    pub label: String,
    /// Where the interval starts and ends.
    pub measures: String,
    /// The distribution.
    pub summary: Summary,
}

/// Percentiles and counts of a distribution, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Samples.
    pub count: u64,
    /// Smallest sample.
    pub min_ns: u64,
    /// Median.
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p999_ns: u64,
    /// Largest sample.
    pub max_ns: u64,
    /// Mean.
    pub mean_ns: f64,
}

/// One sustained ring run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RingRun {
    /// Short name for tables and the plot.
    pub label: String,
    /// From the producer's first call to the consumer's last record, in seconds.
    pub seconds: f64,
    /// Sequence numbers the producer used: records written plus records dropped.
    pub attempts: u64,
    /// Records the producer wrote.
    pub written: u64,
    /// Records the producer dropped (ring full). Accounted for, but the pacing aims at none.
    pub dropped: u64,
    /// Records the consumer received.
    pub received: u64,
    /// Records the consumer was told it missed (sequence gaps, tail drops).
    pub missed: u64,
    /// `attempts - received - missed`: records nobody can account for. Must be 0.
    pub unaccounted: i64,
    /// Records whose sequence number or payload was not what the producer wrote. Must be 0.
    pub bad_records: u64,
    /// Records received per second.
    pub records_per_second: f64,
    /// Data-ready wake-ups the producer sent (`None` for a queue that has none).
    pub wakeups: Option<u64>,
    /// Times the consumer went to sleep.
    pub consumer_sleeps: u64,
    /// Producer calls (for the driver: `PRODUCE` IOCTLs).
    pub producer_calls: u64,
    /// Seconds the producer spent waiting for room (the consumer was behind). Near zero means
    /// the producer side set the pace; near the whole run, the consumer did.
    #[serde(default)]
    pub producer_wait_seconds: f64,
    /// Per-record latency under load: the consumer's timestamp after the batch that held the
    /// record → the record's timestamp (taken once per [`Settings::stamp_every`] records).
    pub latency: Summary,
}

impl RingRun {
    /// Data-ready wake-ups per 1,000 records received.
    pub fn wakeups_per_1000(&self) -> Option<f64> {
        let wakeups = self.wakeups?;
        if self.received == 0 {
            return None;
        }
        Some(wakeups as f64 * 1000.0 / self.received as f64)
    }

    /// Whether this run lost data: records unaccounted for, or records not as written.
    pub fn lost_data(&self) -> bool {
        self.unaccounted != 0 || self.bad_records != 0
    }
}

impl Results {
    /// Every ring run that exists, with its key: `ring_driver`, `ring_inprocess`, `rtrb`.
    pub fn rings(&self) -> Vec<(&'static str, &RingRun)> {
        [
            ("ring_driver", self.ring_driver.as_ref()),
            ("ring_inprocess", self.floors.ring_inprocess.as_ref()),
            ("rtrb", self.floors.rtrb.as_ref()),
        ]
        .into_iter()
        .filter_map(|(key, run)| run.map(|run| (key, run)))
        .collect()
    }

    /// Every latency distribution that exists, with its key, floors first.
    pub fn latencies(&self) -> Vec<(&'static str, &Latency)> {
        [
            ("event_round_trip", self.floors.event_round_trip.as_ref()),
            (
                "event_user_one_way",
                self.floors.event_user_one_way.as_ref(),
            ),
            ("event_one_way", self.event_one_way.as_ref()),
            ("inverted_one_way", self.inverted_one_way.as_ref()),
        ]
        .into_iter()
        .filter_map(|(key, latency)| latency.map(|latency| (key, latency)))
        .collect()
    }

    /// Whether the run lost data or failed: the only reasons `cargo xtask bench` fails.
    pub fn failed(&self) -> bool {
        !self.failures.is_empty() || self.rings().iter().any(|(_, run)| run.lost_data())
    }
}

/// A ratio of two p50s, if both exist and the denominator is not zero.
fn p50_ratio(top: Option<&Latency>, bottom: Option<&Latency>) -> Option<f64> {
    let (top, bottom) = (top?, bottom?);
    (bottom.summary.p50_ns != 0).then(|| top.summary.p50_ns as f64 / bottom.summary.p50_ns as f64)
}

/// A ratio of two rings' throughputs.
fn rate_ratio(top: Option<&RingRun>, bottom: Option<&RingRun>) -> Option<f64> {
    let (top, bottom) = (top?, bottom?);
    (bottom.records_per_second > 0.0).then(|| top.records_per_second / bottom.records_per_second)
}

/// The ratios the README shows, each `None` when a part is missing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Ratios {
    /// Event one-way p50 ÷ event round-trip floor p50.
    pub event_to_round_trip: Option<f64>,
    /// Event one-way p50 ÷ user → user one-way p50.
    pub event_to_user_one_way: Option<f64>,
    /// Inverted call one-way p50 ÷ event round-trip floor p50.
    pub inverted_to_round_trip: Option<f64>,
    /// Inverted call one-way p50 ÷ event one-way p50.
    pub inverted_to_event: Option<f64>,
    /// Inverted call one-way p99 ÷ event one-way p99.
    pub inverted_to_event_p99: Option<f64>,
    /// Ring through the driver ÷ the same ring in one process (records per second).
    pub ring_to_inprocess: Option<f64>,
    /// Ring through the driver ÷ rtrb (records per second).
    pub ring_to_rtrb: Option<f64>,
    /// The same ring in one process ÷ rtrb (records per second).
    pub inprocess_to_rtrb: Option<f64>,
}

/// The ratios of `results`.
pub fn ratios(results: &Results) -> Ratios {
    let floors = &results.floors;
    let event = results.event_one_way.as_ref();
    let inverted = results.inverted_one_way.as_ref();
    let p99 = match (event, inverted) {
        (Some(event), Some(inverted)) if event.summary.p99_ns != 0 => {
            Some(inverted.summary.p99_ns as f64 / event.summary.p99_ns as f64)
        }
        _ => None,
    };
    Ratios {
        event_to_round_trip: p50_ratio(event, floors.event_round_trip.as_ref()),
        event_to_user_one_way: p50_ratio(event, floors.event_user_one_way.as_ref()),
        inverted_to_round_trip: p50_ratio(inverted, floors.event_round_trip.as_ref()),
        inverted_to_event: p50_ratio(inverted, event),
        inverted_to_event_p99: p99,
        ring_to_inprocess: rate_ratio(results.ring_driver.as_ref(), floors.ring_inprocess.as_ref()),
        ring_to_rtrb: rate_ratio(results.ring_driver.as_ref(), floors.rtrb.as_ref()),
        inprocess_to_rtrb: rate_ratio(floors.ring_inprocess.as_ref(), floors.rtrb.as_ref()),
    }
}

/// One target of issue 5 and whether this run met it.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// What is asked.
    pub goal: String,
    /// What this run measured.
    pub measured: String,
    /// Met, not met, or `None` when the part it needs is missing.
    pub met: Option<bool>,
}

impl Target {
    /// `met`, `NOT MET` or `n/a`.
    pub fn status(&self) -> &'static str {
        match self.met {
            Some(true) => "met",
            Some(false) => "NOT MET",
            None => "n/a",
        }
    }
}

/// The targets of issue 5, checked against `results`. Not meeting one does not fail a run.
pub fn targets(results: &Results) -> Vec<Target> {
    let ratios = ratios(results);
    let ring = results.ring_driver.as_ref();
    let mut out = Vec::new();
    out.push(Target {
        goal: format!("event one-way p50 ≤ {EVENT_ONE_WAY_MAX_RATIO} × event round-trip floor p50"),
        measured: ratios
            .event_to_round_trip
            .map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2} ×")),
        met: ratios
            .event_to_round_trip
            .map(|r| r <= EVENT_ONE_WAY_MAX_RATIO),
    });
    out.push(Target {
        goal: format!(
            "ring ≥ {} M 64-byte records/s",
            RING_MIN_RECORDS_PER_SECOND / 1e6
        ),
        measured: ring.map_or_else(|| "n/a".to_owned(), |run| rate(run.records_per_second)),
        met: ring.map(|run| run.records_per_second >= RING_MIN_RECORDS_PER_SECOND),
    });
    out.push(Target {
        goal: format!("ring ≥ {RING_MIN_RATIO_TO_INPROCESS} × the same ring code in-process"),
        measured: ratios
            .ring_to_inprocess
            .map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2} ×")),
        met: ratios
            .ring_to_inprocess
            .map(|r| r >= RING_MIN_RATIO_TO_INPROCESS),
    });
    let rings = results.rings();
    let unaccounted: i64 = rings.iter().map(|(_, run)| run.unaccounted.abs()).sum();
    let bad: u64 = rings.iter().map(|(_, run)| run.bad_records).sum();
    out.push(Target {
        goal: "zero records unaccounted (every ring run)".to_owned(),
        measured: if rings.is_empty() {
            "n/a".to_owned()
        } else {
            format!("{unaccounted} unaccounted, {bad} bad")
        },
        met: (!rings.is_empty()).then_some(unaccounted == 0 && bad == 0),
    });
    out
}

/// The honest verdict on the event against the inverted call: which one wakes the app sooner,
/// by how much at p50 and p99, and why. `None` if either was not measured.
pub fn verdict(results: &Results) -> Option<String> {
    let event = results.event_one_way.as_ref()?;
    let inverted = results.inverted_one_way.as_ref()?;
    let (e50, i50) = (event.summary.p50_ns, inverted.summary.p50_ns);
    let (e99, i99) = (event.summary.p99_ns, inverted.summary.p99_ns);
    let numbers = format!(
        "event p50 {} / p99 {}, inverted call p50 {} / p99 {}",
        micros(e50),
        micros(e99),
        micros(i50),
        micros(i99)
    );
    let wine = results.environment.wine_version.is_some();
    let why_event = if wine {
        "Under Wine, setting an event is one wineserver request that wakes the waiting thread. \
         Completing an IRP is a set_irp_result request that hands the IRP's output to \
         wineserver; wineserver then interrupts the app's waiting thread with a system APC, the \
         thread fetches the output into its buffer with another request, and only then is the \
         I/O's event set and the thread woken a second time (Wine's server/async.c)"
    } else {
        "Setting an event only readies the waiting thread; completing an IRP also copies its \
         output back to the app's buffer and completes the I/O in the app's context before the \
         waiter runs"
    };
    let text = if e50 == 0 || i50 == 0 {
        format!("no verdict: a p50 of zero ({numbers})")
    } else if i50 as f64 >= e50 as f64 * 1.1 {
        format!(
            "the event wakes the app sooner: {:.2}× less time at p50 ({numbers}), as the article \
             claims. {why_event}. The inverted call still carries data (here 64 bytes) and \
             queues notifications while no IRP is pending; an event carries none, which is why \
             evshare pairs events with the ring for data",
            i50 as f64 / e50 as f64
        )
    } else if e50 as f64 >= i50 as f64 * 1.1 {
        format!(
            "the inverted call wakes the app sooner: {:.2}× less time at p50 ({numbers}), \
             against the article's claim: on this host completing an IRP costs less than \
             setting an event",
            e50 as f64 / i50 as f64
        )
    } else {
        format!(
            "a tie within 10% at p50 ({numbers}): on this host the notification method hardly \
             changes the wake-up; choose by what it carries (an inverted call brings data, an \
             event only a signal)"
        )
    };
    Some(text)
}

/// `ns` as microseconds, with the precision the 100 ns clock supports.
pub fn micros(ns: u64) -> String {
    let us = ns as f64 / 1000.0;
    if us < 10.0 {
        format!("{us:.2} µs")
    } else if us < 1000.0 {
        format!("{us:.1} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

/// Records per second, in millions.
pub fn rate(per_second: f64) -> String {
    format!("{:.2} M/s", per_second / 1e6)
}

fn optional(value: Option<f64>, format: impl Fn(f64) -> String) -> String {
    value.map_or_else(|| "-".to_owned(), format)
}

/// The short table printed on the terminal: every method with its percentiles and ratio to its
/// floor, the rings, the targets and the verdict.
pub fn table(results: &Results) -> String {
    let ratios = ratios(results);
    let round_trip = results.floors.event_round_trip.as_ref();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{:<44} {:>6} {:>9} {:>9} {:>9} {:>9}  {:>10}",
        "notification latency", "count", "p50", "p90", "p99", "max", "p50/floor"
    );
    for (_, latency) in results.latencies() {
        let s = &latency.summary;
        let ratio = p50_ratio(Some(latency), round_trip);
        let _ = writeln!(
            text,
            "{:<44} {:>6} {:>9} {:>9} {:>9} {:>9}  {:>10}",
            latency.label,
            s.count,
            micros(s.p50_ns),
            micros(s.p90_ns),
            micros(s.p99_ns),
            micros(s.max_ns),
            optional(ratio, |r| format!("{r:.2} ×")),
        );
    }
    let _ = writeln!(text);
    let _ = writeln!(
        text,
        "{:<30} {:>10} {:>9} {:>9} {:>9} {:>11} {:>9} {:>9} {:>9}",
        "ring (64-byte records)",
        "records/s",
        "÷ in-proc",
        "wake/1000",
        "dropped",
        "unaccounted",
        "lat p50",
        "lat p99",
        "lat max"
    );
    let inprocess = results.floors.ring_inprocess.as_ref();
    for (_, run) in results.rings() {
        let _ = writeln!(
            text,
            "{:<30} {:>10} {:>9} {:>9} {:>9} {:>11} {:>9} {:>9} {:>9}",
            run.label,
            rate(run.records_per_second),
            optional(rate_ratio(Some(run), inprocess), |r| format!("{r:.2} ×")),
            optional(run.wakeups_per_1000(), |w| format!("{w:.3}")),
            run.dropped,
            run.unaccounted,
            micros(run.latency.p50_ns),
            micros(run.latency.p99_ns),
            micros(run.latency.max_ns),
        );
    }
    if let Some(r) = ratios.ring_to_rtrb {
        let _ = writeln!(text, "ring via driver ÷ rtrb: {r:.2} ×");
    }
    let _ = writeln!(text);
    let _ = writeln!(text, "targets (issue 5)");
    for target in targets(results) {
        let _ = writeln!(
            text,
            "  {:<58} {:>22}  {}",
            target.goal,
            target.measured,
            target.status()
        );
    }
    if let Some(verdict) = verdict(results) {
        let _ = writeln!(text, "\nverdict, event vs inverted call: {verdict}.");
    }
    for failure in &results.failures {
        let _ = writeln!(text, "\nFAILED: {failure}");
    }
    text
}

/// The figures as Markdown, ready to paste into the README: where they came from, the latency
/// table with ratios to the floors, the ring table with wake-ups per 1,000 records, the targets.
pub fn markdown(results: &Results) -> String {
    let ratios = ratios(results);
    let round_trip = results.floors.event_round_trip.as_ref();
    let mut text = String::new();
    let env = &results.environment;
    let wine = env
        .wine_version
        .as_deref()
        .map_or_else(|| "Windows".to_owned(), |v| format!("Wine {v}"));
    match &results.host {
        Some(host) => {
            let _ = writeln!(
                text,
                "Measured {} on {} ({} CPUs), {}, {}, {} (`{}`), by `cargo xtask bench{}`; \
                 performance counter {} MHz; 1-minute load average {}.\n",
                host.date,
                host.cpu_model,
                host.nproc,
                host.os,
                host.kernel,
                wine,
                host.wine,
                if results.quick { " --quick" } else { "" },
                env.qpc_frequency_hz as f64 / 1e6,
                if host.load_average.is_empty() {
                    "unknown"
                } else {
                    &host.load_average
                }
            );
        }
        None => {
            let _ = writeln!(
                text,
                "Measured under {wine} ({} logical processors); clock {} MHz.\n",
                env.logical_processors,
                env.qpc_frequency_hz as f64 / 1e6
            );
        }
    }
    let _ = writeln!(
        text,
        "| notification (one sample every ~{} µs of idle) | samples | p50 | p90 | p99 | max | p50 ÷ round-trip floor |",
        results.settings.gap_us
    );
    let _ = writeln!(text, "|---|---:|---:|---:|---:|---:|---:|");
    for (_, latency) in results.latencies() {
        let s = &latency.summary;
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} | {} |",
            latency.label,
            s.count,
            micros(s.p50_ns),
            micros(s.p90_ns),
            micros(s.p99_ns),
            micros(s.max_ns),
            optional(p50_ratio(Some(latency), round_trip), |r| format!(
                "{r:.2} ×"
            )),
        );
    }
    let _ = writeln!(text);
    let _ = writeln!(
        text,
        "| ring, 64-byte records, {} s | records/s | ÷ in-process | wake-ups / 1,000 records | dropped | unaccounted | latency p50 | p99 | max |",
        results.settings.ring_seconds
    );
    let _ = writeln!(text, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let inprocess = results.floors.ring_inprocess.as_ref();
    for (_, run) in results.rings() {
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            run.label,
            rate(run.records_per_second),
            optional(rate_ratio(Some(run), inprocess), |r| format!("{r:.2} ×")),
            optional(run.wakeups_per_1000(), |w| format!("{w:.3}")),
            run.dropped,
            run.unaccounted,
            micros(run.latency.p50_ns),
            micros(run.latency.p99_ns),
            micros(run.latency.max_ns),
        );
    }
    let _ = writeln!(text);
    let _ = writeln!(text, "| target (issue 5) | this run | |");
    let _ = writeln!(text, "|---|---:|---|");
    for target in targets(results) {
        let _ = writeln!(
            text,
            "| {} | {} | {} |",
            target.goal,
            target.measured,
            target.status()
        );
    }
    if let Some(r) = ratios.ring_to_rtrb {
        let _ = writeln!(text, "\nRing through the driver ÷ rtrb: {r:.2} ×.");
    }
    if let Some(verdict) = verdict(results) {
        let _ = writeln!(text, "\nEvent vs inverted call: {verdict}.");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latency(label: &str, p50_us: u64) -> Latency {
        Latency {
            label: label.to_owned(),
            measures: String::new(),
            summary: Summary {
                count: 100,
                min_ns: p50_us * 500,
                p50_ns: p50_us * 1000,
                p90_ns: p50_us * 1200,
                p99_ns: p50_us * 2000,
                p999_ns: p50_us * 3000,
                max_ns: p50_us * 5000,
                mean_ns: p50_us as f64 * 1100.0,
            },
        }
    }

    fn ring(label: &str, rate: f64) -> RingRun {
        RingRun {
            label: label.to_owned(),
            seconds: 1.0,
            attempts: 1000,
            written: 1000,
            received: 1000,
            records_per_second: rate,
            wakeups: Some(2),
            ..RingRun::default()
        }
    }

    fn sample() -> Results {
        Results {
            schema: SCHEMA_VERSION,
            quick: false,
            environment: Environment {
                qpc_frequency_hz: 10_000_000,
                logical_processors: 2,
                wine_version: Some("8.0".to_owned()),
                ..Environment::default()
            },
            host: None,
            settings: Settings::default(),
            floors: Floors {
                event_round_trip: Some(latency("round trip", 100)),
                event_user_one_way: Some(latency("user one-way", 50)),
                ring_inprocess: Some(ring("in-process", 20e6)),
                rtrb: Some(ring("rtrb", 40e6)),
            },
            event_one_way: Some(latency("event", 60)),
            inverted_one_way: Some(latency("inverted", 90)),
            ring_driver: Some(ring("driver", 12e6)),
            failures: Vec::new(),
        }
    }

    #[test]
    fn ratios_are_against_the_floors_of_the_same_run() {
        let ratios = ratios(&sample());
        assert_eq!(ratios.event_to_round_trip, Some(0.6));
        assert_eq!(ratios.inverted_to_round_trip, Some(0.9));
        assert_eq!(ratios.inverted_to_event, Some(1.5));
        assert_eq!(ratios.ring_to_inprocess, Some(0.6));
        assert_eq!(ratios.ring_to_rtrb, Some(0.3));
        assert_eq!(ratios.inprocess_to_rtrb, Some(0.5));
    }

    #[test]
    fn targets_say_met_not_met_or_not_measured() {
        let mut results = sample();
        let met: Vec<_> = targets(&results).iter().map(|t| t.met).collect();
        assert_eq!(met, [Some(true), Some(true), Some(true), Some(true)]);

        results.event_one_way = Some(latency("event", 80));
        results.ring_driver = Some(ring("driver", 9e6));
        let met: Vec<_> = targets(&results).iter().map(|t| t.met).collect();
        assert_eq!(met, [Some(false), Some(false), Some(false), Some(true)]);

        results.floors.event_round_trip = None;
        results.ring_driver = None;
        results.floors.ring_inprocess = None;
        results.floors.rtrb = None;
        let met: Vec<_> = targets(&results).iter().map(|t| t.met).collect();
        assert_eq!(met, [None, None, None, None]);
    }

    #[test]
    fn only_lost_data_or_failures_fail_a_run() {
        let mut results = sample();
        results.ring_driver = Some(ring("driver", 1.0));
        assert!(!results.failed(), "a slow run is not a failed run");
        let mut lossy = ring("driver", 12e6);
        lossy.unaccounted = 3;
        results.ring_driver = Some(lossy);
        assert!(results.failed());
        let mut results = sample();
        results.failures.push("inverted call: timed out".to_owned());
        assert!(results.failed());
    }

    #[test]
    fn the_verdict_names_the_faster_method_with_its_numbers() {
        let mut results = sample();
        let text = verdict(&results).unwrap_or_default();
        assert!(
            text.starts_with("the event wakes the app sooner: 1.50×"),
            "{text}"
        );
        assert!(text.contains("event p50 60.0 µs"), "{text}");
        results.inverted_one_way = Some(latency("inverted", 30));
        let text = verdict(&results).unwrap_or_default();
        assert!(
            text.starts_with("the inverted call wakes the app sooner: 2.00×"),
            "{text}"
        );
        results.inverted_one_way = Some(latency("inverted", 62));
        let text = verdict(&results).unwrap_or_default();
        assert!(text.starts_with("a tie"), "{text}");
        results.inverted_one_way = None;
        assert_eq!(verdict(&results), None);
    }

    #[test]
    fn wakeups_per_thousand_records() {
        let run = ring("driver", 1.0);
        assert_eq!(run.wakeups_per_1000(), Some(2.0));
        let none = RingRun {
            wakeups: None,
            ..run.clone()
        };
        assert_eq!(none.wakeups_per_1000(), None);
    }

    #[test]
    fn results_survive_json() {
        let results = sample();
        let json = serde_json::to_string(&results).unwrap_or_default();
        let back: Results = serde_json::from_str(&json).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(back, results);
    }

    #[test]
    fn tables_show_every_part() {
        let results = sample();
        let text = table(&results);
        for needle in [
            "round trip",
            "event",
            "inverted",
            "rtrb",
            "NOT MET",
            "verdict",
        ] {
            if needle == "NOT MET" {
                assert!(!text.contains(needle), "{text}");
            } else {
                assert!(text.contains(needle), "{needle} missing from\n{text}");
            }
        }
        let md = markdown(&results);
        assert!(md.contains("| event | 100 | 60.0 µs |"), "{md}");
        assert!(md.contains("0.60 ×"), "{md}");
    }

    #[test]
    fn micros_keeps_what_the_clock_resolves() {
        assert_eq!(micros(100), "0.10 µs");
        assert_eq!(micros(83_400), "83.4 µs");
        assert_eq!(micros(2_500_000), "2.50 ms");
    }
}

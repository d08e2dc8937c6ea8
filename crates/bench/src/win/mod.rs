//! The measuring side (Windows and Wine only): runs every part, one after the other, and
//! gathers [`Results`]. A part that fails is recorded in [`Results::failures`] and the others
//! still run.

mod histogram;
mod notify;
mod progress;
mod ring;
mod sys;

use std::ffi::{c_char, CStr};
use std::time::Duration;

use anyhow::{anyhow, Result};
use evshare::{Driver, HostKind};
use evshare_bench::report::{
    Environment, Floors, Latency, Results, RingRun, Settings, SCHEMA_VERSION,
};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};

use notify::Pacing;
use progress::Progress;
use ring::{RingSetup, STAMP_EVERY};
use sys::{wide, Clock};

/// The parts of a run, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// Floor: event round trip between two threads (and its first half).
    RoundTrip,
    /// Event: driver signal → app wake.
    Event,
    /// Inverted call: driver completion → app wake.
    Inverted,
    /// Floor: the same ring code in this process.
    Inprocess,
    /// Floor: rtrb.
    Rtrb,
    /// The ring through the driver.
    Ring,
}

/// How to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Whether this is a `--quick` run.
    pub quick: bool,
    /// Only these parts (all when empty).
    pub only: Vec<Part>,
    /// Pacing of the latency parts.
    pub pacing: Pacing,
    /// Set-up of the ring parts.
    pub ring: RingSetup,
}

impl Plan {
    /// The default plan, or the quick one.
    pub fn new(quick: bool) -> Plan {
        let (samples, warmup, seconds) = if quick {
            (1_000, 100, 2)
        } else {
            (10_000, 500, 10)
        };
        Plan {
            quick,
            only: Vec::new(),
            pacing: Pacing {
                samples,
                warmup,
                gap: Duration::from_micros(1_000),
                timeout: Duration::from_secs(10),
            },
            ring: RingSetup {
                // 4 MiB of records: enough that a producer call of 16,384 records (about a
                // millisecond's worth) amortises the IOCTL, small enough that the backlog, and
                // so the latency under load, stays a few milliseconds.
                capacity: 1 << 16,
                watermark: 1024,
                duration: Duration::from_secs(seconds),
                chunk_max: 1 << 14,
                chunk_min: 1 << 12,
                drain_timeout: Duration::from_secs(10),
            },
        }
    }

    fn wants(&self, part: Part) -> bool {
        self.only.is_empty() || self.only.contains(&part)
    }

    fn settings(&self) -> Settings {
        Settings {
            samples: self.pacing.samples,
            warmup: self.pacing.warmup,
            gap_us: u64::try_from(self.pacing.gap.as_micros()).unwrap_or(u64::MAX),
            ring_seconds: self.ring.duration.as_secs_f64(),
            ring_capacity: self.ring.capacity,
            watermark: self.ring.watermark,
            chunk_max: self.ring.chunk_max,
            chunk_min: self.ring.chunk_min,
            stamp_every: STAMP_EVERY,
        }
    }
}

/// Runs every part and returns what was measured.
pub fn run(plan: &Plan) -> Result<Results> {
    let clock = Clock::new()?;
    let mut results = Results {
        schema: SCHEMA_VERSION,
        quick: plan.quick,
        environment: Environment {
            qpc_frequency_hz: clock.frequency(),
            logical_processors: std::thread::available_parallelism()
                .map_or(0, |n| u32::try_from(n.get()).unwrap_or(u32::MAX)),
            wine_version: wine_version(),
            driver_version: None,
            driver_host: None,
        },
        host: None,
        settings: plan.settings(),
        floors: Floors::default(),
        event_one_way: None,
        inverted_one_way: None,
        ring_driver: None,
        failures: Vec::new(),
    };
    let driver = Driver::open().map_err(|err| anyhow!("{err}"));
    if let Ok(driver) = &driver {
        match driver.version() {
            Ok(version) => {
                let [major, minor, patch] = version.driver_version;
                results.environment.driver_version = Some(format!("{major}.{minor}.{patch}"));
                results.environment.driver_host = Some(
                    match version.host {
                        HostKind::Wine => "Wine",
                        HostKind::Windows => "Windows",
                    }
                    .to_owned(),
                );
            }
            Err(err) => results.failures.push(format!("QUERY_VERSION: {err}")),
        }
    }
    let context = Context {
        clock,
        driver: driver.as_ref().map_err(|err| format!("{err:#}")),
        plan,
    };
    let parts = [
        Part::RoundTrip,
        Part::Event,
        Part::Inverted,
        Part::Inprocess,
        Part::Rtrb,
        Part::Ring,
    ];
    let total = parts.iter().filter(|part| plan.wants(**part)).count();
    for (index, part) in parts
        .into_iter()
        .filter(|part| plan.wants(*part))
        .enumerate()
    {
        context.run(part, index + 1, total, &mut results);
    }
    Ok(results)
}

/// What every part needs.
struct Context<'a> {
    clock: Clock,
    driver: std::result::Result<&'a Driver, String>,
    plan: &'a Plan,
}

impl Context<'_> {
    fn driver(&self) -> Result<&Driver> {
        self.driver
            .as_ref()
            .copied()
            .map_err(|err| anyhow!("the driver: {err}"))
    }

    fn run(&self, part: Part, index: usize, total: usize, results: &mut Results) {
        let pacing = &self.plan.pacing;
        let samples = format!(
            "{} samples after {} warm-up, {} µs idle before each",
            pacing.samples,
            pacing.warmup,
            pacing.gap.as_micros()
        );
        let setup = &self.plan.ring;
        let ring_what = format!(
            "{} s, capacity {}, producer calls of {}..={} records",
            setup.duration.as_secs_f64(),
            setup.capacity,
            setup.chunk_min,
            setup.chunk_max
        );
        let clock = &self.clock;
        match part {
            Part::RoundTrip => {
                let name = "floor: event round trip";
                let mut progress = Progress::start(index, total, name, &samples);
                match notify::event_round_trip(clock, pacing, &mut progress) {
                    Ok(measured) => {
                        let round_trip = latency(
                            "floor: event round trip, user ↔ user",
                            "SetEvent → the other thread's wait returns → SetEvent back → this \
                             thread's wait returns",
                            &measured.round_trip,
                        );
                        progress.done(&format!("p50 {}", micros(&round_trip)));
                        results.floors.event_round_trip = Some(round_trip);
                        results.floors.event_user_one_way = Some(latency(
                            "floor: event one-way, user → user",
                            "the setter's timestamp just before SetEvent → the waiting thread's \
                             after its wait returns",
                            &measured.one_way,
                        ));
                    }
                    Err(err) => fail(results, progress, name, &err),
                }
            }
            Part::Event => {
                let name = "event one-way";
                let mut progress = Progress::start(index, total, name, &samples);
                let measured = self
                    .driver()
                    .and_then(|driver| notify::driver_event(driver, clock, pacing, &mut progress));
                match measured {
                    Ok(measured) => {
                        let event = latency(
                            "event: driver signal → app wake",
                            "the driver's timestamp just before it sets the event (SIGNAL) → the \
                             app's after its wait returns",
                            &measured,
                        );
                        progress.done(&format!("p50 {}", micros(&event)));
                        results.event_one_way = Some(event);
                    }
                    Err(err) => fail(results, progress, name, &err),
                }
            }
            Part::Inverted => {
                let name = "inverted call one-way";
                let mut progress = Progress::start(index, total, name, &samples);
                let measured = self
                    .driver()
                    .and_then(|_| notify::inverted_call(clock, pacing, &mut progress));
                match measured {
                    Ok(measured) => {
                        let inverted = latency(
                            "inverted call: driver completion → app wake",
                            "the driver's timestamp when it makes the notification, just before \
                             it completes the pending IRP (NOTIFY) → the app's once the IRP's \
                             result is in hand",
                            &measured.latencies,
                        );
                        let mut note = format!("p50 {}", micros(&inverted));
                        if measured.completed_at_once > 0 {
                            note.push_str(&format!(
                                ", {} completed at once (owed)",
                                measured.completed_at_once
                            ));
                        }
                        progress.done(&note);
                        results.inverted_one_way = Some(inverted);
                    }
                    Err(err) => fail(results, progress, name, &err),
                }
            }
            Part::Inprocess => {
                let name = "floor: ring in-process";
                let mut progress = Progress::start(index, total, name, &ring_what);
                match ring::inprocess_ring(clock, setup, &mut progress) {
                    Ok(run) => {
                        progress.done(&ring_note(&run));
                        check_ring(results, &run);
                        results.floors.ring_inprocess = Some(run);
                    }
                    Err(err) => fail(results, progress, name, &err),
                }
            }
            Part::Rtrb => {
                let name = "floor: rtrb";
                let mut progress = Progress::start(index, total, name, &ring_what);
                match ring::rtrb_ring(clock, setup, &mut progress) {
                    Ok(run) => {
                        progress.done(&ring_note(&run));
                        check_ring(results, &run);
                        results.floors.rtrb = Some(run);
                    }
                    Err(err) => fail(results, progress, name, &err),
                }
            }
            Part::Ring => {
                let name = "ring via driver";
                let mut progress = Progress::start(index, total, name, &ring_what);
                let measured = self
                    .driver()
                    .and_then(|driver| ring::driver_ring(driver, clock, setup, &mut progress));
                match measured {
                    Ok(run) => {
                        progress.done(&ring_note(&run));
                        check_ring(results, &run);
                        results.ring_driver = Some(run);
                    }
                    Err(err) => fail(results, progress, name, &err),
                }
            }
        }
    }
}

fn latency(label: &str, measures: &str, latencies: &histogram::Latencies) -> Latency {
    Latency {
        label: label.to_owned(),
        measures: measures.to_owned(),
        summary: latencies.summary(),
    }
}

fn micros(latency: &Latency) -> String {
    evshare_bench::report::micros(latency.summary.p50_ns)
}

fn ring_note(run: &RingRun) -> String {
    let mut note = format!(
        "{} ({} records in {:.2} s), {} unaccounted",
        evshare_bench::report::rate(run.records_per_second),
        run.received,
        run.seconds,
        run.unaccounted
    );
    if let Some(per_1000) = run.wakeups_per_1000() {
        note.push_str(&format!(", {per_1000:.3} wake-ups per 1,000 records"));
    }
    note.push_str(&format!(
        ", producer waited for room {:.0}% of the time",
        100.0 * run.producer_wait_seconds / run.seconds.max(1e-9)
    ));
    note
}

fn check_ring(results: &mut Results, run: &RingRun) {
    if run.lost_data() {
        results.failures.push(format!(
            "{} lost data: {} of {} records unaccounted, {} not as written",
            run.label, run.unaccounted, run.attempts, run.bad_records
        ));
    }
}

fn fail(results: &mut Results, progress: Progress, part: &str, err: &anyhow::Error) {
    progress.done(&format!("FAILED: {err:#}"));
    results.failures.push(format!("{part}: {err:#}"));
}

/// `wine_get_version()` from Wine's `ntdll.dll`; `None` on Windows.
fn wine_version() -> Option<String> {
    let ntdll = wide("ntdll.dll");
    // SAFETY: a NUL-terminated module name; ntdll is always loaded.
    let module = unsafe { GetModuleHandleW(ntdll.as_ptr()) };
    if module.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated ASCII export name in a loaded module.
    let address = unsafe { GetProcAddress(module, c"wine_get_version".as_ptr().cast()) }?;
    // SAFETY: Wine's `const char *wine_get_version(void)`, cdecl (= the x64 calling convention).
    let get: extern "C" fn() -> *const c_char = unsafe { std::mem::transmute(address) };
    let version = get();
    if version.is_null() {
        return None;
    }
    // SAFETY: Wine returns a static NUL-terminated string.
    Some(
        unsafe { CStr::from_ptr(version) }
            .to_string_lossy()
            .into_owned(),
    )
}

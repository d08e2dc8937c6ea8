//! Sustained ring runs: the ring through the driver, the same ring code between two threads of
//! this process, and `rtrb` moving the same records.
//!
//! All three move the same 64-byte records (`seq`, `timestamp`, the payload the driver writes:
//! `seq`'s bytes repeated) with the same pacing: the producer asks for at most `chunk_max`
//! records at a time and only once `chunk_min` slots are free, so it never overruns the
//! consumer (drops would still be counted, never hidden). Records are stamped once per 4,096
//! (the driver takes one timestamp per chunk of that size), and the consumer checks every
//! record's sequence number and payload, and stamps each batch once it has it.

use std::hint::spin_loop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use evshare::{access, Driver, Ring, RingControl, RingOptions, SignalMode};
use evshare_bench::report::RingRun;
use evshare_ring::inprocess::{Attached, SharedMemory};
use evshare_ring::layout::{Entry, Record, PAYLOAD_LEN};
use evshare_ring::{Batch, Consumer, ConsumerStats, Item, Producer, WakePolicy};

use super::histogram::Latencies;
use super::progress::Progress;
use super::sys::{now, Clock, Win32Event};

/// Records stamped with one timestamp: the driver's `PRODUCE` chunk.
pub const STAMP_EVERY: u32 = 4096;
/// How long a deferred wake-up may wait, in performance-counter ticks: the driver's value
/// (`MAX_WAKE_DELAY_TICKS`, 1 ms at Wine's 10 MHz), so the in-process ring wakes alike.
pub const MAX_WAKE_DELAY_TICKS: u64 = 10_000;
/// The most records one consumer poll takes.
const POLL_MAX: u32 = 4096;
/// How long the consumer sleeps at most before it looks again.
const CONSUMER_SLEEP: Duration = Duration::from_millis(20);

/// How the ring runs are set up.
#[derive(Clone, Copy, Debug)]
pub struct RingSetup {
    /// Records each ring holds.
    pub capacity: u32,
    /// Unread records before evshare's producer wakes a sleeping consumer.
    pub watermark: u32,
    /// How long the producer produces.
    pub duration: Duration,
    /// The most records per producer call.
    pub chunk_max: u32,
    /// The fewest free slots worth a producer call.
    pub chunk_min: u32,
    /// How long the consumer may take to account for everything after the producer stops.
    pub drain_timeout: Duration,
}

/// The payload the driver writes into record `seq`: its little-endian bytes, repeated.
pub fn payload(seq: u64) -> [u8; PAYLOAD_LEN] {
    let mut payload = [0_u8; PAYLOAD_LEN];
    for (byte, source) in payload.iter_mut().zip(seq.to_le_bytes().iter().cycle()) {
        *byte = *source;
    }
    payload
}

/// Whether `record` carries the payload of its sequence number.
fn intact(record: &Record) -> bool {
    let seq = record.seq.to_le_bytes();
    record.payload.chunks_exact(8).all(|word| word == seq)
}

/// Waits a little for the other side: spins, yielding the CPU every 64th time.
#[inline]
fn back_off(idle: &mut u32) {
    *idle = idle.wrapping_add(1);
    if *idle % 64 == 0 {
        thread::yield_now();
    } else {
        spin_loop();
    }
}

/// Whether an idle consumer is done: it has accounted for `target` (set when the producer
/// stops; `u64::MAX` until then), or has been draining for longer than `drain_timeout`.
fn finished(
    target: &AtomicU64,
    accounted: u64,
    draining_since: &mut Option<Instant>,
    drain_timeout: Duration,
) -> bool {
    let goal = target.load(Ordering::Acquire);
    if accounted >= goal {
        return true;
    }
    if goal != u64::MAX {
        let since = *draining_since.get_or_insert_with(Instant::now);
        if since.elapsed() > drain_timeout {
            return true;
        }
    }
    false
}

/// Counts `record` in the batch's runs of records that share a timestamp.
#[inline]
fn note_stamp(runs: &mut Vec<(u64, u64)>, record: &Record) {
    match runs.last_mut() {
        Some((stamp, count)) if *stamp == record.timestamp => *count += 1,
        _ => runs.push((record.timestamp, 1)),
    }
}

/// Records the batch's latencies (each record's stamp to `received`, when the consumer had
/// the batch) and empties `runs`.
fn record_stamps(
    runs: &mut Vec<(u64, u64)>,
    received: u64,
    clock: &Clock,
    latency: &mut Latencies,
) {
    for (stamp, count) in runs.drain(..) {
        latency.record_n(clock.nanos(received.saturating_sub(stamp)), count);
    }
}

/// What one producer call did.
#[derive(Clone, Copy, Debug, Default)]
struct Produced {
    written: u64,
    dropped: u64,
    wakeups: u64,
}

/// The producer's side of a run: the driver (`PRODUCE`) or the same code in this process.
trait Feed {
    fn produce(&mut self, count: u32) -> Result<Produced>;
}

/// The producer's totals.
#[derive(Clone, Copy, Debug, Default)]
struct FeedTotals {
    written: u64,
    dropped: u64,
    wakeups: u64,
    calls: u64,
    started: u64,
    /// Time spent waiting for room.
    waited: Duration,
}

/// Produces for `setup.duration`, paced by what the consumer has accounted for.
fn feed_loop(
    feed: &mut impl Feed,
    setup: &RingSetup,
    consumed: &AtomicU64,
    progress: &mut Progress,
) -> Result<FeedTotals> {
    let capacity = u64::from(setup.capacity);
    let mut totals = FeedTotals {
        started: now(),
        ..FeedTotals::default()
    };
    let start = Instant::now();
    let mut idle = 0_u32;
    let mut waiting_since: Option<Instant> = None;
    while start.elapsed() < setup.duration {
        let attempts = totals.written + totals.dropped;
        let in_flight = attempts.saturating_sub(consumed.load(Ordering::Acquire));
        let free = capacity.saturating_sub(in_flight);
        if free < u64::from(setup.chunk_min) {
            waiting_since.get_or_insert_with(Instant::now);
            back_off(&mut idle);
            continue;
        }
        if let Some(since) = waiting_since.take() {
            totals.waited += since.elapsed();
        }
        let count = u32::try_from(free.min(u64::from(setup.chunk_max))).unwrap_or(setup.chunk_max);
        let produced = feed.produce(count)?;
        totals.written += produced.written;
        totals.dropped += produced.dropped;
        totals.wakeups += produced.wakeups;
        totals.calls += 1;
        progress.ring(
            start.elapsed(),
            setup.duration.as_secs_f64(),
            consumed.load(Ordering::Relaxed),
        );
    }
    Ok(totals)
}

/// The consumer's totals.
struct Consumed {
    received: u64,
    missed: u64,
    bad: u64,
    sleeps: u64,
    last: u64,
    latency: Latencies,
}

/// The consumer's end of an evshare ring: the ring crate's [`Consumer`] in this process, or the
/// client's [`Ring`] for the driver's.
trait Drain {
    /// Takes up to `max` records (what [`Consumer::poll`] does), answering the producer's
    /// request for space if it made one.
    fn poll(&mut self, max: u32, on_item: impl FnMut(Item<'_>)) -> Result<Batch>;
    /// Sleeps on data-ready (after the ring's adaptive spin) for at most `timeout`.
    fn sleep(&mut self, timeout: Duration);
    fn stats(&self) -> ConsumerStats;
}

/// The in-process ring's consumer, sleeping on a Win32 auto-reset event. Its producer never
/// asks for space (it is paced, like the driver's), so there is no space-free event.
struct InProcessDrain<'a> {
    consumer: &'a mut Consumer,
    data_ready: &'a Win32Event,
}

impl Drain for InProcessDrain<'_> {
    fn poll(&mut self, max: u32, on_item: impl FnMut(Item<'_>)) -> Result<Batch> {
        self.consumer
            .poll(max, on_item)
            .map_err(|err| anyhow!("the consumer: {err}"))
    }

    fn sleep(&mut self, timeout: Duration) {
        let _ = self.consumer.wait(self.data_ready, Some(timeout));
    }

    fn stats(&self) -> ConsumerStats {
        self.consumer.stats()
    }
}

/// The client's ring: its `poll` is the ring crate's, plus setting space-free when the
/// driver asked for room (the raw loop did the same, right after stamping the batch). The
/// paced producer never fills the ring, so the driver never asks and no extra call lands
/// between the poll and the batch's timestamp; if it ever did, the drop it follows would
/// show in the run's figures anyway.
impl Drain for Ring<'_> {
    fn poll(&mut self, max: u32, on_item: impl FnMut(Item<'_>)) -> Result<Batch> {
        Ring::poll(self, max, on_item).map_err(|err| anyhow!("the consumer: {err}"))
    }

    fn sleep(&mut self, timeout: Duration) {
        let _ = Ring::wait(self, timeout);
    }

    fn stats(&self) -> ConsumerStats {
        Ring::stats(self)
    }
}

/// Consumes until everything the producer used a sequence number for is accounted for
/// (`target`, set when the producer stops), the ring is closed, or the drain times out.
fn consume_loop(
    consumer: &mut impl Drain,
    consumed: &AtomicU64,
    target: &AtomicU64,
    clock: &Clock,
    drain_timeout: Duration,
) -> Result<Consumed> {
    let mut latency = Latencies::new()?;
    let mut runs: Vec<(u64, u64)> = Vec::with_capacity(16);
    let mut bad = 0_u64;
    let mut last = now();
    let mut draining_since: Option<Instant> = None;
    loop {
        let batch = consumer.poll(POLL_MAX, |item| {
            if let Item::Record(record) = item {
                if !intact(record) {
                    bad += 1;
                }
                note_stamp(&mut runs, record);
            }
        })?;
        if batch.records > 0 {
            last = now();
            record_stamps(&mut runs, last, clock, &mut latency);
        }
        let stats = consumer.stats();
        let accounted = stats.received + stats.missed;
        consumed.store(accounted, Ordering::Release);
        if batch.closed {
            break;
        }
        if batch.records == 0 && batch.missed == 0 {
            if finished(target, accounted, &mut draining_since, drain_timeout) {
                break;
            }
            consumer.sleep(CONSUMER_SLEEP);
        }
    }
    let stats = consumer.stats();
    Ok(Consumed {
        received: stats.received,
        missed: stats.missed,
        bad,
        sleeps: stats.sleeps,
        last,
        latency,
    })
}

/// Runs `feed` on this thread and the consumer on another; returns the run's figures.
/// `wake` sets the consumer's data-ready event (once the producer stopped).
fn run_evshare_ring(
    label: &str,
    feed: &mut impl Feed,
    consumer: &mut (impl Drain + Send),
    wake: impl FnOnce(),
    clock: &Clock,
    setup: &RingSetup,
    progress: &mut Progress,
) -> Result<(RingRun, FeedTotals)> {
    let consumed = AtomicU64::new(0);
    let target = AtomicU64::new(u64::MAX);
    let (totals, outcome) = thread::scope(|scope| {
        let consumer_thread =
            scope.spawn(|| consume_loop(consumer, &consumed, &target, clock, setup.drain_timeout));
        let totals = feed_loop(feed, setup, &consumed, progress);
        // Whatever happened, tell the consumer where the end is, and wake it.
        let end = totals
            .as_ref()
            .map_or(0, |totals| totals.written + totals.dropped);
        target.store(end, Ordering::Release);
        wake();
        let outcome = consumer_thread
            .join()
            .map_err(|_| anyhow!("the consumer thread panicked"));
        (totals, outcome)
    });
    let totals = totals?;
    let consumed = outcome??;
    let run = ring_run(label, clock, &totals, &consumed, Some(totals.wakeups));
    Ok((run, totals))
}

fn ring_run(
    label: &str,
    clock: &Clock,
    totals: &FeedTotals,
    consumed: &Consumed,
    wakeups: Option<u64>,
) -> RingRun {
    let attempts = totals.written + totals.dropped;
    let seconds = clock.nanos(consumed.last.saturating_sub(totals.started)) as f64 / 1e9;
    let accounted = consumed.received + consumed.missed;
    RingRun {
        label: label.to_owned(),
        seconds,
        attempts,
        written: totals.written,
        dropped: totals.dropped,
        received: consumed.received,
        missed: consumed.missed,
        unaccounted: i64::try_from(attempts).unwrap_or(i64::MAX)
            - i64::try_from(accounted).unwrap_or(i64::MAX),
        bad_records: consumed.bad,
        records_per_second: if seconds > 0.0 {
            consumed.received as f64 / seconds
        } else {
            0.0
        },
        wakeups,
        consumer_sleeps: consumed.sleeps,
        producer_calls: totals.calls,
        producer_wait_seconds: totals.waited.as_secs_f64(),
        latency: consumed.latency.summary(),
    }
}

/// The same producer code the driver runs, in this process: chunks of [`STAMP_EVERY`] records
/// with one timestamp each, a deferred wake-up flushed when the call ends, the data-ready event
/// a Win32 auto-reset event (what the driver sets, minus the process boundary).
struct InProcessFeed<'e> {
    producer: Attached<Producer>,
    data_ready: &'e Win32Event,
}

impl Feed for InProcessFeed<'_> {
    fn produce(&mut self, count: u32) -> Result<Produced> {
        let mut total = Produced::default();
        let mut remaining = count;
        while remaining > 0 {
            let chunk = remaining.min(STAMP_EVERY);
            remaining -= chunk;
            let mut wake = false;
            let timestamp = now();
            let report = self.producer.produce_batch(
                chunk,
                |seq| Entry {
                    timestamp,
                    payload: payload(seq),
                },
                || wake = true,
            );
            if remaining == 0 {
                self.producer.flush_wake(|| wake = true);
            } else {
                self.producer.wake_if_due(timestamp, || wake = true);
            }
            total.written += u64::from(report.written);
            total.dropped += u64::from(report.dropped);
            if wake {
                self.data_ready.set()?;
                total.wakeups += 1;
            }
        }
        Ok(total)
    }
}

/// Floor: the same ring code between two threads of this process.
pub fn inprocess_ring(
    clock: &Clock,
    setup: &RingSetup,
    progress: &mut Progress,
) -> Result<RingRun> {
    let memory =
        SharedMemory::for_capacity(setup.capacity).map_err(|err| anyhow!("ring memory: {err}"))?;
    let mut consumer = memory
        .initialize_consumer(setup.capacity)
        .map_err(|err| anyhow!("ring consumer: {err}"))?;
    let policy = WakePolicy::deferred(setup.watermark, MAX_WAKE_DELAY_TICKS);
    let producer = memory
        .attach_producer(setup.capacity, policy)
        .map_err(|err| anyhow!("ring producer: {err}"))?;
    let data_ready = Win32Event::auto_reset()?;
    let mut feed = InProcessFeed {
        producer,
        data_ready: &data_ready,
    };
    let (run, _) = run_evshare_ring(
        "floor: ring in-process",
        &mut feed,
        &mut InProcessDrain {
            consumer: &mut consumer,
            data_ready: &data_ready,
        },
        || {
            let _ = data_ready.set();
        },
        clock,
        setup,
        progress,
    )?;
    if !memory.guard_intact() {
        bail!("the in-process ring wrote past its region");
    }
    Ok(run)
}

/// `PRODUCE` through the driver ([`RingControl::produce`]: one `NtDeviceIoControlFile`, as
/// an app's producer thread sends it).
struct DriverFeed<'d> {
    control: RingControl<'d>,
}

impl Feed for DriverFeed<'_> {
    fn produce(&mut self, count: u32) -> Result<Produced> {
        let reply = self
            .control
            .produce(count)
            .map_err(|err| anyhow!("PRODUCE: {err}"))?;
        Ok(Produced {
            written: reply.written,
            dropped: reply.dropped,
            wakeups: reply.wakeups,
        })
    }
}

/// The ring through the driver, as an app sets it up ([`Driver::register_ring`]: the section
/// and both events created, the header initialised, the ring registered on demand), then one
/// thread sends `PRODUCE` while another consumes. The driver's own totals (`QUERY_RING`) must
/// agree with what the app counted.
pub fn driver_ring(
    driver: &Driver,
    clock: &Clock,
    setup: &RingSetup,
    progress: &mut Progress,
) -> Result<RingRun> {
    let options = RingOptions::new(setup.capacity)
        .mode(SignalMode::OnDemand)
        .watermark(setup.watermark);
    let mut ring = driver
        .register_ring(&options)
        .map_err(|err| anyhow!("REGISTER_RING: {err}"))?;
    let control = ring.control().map_err(|err| anyhow!("the ring: {err}"))?;
    // A second handle to data-ready, to wake the consumer (which has the ring) at the end.
    let data_ready = ring
        .data_ready()
        .duplicate(access::EVENT_MODIFY_STATE)
        .map_err(|err| anyhow!("{err}"))?;

    let mut feed = DriverFeed {
        control: control.clone(),
    };
    let result = run_evshare_ring(
        "ring via driver",
        &mut feed,
        &mut ring,
        || {
            let _ = data_ready.set();
        },
        clock,
        setup,
        progress,
    );
    let info = control.info().map_err(|err| anyhow!("QUERY_RING: {err}"));
    let unregistered = ring.close().map_err(|err| anyhow!("UNREGISTER: {err}"));
    let (mut run, totals) = result?;
    let info = info?;
    unregistered?;
    if info.produced != totals.written || info.dropped != totals.dropped {
        bail!(
            "the driver counted {} written and {} dropped, PRODUCE's replies {} and {}",
            info.produced,
            info.dropped,
            totals.written,
            totals.dropped
        );
    }
    // The driver's count of data-ready signals is the authority.
    run.wakeups = Some(info.wakeups);
    Ok(run)
}

/// Floor for context: `rtrb`, a well-kept lock-free single-producer single-consumer queue, moving
/// the same records with the same pacing and checks. It has no sleep/wake-up mechanism: its
/// consumer busy-waits (spinning, then yielding), so it never pays for a wake-up.
pub fn rtrb_ring(clock: &Clock, setup: &RingSetup, progress: &mut Progress) -> Result<RingRun> {
    let capacity = usize::try_from(setup.capacity).context("capacity")?;
    let (mut tx, mut rx) = rtrb::RingBuffer::<Record>::new(capacity);
    let consumed = AtomicU64::new(0);
    let target = AtomicU64::new(u64::MAX);
    let drain_timeout = setup.drain_timeout;
    let (totals, outcome) = thread::scope(|scope| {
        let consumer_thread = scope.spawn(|| -> Result<Consumed> {
            let mut latency = Latencies::new()?;
            let mut runs: Vec<(u64, u64)> = Vec::with_capacity(16);
            let (mut received, mut bad, mut idle) = (0_u64, 0_u64, 0_u32);
            let mut last = now();
            let mut draining_since: Option<Instant> = None;
            loop {
                let available = rx.slots();
                if available == 0 {
                    if finished(&target, received, &mut draining_since, drain_timeout) {
                        break;
                    }
                    back_off(&mut idle);
                    continue;
                }
                let take = available.min(POLL_MAX as usize);
                let chunk = rx
                    .read_chunk(take)
                    .map_err(|err| anyhow!("rtrb read: {err}"))?;
                let (first, second) = chunk.as_slices();
                for record in first.iter().chain(second) {
                    if record.seq != received || !intact(record) {
                        bad += 1;
                    }
                    received += 1;
                    note_stamp(&mut runs, record);
                }
                chunk.commit_all();
                last = now();
                record_stamps(&mut runs, last, clock, &mut latency);
                consumed.store(received, Ordering::Release);
            }
            Ok(Consumed {
                received,
                missed: 0,
                bad,
                sleeps: 0,
                last,
                latency,
            })
        });
        let totals = (|| -> Result<FeedTotals> {
            let mut totals = FeedTotals {
                started: now(),
                ..FeedTotals::default()
            };
            let start = Instant::now();
            let mut idle = 0_u32;
            let mut waiting_since: Option<Instant> = None;
            while start.elapsed() < setup.duration {
                let free = tx.slots();
                if free < setup.chunk_min as usize {
                    waiting_since.get_or_insert_with(Instant::now);
                    back_off(&mut idle);
                    continue;
                }
                if let Some(since) = waiting_since.take() {
                    totals.waited += since.elapsed();
                }
                let mut remaining = free.min(setup.chunk_max as usize);
                while remaining > 0 {
                    let count = remaining.min(STAMP_EVERY as usize);
                    remaining -= count;
                    let timestamp = now();
                    let chunk = tx
                        .write_chunk_uninit(count)
                        .map_err(|err| anyhow!("rtrb write: {err}"))?;
                    let first = totals.written;
                    let filled = chunk.fill_from_iter((first..).map(|seq| Record {
                        seq,
                        timestamp,
                        payload: payload(seq),
                    }));
                    totals.written += filled as u64;
                }
                totals.calls += 1;
                progress.ring(
                    start.elapsed(),
                    setup.duration.as_secs_f64(),
                    consumed.load(Ordering::Relaxed),
                );
            }
            Ok(totals)
        })();
        let end = totals.as_ref().map_or(0, |totals| totals.written);
        target.store(end, Ordering::Release);
        let outcome = consumer_thread
            .join()
            .map_err(|_| anyhow!("the consumer thread panicked"));
        (totals, outcome)
    });
    let totals = totals?;
    let consumed = outcome??;
    Ok(ring_run(
        "floor: rtrb (busy-waits)",
        clock,
        &totals,
        &consumed,
        None,
    ))
}

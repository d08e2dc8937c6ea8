//! A ring registration: the app's section mapped where the DPC can write it, the producer from
//! `evshare-ring` behind a spin lock (the timer DPC and `PRODUCE` both call it), and the
//! data-ready and space-free events.
//!
//! The producer decides when a waiting consumer needs a wake-up; the event is set after the
//! spin lock is released, so no signal (a wineserver round trip under Wine) happens under it.

use crate::stats::Stats;
use core::sync::atomic::Ordering;
use evshare_km::event::SharedEvent;
use evshare_km::irql::Irql;
use evshare_km::section::MappedView;
use evshare_km::sync::SpinLock;
use evshare_km::time::performance_counter;
use evshare_protocol::channel;
use evshare_ring::layout::{Entry, PAYLOAD_LEN};
use evshare_ring::{Producer, ProducerStats};

// The protocol validates a ring's capacity before the ring crate sees it: both must agree on
// the limits, or a request the protocol accepts could be refused as a bad ring (or the reverse).
const _: () = assert!(
    evshare_protocol::ring::MIN_CAPACITY == evshare_ring::layout::MIN_CAPACITY
        && evshare_protocol::ring::MAX_CAPACITY == evshare_ring::layout::MAX_CAPACITY
);

// A channel's record payload is the ring's payload area.
const _: () = assert!(channel::RECORD_PAYLOAD_LEN == PAYLOAD_LEN);

// km cannot depend on the protocol crate: its copy of the "section not committed" status must
// be the protocol's, or the client would name the wrong cause.
const _: () = assert!(
    evshare_km::section::SECTION_NOT_COMMITTED.as_u32()
        == evshare_protocol::status::STATUS_EVSHARE_SECTION_NOT_COMMITTED
);

/// Records produced under one hold of the spin lock: bounds how long a DPC or another
/// producer may spin while a large `PRODUCE` runs.
const CHUNK: u32 = 4096;

/// A wake-up the producer asked for may wait this long (performance-counter ticks, 10 MHz
/// under Wine: 1 ms) when the watermark is not reached.
pub const MAX_WAKE_DELAY_TICKS: u64 = 10_000;

/// The producer and what it has already reported to the driver's stats.
struct ProducerState {
    producer: Option<Producer>,
    reported: ProducerStats,
}

/// One app's ring.
pub struct RingChannel {
    state: SpinLock<ProducerState>,
    data_ready: SharedEvent,
    space_free: SharedEvent,
    /// The instance's counters, which the producer's totals are added to.
    stats: &'static Stats,
    /// Dropped last: the producer writes into it.
    _view: MappedView,
}

/// What one production call did.
#[derive(Clone, Copy, Default)]
pub struct Produced {
    /// Records written.
    pub written: u64,
    /// Records dropped (ring full or its consumer index impossible).
    pub dropped: u64,
    /// Data-ready signals sent.
    pub wakeups: u64,
}

/// The payload of record `seq`: its bytes repeated, so a consumer can check it arrived whole.
fn payload(seq: u64) -> [u8; PAYLOAD_LEN] {
    let mut payload = [0u8; PAYLOAD_LEN];
    for (byte, source) in payload.iter_mut().zip(seq.to_le_bytes().iter().cycle()) {
        *byte = *source;
    }
    payload
}

impl RingChannel {
    /// Takes over a ring whose producer attached to `view`, reporting to `stats`.
    pub fn new(
        producer: Producer,
        view: MappedView,
        data_ready: SharedEvent,
        space_free: SharedEvent,
        stats: &'static Stats,
    ) -> Self {
        RingChannel {
            state: SpinLock::new(ProducerState {
                producer: Some(producer),
                reported: ProducerStats::default(),
            }),
            data_ready,
            space_free,
            stats,
            _view: view,
        }
    }

    /// Produces `count` records now, in chunks, then flushes any deferred wake-up (the batch
    /// ended). Never waits: a full ring drops and counts.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn produce(&self, at: &mut impl Irql, count: u32, end_of_batch: bool) -> Produced {
        let mut total = Produced::default();
        let mut remaining = count;
        while remaining > 0 {
            let chunk = remaining.min(CHUNK);
            remaining -= chunk;
            let last = remaining == 0;
            let mut wake = false;
            {
                let mut state = self.state.lock(at);
                let Some(producer) = state.producer.as_mut() else {
                    return total;
                };
                let timestamp = performance_counter();
                let report = producer.produce_batch(
                    chunk,
                    |seq| Entry {
                        timestamp,
                        payload: payload(seq),
                    },
                    || wake = true,
                );
                if last && end_of_batch {
                    producer.flush_wake(|| wake = true);
                } else {
                    producer.wake_if_due(timestamp, || wake = true);
                }
                total.written += u64::from(report.written);
                total.dropped += u64::from(report.dropped);
                self.report(&mut state);
            }
            if wake {
                self.data_ready.set();
                total.wakeups += 1;
            }
        }
        total
    }

    /// Writes one record carrying a published `payload` (see `evshare_protocol::channel`) and
    /// wakes the consumer at once if it waits; `false` if the record was dropped (ring full,
    /// poisoned, or the payload longer than a record holds).
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn publish(&self, at: &mut impl Irql, payload: &[u8]) -> bool {
        let Ok(area) = channel::record_payload(payload) else {
            return false;
        };
        let mut wake = false;
        let written = {
            let mut state = self.state.lock(at);
            let Some(producer) = state.producer.as_mut() else {
                return false;
            };
            let timestamp = performance_counter();
            let report = producer.produce_batch(
                1,
                |_| Entry {
                    timestamp,
                    payload: area,
                },
                || wake = true,
            );
            // A published record is a batch of its own: a waiting consumer hears of it now.
            producer.flush_wake(|| wake = true);
            self.report(&mut state);
            report.written == 1
        };
        if wake {
            self.data_ready.set();
        }
        written
    }

    /// Adds what the producer did since the last report to the instance's totals.
    fn report(&self, state: &mut ProducerState) {
        let Some(producer) = state.producer.as_ref() else {
            return;
        };
        let now = producer.stats();
        let before = state.reported;
        self.stats.ring_produced.fetch_add(
            now.produced.wrapping_sub(before.produced),
            Ordering::Relaxed,
        );
        self.stats
            .ring_dropped
            .fetch_add(now.dropped.wrapping_sub(before.dropped), Ordering::Relaxed);
        self.stats
            .ring_corrupt
            .fetch_add(now.corrupt.wrapping_sub(before.corrupt), Ordering::Relaxed);
        state.reported = now;
    }

    /// The producer's totals, and whether the ring was poisoned.
    pub fn stats(&self, at: &mut impl Irql) -> (ProducerStats, bool) {
        let state = self.state.lock(at);
        match state.producer.as_ref() {
            Some(producer) => (producer.stats(), false),
            None => (state.reported, true),
        }
    }

    /// Ends the ring for good (SPEC rule 7): poisons the header and sets both events, so
    /// neither side sleeps forever. Idempotent.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn poison(&self, at: &mut impl Irql) {
        let producer = {
            let mut state = self.state.lock(at);
            self.report(&mut state);
            state.producer.take()
        };
        if let Some(producer) = producer {
            let mut set_both = false;
            let stats = producer.poison(|| set_both = true);
            self.state.lock(at).reported = stats;
            if set_both {
                self.data_ready.set();
                self.space_free.set();
            }
        }
    }
}

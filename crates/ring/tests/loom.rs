//! Loom models of the ring's concurrency, run on the real producer and consumer (their atomics
//! are loom's under `--cfg loom`, and records are loom cells, so a record read while it is
//! written is reported too):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p evshare-ring --release --test loom
//! ```
//!
//! - The sleep/wake handshake (SPEC rule 6): a consumer that flags itself waiting and sleeps on
//!   an event, a producer that publishes and checks the flag. If a wake-up can be lost, the
//!   consumer sleeps forever and loom reports the deadlock. The same invariant checked without
//!   blocking: a consumer that decides to sleep is always signalled, and only then.
//! - The same with a deferred (watermark) wake-up and a flush.
//! - The space-free handshake, the mirror image, with a producer that sleeps when it dropped.
//! - Teardown (rule 7): a poisoned ring wakes and closes the consumer.
//! - Index arithmetic and gap accounting while both sides run, across the slot wrap-around
//!   with drops: every sequence number is received or reported missed, in order.
//! - Deliberately weakened handshakes (`AcqRel` fences instead of `SeqCst`; no re-check after
//!   flagging) must make the model fail: `#[should_panic]`, proving it catches a lost wake-up
//!   (or space-free signal). These fail by assertion rather than deadlock, because loom aborts
//!   the whole process when it unwinds out of a deadlock.

#![cfg(loom)]

use core::time::Duration;

use evshare_ring::layout::PAYLOAD_LEN;
use evshare_ring::{
    Consumer, Entry, Fault, Item, Producer, Region, SpinPolicy, WaitDecision, WaitStatus, Waiter,
    WakePolicy,
};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

const CAPACITY: u32 = 16;

/// An auto-reset event made of loom's mutex and condition variable; waits have no timeout, so
/// a lost wake-up is a deadlock loom reports.
struct Event {
    signalled: Mutex<bool>,
    condvar: Condvar,
}

impl Event {
    fn new() -> Arc<Event> {
        Arc::new(Event {
            signalled: Mutex::new(false),
            condvar: Condvar::new(),
        })
    }

    fn set(&self) {
        *self.signalled.lock().unwrap() = true;
        self.condvar.notify_one();
    }
}

impl Waiter for Event {
    fn wait(&self, _timeout: Option<Duration>) -> WaitStatus {
        let mut signalled = self.signalled.lock().unwrap();
        while !*signalled {
            signalled = self.condvar.wait(signalled).unwrap();
        }
        *signalled = false;
        WaitStatus::Signalled
    }
}

fn entry(seq: u64) -> Entry {
    Entry {
        timestamp: seq,
        payload: [seq as u8; PAYLOAD_LEN],
    }
}

/// Runs `model` under loom with a preemption bound of 5 unless `LOOM_MAX_PREEMPTIONS` says
/// otherwise: the whole file takes ~30 s on two cores (3: ~1 s, 4: ~5 s; 6 passes too, in a
/// few minutes). A lost wake-up in this crate's first, swap-based flag showed at bound 6, not 3.
fn check(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(5);
    }
    builder.check(model);
}

/// A ring whose consumer never spins (it flags itself waiting as soon as it is empty: the
/// handshake is exercised on every empty poll).
fn ring(fault: Fault, policy: WakePolicy) -> (Producer, Consumer) {
    let region = Region::model(CAPACITY, fault);
    let mut consumer = Consumer::initialize(region.clone(), CAPACITY).unwrap();
    consumer.set_spin_policy(SpinPolicy::NEVER);
    let producer = Producer::attach(region, CAPACITY, policy).unwrap();
    (producer, consumer)
}

/// Consumes until `total` sequence numbers are accounted for (or the ring closes), sleeping
/// on `data_ready` whenever there is nothing; checks order and contents. Returns
/// `(received, missed)`.
fn consume(consumer: &mut Consumer, data_ready: &Event, total: u64) -> (u64, u64) {
    let mut next_seq = 0;
    let (mut received, mut missed) = (0, 0);
    while next_seq < total {
        let batch = consumer
            .poll(u32::MAX, |item| match item {
                Item::Record(record) => {
                    assert_eq!(record.seq, next_seq);
                    assert_eq!(record.payload, [next_seq as u8; PAYLOAD_LEN]);
                    next_seq += 1;
                    received += 1;
                }
                Item::Missed { first_seq, count } => {
                    assert_eq!(first_seq, next_seq);
                    next_seq += count;
                    missed += count;
                }
            })
            .unwrap();
        if batch.closed {
            break;
        }
        if batch.records == 0 && batch.missed == 0 {
            let _ = consumer.wait(data_ready, None);
        }
    }
    (received, missed)
}

/// One record; a consumer that sleeps (blocks on the event, no timeout) whenever the ring is
/// empty. It must always wake: a lost wake-up is a deadlock, which loom reports.
#[test]
fn a_sleeping_consumer_always_wakes() {
    check(|| {
        let (mut producer, mut consumer) = ring(Fault::None, WakePolicy::IMMEDIATE);
        let data_ready = Event::new();
        let producing = {
            let data_ready = data_ready.clone();
            thread::spawn(move || {
                let _ = producer.produce(entry(0), || data_ready.set());
            })
        };
        assert_eq!(consume(&mut consumer, &data_ready, 1), (1, 0));
        producing.join().unwrap();
    });
}

/// The handshake's invariant, checked once without blocking (a weakened model must fail by an
/// assertion, not a deadlock: loom aborts the process when it unwinds out of a deadlock): one
/// record; a consumer that finds the ring empty and decides to sleep must be signalled.
fn a_consumer_that_decides_to_sleep_is_signalled(fault: Fault) {
    check(move || {
        let (mut producer, mut consumer) = ring(fault, WakePolicy::IMMEDIATE);
        let producing = thread::spawn(move || producer.produce(entry(0), || {}).wakeups);
        let flagged = consumer.poll(u32::MAX, |_| {}).unwrap().records == 0;
        let sleeps = flagged && consumer.prepare_wait() == WaitDecision::Sleep;
        let signalled = producing.join().unwrap() == 1;
        assert!(
            !sleeps || signalled,
            "lost wake-up: the consumer sleeps, no signal comes"
        );
        // No signal unless the consumer flagged itself (rule 6). It may get one it no longer
        // needs, when its re-check found the record while the producer took the flag: that
        // stale signal only ends its next wait early.
        assert!(
            flagged || !signalled,
            "a signal for a consumer that never flagged itself"
        );
    });
}

#[test]
fn the_handshake_never_loses_a_wake_up() {
    a_consumer_that_decides_to_sleep_is_signalled(Fault::None);
}

#[test]
#[should_panic(expected = "lost wake-up")]
fn weakened_fences_lose_a_wake_up_and_the_model_says_so() {
    a_consumer_that_decides_to_sleep_is_signalled(Fault::WeakFences);
}

#[test]
#[should_panic(expected = "lost wake-up")]
fn skipping_the_recheck_loses_a_wake_up_and_the_model_says_so() {
    a_consumer_that_decides_to_sleep_is_signalled(Fault::NoRecheck);
}

#[test]
fn a_deferred_wake_up_is_delivered_by_the_watermark_or_the_flush() {
    check(|| {
        let (mut producer, mut consumer) = ring(Fault::None, WakePolicy::deferred(2, u64::MAX));
        let data_ready = Event::new();
        let producing = {
            let data_ready = data_ready.clone();
            thread::spawn(move || {
                // The first record is below the watermark; the second reaches it.
                let _ = producer.produce(entry(0), || data_ready.set());
                let _ = producer.produce(entry(1), || data_ready.set());
                // Then one below the watermark that only the batch's end delivers.
                let _ = producer.produce(entry(2), || data_ready.set());
                let _ = producer.flush_wake(|| data_ready.set());
            })
        };
        assert_eq!(consume(&mut consumer, &data_ready, 3), (3, 0));
        producing.join().unwrap();
    });
}

/// A full ring, a producer that drops and then sleeps until space is signalled (a user-mode
/// producer could; the driver never sleeps), and a consumer that frees space once: the
/// producer always wakes (else loom reports the deadlock).
#[test]
fn a_producer_waiting_for_space_always_wakes() {
    check(|| {
        let (mut producer, mut consumer) = ring(Fault::None, WakePolicy::IMMEDIATE);
        let report = producer.produce_batch(CAPACITY, entry, || {});
        assert_eq!(report.written, CAPACITY);
        let space_free = Event::new();
        let consuming = {
            let space_free = space_free.clone();
            thread::spawn(move || {
                let batch = consumer.poll(u32::MAX, |_| {}).unwrap();
                assert_eq!(batch.records, CAPACITY);
                if batch.signal_space_free {
                    space_free.set();
                }
            })
        };
        if producer.produce(entry(16), || {}).dropped == 1 {
            let _ = space_free.wait(None);
            assert_eq!(producer.produce(entry(17), || {}).written, 1);
        }
        consuming.join().unwrap();
    });
}

/// The space-free invariant without blocking: if the producer dropped after asking for space
/// (its re-check still found the ring full), the consumer that freed space must signal it.
fn a_producer_that_asked_for_space_is_signalled(fault: Fault) {
    check(move || {
        let (mut producer, mut consumer) = ring(fault, WakePolicy::IMMEDIATE);
        let _ = producer.produce_batch(CAPACITY, entry, || {});
        let consuming =
            thread::spawn(move || consumer.poll(u32::MAX, |_| {}).unwrap().signal_space_free);
        let asked = producer.produce(entry(16), || {}).dropped == 1;
        let signalled = consuming.join().unwrap();
        assert!(
            !asked || signalled,
            "lost space-free signal: the producer asked, no signal"
        );
    });
}

#[test]
fn the_space_free_handshake_never_loses_a_signal() {
    a_producer_that_asked_for_space_is_signalled(Fault::None);
}

#[test]
#[should_panic(expected = "lost space-free signal")]
fn weakened_fences_lose_a_space_free_signal_and_the_model_says_so() {
    a_producer_that_asked_for_space_is_signalled(Fault::WeakFences);
}

#[test]
fn poison_wakes_and_closes_a_sleeping_consumer() {
    check(|| {
        let (mut producer, mut consumer) = ring(Fault::None, WakePolicy::IMMEDIATE);
        let data_ready = Event::new();
        let producing = {
            let data_ready = data_ready.clone();
            thread::spawn(move || {
                let _ = producer.produce(entry(0), || data_ready.set());
                let stats = producer.poison(|| data_ready.set());
                assert_eq!(stats.produced, 1);
            })
        };
        // Asks for more than will ever come: only the poison ends the loop.
        assert_eq!(consume(&mut consumer, &data_ready, u64::MAX), (1, 0));
        assert!(consumer.poll(1, |_| {}).unwrap().closed);
        producing.join().unwrap();
    });
}

#[test]
fn indices_wrap_and_gaps_add_up_while_both_sides_run() {
    check(|| {
        let (mut producer, mut consumer) = ring(Fault::None, WakePolicy::IMMEDIATE);
        // 15 of 16 slots full, the next write at slot 15, then 0, 1 (the wrap).
        let report = producer.produce_batch(15, entry, || {});
        assert_eq!(report.written, 15);
        let data_ready = Event::new();
        let producing = {
            let data_ready = data_ready.clone();
            thread::spawn(move || {
                let report = producer.produce_batch(3, entry, || data_ready.set());
                assert_eq!(report.written + report.dropped, 3);
                producer.poison(|| data_ready.set())
            })
        };
        let (received, missed) = consume(&mut consumer, &data_ready, u64::MAX);
        let stats = producing.join().unwrap();
        assert_eq!(received + missed, 18);
        assert_eq!((received, missed), (stats.produced, stats.dropped));
    });
}

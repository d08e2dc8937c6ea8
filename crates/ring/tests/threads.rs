//! A producer thread and a consumer thread on real events: every record arrives once, in
//! order and intact, every loss is reported, and no wake-up is lost (a consumer that slept
//! through its whole timeout would show up as a timeout).

#![cfg(not(loom))]

mod support;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use evshare_ring::inprocess::{ring, AutoResetEvent};
use evshare_ring::{Item, Readiness, SpinPolicy, WaitStatus, Waiter, WakePolicy};
use support::{entry_for, is_intact, Rng};

const RECORDS: u64 = 60_000;
/// Long enough that only a lost wake-up can reach it.
const TIMEOUT: Duration = Duration::from_secs(20);

fn run(capacity: u32, spin: SpinPolicy, policy: WakePolicy, seed: u64) {
    let (mut producer, mut consumer) = ring(capacity, policy).unwrap();
    consumer.set_spin_policy(spin);
    let data_ready = Arc::new(AutoResetEvent::new());
    let space_free = Arc::new(AutoResetEvent::new());

    let producing = {
        let data_ready = Arc::clone(&data_ready);
        let space_free = Arc::clone(&space_free);
        thread::spawn(move || {
            let mut rng = Rng(seed);
            let mut attempts = 0_u64;
            while attempts < RECORDS {
                let count = (rng.below(48) + 1).min(RECORDS - attempts) as u32;
                let report = producer.produce_batch(count, entry_for, || data_ready.set());
                attempts += u64::from(count);
                if rng.below(4) == 0 {
                    let _ = producer.flush_wake(|| data_ready.set());
                }
                if report.dropped > 0 {
                    // A user-mode producer may wait for room; the driver never does.
                    let _ = space_free.wait(Some(Duration::from_millis(1)));
                } else if rng.below(16) == 0 {
                    thread::yield_now();
                }
            }
            let _ = producer.flush_wake(|| data_ready.set());
            producer.poison(|| {
                data_ready.set();
                space_free.set();
            })
        })
    };

    let mut next_seq = 0_u64;
    let mut received = 0_u64;
    let mut missed = 0_u64;
    loop {
        let batch = consumer
            .poll(256, |item| match item {
                Item::Record(record) => {
                    assert_eq!(record.seq, next_seq, "out of order or unreported loss");
                    assert!(is_intact(record), "torn record {record:?}");
                    next_seq += 1;
                    received += 1;
                }
                Item::Missed { first_seq, count } => {
                    assert_eq!(first_seq, next_seq, "a miss reported away from its place");
                    assert!(count > 0);
                    next_seq += count;
                    missed += count;
                }
            })
            .unwrap();
        if batch.signal_space_free {
            space_free.set();
        }
        if batch.closed {
            break;
        }
        if batch.records == 0 && batch.missed == 0 {
            assert_eq!(consumer.wait(&*data_ready, Some(TIMEOUT)), Readiness::Ready);
        }
    }
    let stats = producing.join().unwrap();
    assert_eq!(received + missed, RECORDS);
    assert_eq!((received, missed), (stats.produced, stats.dropped));
    let consumer_stats = consumer.stats();
    assert_eq!(consumer_stats.timeouts, 0, "a wake-up was lost");
    assert_eq!(stats.corrupt, 0);
    // The event was set exactly for each wake-up and for the teardown.
    assert_eq!(data_ready.sets(), stats.wakeups + 1);
}

#[test]
fn ping_pong_regime_never_spins() {
    run(16, SpinPolicy::NEVER, WakePolicy::IMMEDIATE, 1);
}

#[test]
fn adaptive_spin_immediate_wake() {
    run(64, SpinPolicy::DEFAULT, WakePolicy::IMMEDIATE, 2);
}

#[test]
fn watermark_without_deadline() {
    run(16, SpinPolicy::NEVER, WakePolicy::deferred(8, u64::MAX), 3);
}

#[test]
fn watermark_with_deadline_and_spin() {
    run(
        256,
        SpinPolicy {
            min_polls: 1,
            max_polls: 64,
        },
        WakePolicy::deferred(32, 500),
        4,
    );
}

#[test]
fn a_waiter_times_out_when_nothing_comes() {
    let (_producer, mut consumer) = ring(16, WakePolicy::IMMEDIATE).unwrap();
    consumer.set_spin_policy(SpinPolicy {
        min_polls: 2,
        max_polls: 8,
    });
    let event = AutoResetEvent::new();
    assert_eq!(
        consumer.wait(&event, Some(Duration::from_millis(5))),
        Readiness::TimedOut
    );
    assert_eq!(consumer.stats().timeouts, 1);
    // A stale signal ends the next wait at once: the caller polls and finds nothing.
    event.set();
    assert_eq!(event.wait(Some(Duration::ZERO)), WaitStatus::Signalled);
}

//! The ring's behaviour, one thread, step by step: drops, gaps, totals, teardown, wake-ups and
//! space-free requests.

#![cfg(not(loom))]

mod support;

use evshare_ring::inprocess::{ring, Attached};
use evshare_ring::layout::offsets;
use evshare_ring::{Consumer, Producer, WaitDecision, WakePolicy};
use support::{entry_for, is_intact, Seen};

const CAPACITY: u32 = 16;

/// Produces `count` records with `entry_for`, counting the signals.
fn produce(producer: &mut Producer, count: u32) -> (u32, u32, u32) {
    let mut signals = 0;
    let report = producer.produce_batch(count, entry_for, || signals += 1);
    assert_eq!(report.wakeups, signals);
    (report.written, report.dropped, signals)
}

fn poll(consumer: &mut Consumer, max: u32) -> (Vec<Seen>, evshare_ring::Batch) {
    let mut seen = Vec::new();
    let batch = consumer
        .poll(max, |item| seen.push(Seen::of(item)))
        .unwrap();
    (seen, batch)
}

fn records(seqs: std::ops::Range<u64>) -> impl Iterator<Item = Seen> {
    seqs.map(|seq| {
        let entry = entry_for(seq);
        Seen::Record(evshare_ring::Record {
            seq,
            timestamp: entry.timestamp,
            payload: entry.payload,
        })
    })
}

fn pair(policy: WakePolicy) -> (Attached<Producer>, Attached<Consumer>) {
    ring(CAPACITY, policy).unwrap()
}

#[test]
fn records_arrive_in_order_and_intact() {
    let (mut producer, mut consumer) = pair(WakePolicy::IMMEDIATE);
    assert_eq!(produce(&mut producer, 10), (10, 0, 0));
    let (seen, batch) = poll(&mut consumer, 100);
    assert_eq!(seen, records(0..10).collect::<Vec<_>>());
    assert_eq!(batch.records, 10);
    assert!(seen
        .iter()
        .all(|item| matches!(item, Seen::Record(r) if is_intact(r))));
    // Published once per batch.
    assert_eq!(producer.memory().load_u64(offsets::READ), 10);
}

#[test]
fn a_full_ring_drops_the_newest_and_the_sequence_advances() {
    let (mut producer, mut consumer) = pair(WakePolicy::IMMEDIATE);
    assert_eq!(produce(&mut producer, 20), (16, 4, 0));
    let stats = producer.stats();
    assert_eq!((stats.produced, stats.dropped, stats.corrupt), (16, 4, 0));
    let totals = consumer.published_totals();
    assert_eq!((totals.produced, totals.dropped), (16, 4));

    let (seen, _) = poll(&mut consumer, 100);
    assert_eq!(seen, records(0..16).collect::<Vec<_>>());
    // Caught up: the drops after the last record are reported where they happened.
    let (seen, batch) = poll(&mut consumer, 100);
    assert_eq!(
        seen,
        vec![Seen::Missed {
            first_seq: 16,
            count: 4
        }]
    );
    assert_eq!(batch.missed, 4);
    // The next record carries seq 20.
    assert_eq!(produce(&mut producer, 1), (1, 0, 0));
    let (seen, _) = poll(&mut consumer, 100);
    assert_eq!(seen, records(20..21).collect::<Vec<_>>());
    let stats = consumer.stats();
    assert_eq!((stats.received, stats.missed), (17, 4));
}

#[test]
fn a_gap_is_reported_before_the_record_that_follows_it() {
    let (mut producer, mut consumer) = pair(WakePolicy::IMMEDIATE);
    assert_eq!(produce(&mut producer, 19), (16, 3, 0)); // seq 16..19 dropped
    let (seen, _) = poll(&mut consumer, 8);
    assert_eq!(seen, records(0..8).collect::<Vec<_>>());
    assert_eq!(produce(&mut producer, 1), (1, 0, 0)); // seq 19
    let (seen, batch) = poll(&mut consumer, 100);
    let mut expected: Vec<_> = records(8..16).collect();
    expected.push(Seen::Missed {
        first_seq: 16,
        count: 3,
    });
    expected.extend(records(19..20));
    assert_eq!(seen, expected);
    assert_eq!((batch.records, batch.missed), (9, 3));
    // Nothing more to report.
    let (seen, batch) = poll(&mut consumer, 100);
    assert!(seen.is_empty() && !batch.closed);
}

#[test]
fn poll_max_zero_yields_nothing_and_does_not_close() {
    let (mut producer, mut consumer) = pair(WakePolicy::IMMEDIATE);
    assert_eq!(produce(&mut producer, 2), (2, 0, 0));
    let stats = producer.poison(|| {});
    assert_eq!(stats.produced, 2);
    let (seen, batch) = poll(&mut consumer, 0);
    assert!(seen.is_empty() && !batch.closed);
    let (seen, batch) = poll(&mut consumer, 100);
    assert_eq!(seen.len(), 2);
    assert!(!batch.closed);
    let (_, batch) = poll(&mut consumer, 100);
    assert!(batch.closed);
}

#[test]
fn poison_drains_then_closes_with_the_final_gap() {
    let (mut producer, mut consumer) = pair(WakePolicy::IMMEDIATE);
    assert_eq!(produce(&mut producer, 18), (16, 2, 0));
    let mut sets = 0;
    let stats = producer.poison(|| sets += 1);
    assert_eq!(sets, 1, "poison sets both events, through one call");
    assert_eq!((stats.produced, stats.dropped), (16, 2));
    assert_eq!(consumer.prepare_wait(), WaitDecision::DataAvailable);
    let (seen, batch) = poll(&mut consumer, 100);
    assert_eq!(seen.len(), 16);
    assert!(!batch.closed);
    let (seen, batch) = poll(&mut consumer, 100);
    assert_eq!(
        seen,
        vec![Seen::Missed {
            first_seq: 16,
            count: 2
        }]
    );
    assert!(batch.closed);
    // Closed stays closed, and never asks to sleep.
    let (seen, batch) = poll(&mut consumer, 100);
    assert!(seen.is_empty() && batch.closed);
    assert_eq!(consumer.prepare_wait(), WaitDecision::DataAvailable);
    let stats = consumer.stats();
    assert_eq!(stats.received + stats.missed, 18);
}

#[test]
fn a_waiting_consumer_is_woken_once_per_wait() {
    let (mut producer, mut consumer) = pair(WakePolicy::IMMEDIATE);
    // Not waiting: no signal.
    assert_eq!(produce(&mut producer, 1), (1, 0, 0));
    assert_eq!(consumer.prepare_wait(), WaitDecision::DataAvailable);
    let _ = poll(&mut consumer, 100);
    assert_eq!(consumer.prepare_wait(), WaitDecision::Sleep);
    let token = producer.memory().load_u32(offsets::CONSUMER_WAITING);
    assert_ne!(token, 0);
    assert_eq!(produce(&mut producer, 1), (1, 0, 1));
    // This wait was answered: more records send no more signals until the consumer waits
    // again, and the producer never writes the consumer's flag.
    assert_eq!(produce(&mut producer, 3), (3, 0, 0));
    assert_eq!(producer.memory().load_u32(offsets::CONSUMER_WAITING), token);
    consumer.finish_wait();
    assert_eq!(producer.stats().wakeups, 1);
    assert_eq!(producer.memory().load_u32(offsets::CONSUMER_WAITING), 0);
    let _ = poll(&mut consumer, 100);
    assert_eq!(consumer.prepare_wait(), WaitDecision::Sleep);
    assert_eq!(produce(&mut producer, 1), (1, 0, 1));
}

#[test]
fn finish_wait_after_a_timeout_withdraws_the_flag() {
    let (mut producer, mut consumer) = pair(WakePolicy::IMMEDIATE);
    assert_eq!(consumer.prepare_wait(), WaitDecision::Sleep);
    consumer.finish_wait();
    assert_eq!(produce(&mut producer, 1), (1, 0, 0));
}

#[test]
fn the_watermark_defers_a_wake_up_until_enough_is_unread() {
    let (mut producer, mut consumer) = pair(WakePolicy::deferred(4, u64::MAX));
    assert_eq!(consumer.prepare_wait(), WaitDecision::Sleep);
    for _ in 0..3 {
        assert_eq!(produce(&mut producer, 1), (1, 0, 0));
    }
    assert_eq!(produce(&mut producer, 1), (1, 0, 1));
    // A batch end flushes an owed wake-up even below the watermark.
    consumer.finish_wait();
    let _ = poll(&mut consumer, 100);
    assert_eq!(consumer.prepare_wait(), WaitDecision::Sleep);
    assert_eq!(produce(&mut producer, 2), (2, 0, 0));
    let mut signals = 0;
    assert!(producer.flush_wake(|| signals += 1));
    assert_eq!(signals, 1);
    // Nothing owed any more.
    assert!(!producer.flush_wake(|| signals += 1));
}

#[test]
fn a_deferred_wake_up_is_sent_when_its_deadline_passes() {
    // Timestamps are seq * 10; a wake-up may wait 25 ticks.
    let (mut producer, mut consumer) = pair(WakePolicy::deferred(8, 25));
    assert_eq!(consumer.prepare_wait(), WaitDecision::Sleep);
    assert_eq!(produce(&mut producer, 1), (1, 0, 0)); // seq 0 at t=0: owed since 0
    let mut signals = 0;
    assert!(!producer.wake_if_due(20, || signals += 1));
    assert!(producer.wake_if_due(25, || signals += 1));
    assert_eq!(signals, 1);
    // Or the next record's timestamp says the deadline passed.
    consumer.finish_wait();
    let _ = poll(&mut consumer, 100);
    assert_eq!(consumer.prepare_wait(), WaitDecision::Sleep);
    assert_eq!(produce(&mut producer, 2), (2, 0, 0)); // seq 1, 2: owed since t=10
    assert_eq!(produce(&mut producer, 1), (1, 0, 0)); // seq 3 at t=30: 20 ticks
    assert_eq!(produce(&mut producer, 1), (1, 0, 1)); // seq 4 at t=40: 30 ticks
}

#[test]
fn a_drop_wakes_a_waiting_consumer_at_once() {
    let (mut producer, mut consumer) = pair(WakePolicy::deferred(16, u64::MAX));
    assert_eq!(produce(&mut producer, 16), (16, 0, 0));
    // A consumer that flags itself waiting with the ring full is told to poll instead...
    assert_eq!(consumer.prepare_wait(), WaitDecision::DataAvailable);
    // ...but one that insists (stale flag) is woken by the drop.
    producer.memory().store_u32(offsets::CONSUMER_WAITING, 1);
    assert_eq!(produce(&mut producer, 1), (0, 1, 1));
}

#[test]
fn a_full_producer_asks_for_space_and_the_consumer_signals_it_once() {
    let (mut producer, mut consumer) = pair(WakePolicy::IMMEDIATE);
    assert_eq!(produce(&mut producer, 17), (16, 1, 0));
    assert_eq!(consumer.region().snapshot().producer_waiting, 1);
    assert_eq!(producer.stats().space_free_requests, 1);
    let (_, batch) = poll(&mut consumer, 4);
    assert!(batch.signal_space_free);
    // Each request is answered once.
    let (_, batch) = poll(&mut consumer, 4);
    assert!(!batch.signal_space_free);
    assert_eq!(consumer.stats().space_free_signals, 1);
    // Seeing space again, the producer withdraws its request.
    assert_eq!(produce(&mut producer, 8), (8, 0, 0));
    assert_eq!(consumer.region().snapshot().producer_waiting, 0);
    // A new request has a new token, and is answered again.
    assert_eq!(produce(&mut producer, 1), (0, 1, 0));
    assert_eq!(consumer.region().snapshot().producer_waiting, 2);
    let (_, batch) = poll(&mut consumer, 1);
    assert!(batch.signal_space_free);
}

#[test]
fn a_long_batch_is_published_in_rounds() {
    // 100 records into a 1024-record ring while the consumer reads: the consumer sees the
    // first round before the batch ends (checked through `next`, which runs mid-batch).
    let (mut producer, consumer) = ring(1024, WakePolicy::IMMEDIATE).unwrap();
    let memory = producer.memory().clone();
    let mut seen_write_mid_batch = 0;
    let report = producer.produce_batch(
        100,
        |seq| {
            if seq == 80 {
                seen_write_mid_batch = memory.load_u64(offsets::WRITE);
            }
            entry_for(seq)
        },
        || {},
    );
    assert_eq!((report.written, report.dropped), (100, 0));
    assert_eq!(seen_write_mid_batch, 64);
    assert_eq!(consumer.published_totals().produced, 100);
}

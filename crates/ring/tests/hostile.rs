//! A hostile or buggy app scribbling on the header while the driver produces: the producer
//! keeps running, never panics, writes only inside the region (the guard bytes after it stay
//! intact), counts the corruption, and keeps its own indices, capacity and totals.

#![cfg(not(loom))]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use evshare_ring::inprocess::{ring, SharedMemory};
use evshare_ring::layout::{offsets, required_len, HEADER_LEN, RECORD_SIZE};
use evshare_ring::{Producer, WakePolicy};
use support::{entry_for, Rng};

const CAPACITY: u32 = 16;

fn attempt(producer: &mut Producer, count: u32) -> (u32, u32) {
    let report = producer.produce_batch(count, entry_for, || {});
    (report.written, report.dropped)
}

#[test]
fn a_consumer_index_ahead_of_the_producer_is_corrupt_and_everything_drops() {
    let (mut producer, _consumer) = ring(CAPACITY, WakePolicy::IMMEDIATE).unwrap();
    let memory = producer.memory().clone();
    assert_eq!(attempt(&mut producer, 4), (4, 0));
    memory.store_u64(offsets::READ, 9); // 5 ahead of write = 4
    assert_eq!(attempt(&mut producer, 10), (0, 10));
    let stats = producer.stats();
    assert_eq!((stats.produced, stats.dropped), (4, 10));
    // One bad read per round, and one more for the space-free re-check.
    assert_eq!(stats.corrupt, 20);
    assert_eq!(memory.load_u64(offsets::CORRUPT), 20);
    assert!(memory.guard_intact());
    // The app puts it right: production resumes where the producer's own index says.
    memory.store_u64(offsets::READ, 4);
    assert_eq!(attempt(&mut producer, 3), (3, 0));
    assert_eq!(memory.load_u64(offsets::WRITE), 7);
}

#[test]
fn a_consumer_index_more_than_a_capacity_behind_is_corrupt() {
    let (mut producer, _consumer) = ring(CAPACITY, WakePolicy::IMMEDIATE).unwrap();
    let memory = producer.memory().clone();
    assert_eq!(attempt(&mut producer, 2), (2, 0));
    // write = 2, read = 2 - 17 (wrapping): 17 used in a 16-record ring.
    memory.store_u64(offsets::READ, 2_u64.wrapping_sub(17));
    assert_eq!(attempt(&mut producer, 1), (0, 1));
    assert!(producer.stats().corrupt >= 1);
    // Exactly a capacity behind is merely full, not corrupt.
    let corrupt = producer.stats().corrupt;
    memory.store_u64(offsets::READ, 2_u64.wrapping_sub(16));
    assert_eq!(attempt(&mut producer, 1), (0, 1));
    assert_eq!(producer.stats().corrupt, corrupt);
    assert!(memory.guard_intact());
}

#[test]
fn random_consumer_indices_never_break_the_producer() {
    let (mut producer, _consumer) = ring(CAPACITY, WakePolicy::IMMEDIATE).unwrap();
    let memory = producer.memory().clone();
    let mut rng = Rng(0x5EED_0001);
    let mut attempts = 0_u64;
    for round in 0..20_000 {
        let read = match round % 4 {
            0 => rng.next(),
            1 => memory.load_u64(offsets::WRITE).wrapping_sub(rng.below(40)),
            2 => memory.load_u64(offsets::WRITE).wrapping_add(rng.below(40)),
            _ => u64::MAX - rng.below(3),
        };
        memory.store_u64(offsets::READ, read);
        let count = rng.below(70) as u32 + 1;
        let (written, dropped) = attempt(&mut producer, count);
        assert_eq!(written + dropped, count);
        attempts += u64::from(count);
    }
    let stats = producer.stats();
    assert_eq!(stats.produced + stats.dropped, attempts);
    assert!(stats.corrupt > 0 && stats.produced > 0 && stats.dropped > 0);
    assert_eq!(memory.load_u64(offsets::PRODUCED), stats.produced);
    assert_eq!(memory.load_u64(offsets::DROPPED), stats.dropped);
    assert!(memory.guard_intact());
}

#[test]
fn identity_fields_changed_after_attach_change_nothing() {
    let (mut producer, mut consumer) = ring(CAPACITY, WakePolicy::IMMEDIATE).unwrap();
    let memory = producer.memory().clone();
    memory.store_u64(offsets::MAGIC, 0xDEAD_BEEF);
    memory.store_u32(offsets::CAPACITY, u32::MAX);
    memory.store_u32(offsets::VERSION, 77);
    memory.store_u32(offsets::RECORD_SIZE, 1);
    memory.store_u32(offsets::HEADER_LEN, 0);
    // Capacity and mask are the producer's own: 16 fit, the rest drop, nothing corrupt.
    assert_eq!(attempt(&mut producer, 40), (16, 24));
    assert_eq!(producer.stats().corrupt, 0);
    let mut records = 0;
    let batch = consumer
        .poll(100, |item| {
            if let evshare_ring::Item::Record(record) = item {
                assert!(support::is_intact(record));
                records += 1;
            }
        })
        .unwrap();
    assert_eq!((batch.records, records), (16, 16));
    assert!(memory.guard_intact());
}

#[test]
fn producer_fields_scribbled_by_the_app_are_overwritten_not_believed() {
    let (mut producer, _consumer) = ring(CAPACITY, WakePolicy::IMMEDIATE).unwrap();
    let memory = producer.memory().clone();
    assert_eq!(attempt(&mut producer, 3), (3, 0));
    memory.store_u64(offsets::WRITE, 1_000_000);
    memory.store_u64(offsets::PRODUCED, 5);
    memory.store_u64(offsets::DROPPED, 99);
    assert_eq!(attempt(&mut producer, 2), (2, 0));
    assert_eq!(memory.load_u64(offsets::WRITE), 5);
    assert_eq!(memory.load_u64(offsets::PRODUCED), 5);
    assert_eq!(producer.stats().dropped, 0);
}

#[test]
fn a_waiting_flag_held_up_forever_is_signalled_once() {
    let (mut producer, _consumer) = ring(1024, WakePolicy::IMMEDIATE).unwrap();
    let memory = producer.memory().clone();
    memory.store_u32(offsets::CONSUMER_WAITING, 7);
    let mut signals = 0;
    for _ in 0..10 {
        let report = producer.produce_batch(200, entry_for, || signals += 1);
        assert_eq!(report.written, 200);
        memory.store_u64(offsets::READ, memory.load_u64(offsets::WRITE));
    }
    assert_eq!(signals, 1);
    // The producer never writes the consumer's line.
    assert_eq!(memory.load_u32(offsets::CONSUMER_WAITING), 7);
    assert!(memory.guard_intact());
}

#[test]
fn a_wait_token_changed_all_the_time_costs_at_most_one_signal_per_round() {
    let (mut producer, _consumer) = ring(1024, WakePolicy::IMMEDIATE).unwrap();
    let memory = producer.memory().clone();
    let mut signals = 0_u32;
    let mut token = 0_u32;
    for _ in 0..10 {
        let report = producer.produce_batch(
            200,
            |seq| {
                token += 1;
                memory.store_u32(offsets::CONSUMER_WAITING, token);
                entry_for(seq)
            },
            || signals += 1,
        );
        // 200 records are 4 rounds of at most 64.
        assert_eq!(report.wakeups, 4);
        memory.store_u64(offsets::READ, memory.load_u64(offsets::WRITE));
    }
    assert_eq!(signals, 40);
    assert!(memory.guard_intact());
}

#[test]
fn chaos_on_every_app_writable_field_while_producing() {
    let memory = SharedMemory::for_capacity(CAPACITY).unwrap();
    let _consumer = memory.initialize_consumer(CAPACITY).unwrap();
    let mut producer = memory
        .attach_producer(CAPACITY, WakePolicy::deferred(4, 100))
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let scribbler = {
        let memory = Arc::clone(&memory);
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut rng = Rng(0xC4A0_5EED);
            let mut writes = 0_u64;
            while !stop.load(Ordering::Relaxed) || writes < 10_000 {
                let value = rng.next();
                match rng.below(8) {
                    0 => memory.store_u64(offsets::READ, value),
                    1 => memory.store_u64(offsets::READ, memory.load_u64(offsets::WRITE)),
                    2 => memory.store_u32(offsets::CONSUMER_WAITING, value as u32 & 1),
                    3 => memory.store_u32(offsets::PRODUCER_WAITING, value as u32),
                    4 => memory.store_u32(offsets::CAPACITY, value as u32),
                    5 => memory.store_u64(offsets::MAGIC, value),
                    6 => memory.store_u64(offsets::WRITE, value),
                    _ => memory.store_u64(offsets::DROPPED, value),
                }
                writes += 1;
            }
        })
    };
    let mut rng = Rng(0xF00D);
    let mut attempts = 0_u64;
    let mut now = 0_u64;
    for _ in 0..50_000 {
        let count = rng.below(40) as u32 + 1;
        let report = producer.produce_batch(count, entry_for, || {});
        assert_eq!(report.written + report.dropped, count);
        attempts += u64::from(count);
        now += 7;
        let _ = producer.wake_if_due(now, || {});
        let _ = producer.flush_wake(|| {});
    }
    stop.store(true, Ordering::Relaxed);
    scribbler.join().unwrap();
    let stats = producer.stats();
    assert_eq!(stats.produced + stats.dropped, attempts);
    assert!(stats.corrupt > 0);
    assert!(memory.guard_intact(), "the producer wrote past the region");
    assert_eq!(memory.region_len(), required_len(CAPACITY).unwrap());
    assert_eq!(
        HEADER_LEN + CAPACITY as usize * RECORD_SIZE,
        memory.region_len()
    );
    let stats = producer.poison(|| {});
    assert_eq!(stats.produced + stats.dropped, attempts);
    assert!(memory.guard_intact());
}

//! Property tests of the gap accounting: random interleavings of produce and consume batches
//! against a model of which sequence numbers were written and which dropped. Every `Missed`
//! must be exactly a run of dropped records at its position, every record intact and in order,
//! and in the end `received + missed == attempts`, matching the published totals.

#![cfg(not(loom))]

mod support;

use std::collections::{BTreeSet, VecDeque};

use evshare_ring::inprocess::ring;
use evshare_ring::{WaitDecision, WakePolicy};
use proptest::prelude::*;
use support::{entry_for, is_intact, Seen};

#[derive(Clone, Debug)]
enum Op {
    Produce(u32),
    Consume(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1_u32..48).prop_map(Op::Produce),
        2 => (0_u32..40).prop_map(Op::Consume),
        1 => (40_u32..200).prop_map(Op::Produce),
    ]
}

/// What the ring should hold, kept by the test.
struct Model {
    capacity: usize,
    unread: VecDeque<u64>,
    dropped: BTreeSet<u64>,
    next_seq: u64,
    /// The next sequence number the consumer must account for (as a record or a miss).
    cursor: u64,
}

impl Model {
    /// A batch writes what fits and drops the newest rest.
    fn produce(&mut self, count: u32) -> (u32, u32) {
        let free = self.capacity - self.unread.len();
        let written = (count as usize).min(free) as u32;
        for _ in 0..written {
            self.unread.push_back(self.next_seq);
            self.next_seq += 1;
        }
        for _ in written..count {
            self.dropped.insert(self.next_seq);
            self.next_seq += 1;
        }
        (written, count - written)
    }

    /// What one poll of at most `max` must yield.
    fn consume(&mut self, max: u32) -> Vec<Seen> {
        let mut items = Vec::new();
        if self.unread.is_empty() {
            // Caught up: everything after the cursor was dropped; report it as one run.
            if self.next_seq > self.cursor {
                assert!((self.cursor..self.next_seq).all(|seq| self.dropped.contains(&seq)));
                items.push(Seen::Missed {
                    first_seq: self.cursor,
                    count: self.next_seq - self.cursor,
                });
                self.cursor = self.next_seq;
            }
            return items;
        }
        for _ in 0..max {
            let Some(seq) = self.unread.pop_front() else {
                break;
            };
            if seq > self.cursor {
                assert!((self.cursor..seq).all(|dropped| self.dropped.contains(&dropped)));
                items.push(Seen::Missed {
                    first_seq: self.cursor,
                    count: seq - self.cursor,
                });
            }
            let entry = entry_for(seq);
            items.push(Seen::Record(evshare_ring::Record {
                seq,
                timestamp: entry.timestamp,
                payload: entry.payload,
            }));
            self.cursor = seq + 1;
        }
        items
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_loss_is_reported_exactly_where_it_happened(
        capacity_log2 in 4_u32..7,
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        let capacity = 1_u32 << capacity_log2;
        let (mut producer, mut consumer) = ring(capacity, WakePolicy::IMMEDIATE).unwrap();
        let mut model = Model {
            capacity: capacity as usize,
            unread: VecDeque::new(),
            dropped: BTreeSet::new(),
            next_seq: 0,
            cursor: 0,
        };
        let mut attempts = 0_u64;
        let mut received = 0_u64;
        let mut missed = 0_u64;
        let mut check_poll = |consumer: &mut evshare_ring::inprocess::Attached<evshare_ring::Consumer>,
                              model: &mut Model,
                              max: u32|
         -> Result<(), TestCaseError> {
            let mut seen = Vec::new();
            let batch = consumer.poll(max, |item| seen.push(Seen::of(item))).unwrap();
            prop_assert_eq!(&seen, &model.consume(max));
            for item in &seen {
                match item {
                    Seen::Record(record) => {
                        prop_assert!(is_intact(record));
                        received += 1;
                    }
                    Seen::Missed { count, .. } => missed += count,
                }
            }
            prop_assert!(!batch.closed);
            Ok(())
        };
        for op in ops {
            match op {
                Op::Produce(count) => {
                    let report = producer.produce_batch(count, entry_for, || {});
                    prop_assert_eq!((report.written, report.dropped), model.produce(count));
                    attempts += u64::from(count);
                }
                Op::Consume(max) => check_poll(&mut consumer, &mut model, max)?,
            }
        }
        // Drain: at most one poll for the records and one for a tail gap.
        check_poll(&mut consumer, &mut model, u32::MAX)?;
        check_poll(&mut consumer, &mut model, u32::MAX)?;
        prop_assert_eq!(received + missed, attempts);
        let stats = consumer.stats();
        prop_assert_eq!((stats.received, stats.missed), (received, missed));
        let totals = consumer.published_totals();
        prop_assert_eq!(totals.produced, received);
        prop_assert_eq!(totals.dropped, missed);
        prop_assert_eq!(missed, model.dropped.len() as u64);
    }

    /// A sleeping consumer is signalled exactly once, as soon as the watermark is reached (or a
    /// drop happens, or the batch is flushed), and never while it is awake.
    #[test]
    fn a_sleeping_consumer_is_signalled_once_when_the_policy_says(
        watermark in 1_u32..20,
        ops in proptest::collection::vec((0_u8..4, 1_u32..24), 1..80),
    ) {
        let capacity = 16_u32;
        let (mut producer, mut consumer) =
            ring(capacity, WakePolicy::deferred(watermark, u64::MAX)).unwrap();
        let watermark = watermark.min(capacity) as u64;
        let mut sleeping = false;
        let mut signalled_this_sleep = 0;
        for (kind, count) in ops {
            match kind {
                0 | 1 => {
                    let before = producer.memory().load_u64(evshare_ring::layout::offsets::WRITE)
                        - producer.memory().load_u64(evshare_ring::layout::offsets::READ);
                    let mut signals = 0;
                    let report = producer.produce_batch(count, entry_for, || signals += 1);
                    let unread = before + u64::from(report.written);
                    if !sleeping {
                        prop_assert_eq!(signals, 0);
                    } else if signalled_this_sleep == 0
                        && (unread >= watermark || report.dropped > 0)
                    {
                        prop_assert_eq!(signals, 1, "due: unread {} dropped {}", unread, report.dropped);
                    } else {
                        prop_assert!(signals <= 1 - signalled_this_sleep.min(1));
                    }
                    signalled_this_sleep += signals;
                }
                2 => {
                    // Wake (signalled or timed out) and drain, then try to sleep again.
                    if sleeping {
                        consumer.finish_wait();
                        sleeping = false;
                    }
                    let _ = consumer.poll(u32::MAX, |_| {}).unwrap();
                    let _ = consumer.poll(u32::MAX, |_| {}).unwrap();
                    if consumer.prepare_wait() == WaitDecision::Sleep {
                        sleeping = true;
                        signalled_this_sleep = 0;
                    }
                }
                _ => {
                    let mut signals = 0;
                    producer.flush_wake(|| signals += 1);
                    let unread = producer.memory().load_u64(evshare_ring::layout::offsets::WRITE)
                        - producer.memory().load_u64(evshare_ring::layout::offsets::READ);
                    if sleeping && signalled_this_sleep == 0 && unread > 0 {
                        prop_assert_eq!(signals, 1);
                    }
                    if !sleeping {
                        prop_assert_eq!(signals, 0);
                    }
                    signalled_this_sleep += signals;
                }
            }
            prop_assert!(signalled_this_sleep <= 1);
        }
    }
}

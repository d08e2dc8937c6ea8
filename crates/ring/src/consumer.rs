//! The consumer: the app's side of the ring (the client library and the benchmarks use it).
//!
//! It yields records in order and reports every loss exactly, where it happened: the producer's
//! sequence counter also advances on drops, so a record whose `seq` is ahead of the next one
//! expected is preceded by [`Item::Missed`] for the gap. Drops after the last record written
//! are reported once the consumer has caught up (from the published `dropped` total), so that
//! at any quiet moment `received + missed == produced + dropped`.
//!
//! Waiting is split so the caller can block on a real event: [`Consumer::prepare_wait`] flags
//! the consumer waiting, fences and re-checks (SPEC rule 6), [`Consumer::finish_wait`] clears
//! the flag. [`Consumer::wait`] does the whole dance with a bounded, adaptive spin first
//! (rule 8) and a timeout, so it never spins or sleeps forever.

use core::time::Duration;

use crate::error::RingError;
use crate::layout::RING_VERSION;
use crate::layout::{required_len, Record, HEADER_LEN, MAGIC, POISONED, RECORD_SIZE};
use crate::region::Region;
use crate::spin::{AdaptiveSpin, SpinPolicy, PAUSES_PER_POLL};
use crate::sync::{spin_hint, Ordering};
use crate::wait::{Readiness, WaitDecision, WaitStatus, Waiter};
use crate::wake::next_token;

/// The app's side of a ring. See the [module documentation](crate::consumer).
#[derive(Debug)]
pub struct Consumer {
    region: Region,
    capacity: u64,
    mask: u64,
    /// Records consumed so far; the next one is in slot `read & mask`.
    read: u64,
    /// The sequence number the next record should carry.
    expected_seq: u64,
    received: u64,
    missed: u64,
    sleeps: u64,
    signalled: u64,
    timeouts: u64,
    space_free_signals: u64,
    spin: AdaptiveSpin,
    closed: bool,
    /// The token of this consumer's latest wait.
    wait_token: u32,
    /// The producer's space-free request token last answered (each is signalled once).
    space_answered: u32,
}

/// One thing the consumer yields, in sequence order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// A record (a copy: the ring slot may be reused as soon as the batch is published).
    Record(&'a Record),
    /// `count` records, from `first_seq` on, were dropped by the producer (the ring was full).
    Missed {
        /// Sequence number of the first record lost.
        first_seq: u64,
        /// How many consecutive records were lost.
        count: u64,
    },
}

/// What one [`Consumer::poll`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Batch {
    /// Records yielded.
    pub records: u32,
    /// Records reported missed.
    pub missed: u64,
    /// The producer asked to be told when there is space: set the space-free event.
    pub signal_space_free: bool,
    /// The producer is gone and everything it published has been yielded; nothing more will
    /// come.
    pub closed: bool,
}

/// The consumer's totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConsumerStats {
    /// Records yielded.
    pub received: u64,
    /// Records reported missed.
    pub missed: u64,
    /// Times the consumer went to sleep on the data-ready event.
    pub sleeps: u64,
    /// Sleeps ended by the event (the rest timed out).
    pub signalled: u64,
    /// Sleeps that timed out.
    pub timeouts: u64,
    /// Times [`Batch::signal_space_free`] was set.
    pub space_free_signals: u64,
}

/// The producer's published totals (`produced + dropped` is every sequence number used).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PublishedTotals {
    /// Records written.
    pub produced: u64,
    /// Records dropped.
    pub dropped: u64,
    /// Times the producer found the consumer index impossible.
    pub corrupt: u64,
}

impl Consumer {
    /// Writes a fresh header for a ring of `capacity` records into `region` (which the app
    /// has just created: exactly [`required_len`] bytes) and becomes its consumer. Register the
    /// section with the driver afterwards.
    ///
    /// # Errors
    /// [`RingError::BadCapacity`], or [`RingError::SizeMismatch`] if the region is not exactly
    /// the size the capacity needs.
    pub fn initialize(region: Region, capacity: u32) -> Result<Consumer, RingError> {
        let expected = required_len(capacity)?;
        if region.len() != expected {
            return Err(RingError::SizeMismatch {
                expected,
                found: region.len(),
            });
        }
        let header = region.header();
        // The magic goes last (release): a header with the magic is a whole header.
        header.identity.magic.store(0, Ordering::Relaxed);
        header
            .identity
            .version
            .store(RING_VERSION, Ordering::Relaxed);
        header
            .identity
            .header_len
            .store(HEADER_LEN as u32, Ordering::Relaxed);
        header
            .identity
            .record_size
            .store(RECORD_SIZE as u32, Ordering::Relaxed);
        header.identity.capacity.store(capacity, Ordering::Relaxed);
        header.producer.write.store(0, Ordering::Relaxed);
        header.producer.produced.store(0, Ordering::Relaxed);
        header.producer.dropped.store(0, Ordering::Relaxed);
        header.producer.corrupt.store(0, Ordering::Relaxed);
        header.producer.state.store(0, Ordering::Relaxed);
        header.consumer.read.store(0, Ordering::Relaxed);
        header.consumer.consumer_waiting.store(0, Ordering::Relaxed);
        header.space.producer_waiting.store(0, Ordering::Relaxed);
        header.identity.magic.store(MAGIC, Ordering::Release);
        let capacity = u64::from(capacity);
        Ok(Consumer {
            region,
            capacity,
            mask: capacity.wrapping_sub(1),
            read: 0,
            expected_seq: 0,
            received: 0,
            missed: 0,
            sleeps: 0,
            signalled: 0,
            timeouts: 0,
            space_free_signals: 0,
            spin: AdaptiveSpin::new(SpinPolicy::DEFAULT),
            closed: false,
            wait_token: 0,
            space_answered: 0,
        })
    }

    /// Sets how long [`wait`](Self::wait) polls before sleeping.
    pub fn set_spin_policy(&mut self, policy: SpinPolicy) {
        self.spin = AdaptiveSpin::new(policy);
    }

    /// The ring's capacity in records.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The region this consumer reads (for [`Region::snapshot`]).
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// Yields up to `max` records, in order, each preceded by an [`Item::Missed`] for any gap
    /// before it, then publishes the consumer index once (release). When the ring is empty it
    /// reports the drops after the last record, and [`Batch::closed`] once the producer has
    /// poisoned the ring and everything is drained.
    ///
    /// # Errors
    /// [`RingError::ProducerIndexCorrupt`] or [`RingError::SequenceWentBackwards`] if the
    /// producer's side of the ring is impossible (what was yielded before stays consumed).
    pub fn poll(
        &mut self,
        max: u32,
        mut on_item: impl FnMut(Item<'_>),
    ) -> Result<Batch, RingError> {
        let mut batch = Batch::default();
        if self.closed {
            batch.closed = true;
            return Ok(batch);
        }
        let line = &self.region.header().producer;
        // State first: once it says poisoned, `write` and `dropped` are final.
        let state = line.state.load(Ordering::Acquire);
        let write = line.write.load(Ordering::Acquire);
        let available = write.wrapping_sub(self.read);
        if available > self.capacity {
            return Err(RingError::ProducerIndexCorrupt {
                read: self.read,
                write,
            });
        }
        let mut result = Ok(());
        for _ in 0..available.min(u64::from(max)) {
            let Some(slot) = self.region.slot(self.read & self.mask) else {
                break;
            };
            let record = Record::from_words(&slot.load());
            let gap = record.seq.wrapping_sub(self.expected_seq);
            if gap > u64::MAX / 2 {
                result = Err(RingError::SequenceWentBackwards {
                    expected: self.expected_seq,
                    found: record.seq,
                });
                break;
            }
            if gap != 0 {
                self.report_missed(gap, &mut batch, &mut on_item);
            }
            on_item(Item::Record(&record));
            self.expected_seq = record.seq.wrapping_add(1);
            self.read = self.read.wrapping_add(1);
            self.received = self.received.wrapping_add(1);
            batch.records = batch.records.wrapping_add(1);
        }
        if batch.records != 0 {
            self.region
                .header()
                .consumer
                .read
                .store(self.read, Ordering::Release);
            batch.signal_space_free = self.take_space_request();
        }
        result?;
        if available == 0 {
            self.report_tail_drops(write, &mut batch, &mut on_item);
            if state & POISONED != 0 {
                self.closed = true;
                batch.closed = true;
            }
        }
        Ok(batch)
    }

    /// Whether [`poll`](Self::poll) has anything to yield or report (records, drops not yet
    /// reported, or a poisoned ring). Loads the producer's line only.
    pub fn is_ready(&self) -> bool {
        if self.closed {
            return true;
        }
        let line = &self.region.header().producer;
        line.write.load(Ordering::Acquire) != self.read
            || line.state.load(Ordering::Acquire) & POISONED != 0
            || line.dropped.load(Ordering::Acquire) > self.missed
    }

    /// First half of going to sleep (SPEC rule 6): flag the consumer waiting (with a new wait
    /// token), full fence, re-check. [`WaitDecision::Sleep`] means: sleep on the data-ready event (the producer
    /// will set it for anything published from now on), then call
    /// [`finish_wait`](Self::finish_wait).
    pub fn prepare_wait(&mut self) -> WaitDecision {
        if self.closed {
            return WaitDecision::DataAvailable;
        }
        self.wait_token = next_token(self.wait_token);
        let waiting = &self.region.header().consumer.consumer_waiting;
        waiting.store(self.wait_token, Ordering::Relaxed);
        self.region.handshake_fence();
        if self.region.skips_recheck() {
            return WaitDecision::Sleep;
        }
        if self.is_ready() {
            waiting.store(0, Ordering::Relaxed);
            return WaitDecision::DataAvailable;
        }
        WaitDecision::Sleep
    }

    /// Second half: the sleep is over (signalled or timed out); clear the waiting flag so the
    /// producer stops signalling. A signal already on its way only makes the next wait return
    /// at once.
    pub fn finish_wait(&mut self) {
        self.region
            .header()
            .consumer
            .consumer_waiting
            .store(0, Ordering::Relaxed);
    }

    /// Waits until there is something to poll: polls up to the adaptive spin budget, then
    /// flags itself waiting and sleeps on `data_ready` for at most `timeout`.
    pub fn wait(&mut self, data_ready: &impl Waiter, timeout: Option<Duration>) -> Readiness {
        for _ in 0..self.spin.budget() {
            if self.is_ready() {
                return Readiness::Ready;
            }
            for _ in 0..PAUSES_PER_POLL {
                spin_hint();
            }
        }
        if self.prepare_wait() == WaitDecision::DataAvailable {
            return Readiness::Ready;
        }
        self.sleeps = self.sleeps.wrapping_add(1);
        let status = data_ready.wait(timeout);
        self.finish_wait();
        match status {
            WaitStatus::Signalled => {
                self.signalled = self.signalled.wrapping_add(1);
                self.spin.signalled();
                Readiness::Ready
            }
            WaitStatus::TimedOut => {
                self.timeouts = self.timeouts.wrapping_add(1);
                self.spin.timed_out();
                if self.is_ready() {
                    Readiness::Ready
                } else {
                    Readiness::TimedOut
                }
            }
        }
    }

    /// The consumer's totals.
    pub fn stats(&self) -> ConsumerStats {
        ConsumerStats {
            received: self.received,
            missed: self.missed,
            sleeps: self.sleeps,
            signalled: self.signalled,
            timeouts: self.timeouts,
            space_free_signals: self.space_free_signals,
        }
    }

    /// The producer's published totals, read now (acquire).
    pub fn published_totals(&self) -> PublishedTotals {
        let line = &self.region.header().producer;
        PublishedTotals {
            produced: line.produced.load(Ordering::Acquire),
            dropped: line.dropped.load(Ordering::Acquire),
            corrupt: line.corrupt.load(Ordering::Relaxed),
        }
    }

    fn report_missed(&mut self, count: u64, batch: &mut Batch, on_item: &mut impl FnMut(Item<'_>)) {
        on_item(Item::Missed {
            first_seq: self.expected_seq,
            count,
        });
        self.expected_seq = self.expected_seq.wrapping_add(count);
        self.missed = self.missed.wrapping_add(count);
        batch.missed = batch.missed.wrapping_add(count);
    }

    /// Caught up at `write`: drops published after the last record are a gap at the tail.
    /// They are reported only if `write` is still the same after reading `dropped`: every drop
    /// counted then came after the last record (the producer publishes `write` before
    /// `dropped`), so the gap starts exactly at the next sequence number expected. Otherwise a
    /// newer record will show the gap by its sequence number.
    fn report_tail_drops(
        &mut self,
        write: u64,
        batch: &mut Batch,
        on_item: &mut impl FnMut(Item<'_>),
    ) {
        let line = &self.region.header().producer;
        let dropped = line.dropped.load(Ordering::Acquire);
        let Some(count) = dropped.checked_sub(self.missed).filter(|&count| count != 0) else {
            return;
        };
        if line.write.load(Ordering::Acquire) != write {
            return;
        }
        self.report_missed(count, batch, on_item);
    }

    /// After publishing the index: full fence, then answer the producer's space-free request
    /// if there is one not answered yet (the mirror of the producer's wake check).
    fn take_space_request(&mut self) -> bool {
        self.region.handshake_fence();
        let token = self
            .region
            .header()
            .space
            .producer_waiting
            .load(Ordering::Relaxed);
        if token == 0 || token == self.space_answered {
            return false;
        }
        self.space_answered = token;
        self.space_free_signals = self.space_free_signals.wrapping_add(1);
        true
    }
}

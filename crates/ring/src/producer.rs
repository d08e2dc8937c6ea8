//! The producer: the driver's side of the ring.
//!
//! Callable from the timer DPC and from the `PRODUCE` IOCTL (IRQL <= `DISPATCH_LEVEL`; the
//! region must then be resident). It never waits, never allocates, never loops on a value the
//! app controls, and every shared-memory address it computes comes from its own copies of the
//! capacity and indices, so a hostile app can at worst make it drop records and count them:
//!
//! - SPEC rule 1: `write`, the sequence counter, the totals and the capacity live here, in the
//!   driver's memory. The producer writes its header line and never reads it back; the only
//!   app-writable fields it reads are the consumer index `read` and the `consumer_waiting` token,
//!   both as hints; it never writes the consumer's line.
//! - Rule 2: `read` is read once per round (plus once more for the space-free re-check when a
//!   round finds the ring full). `used = write - read` (wrapping); `used > capacity` means the
//!   app scribbled on it: counted in `corrupt`, and the ring is treated as full.
//! - Rule 3: the capacity is checked at [`Producer::attach`] and never re-read; a record goes
//!   to slot `write & mask`.
//! - Rule 4: every attempt takes a sequence number, so drops leave exact gaps; `produced` and
//!   `dropped` are published.
//! - Rule 5: records are written, then `write` is release-stored.
//! - Rules 6 and 8: see [`WakePolicy`] and [`Producer::produce_batch`].
//! - Rule 7: [`Producer::poison`].

use crate::error::RingError;
use crate::layout::RING_VERSION;
use crate::layout::{required_len, Entry, Record, HEADER_LEN, MAGIC, POISONED, RECORD_SIZE};
use crate::region::Region;
use crate::sync::Ordering;
use crate::wake::{next_token, WakePolicy};

/// Records written between two publications of `write` (and two reads of `read`): the consumer
/// can start on a long batch early, and the producer sees the space it frees.
const MAX_ROUND: u64 = 64;

/// The driver's side of a ring. See the [module documentation](crate::producer).
#[derive(Debug)]
pub struct Producer {
    region: Region,
    declared_capacity: u32,
    capacity: u64,
    mask: u64,
    /// Records written so far; slot of the next one is `write & mask`.
    write: u64,
    /// Sequence number of the next attempt (written or dropped).
    next_seq: u64,
    produced: u64,
    dropped: u64,
    corrupt: u64,
    wakeups: u64,
    space_requests: u64,
    watermark: u64,
    max_delay: u64,
    /// Performance-counter time of the first deferred wake-up still owed to a waiting consumer.
    owed_since: Option<u64>,
    /// The consumer's wait token this producer last signalled (each wait is signalled once).
    last_woken: u32,
    /// The token of this producer's latest space-free request.
    space_token: u32,
    /// Whether that request is still published (withdrawn once the producer sees space).
    space_requested: bool,
}

/// What one call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct ProduceReport {
    /// Records written.
    pub written: u32,
    /// Records dropped because the ring was full (or its consumer index impossible).
    pub dropped: u32,
    /// Times the data-ready signal was called.
    pub wakeups: u32,
}

/// The producer's totals, for the driver's stats IOCTL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProducerStats {
    /// Records written.
    pub produced: u64,
    /// Records dropped.
    pub dropped: u64,
    /// Times the consumer index was found impossible (`write - read > capacity`).
    pub corrupt: u64,
    /// Data-ready wake-ups sent.
    pub wakeups: u64,
    /// Times the ring was still full after the producer asked for a space-free signal.
    pub space_free_requests: u64,
}

impl Producer {
    /// Checks the header an app prepared and takes the ring over. The header's identity line is
    /// read here, once, and never again (a later scribble on it cannot change anything); the
    /// producer's own line is reset to zero.
    ///
    /// `declared_capacity` is what the registration request said; `policy` says when to wake a
    /// waiting consumer. IRQL <= `DISPATCH_LEVEL`.
    ///
    /// # Errors
    /// [`RingError::BadCapacity`] for a declared capacity out of range; [`RingError::BadMagic`],
    /// [`RingError::BadVersion`], [`RingError::BadHeaderLen`], [`RingError::BadRecordSize`],
    /// [`RingError::CapacityMismatch`] for a header that is not what was declared;
    /// [`RingError::SizeMismatch`] for a region that is not exactly the declared ring's size.
    pub fn attach(
        region: Region,
        declared_capacity: u32,
        policy: WakePolicy,
    ) -> Result<Producer, RingError> {
        let expected_len = required_len(declared_capacity)?;
        let identity = &region.header().identity;
        let magic = identity.magic.load(Ordering::Acquire);
        if magic != MAGIC {
            return Err(RingError::BadMagic { found: magic });
        }
        let version = identity.version.load(Ordering::Relaxed);
        if version != RING_VERSION {
            return Err(RingError::BadVersion { found: version });
        }
        let header_len = identity.header_len.load(Ordering::Relaxed);
        if usize::try_from(header_len) != Ok(HEADER_LEN) {
            return Err(RingError::BadHeaderLen { found: header_len });
        }
        let record_size = identity.record_size.load(Ordering::Relaxed);
        if usize::try_from(record_size) != Ok(RECORD_SIZE) {
            return Err(RingError::BadRecordSize { found: record_size });
        }
        let found = identity.capacity.load(Ordering::Relaxed);
        if found != declared_capacity {
            return Err(RingError::CapacityMismatch {
                declared: declared_capacity,
                found,
            });
        }
        if region.len() != expected_len {
            return Err(RingError::SizeMismatch {
                expected: expected_len,
                found: region.len(),
            });
        }
        let line = &region.header().producer;
        line.produced.store(0, Ordering::Relaxed);
        line.dropped.store(0, Ordering::Relaxed);
        line.corrupt.store(0, Ordering::Relaxed);
        line.state.store(0, Ordering::Relaxed);
        line.write.store(0, Ordering::Release);
        let capacity = u64::from(declared_capacity);
        // INVARIANT: `capacity` is a power of two and the region holds exactly `capacity`
        // records, so `write & mask` always names a slot inside it.
        Ok(Producer {
            region,
            declared_capacity,
            capacity,
            mask: capacity.wrapping_sub(1),
            write: 0,
            next_seq: 0,
            produced: 0,
            dropped: 0,
            corrupt: 0,
            wakeups: 0,
            space_requests: 0,
            watermark: u64::from(policy.watermark).clamp(1, capacity),
            max_delay: policy.max_delay,
            owed_since: None,
            last_woken: 0,
            space_token: 0,
            space_requested: false,
        })
    }

    /// The ring's capacity in records.
    pub fn capacity(&self) -> u32 {
        self.declared_capacity
    }

    /// Produces one record; calls `signal` (set the data-ready event, `KeSetEvent(.., FALSE)`)
    /// if a waiting consumer must be woken. IRQL <= `DISPATCH_LEVEL`.
    pub fn produce(&mut self, entry: Entry, signal: impl FnMut()) -> ProduceReport {
        self.produce_batch(1, |_| entry, signal)
    }

    /// Produces `count` records, asking `next(seq)` for each one that fits, and calling
    /// `signal` each time a waiting consumer must be woken (possibly mid-batch, so a long
    /// batch does not fill the ring behind a sleeping consumer). IRQL <= `DISPATCH_LEVEL`.
    ///
    /// Works in rounds of at most 64 records: read the consumer index once; if the ring is
    /// full, set a new `producer_waiting` token, fence, read it once more (the space-free
    /// handshake); write
    /// what fits, or drop the newest record (its sequence number is spent and counted); publish
    /// `write`, `produced`, `dropped`; then, after a full fence, wake the consumer if it is
    /// flagged waiting and the [`WakePolicy`] says the wake-up is due (otherwise it is owed:
    /// [`flush_wake`](Self::flush_wake), [`wake_if_due`](Self::wake_if_due)).
    pub fn produce_batch(
        &mut self,
        count: u32,
        mut next: impl FnMut(u64) -> Entry,
        mut signal: impl FnMut(),
    ) -> ProduceReport {
        let mut report = ProduceReport::default();
        let mut remaining = count;
        while remaining > 0 {
            let mut free = self.free_slots();
            if free == 0 {
                free = self.request_space();
            } else if self.space_requested {
                self.withdraw_space_request();
            }
            let round = free.min(MAX_ROUND).min(u64::from(remaining));
            let mut written = 0_u32;
            let mut times: Option<(u64, u64)> = None;
            for _ in 0..round {
                let entry = next(self.next_seq);
                self.write_record(&entry);
                written = written.wrapping_add(1);
                let first = times.map_or(entry.timestamp, |(first, _)| first);
                times = Some((first, entry.timestamp));
            }
            let dropped = u32::from(written == 0);
            if dropped != 0 {
                self.next_seq = self.next_seq.wrapping_add(1);
            }
            remaining = remaining.saturating_sub(written.saturating_add(dropped));
            self.publish(written, dropped);
            let unread = self
                .capacity
                .saturating_sub(free.saturating_sub(u64::from(written)));
            if self.wake_check(unread, times, &mut signal) {
                report.wakeups = report.wakeups.saturating_add(1);
            }
            report.written = report.written.saturating_add(written);
            report.dropped = report.dropped.saturating_add(dropped);
        }
        report
    }

    /// Delivers a deferred wake-up now (the caller's batch has ended, e.g. the `PRODUCE`
    /// IOCTL's). Returns whether `signal` was called. Cheap when nothing is owed.
    pub fn flush_wake(&mut self, signal: impl FnMut()) -> bool {
        if self.owed_since.is_none() {
            return false;
        }
        let mut signal = signal;
        self.wake_owed(&mut signal)
    }

    /// Delivers a deferred wake-up if it has waited `max_delay` ticks by `now` (the timer DPC
    /// calls this). Returns whether `signal` was called.
    pub fn wake_if_due(&mut self, now: u64, signal: impl FnMut()) -> bool {
        match self.owed_since {
            Some(since) if now.wrapping_sub(since) >= self.max_delay => {
                let mut signal = signal;
                self.wake_owed(&mut signal)
            }
            _ => false,
        }
    }

    /// The producer's totals.
    pub fn stats(&self) -> ProducerStats {
        ProducerStats {
            produced: self.produced,
            dropped: self.dropped,
            corrupt: self.corrupt,
            wakeups: self.wakeups,
            space_free_requests: self.space_requests,
        }
    }

    /// Teardown (SPEC rule 7): marks the ring poisoned, after everything already published,
    /// then calls `set_both_events` (set data-ready and space-free) so that no one sleeps
    /// forever. The consumer drains what is left, then sees [`Batch::closed`](crate::Batch).
    /// IRQL <= `DISPATCH_LEVEL`. Returns the final totals.
    pub fn poison(self, set_both_events: impl FnOnce()) -> ProducerStats {
        self.region
            .header()
            .producer
            .state
            .store(POISONED, Ordering::Release);
        set_both_events();
        self.stats()
    }

    /// Free slots according to the consumer index, read once; 0 (and counted) if the index is
    /// impossible.
    fn free_slots(&mut self) -> u64 {
        let read = self.region.header().consumer.read.load(Ordering::Acquire);
        let used = self.write.wrapping_sub(read);
        if used > self.capacity {
            self.corrupt = self.corrupt.wrapping_add(1);
            self.region
                .header()
                .producer
                .corrupt
                .store(self.corrupt, Ordering::Relaxed);
            return 0;
        }
        self.capacity.wrapping_sub(used)
    }

    /// The ring looked full: ask for a space-free signal, then look again (the same handshake
    /// as the consumer's, so the request and the consumer's freeing cannot miss each other).
    fn request_space(&mut self) -> u64 {
        self.space_token = next_token(self.space_token);
        let flag = &self.region.header().space.producer_waiting;
        flag.store(self.space_token, Ordering::Relaxed);
        self.region.handshake_fence();
        self.space_requested = true;
        let free = self.free_slots();
        if free == 0 {
            self.space_requests = self.space_requests.wrapping_add(1);
        } else {
            self.withdraw_space_request();
        }
        free
    }

    /// The producer sees space again: its request is moot (a signal already on its way is
    /// harmless).
    fn withdraw_space_request(&mut self) {
        self.space_requested = false;
        self.region
            .header()
            .space
            .producer_waiting
            .store(0, Ordering::Relaxed);
    }

    /// Writes the record for `next_seq` into slot `write & mask` and advances both.
    fn write_record(&mut self, entry: &Entry) {
        let record = Record {
            seq: self.next_seq,
            timestamp: entry.timestamp,
            payload: entry.payload,
        };
        // Always `Some`: `attach` checked the region holds `capacity` slots.
        if let Some(slot) = self.region.slot(self.write & self.mask) {
            slot.store(&record.to_words());
        }
        self.write = self.write.wrapping_add(1);
        self.next_seq = self.next_seq.wrapping_add(1);
    }

    /// Publishes `write`, then the totals (rule 5: records before index, index before totals,
    /// which the consumer's tail-gap check relies on).
    fn publish(&mut self, written: u32, dropped: u32) {
        let line = &self.region.header().producer;
        if written != 0 {
            self.produced = self.produced.wrapping_add(u64::from(written));
            line.write.store(self.write, Ordering::Release);
            line.produced.store(self.produced, Ordering::Release);
        }
        if dropped != 0 {
            self.dropped = self.dropped.wrapping_add(u64::from(dropped));
            line.dropped.store(self.dropped, Ordering::Release);
        }
    }

    /// Rule 6: after publishing, a full fence, then the consumer's flag. Wakes (once per flag)
    /// if the wake-up is due under the policy, else remembers since when it is owed. `times`
    /// are the timestamps of the round's first and last records.
    fn wake_check(
        &mut self,
        unread: u64,
        times: Option<(u64, u64)>,
        signal: &mut impl FnMut(),
    ) -> bool {
        self.region.handshake_fence();
        let Some(token) = self.unanswered_wait() else {
            // Not asleep, or already signalled for this wait: it will find the records itself
            // (its re-check, or the signal on its way, sees them).
            self.owed_since = None;
            return false;
        };
        let Some((first, last)) = times else {
            // Nothing written: the round dropped a record, which is always worth a wake-up
            // (the consumer reports the gap at once).
            return self.wake(token, signal);
        };
        let since = *self.owed_since.get_or_insert(first);
        if unread >= self.watermark || last.wrapping_sub(since) >= self.max_delay {
            return self.wake(token, signal);
        }
        false
    }

    /// The consumer's wait token, if it is waiting in a wait not signalled yet.
    fn unanswered_wait(&self) -> Option<u32> {
        let waiting = &self.region.header().consumer.consumer_waiting;
        let token = waiting.load(Ordering::Relaxed);
        (token != 0 && token != self.last_woken).then_some(token)
    }

    /// Delivers an owed wake-up if the consumer is still in a wait not signalled yet. (No fence
    /// needed: the wake check that found the wait fenced; a later token means a later wait,
    /// whose own re-check saw everything published before that check.)
    fn wake_owed(&mut self, signal: &mut impl FnMut()) -> bool {
        self.owed_since = None;
        match self.unanswered_wait() {
            Some(token) => self.wake(token, signal),
            None => false,
        }
    }

    /// Signals the consumer's wait `token` (once: the token is remembered).
    fn wake(&mut self, token: u32, signal: &mut impl FnMut()) -> bool {
        self.owed_since = None;
        self.last_woken = token;
        self.wakeups = self.wakeups.wrapping_add(1);
        signal();
        true
    }
}

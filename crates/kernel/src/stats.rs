//! Counters the `QUERY_STATS` IOCTL reports, so tests and users can see inside an instance
//! without a kernel debugger.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use evshare_protocol::stats::{RejectReason, REJECT_REASONS};

/// An instance's counters; all updates are single atomic operations, safe from DPCs.
pub struct Stats {
    /// File objects open on the control device.
    pub open_handles: AtomicU32,
    /// Registrations ever made.
    pub registrations_total: AtomicU64,
    /// `KeSetEvent` calls made for registrations.
    pub signals_sent: AtomicU64,
    /// Notifications made for the inverted call.
    pub notifications: AtomicU64,
    /// Ring records written.
    pub ring_produced: AtomicU64,
    /// Ring records dropped (ring full or consumer index impossible).
    pub ring_dropped: AtomicU64,
    /// Times a ring's consumer index was found impossible.
    pub ring_corrupt: AtomicU64,
    rejected: [AtomicU64; REJECT_REASONS],
}

impl Stats {
    /// All counters at zero.
    pub const fn new() -> Stats {
        Stats {
            open_handles: AtomicU32::new(0),
            registrations_total: AtomicU64::new(0),
            signals_sent: AtomicU64::new(0),
            notifications: AtomicU64::new(0),
            ring_produced: AtomicU64::new(0),
            ring_dropped: AtomicU64::new(0),
            ring_corrupt: AtomicU64::new(0),
            rejected: [const { AtomicU64::new(0) }; REJECT_REASONS],
        }
    }

    /// Counts one refused request.
    pub fn reject(&self, reason: RejectReason) {
        if let Some(counter) = self.rejected.get(reason as usize) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A copy of the rejection counters.
    pub fn rejected(&self) -> [u64; REJECT_REASONS] {
        let mut out = [0u64; REJECT_REASONS];
        for (slot, counter) in out.iter_mut().zip(self.rejected.iter()) {
            *slot = counter.load(Ordering::Relaxed);
        }
        out
    }
}

//! When the producer wakes a sleeping consumer (SPEC rules 6 and 8).
//!
//! A wake-up costs a `KeSetEvent` (under Wine several `wineserver` round trips, ~40 µs): if the
//! producer woke the consumer for every record it would pay that per record. So the producer
//! wakes only a consumer that has flagged itself waiting, only once per wait (the flag is a
//! token that changes with every wait; the producer remembers the last one it answered, and
//! never writes the consumer's line), and may defer even that until enough records are unread
//! (the watermark) or a deadline passes.

/// How eagerly the producer wakes a waiting consumer.
///
/// A wake-up is deferred until `watermark` records are unread, the ring dropped a record, the
/// caller ends its batch ([`Producer::flush_wake`](crate::Producer::flush_wake)) or `max_delay`
/// (in the timestamps' unit, the performance counter's ticks) has passed since the first
/// deferral ([`Producer::wake_if_due`](crate::Producer::wake_if_due), or the next record's
/// timestamp). A deferred wake-up is never lost: the consumer also wakes on its own timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WakePolicy {
    /// Unread records that make a wake-up due: `1..=capacity` (clamped to that range).
    pub watermark: u32,
    /// Ticks a wake-up may be deferred; `u64::MAX` = only the watermark or a flush ends it.
    pub max_delay: u64,
}

impl WakePolicy {
    /// Wake a waiting consumer as soon as a record is there: lowest latency.
    pub const IMMEDIATE: WakePolicy = WakePolicy {
        watermark: 1,
        max_delay: u64::MAX,
    };

    /// Wake once `watermark` records are unread, or `max_delay` ticks after the first record
    /// that was not worth a wake-up on its own.
    pub const fn deferred(watermark: u32, max_delay: u64) -> WakePolicy {
        WakePolicy {
            watermark,
            max_delay,
        }
    }
}

/// The token after `token` for a waiting flag: never 0 (which means "not waiting").
pub(crate) fn next_token(token: u32) -> u32 {
    token.wrapping_add(1).max(1)
}

impl Default for WakePolicy {
    fn default() -> Self {
        WakePolicy::IMMEDIATE
    }
}

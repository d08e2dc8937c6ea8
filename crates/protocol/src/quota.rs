//! The per-process quotas and the timer budget the driver enforces (`docs/protocol.md`,
//! "Quotas"), shared so the client's errors can name the limit that was hit.
//!
//! They exist so that one app, however hostile, cannot starve the others: before them, the 256
//! registrations were one pool (five handles of one process took all of them) and 256
//! registrations at 1 ms made `winedevice.exe` deliver only ~21% of the promised signals.

use crate::mode::SignalMode;

/// Live registrations the driver holds in all, from every process.
pub const MAX_REGISTRATIONS: u32 = 256;

/// Live registrations one handle may hold.
pub const MAX_PER_HANDLE: u32 = 64;

/// Live registrations one process may hold over all its handles: half the driver's, so one
/// process never takes every registration and a second one is always served.
pub const MAX_PER_PROCESS: u32 = 128;

/// `PEND_NOTIFICATION` requests the driver keeps pending in all, from every process.
pub const MAX_PENDING: u32 = 256;

/// `PEND_NOTIFICATION` requests one process may keep pending over all its handles: a quarter
/// of the pool, so one app cannot take every slot and starve the others.
pub const MAX_PENDING_PER_PROCESS: u32 = 64;

/// Bytes of ring sections one process may have the driver map and lock at once (the sum of
/// its rings' section views): 128 MiB, room for one ring of the largest capacity (64 MiB of
/// records and its header) and about as much again in smaller ones; not 64 rings of 64 MiB
/// (which filled at ~1/100 of the nominal rate).
pub const MAX_RING_BYTES_PER_PROCESS: u64 = 128 << 20;

/// Subscriber slots of one channel (of its [`MAX_SUBSCRIBERS`](crate::channel::MAX_SUBSCRIBERS))
/// one process may hold: a quarter, so one app cannot fill a channel and shut the others out.
pub const MAX_CHANNEL_SHARE_PER_PROCESS: u32 = 16;

/// Signals (or ring records) per second one process's periodic timers may ask for in all: a
/// period of `p` ms costs `1000 / p` per second. No minimum period beyond the protocol's 1 ms:
/// one 1 ms timer is 1,000 signals/s, about 2% of what `winedevice.exe` delivered when
/// overloaded; the load that hurt was the sum, and this budget bounds it.
pub const MAX_SIGNALS_PER_SECOND_PER_PROCESS: u32 = 2_000;

/// What a mode costs against [`MAX_SIGNALS_PER_SECOND_PER_PROCESS`], in signals per million
/// seconds (rounded down by less than one, so even the longest period costs something). One-shot
/// and on-demand modes cost nothing: each of their signals is asked for by a request of its own.
pub const fn microsignals_per_second(mode: SignalMode) -> u64 {
    match mode {
        // A zero period never passes validation; counted as the most expensive if it did.
        SignalMode::Periodic { period_ms } => {
            match 1_000_000_000u64.checked_div(period_ms as u64) {
                Some(cost) => cost,
                None => 1_000_000_000,
            }
        }
        SignalMode::OneShot { .. } | SignalMode::OnDemand => 0,
    }
}

/// [`MAX_SIGNALS_PER_SECOND_PER_PROCESS`] in the unit of [`microsignals_per_second`].
pub const TIMER_BUDGET_MICROSIGNALS: u64 = 2_000_000_000;

const _: () =
    assert!(TIMER_BUDGET_MICROSIGNALS == MAX_SIGNALS_PER_SECOND_PER_PROCESS as u64 * 1_000_000);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_cost_their_rate_and_other_modes_nothing() {
        let cost = |period_ms| microsignals_per_second(SignalMode::Periodic { period_ms });
        assert_eq!(cost(1), 1_000_000_000);
        assert_eq!(cost(3), 333_333_333);
        assert_eq!(cost(1_000), 1_000_000);
        assert_eq!(cost(3_600_000), 277);
        assert_eq!(cost(0), 1_000_000_000);
        assert_eq!(microsignals_per_second(SignalMode::OnDemand), 0);
        assert_eq!(
            microsignals_per_second(SignalMode::OneShot { delay_ms: 0 }),
            0
        );
        // Two 1 ms timers fill the budget; a third of any period passes it.
        assert_eq!(2 * cost(1), TIMER_BUDGET_MICROSIGNALS);
        assert!(2 * cost(1) + cost(3_600_000) > TIMER_BUDGET_MICROSIGNALS);
        // Forty 20 ms timers (the tests' period) fit exactly.
        assert_eq!(40 * cost(20), TIMER_BUDGET_MICROSIGNALS);
    }

    #[test]
    fn the_largest_ring_fits_the_ring_bytes_quota_once() {
        // 2^20 records of 64 bytes, a 256-byte header, rounded up to 4 KiB pages.
        let largest = (64u64 << 20) + 4096;
        assert!(largest <= MAX_RING_BYTES_PER_PROCESS);
        assert!(2 * largest > MAX_RING_BYTES_PER_PROCESS);
    }
}

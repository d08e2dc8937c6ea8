//! The atomics every shared field goes through: `core::sync::atomic` normally, loom's under
//! `--cfg loom`, so the loom model checks the very code the driver runs.
//!
//! Only the handshake fence's strength and the consumer's re-check can be weakened, and only in
//! a loom [`Region`](crate::Region) built with a [`Fault`](crate::Fault): that is how
//! `tests/loom.rs` shows the model catches a lost wake-up.

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicU32, AtomicU64};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32, AtomicU64};

pub(crate) use core::sync::atomic::Ordering;

/// One step of a bounded busy-wait: a CPU pause hint, or a yield to loom's scheduler.
#[inline]
pub(crate) fn spin_hint() {
    #[cfg(not(loom))]
    core::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
}

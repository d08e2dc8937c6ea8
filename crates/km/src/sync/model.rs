//! The seam between kernel logic and the machine it runs on: the atomics (and, on the host, the
//! scheduler hint) that km's shared-state code uses. `core`'s on Windows and on the host,
//! loom's under `--cfg loom`, so a loom model in `tests/` checks the very code the driver runs.

#[cfg(not(loom))]
pub use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize};
#[cfg(loom)]
pub use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize};

pub use core::sync::atomic::Ordering;

/// One step of a busy-wait: a CPU pause hint, or a yield to loom's scheduler (a loom model
/// must yield in every spin loop, or it explores the spin forever).
#[inline]
pub fn spin_hint() {
    #[cfg(not(loom))]
    core::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
}

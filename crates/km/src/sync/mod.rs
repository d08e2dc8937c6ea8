//! Locks that own their data.
//!
//! On Windows targets the lock is a `KSPIN_LOCK`. On the host (for the models in `tests/`) the
//! same type is a busy-wait lock over [`model`]'s atomics, which are loom's under
//! `--cfg loom`: code written against this `SpinLock` runs unchanged in a loom model, and every
//! interleaving of two lock holders is explored.

pub mod model;
mod spin_lock;

pub use spin_lock::{SpinLock, SpinLockGuard};

//! Locks that own their data.

mod spin_lock;

pub use spin_lock::{SpinLock, SpinLockGuard};

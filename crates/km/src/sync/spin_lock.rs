//! A spin lock that owns the data it protects (`KeAcquireSpinLockRaiseToDpc`).
//!
//! The guard restores the IRQL saved at acquisition when it is dropped, so a caller cannot
//! forget to release or release with the wrong IRQL.

use crate::sys::imports::{KeAcquireSpinLockRaiseToDpc, KeReleaseSpinLock};
use crate::sys::{KIRQL, KSPIN_LOCK};
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};

/// A `KSPIN_LOCK` around a `T`.
///
/// IRQL: acquire at `<= DISPATCH_LEVEL`; the guard holds the CPU at `DISPATCH_LEVEL` (under Wine
/// the IRQL is not emulated, but the lock is a real busy-wait lock). Do not wait, touch paged
/// memory or call routines that require `PASSIVE_LEVEL` while holding it.
pub struct SpinLock<T> {
    lock: UnsafeCell<KSPIN_LOCK>,
    data: UnsafeCell<T>,
}

// SAFETY: the lock serialises all access to `data`.
unsafe impl<T: Send> Sync for SpinLock<T> {}
// SAFETY: moving the lock moves the data.
unsafe impl<T: Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    /// A new, released lock. `KeInitializeSpinLock` only stores zero, which is what this does,
    /// so the lock can live in a `static`.
    pub const fn new(data: T) -> Self {
        SpinLock {
            lock: UnsafeCell::new(0),
            data: UnsafeCell::new(data),
        }
    }

    /// Spins until the lock is ours.
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        // SAFETY: `lock` is a valid, initialised KSPIN_LOCK that lives as long as self.
        let old_irql = unsafe { KeAcquireSpinLockRaiseToDpc(self.lock.get()) };
        SpinLockGuard {
            owner: self,
            old_irql,
        }
    }
}

/// Proof that the lock is held; releases it on drop.
pub struct SpinLockGuard<'a, T> {
    owner: &'a SpinLock<T>,
    old_irql: KIRQL,
}

impl<T> Deref for SpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: holding the lock gives exclusive access to the data.
        unsafe { &*self.owner.data.get() }
    }
}

impl<T> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: holding the lock gives exclusive access to the data.
        unsafe { &mut *self.owner.data.get() }
    }
}

impl<T> Drop for SpinLockGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: we hold this lock and restore the IRQL it saved.
        unsafe { KeReleaseSpinLock(self.owner.lock.get(), self.old_irql) };
    }
}

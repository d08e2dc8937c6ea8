//! A spin lock that owns the data it protects (`KeAcquireSpinLockRaiseToDpc` on Windows
//! targets; a busy-wait lock over [`super::model`]'s atomics on the host, for the loom models).
//!
//! The guard restores the IRQL saved at acquisition when it is dropped, so a caller cannot
//! forget to release or release with the wrong IRQL. It is `!Send`: a spin lock is released on
//! the CPU (and at the IRQL) where it was taken, so the guard cannot move to another thread.

use crate::irql::{DispatchLevel, Irql};
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};

#[cfg(target_os = "windows")]
mod raw {
    use crate::sys::imports::{KeAcquireSpinLockRaiseToDpc, KeReleaseSpinLock};
    use crate::sys::{KIRQL, KSPIN_LOCK};
    use core::cell::UnsafeCell;

    /// A `KSPIN_LOCK`. `KeInitializeSpinLock` only stores zero, so `new` can be `const`.
    pub struct RawLock(UnsafeCell<KSPIN_LOCK>);

    /// The IRQL to restore at release.
    pub type Token = KIRQL;

    impl RawLock {
        pub const fn new() -> Self {
            RawLock(UnsafeCell::new(0))
        }

        pub fn acquire(&self) -> Token {
            // SAFETY: a valid, initialised KSPIN_LOCK that lives as long as self.
            unsafe { KeAcquireSpinLockRaiseToDpc(self.0.get()) }
        }

        /// # Safety
        /// The caller holds the lock and passes the token its acquisition returned.
        pub unsafe fn release(&self, token: Token) {
            // SAFETY: the caller's contract.
            unsafe { KeReleaseSpinLock(self.0.get(), token) }
        }
    }
}

#[cfg(not(target_os = "windows"))]
mod raw {
    use crate::sync::model::{spin_hint, AtomicBool, Ordering};

    /// A test-and-set lock over the model's atomics.
    pub struct RawLock(AtomicBool);

    /// Nothing to restore on the host.
    #[derive(Clone, Copy)]
    pub struct Token;

    impl RawLock {
        #[cfg(not(loom))]
        pub const fn new() -> Self {
            RawLock(AtomicBool::new(false))
        }

        // loom's atomics are not `const`-constructible.
        #[cfg(loom)]
        pub fn new() -> Self {
            RawLock(AtomicBool::new(false))
        }

        pub fn acquire(&self) -> Token {
            while self
                .0
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                spin_hint();
            }
            Token
        }

        /// # Safety
        /// The caller holds the lock.
        pub unsafe fn release(&self, _token: Token) {
            self.0.store(false, Ordering::Release);
        }
    }
}

/// A spin lock around a `T`.
///
/// IRQL: acquire at `<= DISPATCH_LEVEL`; the guard holds the CPU at `DISPATCH_LEVEL` (under Wine
/// the IRQL is not emulated, but the lock is a real busy-wait lock). Do not wait, touch paged
/// memory or call routines that require `PASSIVE_LEVEL` while holding it.
pub struct SpinLock<T> {
    lock: raw::RawLock,
    data: UnsafeCell<T>,
}

// SAFETY: the lock serialises all access to `data`.
unsafe impl<T: Send> Sync for SpinLock<T> {}
// SAFETY: moving the lock moves the data.
unsafe impl<T: Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    /// A new, released lock (it can live in a `static`).
    #[cfg(not(loom))]
    pub const fn new(data: T) -> Self {
        SpinLock {
            lock: raw::RawLock::new(),
            data: UnsafeCell::new(data),
        }
    }

    /// A new, released lock.
    #[cfg(loom)]
    pub fn new(data: T) -> Self {
        SpinLock {
            lock: raw::RawLock::new(),
            data: UnsafeCell::new(data),
        }
    }

    /// Spins until the lock is ours. The guard borrows the caller's IRQL token `at` for as long
    /// as it lives, so code holding the lock cannot call a routine that needs
    /// `PASSIVE_LEVEL` ([`crate::irql`]); it lends a [`DispatchLevel`] for a nested lock.
    ///
    /// ```
    /// # use evshare_km::{irql::{DispatchLevel, Passive}, sync::SpinLock};
    /// fn count(lock: &SpinLock<u32>, at: &mut Passive) {
    ///     let mut guard = lock.lock(at);
    ///     *guard += 1;
    /// }
    /// # let lock = SpinLock::new(0);
    /// # // SAFETY: a doctest is a thread at PASSIVE_LEVEL holding no lock.
    /// # count(&lock, &mut unsafe { Passive::assume() });
    /// ```
    ///
    /// A `PASSIVE_LEVEL` routine called under the lock does not compile (E0502: the token is
    /// borrowed by the guard):
    ///
    /// ```compile_fail,E0502
    /// # use evshare_km::{irql::Passive, sync::SpinLock};
    /// fn needs_passive(_at: &Passive) {}
    /// fn count(lock: &SpinLock<u32>, at: &mut Passive) {
    ///     let mut guard = lock.lock(at);
    ///     needs_passive(at);
    ///     *guard += 1;
    /// }
    /// ```
    pub fn lock<'g, I: Irql>(&'g self, _at: &'g mut I) -> SpinLockGuard<'g, T> {
        self.lock_leaf()
    }

    /// Takes the lock without an IRQL token: for km's own critical sections that call no
    /// kernel routine (the pending queue, the timer bookkeeping, the Wine fence's lists).
    pub(crate) fn lock_leaf(&self) -> SpinLockGuard<'_, T> {
        let token = self.lock.acquire();
        crate::verifier::lock_taken(core::any::type_name::<T>());
        SpinLockGuard {
            owner: self,
            token,
            // SAFETY: holding a spin lock is DISPATCH_LEVEL; the token stays in the guard.
            at: unsafe { DispatchLevel::assume() },
            _not_send: PhantomData,
        }
    }
}

/// Proof that the lock is held; releases it on drop. Neither `Send` nor `Sync`.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct SpinLockGuard<'a, T> {
    owner: &'a SpinLock<T>,
    token: raw::Token,
    at: DispatchLevel,
    /// A raw pointer makes the guard `!Send` and `!Sync`.
    _not_send: PhantomData<*mut ()>,
}

impl<T> SpinLockGuard<'_, T> {
    /// The token of the IRQL the holder runs at, for a nested lock.
    pub fn at(&mut self) -> &mut DispatchLevel {
        &mut self.at
    }

    /// The data and the token together, to take a nested lock while walking the data.
    pub fn split(&mut self) -> (&mut T, &mut DispatchLevel) {
        // SAFETY: holding the lock gives exclusive access to the data; the token is a
        // separate field, so the two borrows do not overlap.
        (unsafe { &mut *self.owner.data.get() }, &mut self.at)
    }
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
        crate::verifier::lock_released(core::any::type_name::<T>());
        // SAFETY: we hold this lock and pass back the token its acquisition returned.
        unsafe { self.owner.lock.release(self.token) };
    }
}

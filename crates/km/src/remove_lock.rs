//! The driver's rundown: requests are admitted until unload begins; from then on they are
//! refused (the driver answers `STATUS_DELETE_PENDING`), and unload waits for those in flight
//! before it tears anything down.
//!
//! Two layers:
//! - [`Rundown`], the protocol, written over any [`RawRemoveLock`]: it builds on the host over
//!   [`crate::sync::model`]'s atomics, and `tests/loom_rundown.rs` checks it under loom.
//! - `KernelRemoveLock` (Windows targets): an `IO_REMOVE_LOCK` driven by
//!   `IoInitializeRemoveLockEx`, `IoAcquireRemoveLockEx`, `IoReleaseRemoveLockEx` and
//!   `IoReleaseRemoveLockAndWaitEx`, which Wine 8.0 implements (its
//!   `ExAcquireRundownProtection` family are crashing stubs).
//!
//! Why the rundown keeps a flag of its own besides the kernel lock: Wine's
//! `IoAcquireRemoveLockEx` reads `Removed` and only then increments `IoCount` (Windows increments
//! first, then checks, and backs out). Under Wine `DriverUnload` runs on the service thread while
//! the dispatch thread goes on dispatching, so a request can read `Removed` as false, unload can
//! mark the lock removed, find the count at zero and go on tearing down, and only then the
//! request counts itself in. The rundown sets its `stopping` flag before unload's wait and reads
//! it after every acquisition: whichever comes first, either the request sees the flag (and
//! backs out, having done nothing) or unload's decrement sees the request's increment (and
//! waits for it). `tests/loom_rundown.rs` shows the kernel lock alone, with Wine's order, fails.
//!
//! `IRP_MJ_CLEANUP` and `IRP_MJ_CLOSE` are never refused: they release a handle's state, which
//! must happen even while the driver stops. They hold a second lock, which unload waits out last,
//! after the device is deleted (under Wine no close is sent for a deleted device; on Windows
//! `DriverUnload` runs only once every handle is closed).

use crate::irql::Passive;
use crate::sync::model::{AtomicBool, Ordering};

/// What the rundown needs from a remove lock: `IO_REMOVE_LOCK`'s four operations.
pub trait RawRemoveLock {
    /// `IoInitializeRemoveLockEx`: called once, before any other operation.
    fn init(&self);
    /// `IoAcquireRemoveLockEx`: counts one more holder, unless the lock was removed (`false`).
    fn acquire(&self) -> bool;
    /// `IoReleaseRemoveLockEx`: gives back one acquisition.
    fn release(&self);
    /// `IoReleaseRemoveLockAndWaitEx`: marks the lock removed, gives back the caller's own
    /// acquisition and waits until every other holder has released.
    fn release_and_wait(&self);
}

/// A request refused because the driver is stopping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stopping;

/// The unload-versus-dispatch protocol over two remove locks (see the module documentation).
pub struct Rundown<L: RawRemoveLock> {
    requests: L,
    closes: L,
    stopping: AtomicBool,
    closes_stopped: AtomicBool,
}

/// Proof that a request was admitted; releases its acquisition when dropped. Unload waits
/// until every one is gone.
#[must_use = "the request is admitted only while the guard lives"]
pub struct Admitted<'a, L: RawRemoveLock> {
    lock: &'a L,
}

impl<L: RawRemoveLock> Drop for Admitted<'_, L> {
    fn drop(&mut self) {
        self.lock.release();
    }
}

/// A close or cleanup in progress; unload's last step waits for it. Holds nothing when it
/// started after that step (a request already on its way when the device was deleted).
#[must_use = "unload waits for the close only while the guard lives"]
pub struct Closing<'a, L: RawRemoveLock> {
    lock: Option<&'a L>,
}

impl<L: RawRemoveLock> Closing<'_, L> {
    /// Whether unload waits for this close (false only after unload's last wait).
    pub fn is_counted(&self) -> bool {
        self.lock.is_some()
    }
}

impl<L: RawRemoveLock> Drop for Closing<'_, L> {
    fn drop(&mut self) {
        if let Some(lock) = self.lock {
            lock.release();
        }
    }
}

impl<L: RawRemoveLock> Rundown<L> {
    /// A rundown over two fresh locks (one for requests, one for closes); [`Rundown::init`]
    /// them before the first request.
    #[cfg(not(loom))]
    pub const fn new(requests: L, closes: L) -> Self {
        Rundown {
            requests,
            closes,
            stopping: AtomicBool::new(false),
            closes_stopped: AtomicBool::new(false),
        }
    }

    /// A rundown over two fresh locks.
    #[cfg(loom)]
    pub fn new(requests: L, closes: L) -> Self {
        Rundown {
            requests,
            closes,
            stopping: AtomicBool::new(false),
            closes_stopped: AtomicBool::new(false),
        }
    }

    /// Initialises both locks (`DriverEntry`, before the device exists).
    pub fn init(&self, _at: &Passive) {
        self.requests.init();
        self.closes.init();
    }

    /// Admits a request, unless unload has begun.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn enter(&self) -> Result<Admitted<'_, L>, Stopping> {
        if !self.requests.acquire() {
            return Err(Stopping);
        }
        let admitted = Admitted {
            lock: &self.requests,
        };
        // After the acquisition (see the module documentation): SeqCst pairs with the store in
        // `stop_requests`, so this load or unload's wait sees the other side.
        if self.stopping.load(Ordering::SeqCst) {
            drop(admitted);
            return Err(Stopping);
        }
        Ok(admitted)
    }

    /// Admits a close or cleanup, even while the driver stops.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn enter_close(&self) -> Closing<'_, L> {
        if !self.closes.acquire() {
            return Closing { lock: None };
        }
        let closing = Closing {
            lock: Some(&self.closes),
        };
        // As in `enter`: a close that unload's last wait may have missed is not counted (it
        // still runs; see `stop_closes`).
        if self.closes_stopped.load(Ordering::SeqCst) {
            drop(closing);
            return Closing { lock: None };
        }
        closing
    }

    /// Whether unload has begun.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Unload, first step: refuse every new request, and wait until the requests already
    /// admitted have finished. Afterwards nothing but closes runs the driver's code.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn stop_requests(&self, _at: &Passive) {
        self.stopping.store(true, Ordering::SeqCst);
        // `IoReleaseRemoveLockAndWaitEx` needs an acquisition of the caller's own; it can be
        // refused only if a previous call already removed the lock and waited.
        if self.requests.acquire() {
            self.requests.release_and_wait();
        }
    }

    /// Unload, last step (after the device is deleted): wait for the closes in progress. A
    /// close can still start after this (its guard then counts nothing): under Wine, one the
    /// dispatch thread took from the server just before the device was deleted. Nothing can
    /// make code that is already running wait for an unload that has returned; the window is
    /// Wine's (Windows calls `DriverUnload` only once every handle is closed).
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn stop_closes(&self, _at: &Passive) {
        self.closes_stopped.store(true, Ordering::SeqCst);
        if self.closes.acquire() {
            self.closes.release_and_wait();
        }
    }
}

#[cfg(target_os = "windows")]
pub use kernel::KernelRemoveLock;

#[cfg(target_os = "windows")]
mod kernel {
    use super::RawRemoveLock;
    use crate::sys::imports::{
        IoAcquireRemoveLockEx, IoInitializeRemoveLockEx, IoReleaseRemoveLockAndWaitEx,
        IoReleaseRemoveLockEx,
    };
    use crate::sys::{IO_REMOVE_LOCK, STATUS_SUCCESS};
    use core::cell::UnsafeCell;
    use core::sync::atomic::{AtomicBool, Ordering};

    /// `sizeof(IO_REMOVE_LOCK)` of a free build (no debug block), which the routines check.
    const SIZE: u32 = core::mem::size_of::<IO_REMOVE_LOCK>() as u32;
    /// The pool tag a checked build's tracking blocks would carry: `evRL`.
    const TAG: u32 = u32::from_le_bytes(*b"evRL");
    /// The source file a checked build records per acquisition.
    const FILE: &core::ffi::CStr = c"evshare-km/remove_lock.rs";

    /// An `IO_REMOVE_LOCK` that can live in a `static`: zeroed storage until
    /// [`RawRemoveLock::init`] runs `IoInitializeRemoveLockEx` on it; refuses every
    /// acquisition before that.
    pub struct KernelRemoveLock {
        lock: UnsafeCell<IO_REMOVE_LOCK>,
        ready: AtomicBool,
    }

    // SAFETY: the kernel routines synchronise every access to the lock; `ready` is atomic.
    unsafe impl Sync for KernelRemoveLock {}
    // SAFETY: as above; the lock is plain storage until initialised.
    unsafe impl Send for KernelRemoveLock {}

    impl KernelRemoveLock {
        /// Uninitialised storage.
        pub const fn new() -> Self {
            KernelRemoveLock {
                // SAFETY: IO_REMOVE_LOCK is plain data (flags, a count and a KEVENT), for
                // which all-zero bytes are a valid, if uninitialised, value.
                lock: UnsafeCell::new(unsafe { core::mem::zeroed() }),
                ready: AtomicBool::new(false),
            }
        }
    }

    impl Default for KernelRemoveLock {
        fn default() -> Self {
            Self::new()
        }
    }

    impl RawRemoveLock for KernelRemoveLock {
        fn init(&self) {
            if self.ready.load(Ordering::Acquire) {
                return;
            }
            // SAFETY: the storage lives as long as `self` (a static) and is not in use yet:
            // `ready` is false, so no acquisition touched it. No limits: 0 minutes, 0 holders.
            unsafe { IoInitializeRemoveLockEx(self.lock.get(), TAG, 0, 0, SIZE) };
            self.ready.store(true, Ordering::Release);
        }

        fn acquire(&self) -> bool {
            if !self.ready.load(Ordering::Acquire) {
                return false;
            }
            // SAFETY: an initialised lock; the tag (null) is only recorded by checked builds.
            let status = unsafe {
                IoAcquireRemoveLockEx(
                    self.lock.get(),
                    core::ptr::null_mut(),
                    FILE.as_ptr().cast(),
                    0,
                    SIZE,
                )
            };
            status == STATUS_SUCCESS
        }

        fn release(&self) {
            // SAFETY: an initialised lock, released once per successful acquisition (the
            // guards in `super` guarantee it).
            unsafe { IoReleaseRemoveLockEx(self.lock.get(), core::ptr::null_mut(), SIZE) };
        }

        fn release_and_wait(&self) {
            // SAFETY: an initialised lock the caller acquired; PASSIVE_LEVEL is the caller's
            // contract (`Rundown::stop_*`).
            unsafe { IoReleaseRemoveLockAndWaitEx(self.lock.get(), core::ptr::null_mut(), SIZE) };
        }
    }
}

#[cfg(not(target_os = "windows"))]
pub use model::ModelRemoveLock;

/// A host model of `IO_REMOVE_LOCK` for the loom tests, with **Wine's** order of operations (the
/// weaker one): acquire checks `removed`, then counts. Its wait spins (yielding to loom) until
/// the count is zero.
#[cfg(not(target_os = "windows"))]
mod model {
    use super::RawRemoveLock;
    use crate::sync::model::{spin_hint, AtomicBool, AtomicUsize, Ordering};

    /// The model lock.
    pub struct ModelRemoveLock {
        removed: AtomicBool,
        count: AtomicUsize,
    }

    impl ModelRemoveLock {
        /// A fresh lock.
        #[cfg(not(loom))]
        pub const fn new() -> Self {
            ModelRemoveLock {
                removed: AtomicBool::new(false),
                count: AtomicUsize::new(0),
            }
        }

        /// A fresh lock.
        #[cfg(loom)]
        pub fn new() -> Self {
            ModelRemoveLock {
                removed: AtomicBool::new(false),
                count: AtomicUsize::new(0),
            }
        }
    }

    impl Default for ModelRemoveLock {
        fn default() -> Self {
            Self::new()
        }
    }

    impl RawRemoveLock for ModelRemoveLock {
        fn init(&self) {}

        fn acquire(&self) -> bool {
            // Wine 8.0, dlls/ntoskrnl.exe/sync.c: `if (lock->Common.Removed) return
            // STATUS_DELETE_PENDING; InterlockedIncrement(&lock->Common.IoCount);`
            if self.removed.load(Ordering::SeqCst) {
                return false;
            }
            self.count.fetch_add(1, Ordering::SeqCst);
            true
        }

        fn release(&self) {
            self.count.fetch_sub(1, Ordering::SeqCst);
        }

        fn release_and_wait(&self) {
            self.removed.store(true, Ordering::SeqCst);
            self.count.fetch_sub(1, Ordering::SeqCst);
            while self.count.load(Ordering::SeqCst) != 0 {
                spin_hint();
            }
        }
    }
}

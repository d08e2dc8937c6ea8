//! A kernel timer with its DPC (`KeInitializeTimerEx`, `KeInitializeDpc`, `KeSetTimerEx`,
//! `KeCancelTimer`, `KeFlushQueuedDpcs`).
//!
//! Under Wine the DPC runs on a threadpool thread, concurrently with dispatch routines, and
//! `KeSetTimerEx`/`KeCancelTimer` called from the timer's own DPC deadlock `winedevice.exe`
//! (`shared/WINE-NTOSKRNL.md`). So: the callback may only signal and count; arming and
//! cancelling happen from dispatch code.

use crate::sys::imports::{
    KeCancelTimer, KeFlushQueuedDpcs, KeInitializeDpc, KeInitializeTimerEx, KeSetTimerEx,
};
use crate::sys::{KDPC, KTIMER, NOTIFICATION_TIMER};
use core::cell::UnsafeCell;
use core::ffi::c_void;

/// What a [`Timer`] calls from its DPC.
pub trait TimerCallback: Sync {
    /// Runs in the DPC, at `DISPATCH_LEVEL` on Windows. Must not wait, must not arm or cancel
    /// its own timer.
    fn on_timer(&self);
}

/// A `KTIMER` and its `KDPC`. It must not move once [`Timer::init`] ran, so it lives inside a
/// pool allocation ([`crate::pool::PoolArc`]).
pub struct Timer {
    timer: UnsafeCell<KTIMER>,
    dpc: UnsafeCell<KDPC>,
}

// SAFETY: the kernel synchronises all access to KTIMER/KDPC; we only pass pointers.
unsafe impl Sync for Timer {}
// SAFETY: same as above.
unsafe impl Send for Timer {}

unsafe extern "system" fn dpc_trampoline<C: TimerCallback>(
    _dpc: *mut KDPC,
    context: *mut c_void,
    _arg1: *mut c_void,
    _arg2: *mut c_void,
) {
    // SAFETY: `init`'s contract: `context` is a `&C` that outlives every DPC of this timer.
    let callback = unsafe { &*context.cast::<C>() };
    callback.on_timer();
}

impl Timer {
    /// Storage for a timer, not yet initialised.
    pub const fn new() -> Self {
        Timer {
            // SAFETY: KTIMER and KDPC are plain byte storage until initialised.
            timer: UnsafeCell::new(unsafe { core::mem::zeroed() }),
            // SAFETY: as above.
            dpc: UnsafeCell::new(unsafe { core::mem::zeroed() }),
        }
    }

    /// Initialises the timer and binds its DPC to `callback`.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    ///
    /// # Safety
    /// `self` does not move from now on, and `callback` stays valid until [`Timer::shutdown`]
    /// has returned (or the timer was never armed).
    pub unsafe fn init<C: TimerCallback>(&self, callback: &C) {
        // SAFETY: `timer` is storage we own, not yet known to the kernel.
        unsafe { KeInitializeTimerEx(self.timer.get(), NOTIFICATION_TIMER) };
        let context = (callback as *const C).cast_mut().cast::<c_void>();
        // SAFETY: the caller guarantees `callback` outlives the DPCs.
        unsafe { KeInitializeDpc(self.dpc.get(), dpc_trampoline::<C>, context) };
    }

    /// Arms the timer: first DPC after `due_ms` milliseconds, then every `period_ms` (0 = once).
    /// Re-arming replaces the previous setting. Returns whether it was still armed.
    ///
    /// It cancels before it sets: Wine's `KeSetTimerEx` on a timer that is still marked inserted
    /// (a periodic timer, or a one-shot that already fired) cancels it while holding the lock its
    /// own DPC completion takes, and deadlocks if that DPC is running. Cancelling first, outside
    /// that lock, waits the DPC out instead. On Windows the extra cancel is harmless.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`; never from this timer's own DPC.
    pub fn arm(&self, due_ms: u32, period_ms: u32) -> bool {
        let was_armed = self.cancel();
        // Negative due time = relative, in 100 ns units.
        let due = -(i64::from(due_ms) * 10_000);
        let period = i32::try_from(period_ms).unwrap_or(i32::MAX);
        // SAFETY: `init` ran (owners init the timer right after allocating it), and the storage
        // does not move.
        unsafe { KeSetTimerEx(self.timer.get(), due, period, self.dpc.get()) };
        was_armed
    }

    /// Disarms the timer. Returns whether it was armed. A DPC may still be running or queued
    /// on Windows; use [`Timer::shutdown`] before freeing what the DPC uses.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`; never from this timer's own DPC.
    pub fn cancel(&self) -> bool {
        // SAFETY: see `arm`.
        unsafe { KeCancelTimer(self.timer.get()) != 0 }
    }

    /// Disarms the timer and waits until no DPC of it is queued or running, so the callback's
    /// data may be freed. (`KeCancelTimer` already waits under Wine; Windows needs
    /// `KeFlushQueuedDpcs`, a no-op under Wine.)
    ///
    /// IRQL: `PASSIVE_LEVEL`; never while holding a lock the callback takes.
    pub fn shutdown(&self) {
        self.cancel();
        // SAFETY: no arguments; PASSIVE_LEVEL is the caller's contract.
        unsafe { KeFlushQueuedDpcs() };
    }
}

impl Default for Timer {
    fn default() -> Self {
        Self::new()
    }
}

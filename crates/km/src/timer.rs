//! A kernel timer with its DPC (`KeInitializeTimerEx`, `KeInitializeDpc`, `KeSetTimerEx`,
//! `KeCancelTimer`, `KeFlushQueuedDpcs`), owned by the object its DPC calls back.
//!
//! A [`Timer<O>`] exists only inside its owner `O`, and the owner only inside a
//! [`PoolArc<O>`]: [`Timer::new_owner`] allocates the owner around a fresh timer and binds the
//! timer's DPC to that allocation before anyone can arm it, so there is no uninitialised timer
//! and no `init` for callers to get wrong. The arm/cancel/shutdown bookkeeping is
//! [`TimerState`] (host-buildable, checked by the loom model `tests/loom_timer.rs`):
//!
//! - while armed, the timer holds a counted reference to its owner, so a DPC never runs on
//!   freed memory, whoever drops their references;
//! - [`Timer::shutdown`] (at `PASSIVE_LEVEL`: it flushes queued DPCs) retires the timer, waits
//!   out its DPC and gives the reference back; nothing arms it again;
//! - dropping the owner needs nothing from the kernel: its last reference cannot go while the
//!   timer is armed, so by then the timer was never armed or was shut down. Drop may thus run
//!   at any IRQL; an owner that is never shut down leaks instead of being freed under its DPC.
//!
//! Under Wine the DPC runs on a threadpool thread, concurrently with dispatch routines, and
//! `KeSetTimerEx`/`KeCancelTimer` called from the timer's own DPC deadlock `winedevice.exe`
//! (`shared/WINE-NTOSKRNL.md`). So: the callback may only signal and count; arming and
//! cancelling happen from dispatch code. `KeCancelTimer` waits for a running DPC under Wine;
//! Windows needs `KeFlushQueuedDpcs` (a no-op under Wine).

use crate::pool::PoolArc;
use crate::status::NtStatus;
use crate::sync::model::{AtomicBool, Ordering};
use crate::sys::imports::{
    KeCancelTimer, KeFlushQueuedDpcs, KeInitializeDpc, KeInitializeTimerEx, KeSetTimerEx,
};
use crate::sys::{KDPC, KTIMER, NOTIFICATION_TIMER};
use crate::timer_state::{KernelTimer, TimerState};
use core::cell::UnsafeCell;
use core::ffi::c_void;

/// An object that owns a [`Timer`] and is what its DPC calls back.
pub trait TimerOwner: Sized + Send + Sync + 'static {
    /// The owner's timer (the one [`Timer::new_owner`] handed to the owner's constructor).
    fn timer(&self) -> &Timer<Self>;
    /// Runs in the DPC, at `DISPATCH_LEVEL` on Windows, with that level's token (no
    /// [`crate::irql::Passive`] here: a `PASSIVE_LEVEL` routine does not compile). Must not
    /// wait, must not arm or cancel its own timer.
    fn on_timer(&self, at: &mut crate::irql::DispatchLevel);
}

/// The `KTIMER` and `KDPC` the kernel uses: [`KernelTimer`] for the driver.
struct KernelParts {
    timer: UnsafeCell<KTIMER>,
    dpc: UnsafeCell<KDPC>,
    /// Set once `KeInitializeTimerEx`/`KeInitializeDpc` ran; before that the kernel calls
    /// below are skipped (only [`Timer::new_owner`] can observe that state).
    bound: AtomicBool,
}

impl KernelTimer for KernelParts {
    fn set(&self, due_ms: u32, period_ms: u32) {
        if !self.bound.load(Ordering::Acquire) {
            return;
        }
        // Negative due time = relative, in 100 ns units.
        let due = -(i64::from(due_ms) * 10_000);
        let period = i32::try_from(period_ms).unwrap_or(i32::MAX);
        // SAFETY: initialised (`bound`), in a pool allocation that does not move.
        unsafe { KeSetTimerEx(self.timer.get(), due, period, self.dpc.get()) };
    }

    fn cancel(&self) -> bool {
        if !self.bound.load(Ordering::Acquire) {
            return false;
        }
        // SAFETY: as in `set`.
        unsafe { KeCancelTimer(self.timer.get()) != 0 }
    }

    fn flush(&self) {
        // SAFETY: no arguments; PASSIVE_LEVEL is the caller's contract (TimerState::shutdown).
        unsafe { KeFlushQueuedDpcs() };
    }
}

/// A timer whose DPC calls [`TimerOwner::on_timer`] on the owner it lives in.
pub struct Timer<O: TimerOwner> {
    state: TimerState<KernelParts, PoolArc<O>>,
}

// SAFETY: the kernel synchronises all access to KTIMER/KDPC (we only pass pointers), and the
// state is behind atomics and a spin lock; the keep-alive `PoolArc<O>` is Send + Sync for
// `O: Send + Sync`.
unsafe impl<O: TimerOwner> Sync for Timer<O> {}
// SAFETY: as above.
unsafe impl<O: TimerOwner> Send for Timer<O> {}

unsafe extern "system" fn dpc_trampoline<O: TimerOwner>(
    _dpc: *mut KDPC,
    context: *mut c_void,
    _arg1: *mut c_void,
    _arg2: *mut c_void,
) {
    // SAFETY: `new_owner` bound the DPC to the owner inside its PoolArc, and the armed timer
    // holds a reference to that allocation until `shutdown` has flushed this DPC.
    let owner = unsafe { &*context.cast::<O>() };
    crate::verifier::dpc_enter();
    if owner.timer().state.dpc_may_run() {
        // SAFETY: a DPC runs at DISPATCH_LEVEL; the token stays in this call.
        owner.on_timer(&mut unsafe { crate::irql::DispatchLevel::assume() });
    }
    crate::verifier::dpc_leave();
}

impl<O: TimerOwner> Timer<O> {
    /// Allocates an owner built by `make` around a new timer, then binds the timer's DPC to
    /// it. The timer `make` receives cannot be armed before this returns (the kernel calls are
    /// skipped until bound), and `make` must put it where [`TimerOwner::timer`] finds it: a
    /// timer found elsewhere (already bound to another owner) fails with
    /// `STATUS_INVALID_PARAMETER`.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn new_owner(make: impl FnOnce(Timer<O>) -> O) -> Result<PoolArc<O>, NtStatus> {
        let timer = Timer {
            state: TimerState::new(KernelParts {
                // SAFETY: KTIMER and KDPC are plain byte storage until initialised.
                timer: UnsafeCell::new(unsafe { core::mem::zeroed() }),
                // SAFETY: as above.
                dpc: UnsafeCell::new(unsafe { core::mem::zeroed() }),
                bound: AtomicBool::new(false),
            }),
        };
        let owner = PoolArc::new(make(timer))?;
        let parts = owner.timer().state.kernel();
        if parts.bound.load(Ordering::Acquire) {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        let context = (&*owner as *const O).cast_mut().cast::<c_void>();
        // SAFETY: the timer is storage inside the pool allocation (it never moves), not yet
        // known to the kernel: `bound` is false, so no kernel call touched it.
        unsafe { KeInitializeTimerEx(parts.timer.get(), NOTIFICATION_TIMER) };
        // SAFETY: as above; `context` is the owner, kept alive by the armed timer's reference.
        unsafe { KeInitializeDpc(parts.dpc.get(), dpc_trampoline::<O>, context) };
        parts.bound.store(true, Ordering::Release);
        Ok(owner)
    }

    /// Arms the timer of `owner` (this timer's owner): first DPC after `due_ms` milliseconds,
    /// then every `period_ms` (0 = once). Re-arming replaces the previous setting. From now
    /// until [`Timer::shutdown`] the timer keeps its owner alive. Returns `false`, doing
    /// nothing, once shut down (or if `owner` is not this timer's owner).
    ///
    /// IRQL: `<= DISPATCH_LEVEL`; never from this timer's own DPC.
    pub fn arm(&self, owner: &O, due_ms: u32, period_ms: u32) -> bool {
        // Unbound: `owner` is still being built by `new_owner`'s caller, not yet in its PoolArc.
        if !core::ptr::eq(owner.timer(), self) || !self.state.kernel().bound.load(Ordering::Acquire)
        {
            return false;
        }
        self.state.arm(due_ms, period_ms, || {
            // SAFETY: `owner` owns this timer, and a timer's owner lives in a PoolArc
            // (`new_owner` is the only constructor); `owner` is borrowed from a live reference.
            unsafe { PoolArc::clone_from_value(owner) }
        })
    }

    /// Disarms the timer. Returns whether it was armed. A DPC may still be queued or running
    /// on Windows; the owner stays referenced until [`Timer::shutdown`].
    ///
    /// IRQL: `<= DISPATCH_LEVEL`; never from this timer's own DPC.
    pub fn cancel(&self) -> bool {
        self.state.cancel()
    }

    /// Retires the timer: no arm succeeds after this, the timer is cancelled, every DPC of it
    /// is waited out, and the reference to the owner it held is given back.
    ///
    /// IRQL: `PASSIVE_LEVEL`; never from this timer's own DPC, never while holding a lock the
    /// callback takes; not the owner's last reference (call it through a reference you hold).
    pub fn shutdown(&self, _at: &crate::irql::Passive) {
        self.state.shutdown();
    }

    /// Whether the timer holds a reference to its owner (armed since it was made).
    pub fn holds_owner(&self) -> bool {
        self.state.holds_owner()
    }
}

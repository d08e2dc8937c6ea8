//! The bookkeeping of a kernel timer, written against a seam ([`KernelTimer`]) so the same code
//! runs in the driver (over `KTIMER`/`KDPC`, [`crate::timer`]) and in the host's loom model
//! (`tests/loom_timer.rs`, over a mock that has Windows' semantics).
//!
//! The rules it keeps:
//! - **An armed timer keeps its owner alive.** The first [`TimerState::arm`] stores a counted
//!   reference to the owner (`R`) in the state; only [`TimerState::shutdown`] gives it back,
//!   after the kernel timer is cancelled and every DPC of it has finished. So while any DPC of
//!   the timer may be queued or running, the memory it uses cannot be freed, whoever drops
//!   their references (a leak if nobody ever shuts it down, never a use after free).
//! - **Nothing arms a retired timer.** `shutdown` marks the state retired under the same lock
//!   `arm` holds, so an arm racing with the shutdown (two dispatch routines on Windows) either
//!   completes before it, and is cancelled by it, or is refused.
//! - **No DPC work after `shutdown` returned**: it cancels (Wine waits for a running DPC there)
//!   and then flushes (`KeFlushQueuedDpcs` on Windows, which does not wait in the cancel), and
//!   [`TimerState::dpc_may_run`] lets a DPC that starts during the shutdown skip its work.
//! - **Wine's deadlocks**: `arm` cancels before it sets (Wine's `KeSetTimerEx` on an inserted
//!   timer deadlocks against its own running DPC), and nothing here is ever called from the
//!   timer's own DPC except `dpc_may_run`, which takes no lock.

use crate::sync::model::{AtomicBool, Ordering};
use crate::sync::SpinLock;

/// What the timer logic needs from the kernel (or from a model of it).
pub trait KernelTimer {
    /// Arms the timer: first DPC after `due_ms`, then every `period_ms` (0 = once).
    /// `KeSetTimerEx`.
    fn set(&self, due_ms: u32, period_ms: u32);
    /// Disarms the timer; returns whether it was armed. Does not wait for a DPC already
    /// queued or running (on Windows; Wine's waits for a running one). `KeCancelTimer`.
    fn cancel(&self) -> bool;
    /// Returns once no DPC queued before the call is still queued or running.
    /// `KeFlushQueuedDpcs`: `PASSIVE_LEVEL` only.
    fn flush(&self);
}

/// A timer's arm/cancel/shutdown state, holding the keep-alive reference `R` while armed.
pub struct TimerState<K, R> {
    kernel: K,
    retired: AtomicBool,
    /// The owner's reference the armed timer holds (`None`: never armed, or shut down).
    keep_alive: SpinLock<Option<R>>,
}

impl<K: KernelTimer, R> TimerState<K, R> {
    /// A state that was never armed.
    pub fn new(kernel: K) -> Self {
        TimerState {
            kernel,
            retired: AtomicBool::new(false),
            keep_alive: SpinLock::new(None),
        }
    }

    /// The kernel side (for the driver: to bind its DPC).
    pub fn kernel(&self) -> &K {
        &self.kernel
    }

    /// Arms (or re-arms) the timer; `keep_alive` makes the owner's reference the timer holds
    /// from now until [`shutdown`](Self::shutdown), if it does not hold one yet. Returns
    /// `false`, doing nothing, once the timer is retired.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`; never from this timer's own DPC.
    pub fn arm(&self, due_ms: u32, period_ms: u32, keep_alive: impl FnOnce() -> R) -> bool {
        let mut kept = self.keep_alive.lock_leaf();
        if self.retired.load(Ordering::Acquire) {
            return false;
        }
        if kept.is_none() {
            *kept = Some(keep_alive());
        }
        // Cancel first, outside the lock Wine's KeSetTimerEx would cancel under.
        self.kernel.cancel();
        self.kernel.set(due_ms, period_ms);
        true
    }

    /// Disarms the timer; returns whether it was armed. A DPC may still be queued or running
    /// (on Windows), so the owner stays referenced until [`shutdown`](Self::shutdown).
    ///
    /// IRQL: `<= DISPATCH_LEVEL`; never from this timer's own DPC.
    pub fn cancel(&self) -> bool {
        let _kept = self.keep_alive.lock_leaf();
        self.kernel.cancel()
    }

    /// Retires the timer for good: refuses every later arm, cancels, waits until no DPC of it
    /// is queued or running, then gives back the owner's reference (dropped here, after the
    /// lock is released). Idempotent.
    ///
    /// IRQL: `PASSIVE_LEVEL` (the flush); never from this timer's own DPC, never while holding
    /// a lock the DPC takes.
    pub fn shutdown(&self) {
        {
            let _kept = self.keep_alive.lock_leaf();
            self.retired.store(true, Ordering::Release);
        }
        self.kernel.cancel();
        self.kernel.flush();
        let released = self.keep_alive.lock_leaf().take();
        drop(released);
    }

    /// Whether a DPC should do its work: `false` once a shutdown began (the shutdown still
    /// waits for the DPC; this only spares a signal nobody will see). Takes no lock.
    ///
    /// IRQL: any (this is what the DPC calls).
    pub fn dpc_may_run(&self) -> bool {
        !self.retired.load(Ordering::Acquire)
    }

    /// Whether the timer holds its owner's reference (armed since the last shutdown).
    pub fn holds_owner(&self) -> bool {
        self.keep_alive.lock_leaf().is_some()
    }
}

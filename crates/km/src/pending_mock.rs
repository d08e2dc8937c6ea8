//! Mock IRPs for the loom models of code built on [`crate::pending`] (km's own
//! `tests/loom_pending.rs`, and the library's channel inbox model): what the queue touches of a
//! real IRP (an atomic cancel-routine slot and cancel flag, used the way `IoSetCancelRoutine`
//! and `IoCancelIrp` use the real ones), plus what the models check. Built only with
//! `--cfg loom`.

use crate::pending::{PendingQueue, Request};
use crate::sync::model::{AtomicBool, AtomicUsize, Ordering};

extern crate std;
use std::boxed::Box;

/// A mock IRP.
pub struct MockIrp {
    /// Which handle it came through.
    pub key: u32,
    /// `CancelRoutine`: the address of the queue whose routine is set, or 0.
    pub cancel_routine: AtomicUsize,
    /// `Cancel`.
    pub cancel: AtomicBool,
    /// `SL_PENDING_RETURNED`.
    pub pending: AtomicBool,
    /// Times it was completed.
    pub completions: AtomicUsize,
    /// What its completion carried (a model's own encoding; 0 for nothing).
    pub carried: AtomicUsize,
}

/// The queue's handle on a mock IRP; equal when it is the same IRP.
#[derive(Clone, Copy)]
pub struct Mock(pub &'static MockIrp);

impl PartialEq for Mock {
    fn eq(&self, other: &Mock) -> bool {
        core::ptr::eq(self.0, other.0)
    }
}

impl Eq for Mock {}

/// An owned mock IRP, completed by [`complete`](Self::complete).
pub struct Owned(pub Mock);

impl Owned {
    /// Completes it, carrying nothing.
    pub fn complete(self) {
        self.0 .0.completions.fetch_add(1, Ordering::SeqCst);
    }

    /// Completes it carrying `value`.
    pub fn complete_carrying(self, value: usize) {
        self.0 .0.carried.store(value, Ordering::SeqCst);
        self.complete();
    }
}

/// A new mock IRP of handle `key` (leaked: models are short).
pub fn irp(key: u32) -> Mock {
    Mock(Box::leak(Box::new(MockIrp {
        key,
        cancel_routine: AtomicUsize::new(0),
        cancel: AtomicBool::new(false),
        pending: AtomicBool::new(false),
        completions: AtomicUsize::new(0),
        carried: AtomicUsize::new(0),
    })))
}

// SAFETY: `arm`/`disarm` are atomic swaps of one slot, `is_cancelled` reads the flag that
// `cancel` below sets before its own swap, and `cancel` unlinks before completing.
unsafe impl Request for Mock {
    type Key = u32;
    type Owned = Owned;

    fn park(owned: Owned) -> Self {
        owned.0
    }

    unsafe fn unpark(self) -> Owned {
        Owned(self)
    }

    unsafe fn take_cancelled(self) -> Owned {
        Owned(self)
    }

    fn key(self) -> u32 {
        self.0.key
    }

    fn mark_pending(self) {
        self.0.pending.store(true, Ordering::SeqCst);
    }

    fn arm<const N: usize>(self, queue: &'static PendingQueue<Self, N>) {
        let routine = queue as *const PendingQueue<Self, N> as usize;
        self.0.cancel_routine.swap(routine, Ordering::SeqCst);
    }

    fn disarm(self) -> bool {
        self.0.cancel_routine.swap(0, Ordering::SeqCst) != 0
    }

    fn is_cancelled(self) -> bool {
        self.0.cancel.load(Ordering::SeqCst)
    }
}

/// `IoCancelIrp` and the queue's cancel routine: sets the flag, swaps the routine out, and if
/// one was set, unlinks and completes. `N` is the size of the queue the request is parked in.
pub fn cancel<const N: usize>(irp: Mock) {
    irp.0.cancel.store(true, Ordering::SeqCst);
    let routine = irp.0.cancel_routine.swap(0, Ordering::SeqCst);
    if routine != 0 {
        // SAFETY: `arm` stored the address of a leaked, 'static queue of this type.
        let queue = unsafe { &*(routine as *const PendingQueue<Mock, N>) };
        queue.unlink(irp);
        Owned(irp).complete();
    }
}

/// Runs `body` under loom with at most `preemptions` forced switches per execution (unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise): enough for these races, and seconds per model.
pub fn model(preemptions: usize, body: impl Fn() + Send + Sync + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(preemptions);
    }
    // The queue's lock spins (yielding to loom each turn): allow the longer paths that makes.
    builder.max_branches = 100_000;
    builder.check(body);
}

//! A cancel-safe queue of pending IRPs, for the inverted call: the app sends IOCTLs that the
//! driver parks here and completes one per notification.
//!
//! `IoCsq*` is unusable under Wine (`IoCsqInitialize` does nothing, the rest are crashing
//! stubs), so this is the classic pattern written out:
//!
//! - Parking checks the limits (the queue's `N` and the requesting process's quota), marks the
//!   IRP pending, sets the cancel routine and stores the IRP **under one hold of the queue's
//!   lock**, so two dispatches near the limit on two CPUs cannot both pass the check (issue 8,
//!   item 3: the old code checked under one hold and inserted under another, and the loser was
//!   marked pending but stored nowhere).
//! - The cancel routine is set with an atomic swap of `Irp->CancelRoutine` (what the
//!   `IoSetCancelRoutine` macro does). **Whoever swaps the routine out owns the IRP**: the
//!   dequeuer (it got our routine back: `IoCancelIrp` will not call it) or `IoCancelIrp` (the
//!   dequeuer got NULL: it leaves the IRP to the cancel routine, which completes it).
//! - The cancel routine releases the global cancel spin lock first, then takes the queue lock
//!   to unlink the IRP if it is still queued, and completes it `STATUS_CANCELLED`.
//! - Every IRP is completed exactly once, outside the queue lock.
//!
//! The logic is generic over [`Request`], the seam to the kernel: [`crate::irp::ParkedIrp`] in
//! the driver, mock IRPs with the same atomic cancel-routine slot and cancel flag in the loom
//! models (`tests/loom_pending.rs`), which run this very code on the host under every
//! interleaving loom explores. The models found the old park logic wrong; it is kept, for them
//! only, as [`Fault::CheckThenInsert`].
//!
//! Under Wine the cancel request carries a raw IRP pointer and is processed on the dispatch
//! thread, so parked IRPs should be completed from dispatch code, not from a DPC
//! (`shared/WINE-NTOSKRNL.md`, Q2); and an IRP taken out of the queue is completed without
//! being freed at once (see `crate::wine_fence`).

use crate::sync::SpinLock;

/// What the queue needs of a request: the seam between its logic and the kernel's IRP.
///
/// # Safety
/// `arm` must make the request reachable by a concurrent cancel exactly as the kernel's
/// `IoSetCancelRoutine` does, `disarm` must be the atomic swap that decides ownership against
/// that cancel, and `is_cancelled` must see a cancel that happened before the swap in `arm`.
/// A cancel that wins calls [`PendingQueue::unlink`] before completing the request.
pub unsafe trait Request: Copy + Eq + Send {
    /// What the queue groups requests by (the file object, i.e. the handle).
    type Key: Copy + Eq;
    /// The owned request, handed in to [`PendingQueue::park`] and back out of the `take`s.
    type Owned;

    /// Gives up ownership to the queue.
    fn park(owned: Self::Owned) -> Self;
    /// Takes ownership back, after winning the swap.
    ///
    /// # Safety
    /// `disarm` returned `true` for it (or it was never armed), and no queue holds it.
    unsafe fn unpark(self) -> Self::Owned;
    /// Ownership back of a request cancelled before it could be queued, to complete it.
    ///
    /// # Safety
    /// As [`unpark`](Self::unpark).
    unsafe fn take_cancelled(self) -> Self::Owned;
    /// Its key.
    fn key(self) -> Self::Key;
    /// Marks it pending (`IoMarkIrpPending`).
    fn mark_pending(self);
    /// Sets the cancel routine of queue `queue`, which a cancel then finds.
    fn arm<const N: usize>(self, queue: &'static PendingQueue<Self, N>);
    /// Swaps the cancel routine out; `true` if the caller now owns the request.
    fn disarm(self) -> bool;
    /// Whether a cancel ran on it.
    fn is_cancelled(self) -> bool;
}

/// Which limit refused to park a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The queue is full: it holds `N` requests, from all processes.
    PoolFull,
    /// The requesting process holds as many as one process may.
    ProcessQuota,
}

/// What [`PendingQueue::park`] did with a request it accepted.
pub enum Parked<O> {
    /// Queued: a `take` or a cancel completes it; the dispatch routine returns `STATUS_PENDING`.
    Queued,
    /// It was cancelled before it could be queued and is the caller's to complete
    /// (`STATUS_CANCELLED`); it is marked pending, so the dispatch routine still returns
    /// `STATUS_PENDING`.
    Cancelled(O),
    /// It was cancelled before it could be queued, and its cancel routine completes it.
    CancelRoutineOwns,
}

/// A deliberately weakened queue, for the models only: proof that they can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The queue as it is.
    None,
    /// The old park: the limit checked under one lock hold, the request inserted under
    /// another (and dropped, marked pending, if the queue filled in between).
    CheckThenInsert,
}

/// A parked request and the process it counts against.
#[derive(Clone, Copy)]
struct Slot<R> {
    request: R,
    process: u32,
}

/// Parked requests in arrival order (a small array; removal from the middle shifts).
struct Slots<R, const N: usize> {
    slots: [Option<Slot<R>>; N],
    len: usize,
}

impl<R: Request, const N: usize> Slots<R, N> {
    fn remove_at(&mut self, index: usize) -> Option<Slot<R>> {
        if index >= self.len {
            return None;
        }
        let taken = self.slots.get_mut(index).and_then(Option::take);
        // Close the gap by moving each later slot down one. Through `get_mut`, not
        // `rotate_left`, whose internal asserts the optimiser keeps (a panic path in the driver).
        for from in index.saturating_add(1)..self.len {
            let moved = self.slots.get_mut(from).and_then(Option::take);
            if let Some(to) = self.slots.get_mut(from - 1) {
                *to = moved;
            }
        }
        self.len -= 1;
        taken
    }

    fn held_by(&self, process: u32) -> usize {
        self.slots
            .iter()
            .take(self.len)
            .flatten()
            .filter(|slot| slot.process == process)
            .count()
    }

    /// Which limit a new request of `process` would break, if any.
    fn refusal(&self, process: u32, per_process: usize) -> Option<Refusal> {
        if self.len >= N {
            Some(Refusal::PoolFull)
        } else if self.held_by(process) >= per_process {
            Some(Refusal::ProcessQuota)
        } else {
            None
        }
    }

    /// Appends; `false` (and nothing stored) if full.
    fn push(&mut self, slot: Slot<R>) -> bool {
        let len = self.len;
        match self.slots.get_mut(len) {
            Some(free) => {
                *free = Some(slot);
                self.len += 1;
                true
            }
            None => false,
        }
    }
}

/// Up to `N` pending requests. Lives in a `static` (cancel routines find it through the IRP).
pub struct PendingQueue<R, const N: usize> {
    slots: SpinLock<Slots<R, N>>,
    fault: Fault,
}

impl<R: Request, const N: usize> PendingQueue<R, N> {
    /// An empty queue.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        PendingQueue {
            slots: SpinLock::new(Slots {
                slots: [None; N],
                len: 0,
            }),
            fault: Fault::None,
        }
    }

    /// An empty queue (loom's atomics are not `const`).
    #[cfg(loom)]
    pub fn new() -> Self {
        Self::with_fault(Fault::None)
    }

    /// An empty queue with `fault` built in: for the models, which must catch it.
    #[cfg(any(test, loom))]
    pub fn with_fault(fault: Fault) -> Self {
        PendingQueue {
            slots: SpinLock::new(Slots {
                slots: [None; N],
                len: 0,
            }),
            fault,
        }
    }

    /// How many requests are parked.
    pub fn len(&self) -> usize {
        self.slots.lock_leaf().len
    }

    /// Whether no request is parked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many requests of `process` are parked.
    pub fn held_by(&self, process: u32) -> usize {
        self.slots.lock_leaf().held_by(process)
    }

    /// Parks `request` of `process` until a `take` or a cancel completes it, unless the queue
    /// is full or `process` already has `per_process` parked: then it comes back untouched (not
    /// marked pending) with the limit that refused it.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn park(
        &'static self,
        owned: R::Owned,
        process: u32,
        per_process: usize,
    ) -> Result<Parked<R::Owned>, (R::Owned, Refusal)> {
        let request = R::park(owned);
        if self.fault == Fault::CheckThenInsert {
            // The old code's separate first hold.
            let refusal = self.slots.lock_leaf().refusal(process, per_process);
            if let Some(refusal) = refusal {
                // SAFETY: never armed, in no queue.
                return Err((unsafe { request.unpark() }, refusal));
            }
        }
        let mut slots = self.slots.lock_leaf();
        if self.fault == Fault::None {
            if let Some(refusal) = slots.refusal(process, per_process) {
                drop(slots);
                // SAFETY: never armed, in no queue.
                return Err((unsafe { request.unpark() }, refusal));
            }
        }
        request.mark_pending();
        request.arm(self);
        if request.is_cancelled() {
            let ours = request.disarm();
            drop(slots);
            if ours {
                // The cancel ran before the routine was set: it will not call it; we complete.
                // SAFETY: we swapped the routine out; the request is in no queue.
                return Ok(Parked::Cancelled(unsafe { request.take_cancelled() }));
            }
            // The cancel routine owns it and completes it (it will not find it queued).
            return Ok(Parked::CancelRoutineOwns);
        }
        // Cannot fail when the limit was checked under this hold; with the old logic it can,
        // and the request is then lost, marked pending: what the models catch.
        let _ = slots.push(Slot { request, process });
        Ok(Parked::Queued)
    }

    /// The oldest parked request that is still ours to complete, or `None`.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn take_next(&self) -> Option<R::Owned> {
        self.take_where(|_| true)
    }

    /// The oldest parked request of `key` that is still ours to complete, or `None`.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn take_for(&self, key: R::Key) -> Option<R::Owned> {
        self.take_where(|request| request.key() == key)
    }

    fn take_where(&self, matches: impl Fn(R) -> bool) -> Option<R::Owned> {
        let mut slots = self.slots.lock_leaf();
        let mut index = 0;
        while index < slots.len {
            let Some(slot) = slots.slots.get(index).copied().flatten() else {
                index += 1;
                continue;
            };
            if !matches(slot.request) {
                index += 1;
                continue;
            }
            let _ = slots.remove_at(index);
            if slot.request.disarm() {
                drop(slots);
                // SAFETY: we swapped our routine out and unlinked it, so we own it now.
                return Some(unsafe { slot.request.unpark() });
            }
            // A cancel got there first: its routine completes the request; keep looking.
        }
        None
    }

    /// Unlinks `request` if it is still parked: the cancel routine's half, before it completes
    /// the request.
    pub fn unlink(&self, request: R) {
        let mut slots = self.slots.lock_leaf();
        let found = slots
            .slots
            .iter()
            .take(slots.len)
            .position(|slot| slot.is_some_and(|slot| slot.request == request));
        if let Some(index) = found {
            let _ = slots.remove_at(index);
        }
    }
}

#[cfg(not(loom))]
impl<R: Request, const N: usize> Default for PendingQueue<R, N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(target_os = "windows")]
pub use kernel::park_irp;

/// The seam's kernel side: [`crate::irp::ParkedIrp`] and its cancel routine.
#[cfg(target_os = "windows")]
mod kernel {
    use super::{Parked, PendingQueue, Refusal, Request};
    use crate::irp::{Completed, FileId, Irp, ParkedIrp};
    use crate::process::ProcessId;
    use crate::status::NtStatus;
    use crate::sys::{IRP, PDEVICE_OBJECT, STATUS_CANCELLED};

    // SAFETY: `ParkedIrp::arm` and `disarm` are the `IoSetCancelRoutine` swap on the IRP's own
    // field, `is_cancelled` reads the flag `IoCancelIrp` sets before its swap, and the cancel
    // routine below unlinks before completing.
    unsafe impl Request for ParkedIrp {
        type Key = FileId;
        type Owned = Irp;

        fn park(owned: Irp) -> Self {
            owned.park()
        }

        unsafe fn unpark(self) -> Irp {
            // SAFETY: the caller's contract is `ParkedIrp::unpark`'s.
            unsafe { ParkedIrp::unpark(self) }
        }

        unsafe fn take_cancelled(self) -> Irp {
            // SAFETY: ours (we won the swap) and in no queue; no cancel is still queued for it.
            unsafe { self.cancelled() }
        }

        fn key(self) -> FileId {
            self.file()
        }

        fn mark_pending(self) {
            ParkedIrp::mark_pending(self);
        }

        fn arm<const N: usize>(self, queue: &'static PendingQueue<Self, N>) {
            let routine = cancel_routine::<N> as crate::irp::CancelRoutine;
            ParkedIrp::arm(
                self,
                routine,
                (queue as *const PendingQueue<Self, N>).cast(),
            );
        }

        fn disarm(self) -> bool {
            ParkedIrp::disarm(self)
        }

        fn is_cancelled(self) -> bool {
            ParkedIrp::is_cancelled(self)
        }
    }

    unsafe extern "system" fn cancel_routine<const N: usize>(
        _device: PDEVICE_OBJECT,
        irp: *mut IRP,
    ) {
        // SAFETY: we are the cancel routine `arm` set, called by IoCancelIrp with this IRP.
        let Some((parked, context)) = (unsafe { ParkedIrp::enter_cancel_routine(irp) }) else {
            return;
        };
        // SAFETY: `arm` stored the address of this 'static queue.
        let queue = unsafe { &*context.cast::<PendingQueue<ParkedIrp, N>>() };
        queue.unlink(parked);
        // SAFETY: IoCancelIrp swapped our routine out, so the IRP is ours; it is unlinked.
        let irp = unsafe { parked.cancelled() };
        let _ = irp.complete(NtStatus::from_raw(STATUS_CANCELLED), 0);
    }

    /// [`PendingQueue::park`] for a dispatch routine: `Ok` is what it returns
    /// (`STATUS_PENDING`); `Err` gives the IRP back, untouched, with the limit that refused it.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn park_irp<const N: usize>(
        queue: &'static PendingQueue<ParkedIrp, N>,
        irp: Irp,
        process: ProcessId,
        per_process: usize,
    ) -> Result<Completed, (Irp, Refusal)> {
        match queue.park(irp, process.0, per_process)? {
            Parked::Queued | Parked::CancelRoutineOwns => {}
            Parked::Cancelled(irp) => {
                let _ = irp.complete(NtStatus::from_raw(STATUS_CANCELLED), 0);
            }
        }
        Ok(Completed::pending())
    }
}

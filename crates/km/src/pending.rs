//! A cancel-safe queue of pending IRPs, for the inverted call: the app sends IOCTLs that the
//! driver parks here and completes one per notification.
//!
//! `IoCsq*` is unusable under Wine (`IoCsqInitialize` does nothing, the rest are crashing
//! stubs), so this is the classic pattern written out:
//!
//! - The cancel routine is set with an atomic swap of `Irp->CancelRoutine` (what the
//!   `IoSetCancelRoutine` macro does). **Whoever swaps the routine out owns the IRP**: the
//!   dequeuer (it got our routine back: `IoCancelIrp` will not call it) or `IoCancelIrp` (the
//!   dequeuer got NULL: it leaves the IRP to the cancel routine, which completes it).
//! - The cancel routine releases the global cancel spin lock first, then takes the queue lock
//!   to unlink the IRP if it is still queued, and completes it `STATUS_CANCELLED`.
//! - Every IRP is completed exactly once, outside the queue lock.
//!
//! Under Wine the cancel request carries a raw IRP pointer and is processed on the dispatch
//! thread, so parked IRPs should be completed from dispatch code, not from a DPC
//! (`shared/WINE-NTOSKRNL.md`, Q2).

use crate::irp::{Completed, FileId, Irp};
use crate::status::NtStatus;
use crate::sync::SpinLock;
use crate::sys::imports::IoReleaseCancelSpinLock;
use crate::sys::{IRP, PDEVICE_OBJECT, SL_PENDING_RETURNED, STATUS_CANCELLED};
use core::ffi::c_void;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};

/// Parked IRPs in arrival order (a small array; removal from the middle shifts).
struct Slots<const N: usize> {
    irps: [Option<NonNull<IRP>>; N],
    len: usize,
}

// SAFETY: the IRP pointers are owned by the queue while parked and used under its lock.
unsafe impl<const N: usize> Send for Slots<N> {}

impl<const N: usize> Slots<N> {
    fn remove_at(&mut self, index: usize) -> Option<NonNull<IRP>> {
        if index >= self.len {
            return None;
        }
        let taken = self.irps.get_mut(index).and_then(Option::take);
        if let Some(tail) = self.irps.get_mut(index..self.len) {
            tail.rotate_left(1);
        }
        self.len -= 1;
        taken
    }
}

/// Up to `N` pending IRPs. Lives in a `static` (cancel routines find it through the IRP).
pub struct PendingQueue<const N: usize> {
    slots: SpinLock<Slots<N>>,
}

fn cancel_slot(irp: NonNull<IRP>) -> &'static AtomicPtr<c_void> {
    // SAFETY: projecting to a field of a live IRP (no read happens).
    let field = unsafe { core::ptr::addr_of_mut!((*irp.as_ptr()).CancelRoutine) };
    // SAFETY: `CancelRoutine` is a pointer-sized, pointer-aligned field of a live IRP that the
    // kernel itself only ever updates with interlocked operations; viewing it as an AtomicPtr is
    // what `IoSetCancelRoutine` does. The IRP outlives every use made here.
    unsafe { AtomicPtr::from_ptr(field) }
}

fn file_of(irp: NonNull<IRP>) -> FileId {
    // SAFETY: a parked IRP is alive and owned by the queue; reading its stack location is fine.
    let irp = unsafe { Irp::from_raw(irp) };
    let file = irp.file();
    // Not ours to complete here: give the pointer back without touching the IRP.
    let _ = irp.into_raw();
    file
}

unsafe extern "system" fn cancel_routine<const N: usize>(_device: PDEVICE_OBJECT, irp: *mut IRP) {
    let Some(irp) = NonNull::new(irp) else { return };
    // SAFETY: the I/O manager calls us with the cancel spin lock held and the IRP alive.
    let cancel_irql = unsafe { (*irp.as_ptr()).CancelIrql };
    // SAFETY: we hold the cancel spin lock (the I/O manager acquired it) and release it first.
    unsafe { IoReleaseCancelSpinLock(cancel_irql) };
    // SAFETY: the IRP is alive; `park` stored the queue's address in DriverContext[0].
    let context = unsafe { (*irp.as_ptr()).Tail.DriverContext[0] };
    // SAFETY: the queue is 'static (park takes &'static self).
    let queue = unsafe { &*context.cast::<PendingQueue<N>>() };
    queue.unlink(irp);
    // IoCancelIrp swapped our routine out, so the IRP is ours to complete.
    // SAFETY: as above; nobody else completes it.
    let irp = unsafe { Irp::from_raw(irp) };
    let _ = irp.complete(NtStatus::from_raw(STATUS_CANCELLED), 0);
}

impl<const N: usize> PendingQueue<N> {
    /// An empty queue.
    pub const fn new() -> Self {
        PendingQueue {
            slots: SpinLock::new(Slots {
                irps: [None; N],
                len: 0,
            }),
        }
    }

    /// How many IRPs are parked.
    pub fn len(&self) -> usize {
        self.slots.lock().len
    }

    /// Whether no IRP is parked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parks `irp` until [`take_next`](Self::take_next) or a cancel completes it; returns what
    /// the dispatch routine returns (`STATUS_PENDING`). A full queue completes the IRP with
    /// `when_full` instead. An IRP already cancelled is completed `STATUS_CANCELLED`.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn park(&'static self, irp: Irp, when_full: NtStatus) -> Completed {
        if self.len() >= N {
            return irp.complete(when_full, 0);
        }
        let raw = irp.into_raw();
        // SAFETY: we own the IRP; DriverContext is ours while we hold it, and its current stack
        // location is valid.
        unsafe {
            (*raw.as_ptr()).Tail.DriverContext[0] = (self as *const Self).cast_mut().cast();
        }
        // SAFETY: as above.
        let location = unsafe { (*raw.as_ptr()).Tail.CurrentStackLocation };
        // SAFETY: the current stack location of an IRP we own (IoMarkIrpPending).
        unsafe {
            (*location).Control |= SL_PENDING_RETURNED;
        }
        let mut slots = self.slots.lock();
        let routine = cancel_routine::<N> as unsafe extern "system" fn(_, _);
        cancel_slot(raw).swap(routine as *mut c_void, Ordering::SeqCst);
        // SAFETY: projecting to a field of an IRP we own (no read happens).
        let cancel_flag = unsafe { core::ptr::addr_of!((*raw.as_ptr()).Cancel) };
        // SAFETY: reading the Cancel flag of an IRP we own; IoCancelIrp may set it concurrently,
        // hence the volatile read.
        let cancelled = unsafe { core::ptr::read_volatile(cancel_flag) } != 0;
        if cancelled {
            let routine_was_ours = !cancel_slot(raw)
                .swap(core::ptr::null_mut(), Ordering::SeqCst)
                .is_null();
            drop(slots);
            if routine_was_ours {
                // IoCancelIrp ran before our routine was set: it will not call it; we complete.
                // SAFETY: we own the IRP.
                let irp = unsafe { Irp::from_raw(raw) };
                let _ = irp.complete(NtStatus::from_raw(STATUS_CANCELLED), 0);
            }
            // Otherwise the cancel routine owns it and completes it (it will not find it queued).
            return Completed::pending();
        }
        let len = slots.len;
        if let Some(slot) = slots.irps.get_mut(len) {
            *slot = Some(raw);
            slots.len += 1;
        }
        Completed::pending()
    }

    /// The oldest parked IRP that is still ours to complete, or `None`.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn take_next(&self) -> Option<Irp> {
        self.take_where(|_| true)
    }

    /// The oldest parked IRP of `file` that is still ours to complete, or `None`.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn take_for(&self, file: FileId) -> Option<Irp> {
        self.take_where(|irp| file_of(irp) == file)
    }

    fn take_where(&self, matches: impl Fn(NonNull<IRP>) -> bool) -> Option<Irp> {
        let mut slots = self.slots.lock();
        let mut index = 0;
        while index < slots.len {
            let Some(irp) = slots.irps.get(index).copied().flatten() else {
                index += 1;
                continue;
            };
            if !matches(irp) {
                index += 1;
                continue;
            }
            let _ = slots.remove_at(index);
            if !cancel_slot(irp)
                .swap(core::ptr::null_mut(), Ordering::SeqCst)
                .is_null()
            {
                // SAFETY: we swapped our routine out, so we own the IRP now.
                return Some(unsafe { Irp::from_raw(irp) });
            }
            // IoCancelIrp got there first: its routine completes the IRP; keep looking.
        }
        None
    }

    /// Unlinks `irp` if it is still parked (the cancel routine's half).
    fn unlink(&self, irp: NonNull<IRP>) {
        let mut slots = self.slots.lock();
        let found = slots
            .irps
            .iter()
            .take(slots.len)
            .position(|s| *s == Some(irp));
        if let Some(index) = found {
            let _ = slots.remove_at(index);
        }
    }
}

impl<const N: usize> Default for PendingQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

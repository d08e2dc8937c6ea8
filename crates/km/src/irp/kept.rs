//! A parked IRP that was completed but whose memory is kept: what `crate::wine_fence` needs
//! against Wine's late cancels, with every touch of the IRP's stack, `DriverContext` and
//! `Cancel` flag here, in `irp`.

use crate::sys::imports::IofCompleteRequest;
use crate::sys::{
    IO_COMPLETION_ROUTINE, IO_NO_INCREMENT, IRP, PDEVICE_OBJECT, SL_INVOKE_ON_CANCEL,
    SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS, SL_PENDING_RETURNED, STATUS_MORE_PROCESSING_REQUIRED,
};
use core::ptr::NonNull;

/// A completed IRP (the I/O manager and the app have its answer) that is not freed yet. It
/// owns the IRP: [`KeptIrp::free`] is the only way it goes, and kept IRPs link into a list
/// through their own `Tail.Overlay.DriverContext` (`[0]` the next one, `[1]` an epoch), so the
/// list needs no memory of its own. A late `IoCancelIrp` may still set its `Cancel` flag (its
/// cancel routine is NULL, so that is all it does).
pub(crate) struct KeptIrp(NonNull<IRP>);

// SAFETY: the IRP is ours alone (completed, not freed); whoever holds the value uses it.
unsafe impl Send for KeptIrp {}

/// Completes `raw` without freeing it: runs the completion routines of its stack locations as
/// Wine's `IoCompleteRequest` does (`dlls/ntoskrnl.exe/ntoskrnl.c`), and stops before the tail
/// that frees it. `None` when a routine kept the IRP (`STATUS_MORE_PROCESSING_REQUIRED`: Wine's
/// does for an IRP completed inside its own dispatch, and frees it itself).
///
/// # Safety
/// Under Wine only; the caller owns `raw`, whose status block is written and whose cancel
/// routine is swapped out, and never touches it again.
pub(crate) unsafe fn complete_keeping(raw: NonNull<IRP>) -> Option<KeptIrp> {
    loop {
        let step = {
            // SAFETY: we own the IRP and hold no other reference to it in this block.
            let irp = unsafe { &mut *raw.as_ptr() };
            next_location(irp)
        };
        match step {
            Step::Exhausted => return Some(KeptIrp(raw)),
            Step::Skip => {}
            Step::Call {
                routine,
                device,
                context,
            } => {
                // SAFETY: the completion routine the IRP's stack location holds, called as
                // IoCompleteRequest calls it; we hold no reference to the IRP meanwhile.
                let kept = unsafe { routine(device, raw.as_ptr(), context) };
                if kept == STATUS_MORE_PROCESSING_REQUIRED {
                    return None;
                }
            }
        }
    }
}

/// One turn of `IoCompleteRequest`'s loop.
enum Step {
    /// `CurrentLocation > StackCount`: only the tail (which frees the IRP) is left.
    Exhausted,
    /// A location without a routine to call.
    Skip,
    /// Call this completion routine.
    Call {
        routine: IO_COMPLETION_ROUTINE,
        device: PDEVICE_OBJECT,
        context: *mut core::ffi::c_void,
    },
}

/// Moves the IRP past its current stack location as Wine's `IoCompleteRequest` does, and says
/// what to call for it.
fn next_location(irp: &mut IRP) -> Step {
    if irp.CurrentLocation > irp.StackCount {
        return Step::Exhausted;
    }
    let current = irp.Tail.CurrentStackLocation;
    // SAFETY: CurrentLocation <= StackCount, so the current stack location is one of the IRP's
    // own (they follow the IRP in its allocation, outside the `&mut IRP`).
    let location = unsafe { &mut *current };
    let status = irp.IoStatus.Status as i32;
    let routine = location.CompletionRoutine;
    let control = location.Control;
    let call = !routine.is_null()
        && ((control & SL_INVOKE_ON_SUCCESS != 0 && status == 0)
            || (control & SL_INVOKE_ON_ERROR != 0 && status != 0)
            || (control & SL_INVOKE_ON_CANCEL != 0 && irp.Cancel != 0));
    irp.CurrentLocation += 1;
    irp.Tail.CurrentStackLocation = current.wrapping_add(1);
    let device = if irp.CurrentLocation <= irp.StackCount {
        // SAFETY: still within the IRP's stack locations.
        unsafe { (*irp.Tail.CurrentStackLocation).DeviceObject }
    } else {
        core::ptr::null_mut()
    };
    irp.PendingReturned = u8::from(control & SL_PENDING_RETURNED != 0);
    location.Control = 0;
    if !call {
        return Step::Skip;
    }
    // SAFETY: a non-null CompletionRoutine is a PIO_COMPLETION_ROUTINE (IoSetCompletionRoutine).
    let routine =
        unsafe { core::mem::transmute::<*mut core::ffi::c_void, IO_COMPLETION_ROUTINE>(routine) };
    Step::Call {
        routine,
        device,
        context: location.Context,
    }
}

impl KeptIrp {
    fn context(&self) -> [*mut core::ffi::c_void; 4] {
        // SAFETY: ours and alive; a late IoCancelIrp touches only Cancel, CancelRoutine and
        // CancelIrql, never DriverContext.
        unsafe { (*self.0.as_ptr()).Tail.DriverContext }
    }

    fn set_context(&mut self, index: usize, value: *mut core::ffi::c_void) {
        // SAFETY: as in `context`; `&mut self` is the only user.
        let context = unsafe { &mut (*self.0.as_ptr()).Tail.DriverContext };
        if let Some(slot) = context.get_mut(index) {
            *slot = value;
        }
    }

    /// The epoch it was kept at (set with [`KeptIrp::set_epoch`]).
    pub(crate) fn epoch(&self) -> u64 {
        self.context()[1] as usize as u64
    }

    /// Records the epoch it was kept at.
    pub(crate) fn set_epoch(&mut self, epoch: u64) {
        self.set_context(1, epoch as usize as *mut core::ffi::c_void);
    }

    /// Links `next` after this one (or ends the list here).
    pub(crate) fn set_next(&mut self, next: Option<KeptIrp>) {
        let raw = next.map_or(core::ptr::null_mut(), |next| next.0.as_ptr().cast());
        self.set_context(0, raw);
    }

    /// Unlinks and returns the one linked after this one.
    pub(crate) fn take_next(&mut self) -> Option<KeptIrp> {
        let next = NonNull::new(self.context()[0].cast::<IRP>())?;
        self.set_context(0, core::ptr::null_mut());
        Some(KeptIrp(next))
    }

    /// Whether a late `IoCancelIrp` reached it while it was kept (its `Cancel` flag was clear
    /// when it was completed: under Wine a cancel that comes first goes to the cancel routine).
    pub(crate) fn was_cancelled(&self) -> bool {
        // SAFETY: projecting to a field of a live IRP (no read happens).
        let flag = unsafe { core::ptr::addr_of!((*self.0.as_ptr()).Cancel) };
        // SAFETY: a plain read of a live IRP's flag (Wine's IoCancelIrp writes it on the same
        // dispatch thread that frees kept IRPs).
        unsafe { core::ptr::read_volatile(flag) != 0 }
    }

    /// Frees it: its stack is exhausted, so Wine's `IoCompleteRequest` runs only the tail
    /// (frees `SystemBuffer`, then the IRP).
    ///
    /// # Safety
    /// No cancel can still be dispatched for it (see `crate::wine_fence`).
    pub(crate) unsafe fn free(self) {
        // SAFETY: ours, completed, stack exhausted; the caller's contract covers late cancels.
        unsafe { IofCompleteRequest(self.0.as_ptr(), IO_NO_INCREMENT) };
    }
}

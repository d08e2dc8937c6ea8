//! Under Wine only: IRPs taken out of the pending queue are completed without being freed, and
//! freed once no cancel can still be queued for them (issue 8, item 1).
//!
//! # The race (Wine 8.0)
//! When a client dies or calls `CancelIo`, the server (`server/device.c` `cancel_irp_call`)
//! queues an `IRP_CALL_CANCEL` carrying the raw IRP pointer into the device manager's FIFO. If
//! the driver completes that IRP before the cancel is dispatched (a `NOTIFY` completing parked
//! IRPs, a close cancelling them), Wine's `IoCompleteRequest` runs the completion routine
//! `dispatch_irp_completion` (which tells the server: `set_irp_result`) and then frees the IRP
//! (`IoFreeIrp`). Nothing withdraws the queued cancel: `dispatch_cancel` later runs
//! `IoCancelIrp` on freed, possibly reused, memory, and winedevice dies ("Unhandled page fault"
//! at `IoCancelIrp+0x1D`/`+0x40`). Windows has no such window: its I/O manager cancels only
//! IRPs still on the thread's list.
//!
//! # The mitigation, owned by the driver
//! - An IRP that was parked and is completed by anyone but its own cancel routine goes
//!   through [`complete_parked`]: it runs the IRP's completion routines exactly as Wine's
//!   `IoCompleteRequest` does (so the server gets `set_irp_result` and the app its answer),
//!   but stops before the tail that frees it. The IRP waits in a graveyard with
//!   `CancelRoutine` NULL, so a late `IoCancelIrp` only sets its `Cancel` flag and returns.
//! - It is safe to free once every cancel that could have been queued for it was dispatched.
//!   The server queues a cancel only while it still lists the IRP, i.e. before its
//!   `set_irp_result` (after it, `cancel_irp_call` finds no file and the async is gone), and
//!   every call goes through one FIFO dispatched by one thread. So a request queued after the
//!   completion is dispatched after any such cancel.
//! - That request is a **fence**: after a dispatch that buried IRPs, the driver opens its own
//!   small fence device (`ZwCreateFile`) and closes the handle (`ZwClose`). Under Wine the open
//!   only queues `IRP_CALL_CREATE` and returns (`device_open_file`: a create cannot even be
//!   refused), so the dispatch thread does not wait for itself. When the fence's CREATE is
//!   dispatched, the graveyard entries buried before that fence was issued are freed by
//!   calling `IofCompleteRequest` again: their stack is exhausted, so Wine runs only the tail
//!   (frees `SystemBuffer`, then the IRP).
//! - One fence per dispatch that completed parked IRPs, however many (amortised). Fences are
//!   matched by count: the n-th fence CREATE coming from this process frees the entries buried
//!   before the n-th attempt to issue one (an attempt that queued nothing only makes later
//!   fences free less, never more). Opens of the fence device by anyone else are answered and
//!   ignored. The driver's own CREATE/CLOSE handling never sees fence requests.
//! - At unload the graveyard is left alive (at most the IRPs parked at that moment, plus those
//!   completed since the last fence): a leak, bounded and logged, rather than a late cancel on
//!   freed memory.
//!
//! On Windows nothing here runs: [`complete_parked`] is only called under Wine, no fence device
//! exists, and the trampoline's checks are a null-pointer compare.

use crate::driver::{Device, DriverObject};
use crate::irp::{Completed, Irp};
use crate::status::NtStatus;
use crate::sync::SpinLock;
use crate::sys::imports::{IofCompleteRequest, PsGetCurrentProcessId, ZwClose, ZwCreateFile};
use crate::sys::{
    FILE_DEVICE_UNKNOWN, FILE_OPEN, FILE_READ_ATTRIBUTES, FILE_SHARE_READ, FILE_SHARE_WRITE,
    HANDLE, IO_COMPLETION_ROUTINE, IO_NO_INCREMENT, IO_STATUS_BLOCK, IRP, IRP_MJ_CREATE,
    OBJECT_ATTRIBUTES, OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE, PDEVICE_OBJECT,
    SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS, SL_PENDING_RETURNED,
    STATUS_MORE_PROCESSING_REQUIRED,
};
use crate::unicode::UnicodeStr;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

/// `\Device\EvshareKmFence-` and 16 hex digits of the driver object's address.
const PREFIX: &str = "\\Device\\EvshareKmFence-";
const NAME_LEN: usize = PREFIX.len() + 16;

/// The fence device, while it exists.
static FENCE: SpinLock<Option<Device>> = SpinLock::new(None);
/// Its address, for the trampoline's compare (null: none).
static FENCE_DEVICE: AtomicPtr<crate::sys::DEVICE_OBJECT> = AtomicPtr::new(core::ptr::null_mut());
/// The address its name is made of.
static NAME_SEED: AtomicUsize = AtomicUsize::new(0);
/// winedevice's own process id (fence CREATEs come from it).
static OWN_PID: AtomicUsize = AtomicUsize::new(0);
/// Fences attempted (each may queue one CREATE).
static ATTEMPTS: AtomicU64 = AtomicU64::new(0);
/// Our fence CREATEs dispatched so far.
static SEEN: AtomicU64 = AtomicU64::new(0);
/// Set when an IRP was buried since the last fence attempt.
static NEED_FENCE: AtomicBool = AtomicBool::new(false);
/// IRPs freed through fences (for the log at unload).
static FREED: AtomicU64 = AtomicU64::new(0);
/// Of those, how many a late `IoCancelIrp` reached while they waited (their `Cancel` flag was
/// set after they were completed): each would have been a use-after-free without the graveyard.
static LATE_CANCELS: AtomicU64 = AtomicU64::new(0);

/// Completed IRPs not yet freed: a list threaded through `Tail.Overlay.DriverContext`
/// (`[0]` the next IRP, `[1]` the epoch), oldest first, so it needs no memory of its own.
struct Graveyard {
    head: Option<NonNull<IRP>>,
    tail: Option<NonNull<IRP>>,
    len: usize,
}

// SAFETY: the IRPs in the graveyard are ours (completed, not freed) and used under its lock.
unsafe impl Send for Graveyard {}

static GRAVEYARD: SpinLock<Graveyard> = SpinLock::new(Graveyard {
    head: None,
    tail: None,
    len: 0,
});

fn name_units(seed: usize) -> [u16; NAME_LEN] {
    let mut units = [0u16; NAME_LEN];
    let digits = (0..16).rev().map(|nibble| {
        let value = (seed >> (nibble * 4)) & 0xF;
        u16::from(b"0123456789ABCDEF".get(value).copied().unwrap_or(b'0'))
    });
    for (unit, source) in units
        .iter_mut()
        .zip(PREFIX.bytes().map(u16::from).chain(digits))
    {
        *unit = source;
    }
    units
}

/// Creates the fence device (`DriverEntry`, Wine only). Without it the mitigation still keeps
/// completed parked IRPs alive, but never frees them: logged.
///
/// IRQL: `PASSIVE_LEVEL`.
pub(crate) fn start(driver: &mut DriverObject) {
    let seed = driver.address();
    let units = name_units(seed);
    let Ok(name) = UnicodeStr::new(&units) else {
        return;
    };
    match driver.create_device(&name, FILE_DEVICE_UNKNOWN) {
        Ok(device) => {
            NAME_SEED.store(seed, Ordering::Relaxed);
            // SAFETY: no arguments. In DriverEntry this is winedevice itself.
            OWN_PID.store(
                unsafe { PsGetCurrentProcessId() } as usize,
                Ordering::Relaxed,
            );
            FENCE_DEVICE.store(device.as_ptr(), Ordering::Release);
            *FENCE.lock() = Some(device);
        }
        Err(status) => crate::log!(
            Error,
            "Wine: no fence device ({:#x}); completed pending IRPs will not be freed",
            status.raw() as u32
        ),
    }
}

/// Deletes the fence device (unload). The graveyard stays: see the module docs.
///
/// IRQL: `PASSIVE_LEVEL`.
pub(crate) fn stop() {
    FENCE_DEVICE.store(core::ptr::null_mut(), Ordering::Release);
    let device = FENCE.lock().take();
    let had_one = device.is_some();
    drop(device);
    let left = GRAVEYARD.lock().len;
    if had_one {
        crate::log!(
            Info,
            "Wine fence: {} completed IRP(s) freed through fences, {} of them reached by a late \
             cancel while kept alive; {} left alive at unload",
            FREED.load(Ordering::Relaxed),
            LATE_CANCELS.load(Ordering::Relaxed),
            left
        );
    }
}

/// Whether `device` is the fence device (always `false` on Windows).
pub(crate) fn is_fence_device(device: PDEVICE_OBJECT) -> bool {
    let fence = FENCE_DEVICE.load(Ordering::Acquire);
    !fence.is_null() && fence == device
}

/// Completes a request sent to the fence device; a CREATE of ours frees what it fences.
pub(crate) fn dispatch(irp: Irp) -> Completed {
    let ours = irp.major_function() == IRP_MJ_CREATE
        && irp.requestor().0 as usize == OWN_PID.load(Ordering::Relaxed);
    let completed = irp.complete(NtStatus::SUCCESS, 0);
    if ours {
        let epoch = SEEN.fetch_add(1, Ordering::AcqRel) + 1;
        free_through(epoch);
    }
    completed
}

/// After a dispatch routine: issues one fence if parked IRPs were buried since the last one.
///
/// IRQL: `PASSIVE_LEVEL` (dispatch).
pub(crate) fn after_dispatch() {
    if !NEED_FENCE.swap(false, Ordering::AcqRel) {
        return;
    }
    // Count the attempt first: entries buried from now on wait for the next one.
    ATTEMPTS.fetch_add(1, Ordering::AcqRel);
    if FENCE_DEVICE.load(Ordering::Acquire).is_null() {
        return;
    }
    let units = name_units(NAME_SEED.load(Ordering::Relaxed));
    let Ok(name) = UnicodeStr::new(&units) else {
        return;
    };
    let attributes = OBJECT_ATTRIBUTES {
        Length: core::mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
        RootDirectory: core::ptr::null_mut(),
        ObjectName: name.as_raw(),
        Attributes: OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE,
        SecurityDescriptor: core::ptr::null_mut(),
        SecurityQualityOfService: core::ptr::null_mut(),
    };
    let mut handle: HANDLE = core::ptr::null_mut();
    let mut iosb = IO_STATUS_BLOCK {
        Status: 0,
        Information: 0,
    };
    // SAFETY: every pointer is to a local that outlives the call. Under Wine the open queues
    // IRP_CALL_CREATE and returns without waiting for the driver (`device_open_file`).
    let status = unsafe {
        ZwCreateFile(
            &mut handle,
            FILE_READ_ATTRIBUTES,
            &attributes,
            &mut iosb,
            core::ptr::null_mut(),
            0,
            FILE_SHARE_READ | FILE_SHARE_WRITE,
            FILE_OPEN,
            0,
            core::ptr::null_mut(),
            0,
        )
    };
    if NtStatus::from_raw(status).is_success() {
        // SAFETY: a kernel handle ZwCreateFile just gave us; closing it queues the CLOSE.
        let _ = unsafe { ZwClose(handle) };
    } else {
        crate::log!(
            Error,
            "Wine fence: cannot open the fence device ({:#x}); the next one frees more",
            status as u32
        );
        NEED_FENCE.store(true, Ordering::Release);
    }
}

/// Completes a parked IRP under Wine without freeing it: runs the completion routines of its
/// stack locations as Wine's `IoCompleteRequest` (`dlls/ntoskrnl.exe/ntoskrnl.c`) does, then,
/// instead of the tail that frees it, buries it until a fence frees it.
///
/// # Safety
/// Under Wine only; the caller owns `raw`, an IRP that was parked (its cancel routine swapped
/// out by the caller), whose status block is written, and never touches it again.
pub(crate) unsafe fn complete_parked(raw: NonNull<IRP>) {
    loop {
        let step = {
            // SAFETY: we own the IRP and hold no other reference to it in this block.
            let irp = unsafe { &mut *raw.as_ptr() };
            next_location(irp)
        };
        match step {
            Step::Exhausted => break,
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
                    // The routine kept the IRP (Wine's does when the IRP completes inside its
                    // own dispatch, and frees it itself): not ours to bury.
                    return;
                }
            }
        }
    }
    // SAFETY: ours, completed, stack exhausted.
    unsafe { bury(raw) };
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

/// Moves the IRP past its current stack location as Wine's `IoCompleteRequest` does
/// (`dlls/ntoskrnl.exe/ntoskrnl.c`), and says what to call for it.
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

/// Puts a completed IRP (stack exhausted) in the graveyard for the next fence.
///
/// # Safety
/// As [`complete_parked`], after its completion routines ran.
unsafe fn bury(raw: NonNull<IRP>) {
    let irp = raw.as_ptr();
    let epoch = ATTEMPTS.load(Ordering::Acquire) + 1;
    let mut graveyard = GRAVEYARD.lock();
    // SAFETY: DriverContext is ours: the IRP is completed and nobody else uses it until we free
    // it (a late IoCancelIrp touches only Cancel, CancelRoutine and CancelIrql).
    let context = unsafe { &mut (*irp).Tail.DriverContext };
    context[0] = core::ptr::null_mut();
    context[1] = epoch as usize as *mut core::ffi::c_void;
    match graveyard.tail {
        // SAFETY: the tail is a buried IRP, alive until freed under this lock.
        Some(tail) => unsafe { (*tail.as_ptr()).Tail.DriverContext[0] = irp.cast() },
        None => graveyard.head = Some(raw),
    }
    graveyard.tail = Some(raw);
    graveyard.len += 1;
    drop(graveyard);
    NEED_FENCE.store(true, Ordering::Release);
}

/// Frees every buried IRP of epoch `<= epoch` (oldest first).
fn free_through(epoch: u64) {
    loop {
        let mut graveyard = GRAVEYARD.lock();
        let Some(head) = graveyard.head else { return };
        // SAFETY: a buried IRP, alive until freed; the lock is held.
        let (context, cancelled) = unsafe {
            let irp = &*head.as_ptr();
            (irp.Tail.DriverContext, irp.Cancel != 0)
        };
        let (next, buried_at) = (context[0].cast::<IRP>(), context[1] as usize as u64);
        if buried_at > epoch {
            return;
        }
        graveyard.head = NonNull::new(next);
        if graveyard.head.is_none() {
            graveyard.tail = None;
        }
        graveyard.len -= 1;
        drop(graveyard);
        // Buried with the flag clear (under Wine IoCancelIrp runs on the dispatch thread, so
        // an IRP it reached first went to its cancel routine, never here): set since, by a
        // cancel queued before the IRP's completion reached the server.
        if cancelled {
            LATE_CANCELS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: every cancel that could reach it was dispatched before this fence; its stack
        // is exhausted, so Wine's IoCompleteRequest runs only the tail and frees it.
        unsafe { IofCompleteRequest(head.as_ptr(), IO_NO_INCREMENT) };
        FREED.fetch_add(1, Ordering::Relaxed);
    }
}

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
//!   through `irp::kept::complete_keeping` (every touch of the IRP itself stays in
//!   `crate::irp`): it runs the IRP's completion routines exactly as Wine's
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
//! On Windows nothing here runs: `complete_keeping` is only called under Wine, no fence device
//! exists, and the trampoline's checks are a null-pointer compare.

use crate::driver::{Device, DriverObject};
use crate::irp::kept::KeptIrp;
use crate::irp::{Completed, Irp};
use crate::irql::Passive;
use crate::status::NtStatus;
use crate::sync::SpinLock;
use crate::sys::imports::{PsGetCurrentProcessId, ZwClose, ZwCreateFile};
use crate::sys::{
    FILE_DEVICE_UNKNOWN, FILE_OPEN, FILE_READ_ATTRIBUTES, FILE_SHARE_READ, FILE_SHARE_WRITE,
    HANDLE, IO_STATUS_BLOCK, IRP_MJ_CREATE, OBJECT_ATTRIBUTES, OBJ_CASE_INSENSITIVE,
    OBJ_KERNEL_HANDLE, PDEVICE_OBJECT,
};
use crate::unicode::UnicodeStr;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

/// `\Device\EvshareKmFence-`, 8 hex digits of winedevice's process id, `-` and 16 hex digits
/// of the driver object's address. The address alone is not unique: two drivers built on km,
/// each in a `winedevice.exe` of its own, were seen with driver objects at the same address,
/// and the second driver's fence device then failed with `STATUS_OBJECT_NAME_COLLISION`.
const PREFIX: &str = "\\Device\\EvshareKmFence-";
const NAME_LEN: usize = PREFIX.len() + 8 + 1 + 16;

/// The fence device, while it exists.
static FENCE: SpinLock<Option<Device>> = SpinLock::new(None);
/// Its address, for the trampoline's compare (null: none).
static FENCE_DEVICE: AtomicPtr<crate::sys::DEVICE_OBJECT> = AtomicPtr::new(core::ptr::null_mut());
/// The driver object address its name is made of (with [`OWN_PID`]).
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

/// Completed IRPs not yet freed, linked through the IRPs themselves (`KeptIrp`), newest first.
struct Graveyard {
    head: Option<KeptIrp>,
    len: usize,
}

static GRAVEYARD: SpinLock<Graveyard> = SpinLock::new(Graveyard { head: None, len: 0 });

/// The low `count` hex digits of `value`, most significant first.
fn hex_digits(value: usize, count: usize) -> impl Iterator<Item = u16> {
    (0..count).rev().map(move |nibble| {
        let digit = value.checked_shr(nibble as u32 * 4).unwrap_or(0) & 0xF;
        u16::from(b"0123456789ABCDEF".get(digit).copied().unwrap_or(b'0'))
    })
}

/// The fence device's name for the driver whose `winedevice.exe` is `pid` and whose driver
/// object is at `seed`.
fn name_units(pid: usize, seed: usize) -> [u16; NAME_LEN] {
    let mut units = [0u16; NAME_LEN];
    let name = PREFIX
        .bytes()
        .map(u16::from)
        .chain(hex_digits(pid, 8))
        .chain(core::iter::once(u16::from(b'-')))
        .chain(hex_digits(seed, 16));
    for (unit, source) in units.iter_mut().zip(name) {
        *unit = source;
    }
    units
}

/// Creates the fence device (`DriverEntry`, Wine only). Without it the mitigation still keeps
/// completed parked IRPs alive, but never frees them: logged.
///
/// IRQL: `PASSIVE_LEVEL`.
pub(crate) fn start(driver: &mut DriverObject, at: &Passive) {
    let seed = driver.address();
    // SAFETY: no arguments. In DriverEntry this is winedevice itself.
    let pid = unsafe { PsGetCurrentProcessId() } as usize;
    let units = name_units(pid, seed);
    let Ok(name) = UnicodeStr::new(&units) else {
        return;
    };
    match driver.create_device(at, &name, FILE_DEVICE_UNKNOWN) {
        Ok(device) => {
            NAME_SEED.store(seed, Ordering::Relaxed);
            OWN_PID.store(pid, Ordering::Relaxed);
            FENCE_DEVICE.store(device.as_ptr(), Ordering::Release);
            *FENCE.lock_leaf() = Some(device);
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
pub(crate) fn stop(_at: &Passive) {
    FENCE_DEVICE.store(core::ptr::null_mut(), Ordering::Release);
    let device = FENCE.lock_leaf().take();
    let had_one = device.is_some();
    drop(device);
    let left = GRAVEYARD.lock_leaf().len;
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
pub(crate) fn after_dispatch(_at: &Passive) {
    if !NEED_FENCE.swap(false, Ordering::AcqRel) {
        return;
    }
    // Count the attempt first: entries buried from now on wait for the next one.
    ATTEMPTS.fetch_add(1, Ordering::AcqRel);
    if FENCE_DEVICE.load(Ordering::Acquire).is_null() {
        return;
    }
    let units = name_units(
        OWN_PID.load(Ordering::Relaxed),
        NAME_SEED.load(Ordering::Relaxed),
    );
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

/// Keeps a completed parked IRP until the next fence (`crate::irp` completed it with
/// `kept::complete_keeping`).
pub(crate) fn bury(mut kept: KeptIrp) {
    kept.set_epoch(ATTEMPTS.load(Ordering::Acquire) + 1);
    let mut graveyard = GRAVEYARD.lock_leaf();
    kept.set_next(graveyard.head.take());
    graveyard.head = Some(kept);
    graveyard.len += 1;
    drop(graveyard);
    NEED_FENCE.store(true, Ordering::Release);
}

/// Frees every buried IRP of epoch `<= epoch`: the list is split under the lock, and the IRPs
/// are freed after it is released.
fn free_through(epoch: u64) {
    let mut due: Option<KeptIrp> = None;
    {
        let mut graveyard = GRAVEYARD.lock_leaf();
        let mut rest = graveyard.head.take();
        let mut kept: Option<KeptIrp> = None;
        while let Some(mut irp) = rest {
            rest = irp.take_next();
            if irp.epoch() <= epoch {
                irp.set_next(due.take());
                due = Some(irp);
                graveyard.len -= 1;
            } else {
                irp.set_next(kept.take());
                kept = Some(irp);
            }
        }
        graveyard.head = kept;
    }
    while let Some(mut irp) = due {
        due = irp.take_next();
        if irp.was_cancelled() {
            LATE_CANCELS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: every cancel that could reach it was dispatched before this fence (see the
        // module docs).
        unsafe { irp.free() };
        FREED.fetch_add(1, Ordering::Relaxed);
    }
}

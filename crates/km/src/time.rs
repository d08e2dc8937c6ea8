//! The performance counter (`KeQueryPerformanceCounter`), the clock shared with the app's
//! `QueryPerformanceCounter`.
//!
//! Windows x64 exports it from `ntoskrnl.exe`, Wine 8.0 only from `hal.dll`, so it is resolved
//! at run time with `MmGetSystemRoutineAddress` (which searches both under Wine) instead of
//! being imported: the image then loads on both.

use crate::sys::imports::MmGetSystemRoutineAddress;
use crate::unicode::UnicodeStr;
use core::ffi::c_void;
use core::sync::atomic::{AtomicPtr, Ordering};

type QueryPerformanceCounter = unsafe extern "system" fn(frequency: *mut i64) -> i64;

static COUNTER: AtomicPtr<c_void> = AtomicPtr::new(core::ptr::null_mut());

/// Finds the counter routine; call once from `DriverEntry`. Returns whether it was found.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn init() -> bool {
    const NAME: UnicodeStr<'static> =
        UnicodeStr::from_static(crate::utf16!("KeQueryPerformanceCounter"));
    // SAFETY: `NAME` is a valid UNICODE_STRING.
    let routine = unsafe { MmGetSystemRoutineAddress(NAME.as_raw()) };
    COUNTER.store(routine, Ordering::Release);
    !routine.is_null()
}

/// The performance counter now, or 0 if [`init`] did not find it.
///
/// IRQL: any.
pub fn performance_counter() -> u64 {
    let routine = COUNTER.load(Ordering::Acquire);
    if routine.is_null() {
        return 0;
    }
    // SAFETY: `init` stored the address of KeQueryPerformanceCounter, which has this signature.
    let query: QueryPerformanceCounter = unsafe { core::mem::transmute(routine) };
    // SAFETY: a NULL frequency pointer is allowed.
    let now = unsafe { query(core::ptr::null_mut()) };
    u64::try_from(now).unwrap_or(0)
}

//! The verifier build's self-test: each routine here does, once, the wrong thing one check
//! exists to catch, so a test can watch that check fire. Only the verifier build has them; the
//! driver reaches them through its `VERIFIER` request. Several go around km's types on
//! purpose (that is what makes them wrong), each with an `unsafe` that says so.

use super::Check;
use crate::irp::{Completed, Irp};
use crate::irql::Passive;
use crate::pool::PoolBox;
use crate::process::ProcessId;
use crate::status::NtStatus;
use crate::sync::SpinLock;
use crate::unicode::UnicodeStr;

/// Lock classes only the self-test takes (a class is the type a lock protects).
struct ProvokeFirst;
/// The second class of the lock-order provocation.
struct ProvokeSecond;

static FIRST: SpinLock<ProvokeFirst> = SpinLock::new(ProvokeFirst);
static SECOND: SpinLock<ProvokeSecond> = SpinLock::new(ProvokeSecond);

/// [`Check::Irql`]: a `PASSIVE_LEVEL` routine (`MmGetSystemRoutineAddress`) called under a
/// spin lock. The types forbid it, so it takes a forged `Passive` token.
pub fn wrong_irql(at: &mut Passive) {
    let _held = FIRST.lock(at);
    // SAFETY: deliberately false (the thread holds a spin lock: DISPATCH_LEVEL on Windows);
    // under Wine nothing checks the IRQL, and the routine only looks a name up.
    let forged = unsafe { Passive::assume() };
    let name = UnicodeStr::from_static(crate::utf16!("KeQueryPerformanceCounter"));
    let _ = crate::driver::routine_exists(&forged, &name);
}

/// [`Check::LockOrder`]: two lock classes taken in one order, then in the other.
pub fn wrong_lock_order(at: &mut Passive) {
    {
        let mut first = FIRST.lock(at);
        let _second = SECOND.lock(first.at());
    }
    let mut second = SECOND.lock(at);
    let _first = FIRST.lock(second.at());
}

/// [`Check::IrpCompletion`]: completes `irp`, then completes it again. The verifier refuses
/// the second completion before it touches the IRP (without the verifier it would be a
/// use-after-free).
pub fn complete_twice(irp: Irp, status: NtStatus, information: usize) -> Completed {
    let address = irp.address();
    let completed = irp.complete(status, information);
    crate::irp::complete_again(address);
    completed
}

/// [`Check::IrpAtUnload`]: keeps `irp` pending and never completes it (the unload summary
/// reports it). The caller must not wait for it.
pub fn never_complete(irp: Irp) -> Completed {
    irp.leak_pending()
}

/// [`Check::PoolAtUnload`]: an allocation never freed.
pub fn leak_pool() -> Result<(), NtStatus> {
    core::mem::forget(PoolBox::new([0u8; 64])?);
    Ok(())
}

/// [`Check::ReferencesAtUnload`]: a kernel handle never closed (to the requesting process).
pub fn leak_reference(at: &Passive, process: ProcessId) -> Result<(), NtStatus> {
    const PROCESS_QUERY_LIMITED_INFORMATION: u32 = 0x1000;
    core::mem::forget(process.open(at, PROCESS_QUERY_LIMITED_INFORMATION)?);
    Ok(())
}

/// The check each provocation fires, in [`Check`] order (what `VERIFIER` provoke's `check`
/// names).
pub const PROVOKES: [Check; 6] = Check::ALL;

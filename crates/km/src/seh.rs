//! Calling a routine that may raise, with the exception caught and turned into an `NTSTATUS`.
//!
//! Rust has no structured exception handling: an exception a kernel routine raises
//! (`MmProbeAndLockPages` when it cannot lock, for one) would unwind past every Rust frame and
//! bugcheck the machine. [`try_call`] runs a closure behind an SEH frame written in assembly:
//! a small function, `evshare_seh_call`, whose unwind information names `__C_specific_handler`
//! (exported by Windows' and by Wine's `ntoskrnl.exe`) with a one-entry C scope table around
//! the call of the closure. The table's filter stores the exception code in the shim's frame and
//! returns `EXCEPTION_EXECUTE_HANDLER`; the handler unwinds to the landing address, which
//! reports "raised" to the Rust side.
//!
//! Why a filter and not the landing address's `eax`: Microsoft's `__C_specific_handler` passes
//! the exception code as `RtlUnwindEx`'s return value, so the target finds it in `rax`, but
//! Wine's (`dlls/ntdll/signal_x86_64.c`) passes 0. A filter gets `(EXCEPTION_POINTERS *,
//! EstablisherFrame)` under both, so it reads the code from the record and writes it where the
//! shim saved the caller's out pointer (`EstablisherFrame + 32`: the frame has no frame register,
//! so the establisher frame is `rsp` after the prologue).
//!
//! The layout is `SCOPE_TABLE_AMD64` as Microsoft documents it: `Count`, then per scope
//! `BeginAddress`, `EndAddress`, `HandlerAddress` (the filter, or 1), `JumpTarget`, all image
//! RVAs. `cargo xtask lint` checks that the built image's unwind information for the shim names
//! `__C_specific_handler`.
//!
//! What is skipped when a raise is caught: the frames of the closure and of the routine that
//! raised are abandoned without running any Rust destructor (Rust code is built with
//! `panic = "abort"`, so it has no landing pads for the unwinder to run). [`try_call`] therefore
//! takes only a `Copy` closure returning a `Copy` value, so nothing it captures or returns has
//! drop glue; a value with a destructor created *inside* the closure and alive across the
//! raising call would be leaked (never freed), which is why the closures in km are one call.
//!
//! [`self_test`] raises through `RtlRaiseStatus` inside [`try_call`] at load time and fails the
//! load if the exception is not caught with the right code, so every host the image loads on
//! has shown that the frame works (under Wine, `cargo xtask install` checks its log line).

use crate::status::NtStatus;
use core::ffi::c_void;

core::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl evshare_seh_call",
    ".def evshare_seh_call",
    ".scl 2",
    ".type 32",
    ".endef",
    // u32 evshare_seh_call(void (*callback)(void *), void *context, i32 *code)
    // Returns 0 when the callback returned, 1 when it raised (and *code = the exception code).
    "evshare_seh_call:",
    ".seh_proc evshare_seh_call",
    ".seh_handler __C_specific_handler, @except",
    // 32 bytes of home space for the callee, 8 for the out pointer; keeps rsp 16-aligned.
    "sub rsp, 40",
    ".seh_stackalloc 40",
    ".seh_endprologue",
    "mov qword ptr [rsp + 32], r8",
    "mov rax, rcx",
    "mov rcx, rdx",
    ".Levshare_seh_begin:",
    "call rax",
    // The return address the unwinder sees for this frame must lie inside the scope, and must
    // not look like an epilogue.
    "nop",
    ".Levshare_seh_end:",
    "xor eax, eax",
    "add rsp, 40",
    "ret",
    ".Levshare_seh_landing:",
    "mov eax, 1",
    "add rsp, 40",
    "ret",
    ".seh_handlerdata",
    ".long 1",
    ".long .Levshare_seh_begin@IMGREL",
    ".long .Levshare_seh_end@IMGREL",
    ".long .Levshare_seh_filter@IMGREL",
    ".long .Levshare_seh_landing@IMGREL",
    ".text",
    ".seh_endproc",
    // LONG filter(EXCEPTION_POINTERS *pointers, void *establisher_frame): a leaf, no stack.
    ".p2align 4",
    ".Levshare_seh_filter:",
    // pointers->ExceptionRecord->ExceptionCode
    "mov rax, qword ptr [rcx]",
    "mov eax, dword ptr [rax]",
    // The shim saved its `code` argument at establisher_frame + 32.
    "mov rcx, qword ptr [rdx + 32]",
    "mov dword ptr [rcx], eax",
    // EXCEPTION_EXECUTE_HANDLER
    "mov eax, 1",
    "ret",
);

extern "system" {
    /// The shim above.
    fn evshare_seh_call(
        callback: unsafe extern "system" fn(*mut c_void),
        context: *mut c_void,
        code: *mut i32,
    ) -> u32;
}

/// A closure and the place for its result, handed to the shim as one pointer.
struct Call<F, T> {
    f: F,
    result: Option<T>,
}

/// Runs the closure in `context` (a `Call<F, T>`) and stores its result.
///
/// # Safety
/// `context` points to a live `Call<F, T>` that nobody else uses during the call.
unsafe extern "system" fn run_closure<F: FnOnce() -> T + Copy, T: Copy>(context: *mut c_void) {
    // SAFETY: the caller's contract; `try_call` passes a pointer to its own local.
    let call = unsafe { &mut *context.cast::<Call<F, T>>() };
    let f = call.f;
    call.result = Some(f());
}

/// Calls `f` behind an SEH frame: returns its result, or the code of the exception it raised
/// (as an [`NtStatus`]). The closure and its result are `Copy`, so no destructor is skipped
/// when a raise abandons the closure's frame (see the module docs).
///
/// IRQL: any (the shim adds nothing; the exception dispatch of the kernel handles it).
pub fn try_call<F: FnOnce() -> T + Copy, T: Copy>(f: F) -> Result<T, NtStatus> {
    let mut call = Call { f, result: None };
    let mut code: i32 = 0;
    // SAFETY: `run_closure::<F, T>` matches the `Call<F, T>` we pass; both locals outlive the
    // call; the shim either returns after the closure returned, or after the exception was
    // caught, with `code` written by its filter.
    let raised = unsafe {
        evshare_seh_call(
            run_closure::<F, T>,
            (&mut call as *mut Call<F, T>).cast(),
            &mut code,
        )
    };
    match (raised, call.result) {
        (0, Some(value)) => Ok(value),
        (0, None) => Err(NtStatus::UNSUCCESSFUL),
        _ => Err(NtStatus::from_raw(code)),
    }
}

/// `STATUS_DATATYPE_MISALIGNMENT`: the code the self-test raises (one no evshare routine
/// returns, so a stale value cannot pass for it).
const SELF_TEST_CODE: NtStatus = NtStatus::from_u32(0x8000_0002);

/// `VOID RtlRaiseStatus(NTSTATUS)` / `ExRaiseStatus`, resolved at run time.
type RaiseStatus = unsafe extern "system" fn(status: i32);

fn resolve_raise() -> Option<RaiseStatus> {
    use crate::host_switch::{branch, Host, Switch};
    use crate::unicode::UnicodeStr;
    const RTL: UnicodeStr<'static> = UnicodeStr::from_static(crate::utf16!("RtlRaiseStatus"));
    const EX: UnicodeStr<'static> = UnicodeStr::from_static(crate::utf16!("ExRaiseStatus"));
    // `ExRaiseStatus` is a crashing `@ stub` under Wine: only Windows may fall back to it.
    let names: &[UnicodeStr<'static>] = match branch(Switch::RaiseRoutines) {
        Host::Wine => &[RTL],
        Host::Windows => &[RTL, EX],
    };
    names.iter().find_map(|name| {
        // SAFETY: `name` is a valid UNICODE_STRING for the duration of the call.
        let address = unsafe { crate::sys::imports::MmGetSystemRoutineAddress(name.as_raw()) };
        if address.is_null() {
            None
        } else {
            // SAFETY: both exports have this signature on x64.
            Some(unsafe { core::mem::transmute::<*mut c_void, RaiseStatus>(address) })
        }
    })
}

/// Proves the SEH frame on the host the driver runs on: raises `STATUS_DATATYPE_MISALIGNMENT`
/// through `RtlRaiseStatus` inside [`try_call`] and checks it comes back as that status, and
/// that a closure that does not raise returns its value. Logs the outcome; an error should fail
/// the load (a driver whose raises escape must not serve requests).
///
/// IRQL: `PASSIVE_LEVEL` (call it from `DriverEntry`, after [`crate::driver::detect_host`]).
pub fn self_test(_at: &crate::irql::Passive) -> Result<(), NtStatus> {
    let Some(raise) = resolve_raise() else {
        crate::log!(Error, "SEH self-test: no RtlRaiseStatus to raise with");
        return Err(NtStatus::NOT_IMPLEMENTED);
    };
    let returned = try_call(|| 0x5EC0_u32);
    let raised = try_call(|| {
        // SAFETY: raising is this routine's whole purpose; the SEH frame of `try_call` catches
        // it and nothing with a destructor lives in this frame.
        unsafe { raise(SELF_TEST_CODE.raw()) };
        0_u32
    });
    match (returned, raised) {
        (Ok(0x5EC0), Err(code)) if code == SELF_TEST_CODE => {
            crate::log!(
                Info,
                "SEH self-test passed: RtlRaiseStatus({:#010x}) caught as {:#010x}",
                SELF_TEST_CODE.as_u32(),
                code.as_u32()
            );
            Ok(())
        }
        (returned, raised) => {
            crate::log!(
                Error,
                "SEH self-test FAILED: plain call {:?}, raise {:?}",
                returned.map_err(NtStatus::as_u32),
                raised.map_err(NtStatus::as_u32)
            );
            Err(NtStatus::UNSUCCESSFUL)
        }
    }
}

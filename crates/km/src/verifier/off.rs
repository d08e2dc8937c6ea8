//! The shipped build: every verifier hook is an empty inline function.

use super::Report;
use crate::irql::Rule;

/// Whether this is the verifier build.
pub const ENABLED: bool = false;

/// A kernel routine is about to be called.
#[inline(always)]
pub fn on_call(_rule: Rule, _routine: &'static str) {}

/// Whether fault injection fails this call (never, here).
#[inline(always)]
pub fn inject(_routine: &'static str) -> bool {
    false
}

/// Runs `f`, the Wine side of a host switch (nothing to record here).
#[inline(always)]
pub fn wine_branch<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// A DPC starts on this thread.
#[inline(always)]
pub fn dpc_enter() {}

/// The DPC ends.
#[inline(always)]
pub fn dpc_leave() {}

/// A spin lock of `class` was taken.
#[inline(always)]
pub fn lock_taken(_class: &'static str) {}

/// A spin lock of `class` is released.
#[inline(always)]
pub fn lock_released(_class: &'static str) {}

/// The driver received the IRP at `address`.
#[inline(always)]
pub fn irp_received(_address: usize) {}

/// The IRP at `address` is about to be completed; `false` refuses the completion (never, here).
#[inline(always)]
pub fn irp_completing(_address: usize) -> bool {
    true
}

/// `bytes` of pool were allocated with `tag`.
#[inline(always)]
pub fn pool_allocated(_tag: u32, _bytes: usize) {}

/// `bytes` of pool allocated with `tag` were freed.
#[inline(always)]
pub fn pool_freed(_tag: u32, _bytes: usize) {}

/// An object reference or kernel handle was taken.
#[inline(always)]
pub fn reference_taken() {}

/// An object reference or kernel handle was given back.
#[inline(always)]
pub fn reference_given() {}

/// Fault injection: from now on fail about one in `one_in` injectable calls, chosen from `seed`
/// (`one_in == 0` stops). Refused here: returns `false`.
#[inline(always)]
pub fn set_faults(_seed: u64, _one_in: u32) -> bool {
    false
}

/// What the verifier has seen (nothing, here).
pub fn report() -> Report {
    Report::default()
}

/// At unload: checks what must be given back by now and logs the summary (nothing, here).
pub fn at_unload() {}

//! The verifier build: Driver Verifier's checks for a driver that runs under Wine.
//!
//! Built with km's `verifier` feature (the shipped driver has none of it: every hook below is
//! an empty inline function there). km keeps a *shadow IRQL* per thread — raised by its spin-lock
//! guards and its DPC trampoline, since Wine's own IRQL is always `PASSIVE_LEVEL` — and checks:
//!
//! - [`Check::Irql`]: every kernel call against its routine's IRQL [`Rule`] (declared with the
//!   import in `sys::imports`), including the calls drops make;
//! - [`Check::IrpCompletion`]: each IRP the driver received is completed exactly once (a second
//!   completion is refused, not passed to the kernel);
//! - [`Check::LockOrder`]: two lock classes (the type each `SpinLock` protects) are never taken
//!   in both orders, and no class is taken while already held;
//! - at unload: [`Check::IrpAtUnload`] (IRPs received and never completed),
//!   [`Check::PoolAtUnload`] (allocations not freed, by pool tag), [`Check::ReferencesAtUnload`]
//!   (object references and kernel handles not given back).
//!
//! Every hook may be called at any IRQL km runs at (it touches only atomics, and
//! `PsGetCurrentThread` / `DbgPrintEx`, which have no IRQL restriction below `DIRQL`).
//!
//! Violations are counted, logged (`evshare: VERIFIER: ...`) and reported by the stats request;
//! the unload summary is logged last. Fault injection (Driver Verifier's low-resource
//! simulation) fails the imports marked `injectable` at points chosen from a seed
//! ([`set_faults`]).

use crate::irql::{Level, Rule};

/// What the verifier checks; the index of each check's counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// A kernel routine called above its IRQL rule.
    Irql = 0,
    /// An IRP completed twice (or completed without having been received).
    IrpCompletion = 1,
    /// Two lock classes taken in both orders, or a class taken while held.
    LockOrder = 2,
    /// IRPs received and never completed, at unload.
    IrpAtUnload = 3,
    /// Pool allocations not freed, at unload.
    PoolAtUnload = 4,
    /// Object references or kernel handles not given back, at unload.
    ReferencesAtUnload = 5,
}

/// How many [`Check`]s there are (the length of [`Report::violations`]).
pub const CHECKS: usize = 6;

impl Check {
    /// Every check, in counter order.
    pub const ALL: [Check; CHECKS] = [
        Check::Irql,
        Check::IrpCompletion,
        Check::LockOrder,
        Check::IrpAtUnload,
        Check::PoolAtUnload,
        Check::ReferencesAtUnload,
    ];

    /// The check's name in logs and reports.
    pub const fn name(self) -> &'static str {
        match self {
            Check::Irql => "irql",
            Check::IrpCompletion => "irp-completion",
            Check::LockOrder => "lock-order",
            Check::IrpAtUnload => "irp-at-unload",
            Check::PoolAtUnload => "pool-at-unload",
            Check::ReferencesAtUnload => "references-at-unload",
        }
    }
}

/// What the verifier has seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Whether this is the verifier build.
    pub enabled: bool,
    /// Kernel calls checked against their IRQL rule.
    pub calls_checked: u64,
    /// Violations by [`Check`].
    pub violations: [u32; CHECKS],
    /// Kernel calls failed by fault injection.
    pub faults_injected: u32,
}

/// The value an `injectable` import returns when fault injection fails it.
pub trait Injected {
    /// `STATUS_INSUFFICIENT_RESOURCES` for a status, null for an allocation.
    fn injected() -> Self;
}

impl Injected for i32 {
    fn injected() -> i32 {
        crate::NtStatus::INSUFFICIENT_RESOURCES.raw()
    }
}

impl Injected for *mut core::ffi::c_void {
    fn injected() -> Self {
        core::ptr::null_mut()
    }
}

/// The shadow IRQL says `level`; is `rule` kept? (The decision every call check makes.)
pub fn keeps(rule: Rule, level: Level) -> bool {
    rule.allows(level)
}

#[cfg(all(feature = "verifier", target_os = "windows"))]
mod on;
#[cfg(all(feature = "verifier", target_os = "windows"))]
pub mod provoke;
#[cfg(all(feature = "verifier", target_os = "windows"))]
pub use on::*;

#[cfg(not(all(feature = "verifier", target_os = "windows")))]
mod off;
#[cfg(not(all(feature = "verifier", target_os = "windows")))]
pub use off::*;

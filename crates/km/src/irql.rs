//! IRQL in the types.
//!
//! Windows runs a driver's code at an *interrupt request level*: dispatch routines, `DriverEntry`
//! and unload at `PASSIVE_LEVEL`; DPCs, and any code holding a spin lock, at `DISPATCH_LEVEL`.
//! Many kernel routines may only be called at `PASSIVE_LEVEL` (every `Zw*` routine, for one);
//! calling one at `DISPATCH_LEVEL` bugchecks Windows (`IRQL_NOT_LESS_OR_EQUAL`) — and passes
//! every test under Wine, which has no IRQL.
//!
//! So km turns the rule into a borrow:
//!
//! - [`Passive`] is a token only a `PASSIVE_LEVEL` context can hold. km's trampolines make one
//!   for `DriverEntry`, each dispatch routine and unload, and lend it (`&mut Passive`) to the
//!   driver's code. Every km routine that needs `PASSIVE_LEVEL` takes `&Passive`.
//! - [`DispatchLevel`] is the token of a DPC: km's timer trampoline lends one to
//!   [`crate::timer::TimerOwner::on_timer`]. There is no `Passive` in a DPC, so a
//!   `PASSIVE_LEVEL` routine called from one does not compile.
//! - [`crate::sync::SpinLock::lock`] borrows the caller's token mutably for as long as its guard
//!   lives, so under a lock the `Passive` token cannot be used: a `PASSIVE_LEVEL` routine called
//!   under a lock does not compile either. The guard lends its own [`DispatchLevel`] for a nested
//!   lock.
//!
//! Drops that need `PASSIVE_LEVEL` (closing a kernel handle, unmapping a section view, deleting a
//! device) cannot take a token, since Rust calls `drop` itself. Those types say so in their docs
//! and have an explicit `close(self, &Passive)`; the verifier build (`crate::verifier`) checks
//! every such drop at run time against the thread's shadow IRQL.
//!
//! Each kernel routine's rule is a [`Rule`], declared next to the routine in
//! `sys::imports` (the [`crate::ddi`] table lists them); the verifier build checks every call against it.

use core::marker::PhantomData;

/// The IRQLs km code runs at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `PASSIVE_LEVEL` (0): dispatch routines, `DriverEntry`, unload.
    Passive = 0,
    /// `APC_LEVEL` (1): km never raises to it; listed for the rules that name it.
    Apc = 1,
    /// `DISPATCH_LEVEL` (2): DPCs, and any code holding a spin lock.
    Dispatch = 2,
}

/// The highest IRQL at which a kernel routine may be called (Microsoft's documentation of the
/// routine, "IRQL: ...").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `PASSIVE_LEVEL` only.
    Passive,
    /// `<= APC_LEVEL`.
    Apc,
    /// `<= DISPATCH_LEVEL`.
    Dispatch,
    /// Any IRQL km runs at.
    Any,
}

impl Rule {
    /// The highest level the rule allows.
    pub const fn highest(self) -> Level {
        match self {
            Rule::Passive => Level::Passive,
            Rule::Apc => Level::Apc,
            Rule::Dispatch | Rule::Any => Level::Dispatch,
        }
    }

    /// Whether a call at `level` keeps the rule.
    pub fn allows(self, level: Level) -> bool {
        level <= self.highest()
    }

    /// How the rule reads in documentation and logs.
    pub const fn describe(self) -> &'static str {
        match self {
            Rule::Passive => "PASSIVE_LEVEL",
            Rule::Apc => "<= APC_LEVEL",
            Rule::Dispatch => "<= DISPATCH_LEVEL",
            Rule::Any => "any",
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A token of the IRQL the current code runs at; only km makes them.
pub trait Irql: sealed::Sealed {
    /// The level the token proves.
    const LEVEL: Level;
}

/// Proof that the current thread runs at `PASSIVE_LEVEL` and holds no spin lock. Lent as
/// `&mut Passive` to `DriverEntry`, dispatch routines and unload; neither `Send`, `Sync`,
/// `Clone` nor `Copy`, so it cannot leave the context it was made for.
pub struct Passive {
    _not_send: PhantomData<*mut ()>,
}

impl Passive {
    /// A token for the current context.
    ///
    /// # Safety
    /// The caller runs at `PASSIVE_LEVEL`, holds no spin lock, and keeps the token in this
    /// context (km's trampolines and tests do; a driver never needs to).
    pub unsafe fn assume() -> Passive {
        Passive {
            _not_send: PhantomData,
        }
    }
}

impl sealed::Sealed for Passive {}
impl Irql for Passive {
    const LEVEL: Level = Level::Passive;
}

/// Proof that the current thread runs at `DISPATCH_LEVEL` (a DPC, or under a spin lock): it can
/// take spin locks and call `<= DISPATCH_LEVEL` routines, nothing that needs `PASSIVE_LEVEL`.
///
/// A `PASSIVE_LEVEL` routine called from a DPC does not compile (E0308: a DPC has only this
/// token):
///
/// ```compile_fail,E0308
/// # use evshare_km::irql::{DispatchLevel, Passive};
/// fn needs_passive(_at: &Passive) {}
/// fn on_timer(at: &mut DispatchLevel) {
///     needs_passive(at);
/// }
/// ```
pub struct DispatchLevel {
    _not_send: PhantomData<*mut ()>,
}

impl DispatchLevel {
    /// A token for the current context.
    ///
    /// # Safety
    /// The caller runs at `DISPATCH_LEVEL` or below, keeps the token in this context, and uses
    /// no [`Passive`] token while it lives (a lock taken with it would not hold `Passive` back).
    pub unsafe fn assume() -> DispatchLevel {
        DispatchLevel {
            _not_send: PhantomData,
        }
    }
}

impl sealed::Sealed for DispatchLevel {}
impl Irql for DispatchLevel {
    const LEVEL: Level = Level::Dispatch;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_allows_its_level_and_below_only() {
        assert!(Rule::Passive.allows(Level::Passive));
        assert!(!Rule::Passive.allows(Level::Apc));
        assert!(!Rule::Passive.allows(Level::Dispatch));
        assert!(Rule::Apc.allows(Level::Apc));
        assert!(!Rule::Apc.allows(Level::Dispatch));
        assert!(Rule::Dispatch.allows(Level::Dispatch));
        assert!(Rule::Any.allows(Level::Dispatch));
    }
}

//! Events the driver creates itself (`CREATE_EVENT`, `CREATE_NAMED_EVENT`): which kind of event,
//! and for a named one, which `BaseNamedObjects` directory it goes in.
//!
//! The name of a created event is built by
//! [`names::driver_created`](crate::names::driver_created) from a leaf the app chooses
//! (`<directory>\evshare-<leaf>`, see [`CREATED_PREFIX`](crate::names::CREATED_PREFIX) and
//! [`MAX_CREATED_LEAF_UNITS`](crate::names::MAX_CREATED_LEAF_UNITS)).

use crate::error::ProtocolError;
use crate::names::Namespace;

/// Which kind of event the driver creates. On the wire `kind: u32`: 0 auto-reset,
/// 1 manual-reset.
///
/// The wire values are **not** the kernel's `EVENT_TYPE` (where `NotificationEvent = 0` is
/// manual-reset and `SynchronizationEvent = 1` auto-reset): use
/// [`manual_reset`](Self::manual_reset) instead of casting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum EventKind {
    /// Wakes one waiter and resets itself (the kernel's `SynchronizationEvent`).
    AutoReset = 0,
    /// Stays signalled until reset (the kernel's `NotificationEvent`).
    ManualReset = 1,
}

impl EventKind {
    /// Every kind, in wire-value order.
    pub const ALL: [EventKind; 2] = [EventKind::AutoReset, EventKind::ManualReset];

    /// The wire value (0 or 1).
    pub const fn to_wire(self) -> u32 {
        self as u32
    }

    /// The kind a wire value names, or [`ProtocolError::BadEventKind`].
    pub const fn from_wire(kind: u32) -> Result<EventKind, ProtocolError> {
        match kind {
            0 => Ok(EventKind::AutoReset),
            1 => Ok(EventKind::ManualReset),
            _ => Err(ProtocolError::BadEventKind { kind }),
        }
    }

    /// Whether the event stays signalled until reset (`CreateEvent`'s `bManualReset`).
    pub const fn manual_reset(self) -> bool {
        matches!(self, EventKind::ManualReset)
    }

    /// A short, stable label: `"auto-reset"` or `"manual-reset"`.
    pub const fn label(self) -> &'static str {
        match self {
            EventKind::AutoReset => "auto-reset",
            EventKind::ManualReset => "manual-reset",
        }
    }
}

impl core::fmt::Display for EventKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.label())
    }
}

/// Where the driver creates a named event. On the wire `scope: u32`: 0 the caller's session,
/// 1 global.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Scope {
    /// The caller's own session's directory (`\Sessions\s\BaseNamedObjects`, or the global
    /// directory for session 0), like `Local\X`.
    Session = 0,
    /// The global directory `\BaseNamedObjects`, like `Global\X`.
    Global = 1,
}

impl Scope {
    /// Every scope, in wire-value order.
    pub const ALL: [Scope; 2] = [Scope::Session, Scope::Global];

    /// The wire value (0 or 1).
    pub const fn to_wire(self) -> u32 {
        self as u32
    }

    /// The scope a wire value names, or [`ProtocolError::BadScope`].
    pub const fn from_wire(scope: u32) -> Result<Scope, ProtocolError> {
        match scope {
            0 => Ok(Scope::Session),
            1 => Ok(Scope::Global),
            _ => Err(ProtocolError::BadScope { scope }),
        }
    }

    /// The directory this scope means for a caller in `caller_session`.
    pub const fn namespace(self, caller_session: u32) -> Namespace {
        match self {
            Scope::Session => Namespace::local_to(caller_session),
            Scope::Global => Namespace::Global,
        }
    }

    /// A short, stable label: `"session"` or `"global"`.
    pub const fn label(self) -> &'static str {
        match self {
            Scope::Session => "session",
            Scope::Global => "global",
        }
    }
}

impl core::fmt::Display for Scope {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_scopes_have_their_wire_values() {
        for (i, kind) in EventKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.to_wire() as usize, i);
            assert_eq!(EventKind::from_wire(kind.to_wire()), Ok(kind));
        }
        for (i, scope) in Scope::ALL.into_iter().enumerate() {
            assert_eq!(scope.to_wire() as usize, i);
            assert_eq!(Scope::from_wire(scope.to_wire()), Ok(scope));
        }
        assert_eq!(
            EventKind::from_wire(2),
            Err(ProtocolError::BadEventKind { kind: 2 })
        );
        assert_eq!(
            Scope::from_wire(u32::MAX),
            Err(ProtocolError::BadScope { scope: u32::MAX })
        );
        assert!(EventKind::ManualReset.manual_reset());
        assert!(!EventKind::AutoReset.manual_reset());
    }

    #[test]
    fn scopes_name_their_directory() {
        assert_eq!(Scope::Session.namespace(3), Namespace::Session(3));
        assert_eq!(Scope::Session.namespace(0), Namespace::Global);
        assert_eq!(Scope::Global.namespace(3), Namespace::Global);
    }
}

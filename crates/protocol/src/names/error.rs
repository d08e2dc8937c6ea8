//! Why a name is refused.

use super::{CREATED_PREFIX, MAX_CREATED_LEAF_UNITS, MAX_INPUT_UNITS, MAX_LEAF_UNITS};
use crate::stats::RejectReason;
use crate::status;

/// Why a name is refused. Each maps to the NTSTATUS of `docs/protocol.md`'s statuses table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameError {
    /// The whole name is empty. (An empty leaf after a prefix, as in `Global\`, is
    /// [`BadLeaf`](Self::BadLeaf).)
    Empty,
    /// The name is longer than [`MAX_INPUT_UNITS`].
    TooLong {
        /// The name's length in UTF-16 units.
        units: usize,
    },
    /// The name is not valid UTF-16: an odd number of bytes, or an unpaired surrogate.
    NotUtf16,
    /// The name contains a NUL unit (a terminator included: names are sent without one).
    EmbeddedNul,
    /// The leaf is empty, longer than [`MAX_LEAF_UNITS`], or `.` or `..`.
    BadLeaf,
    /// The name is outside `BaseNamedObjects` (another directory, a subdirectory, a device
    /// path, `Session\N\X`, or a bare name with a `\` in it).
    OutsideNamespace,
    /// The name is in another session's `BaseNamedObjects` directory.
    OtherSession {
        /// The session whose directory the name is in.
        asked: u32,
        /// The caller's own session.
        caller: u32,
    },
    /// The leaf of a driver-created event is longer than
    /// [`MAX_CREATED_LEAF_UNITS`].
    CreatedLeafTooLong {
        /// The leaf's length in UTF-16 units.
        units: usize,
    },
    /// The leaf of a driver-created event contains a `\`, or is `.` or `..`. (An empty leaf
    /// is [`Empty`](Self::Empty).)
    BadCreatedLeaf,
}

impl NameError {
    /// The NTSTATUS the driver completes the request with.
    pub const fn status(self) -> u32 {
        match self {
            NameError::Empty
            | NameError::NotUtf16
            | NameError::EmbeddedNul
            | NameError::BadLeaf
            | NameError::BadCreatedLeaf => status::STATUS_OBJECT_NAME_INVALID,
            NameError::TooLong { .. } | NameError::CreatedLeafTooLong { .. } => {
                status::STATUS_NAME_TOO_LONG
            }
            NameError::OutsideNamespace => status::STATUS_OBJECT_PATH_INVALID,
            NameError::OtherSession { .. } => status::STATUS_ACCESS_DENIED,
        }
    }

    /// The rejection counter the driver bumps for this error.
    pub const fn reject_reason(self) -> RejectReason {
        match self {
            NameError::Empty
            | NameError::NotUtf16
            | NameError::EmbeddedNul
            | NameError::BadLeaf
            | NameError::BadCreatedLeaf => RejectReason::BadName,
            NameError::TooLong { .. } | NameError::CreatedLeafTooLong { .. } => {
                RejectReason::NameTooLong
            }
            NameError::OutsideNamespace => RejectReason::OutsideNamespace,
            NameError::OtherSession { .. } => RejectReason::OtherSession,
        }
    }
}

impl core::fmt::Display for NameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            NameError::Empty => f.write_str("the name is empty"),
            NameError::TooLong { units } => write!(
                f,
                "the name is {units} UTF-16 units long; at most {MAX_INPUT_UNITS} are allowed"
            ),
            NameError::NotUtf16 => f.write_str(
                "the name is not valid UTF-16 (an odd number of bytes or an unpaired surrogate)",
            ),
            NameError::EmbeddedNul => {
                f.write_str("the name contains a NUL character (send it without a terminator)")
            }
            NameError::BadLeaf => write!(
                f,
                "the event's own name (after the last `\\`) must be 1 to {MAX_LEAF_UNITS} \
                 UTF-16 units and not `.` or `..`"
            ),
            NameError::OutsideNamespace => f.write_str(
                "the name is outside the allowed namespaces: use `Global\\X`, `Local\\X`, a \
                 bare `X` without `\\`, `\\BaseNamedObjects\\X` or \
                 `\\Sessions\\<your session>\\BaseNamedObjects\\X`",
            ),
            NameError::OtherSession { asked, caller } => write!(
                f,
                "the name is in session {asked}'s directory but the caller runs in session \
                 {caller}: use `Global\\X` for an event shared across sessions"
            ),
            NameError::CreatedLeafTooLong { units } => write!(
                f,
                "the leaf of a driver-created event is {units} UTF-16 units long; at most \
                 {MAX_CREATED_LEAF_UNITS} are allowed"
            ),
            NameError::BadCreatedLeaf => write!(
                f,
                "the leaf of a driver-created event (the part after `{CREATED_PREFIX}`) must \
                 not contain `\\` and must not be `.` or `..`"
            ),
        }
    }
}

impl core::error::Error for NameError {}

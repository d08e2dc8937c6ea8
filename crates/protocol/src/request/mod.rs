//! Requests: the input buffer of every IOCTL.
//!
//! The driver [`parse`]s what it received; the client [`encode`]s what it sends. Both use the
//! layouts of `docs/protocol.md` ("Encoding"): little-endian, packed, each request starting with
//! `RequestHeader { version: u32 = 1, flags: u32 = 0 }`.

mod encode;
mod parse;

pub use encode::{encode, leaf_to_wire, name_to_wire};
pub use parse::parse;

use crate::created::{EventKind, Scope};
use crate::ioctl::Ioctl;
use crate::mode::SignalMode;
use crate::names::{MAX_CREATED_LEAF_UNITS, MAX_INPUT_UNITS};

/// Size of `RequestHeader` (`version`, `flags`), and of the whole `QUERY_VERSION` request.
pub const HEADER_LEN: usize = 8;
/// Size of `RegisterByName` without its name: header, mode, `name_bytes`.
pub const REGISTER_BY_NAME_FIXED_LEN: usize = 20;
/// Size of `SetSignalMode`: header, id, mode.
pub const SET_SIGNAL_MODE_LEN: usize = 24;
/// Size of `RegistrationRequest` (`SIGNAL`, `UNREGISTER`, `QUERY_REGISTRATION`): header, id.
pub const REGISTRATION_REQUEST_LEN: usize = 16;
/// Size of `StatsRequest`: header, pid, reserved.
pub const STATS_REQUEST_LEN: usize = 16;
/// Size of `RegisterByHandle`: header, handle, mode.
pub const REGISTER_BY_HANDLE_LEN: usize = 24;
/// Size of `CreateEvent`: header, kind, reserved, mode.
pub const CREATE_EVENT_LEN: usize = 24;
/// Size of `CreateNamedEvent` without its leaf: header, kind, scope, mode, `leaf_bytes`.
pub const CREATE_NAMED_EVENT_FIXED_LEN: usize = 28;
/// The longest name, in bytes.
pub const MAX_NAME_BYTES: usize = 2 * MAX_INPUT_UNITS;
/// The longest leaf of a driver-created event, in bytes.
pub const MAX_CREATED_LEAF_BYTES: usize = 2 * MAX_CREATED_LEAF_UNITS;
/// Maximum encoded request size: a `RegisterByName` with the longest name (a
/// `CreateNamedEvent` with the longest leaf is shorter).
pub const MAX_REQUEST_LEN: usize = REGISTER_BY_NAME_FIXED_LEN + MAX_NAME_BYTES;

const _: () = assert!(CREATE_NAMED_EVENT_FIXED_LEN + MAX_CREATED_LEAF_BYTES <= MAX_REQUEST_LEN);

/// A request the driver received, parsed and validated (but names not yet resolved: the
/// driver resolves them with the caller's session id, see
/// [`names::resolve`](crate::names::resolve)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Request<'a> {
    /// `QUERY_VERSION`.
    QueryVersion,
    /// `REGISTER_BY_NAME`: open the named event and signal it in `mode`.
    RegisterByName {
        /// How the driver signals the event.
        mode: SignalMode,
        /// The name as validated UTF-16LE: even length, 2..=480 bytes, no unpaired surrogate,
        /// no NUL. Decode it with [`names::decode_wire_name`](crate::names::decode_wire_name).
        name_bytes: &'a [u8],
    },
    /// `SET_SIGNAL_MODE`: change how registration `id` is signalled.
    SetSignalMode {
        /// The registration.
        id: u64,
        /// Its new mode.
        mode: SignalMode,
    },
    /// `SIGNAL`: signal registration `id` now.
    Signal {
        /// The registration.
        id: u64,
    },
    /// `UNREGISTER`: drop registration `id`.
    Unregister {
        /// The registration.
        id: u64,
    },
    /// `QUERY_STATS`: the driver's counters.
    QueryStats {
        /// Count live registrations of this process too (`live_for_pid`); 0 for no filter.
        pid: u32,
    },
    /// `QUERY_REGISTRATION`: what the driver knows about registration `id`.
    QueryRegistration {
        /// The registration.
        id: u64,
    },
    /// `REGISTER_BY_HANDLE`: reference the event behind the app's own handle and signal it
    /// in `mode`.
    RegisterByHandle {
        /// The handle value, in the caller's process. Any value parses: the driver references
        /// it with user-mode access checks (so kernel handles and pseudo-handles are
        /// refused), for `EVENT_MODIFY_STATE`, as an event.
        handle: u64,
        /// How the driver signals the event.
        mode: SignalMode,
    },
    /// `CREATE_EVENT`: create an unnamed event, give the caller a `SYNCHRONIZE`-only handle
    /// to it, and signal it in `mode`.
    CreateEvent {
        /// Auto- or manual-reset.
        kind: EventKind,
        /// How the driver signals the event.
        mode: SignalMode,
    },
    /// `CREATE_NAMED_EVENT`: create `<scope's directory>\evshare-<leaf>` (never opening an
    /// existing object) and signal it in `mode`.
    CreateNamedEvent {
        /// Auto- or manual-reset.
        kind: EventKind,
        /// The caller's session's directory or the global one.
        scope: Scope,
        /// How the driver signals the event.
        mode: SignalMode,
        /// The leaf as validated UTF-16LE: even length, 2..=128 bytes, no unpaired
        /// surrogate, no NUL, no `\`, not `.` or `..`. Decode it with
        /// [`names::decode_wire_leaf`](crate::names::decode_wire_leaf), then build the path
        /// with [`names::driver_created`](crate::names::driver_created).
        leaf_bytes: &'a [u8],
    },
    /// `QUERY_HOLDERS`: which processes hold live registrations.
    QueryHolders,
}

impl Request<'_> {
    /// The IOCTL that carries this request.
    pub const fn ioctl(&self) -> Ioctl {
        match self {
            Request::QueryVersion => Ioctl::QueryVersion,
            Request::RegisterByName { .. } => Ioctl::RegisterByName,
            Request::SetSignalMode { .. } => Ioctl::SetSignalMode,
            Request::Signal { .. } => Ioctl::Signal,
            Request::Unregister { .. } => Ioctl::Unregister,
            Request::QueryStats { .. } => Ioctl::QueryStats,
            Request::QueryRegistration { .. } => Ioctl::QueryRegistration,
            Request::RegisterByHandle { .. } => Ioctl::RegisterByHandle,
            Request::CreateEvent { .. } => Ioctl::CreateEvent,
            Request::CreateNamedEvent { .. } => Ioctl::CreateNamedEvent,
            Request::QueryHolders => Ioctl::QueryHolders,
        }
    }
}

//! Requests: the input buffer of every IOCTL.
//!
//! The driver [`parse`]s what it received; the client [`encode`]s what it sends. Both use the
//! layouts of `docs/protocol.md` ("Encoding"): little-endian, packed, each request starting with
//! `RequestHeader { version: u32 = 1, flags: u32 = 0 }`.

mod encode;
mod parse;

pub use encode::{encode, name_to_wire};
pub use parse::parse;

use crate::ioctl::Ioctl;
use crate::mode::SignalMode;
use crate::names::MAX_INPUT_UNITS;

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
/// The longest name, in bytes.
pub const MAX_NAME_BYTES: usize = 2 * MAX_INPUT_UNITS;
/// Maximum encoded request size: a `RegisterByName` with the longest name.
pub const MAX_REQUEST_LEN: usize = REGISTER_BY_NAME_FIXED_LEN + MAX_NAME_BYTES;

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
        }
    }
}

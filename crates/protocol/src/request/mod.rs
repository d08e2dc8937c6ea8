//! Requests: the input buffer of every IOCTL.
//!
//! The driver [`parse`]s what it received; the client [`encode`]s what it sends. Both use the
//! layouts of `docs/protocol.md` ("Encoding"): little-endian, packed, each request starting with
//! `RequestHeader { version: u32 = 1, flags: u32 = 0 }`.
//!
//! Each request's fixed part is declared once, in `layout.rs`; the sizes below, the encoder,
//! the parser and the documentation's rows follow from it.

mod encode;
pub(crate) mod layout;
mod parse;

pub use encode::{encode, leaf_to_wire, name_to_wire};
pub use parse::parse;

use crate::channel::SubscribeTarget;
use crate::created::{EventKind, Scope};
use crate::ioctl::Ioctl;
use crate::mode::SignalMode;
use crate::names::{MAX_CREATED_LEAF_UNITS, MAX_INPUT_UNITS};

/// Size of `RequestHeader` (`version`, `flags`), and of the whole `QUERY_VERSION` request.
pub const HEADER_LEN: usize = layout::RequestHeader::LEN;
/// Size of `RegisterByName` without its name: header, mode, `name_bytes`.
pub const REGISTER_BY_NAME_FIXED_LEN: usize = layout::RegisterByName::LEN;
/// Size of `SetSignalMode`: header, id, mode.
pub const SET_SIGNAL_MODE_LEN: usize = layout::SetSignalMode::LEN;
/// Size of `RegistrationRequest` (`SIGNAL`, `UNREGISTER`, `QUERY_REGISTRATION`): header, id.
pub const REGISTRATION_REQUEST_LEN: usize = layout::RegistrationRequest::LEN;
/// Size of `StatsRequest`: header, pid, reserved.
pub const STATS_REQUEST_LEN: usize = layout::StatsRequest::LEN;
/// Size of `RegisterByHandle`: header, handle, mode.
pub const REGISTER_BY_HANDLE_LEN: usize = layout::RegisterByHandle::LEN;
/// Size of `CreateEvent`: header, kind, reserved, mode.
pub const CREATE_EVENT_LEN: usize = layout::CreateEvent::LEN;
/// Size of `CreateNamedEvent` without its leaf: header, kind, scope, mode, `leaf_bytes`.
pub const CREATE_NAMED_EVENT_FIXED_LEN: usize = layout::CreateNamedEvent::LEN;
/// Size of `RegisterRing` without its three names: header, capacity, mode, watermark,
/// `section_bytes`, `data_ready_bytes`, `space_free_bytes`.
pub const REGISTER_RING_FIXED_LEN: usize = layout::RegisterRing::LEN;
/// Size of `Produce`: header, id, count, reserved.
pub const PRODUCE_LEN: usize = layout::Produce::LEN;
/// Size of `Notify`: header, count, reserved.
pub const NOTIFY_LEN: usize = layout::Notify::LEN;
/// Size of `Subscribe`: header, id, channel, target.
pub const SUBSCRIBE_LEN: usize = layout::Subscribe::LEN;
/// `VERIFIER`: header, `op: u32`, `arg: u32`, `seed: u64`.
pub const VERIFIER_LEN: usize = layout::Verifier::LEN;
/// The longest name, in bytes.
pub const MAX_NAME_BYTES: usize = 2 * MAX_INPUT_UNITS;
/// The longest leaf of a driver-created event, in bytes.
pub const MAX_CREATED_LEAF_BYTES: usize = 2 * MAX_CREATED_LEAF_UNITS;
/// Maximum encoded request size: a `RegisterRing` with three names of the longest kind (a
/// `RegisterByName` with the longest name and a `CreateNamedEvent` with the longest leaf are
/// shorter).
pub const MAX_REQUEST_LEN: usize = REGISTER_RING_FIXED_LEN + 3 * MAX_NAME_BYTES;

const _: () = assert!(REGISTER_BY_NAME_FIXED_LEN + MAX_NAME_BYTES <= MAX_REQUEST_LEN);
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
    /// `REGISTER_RING`: map the app's ring section, reference its two events, and produce
    /// records into it in `mode` (periodic: one record per tick of the driver's timer; on
    /// demand: only on `PRODUCE`). Any valid [`SignalMode`] parses; what the driver makes of
    /// the others is its business.
    ///
    /// The three names are validated UTF-16LE as `RegisterByName`'s (even length,
    /// 2..=480 bytes, no unpaired surrogate, no NUL; see
    /// [`names::check_wire_name`](crate::names::check_wire_name)), not yet resolved: decode each
    /// with [`names::decode_wire_name`](crate::names::decode_wire_name) and resolve it with
    /// [`names::resolve`](crate::names::resolve) in the caller's session.
    RegisterRing {
        /// Records in the ring: a power of two in
        /// [`MIN_CAPACITY`](crate::ring::MIN_CAPACITY)..=[`MAX_CAPACITY`](crate::ring::MAX_CAPACITY).
        capacity: u32,
        /// When the driver produces records.
        mode: SignalMode,
        /// Unread records (`1..=capacity`) before the producer signals `data_ready`; 1 wakes
        /// the consumer on every record. A batch's end signals regardless.
        watermark: u32,
        /// The name of the section the app created and initialised.
        section: &'a [u8],
        /// The name of the auto-reset event the driver sets when data is ready.
        data_ready: &'a [u8],
        /// The name of the auto-reset event the app sets when it frees space.
        space_free: &'a [u8],
    },
    /// `PRODUCE`: produce `count` records into ring `id` now.
    Produce {
        /// The ring's registration.
        id: u64,
        /// How many records: `1..=`[`MAX_COUNT`](crate::ring::MAX_COUNT).
        count: u32,
    },
    /// `PEND_NOTIFICATION`: an IRP the driver keeps pending until a notification completes it
    /// (the inverted call).
    PendNotification,
    /// `NOTIFY`: make `count` notifications for the caller's handle.
    Notify {
        /// How many: `1..=`[`MAX_COUNT`](crate::ring::MAX_COUNT).
        count: u32,
    },
    /// `QUERY_RING`: what the driver knows about ring `id`.
    QueryRing {
        /// The ring's registration.
        id: u64,
    },
    /// `VERIFIER`: an operation of the verifier build (refused by the shipped driver).
    Verifier {
        /// What to do.
        op: VerifierOp,
    },
    /// `QUERY_CHANNELS`: the channels the host driver publishes on.
    QueryChannels,
    /// `SUBSCRIBE`: `target` receives channel `channel`'s payloads.
    Subscribe {
        /// Who subscribes (of the caller's handle).
        target: SubscribeTarget,
        /// The channel's number in `QUERY_CHANNELS`' list.
        channel: u32,
    },
}

/// What a `VERIFIER` request asks the verifier build to do (`op: u32`, `arg: u32`,
/// `seed: u64` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VerifierOp {
    /// `op = 0`: only report the figures (`arg` and `seed` zero).
    Query,
    /// `op = 1`: fail about one in `one_in` of the kernel calls fault injection may fail,
    /// chosen by a sequence seeded with `seed`; `one_in = 0` stops.
    Faults {
        /// The seed of the sequence.
        seed: u64,
        /// One call in how many fails (0: none).
        one_in: u32,
    },
    /// `op = 2`: do the wrong thing check `check` (an index of
    /// [`VERIFIER_CHECK_NAMES`](crate::reply::VERIFIER_CHECK_NAMES)) exists to catch, once,
    /// so that the check fires (`seed` zero). The checks made at unload fire at unload.
    Provoke {
        /// The check to provoke.
        check: u32,
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
            Request::RegisterByHandle { .. } => Ioctl::RegisterByHandle,
            Request::CreateEvent { .. } => Ioctl::CreateEvent,
            Request::CreateNamedEvent { .. } => Ioctl::CreateNamedEvent,
            Request::QueryHolders => Ioctl::QueryHolders,
            Request::RegisterRing { .. } => Ioctl::RegisterRing,
            Request::Produce { .. } => Ioctl::Produce,
            Request::PendNotification => Ioctl::PendNotification,
            Request::Notify { .. } => Ioctl::Notify,
            Request::QueryRing { .. } => Ioctl::QueryRing,
            Request::Verifier { .. } => Ioctl::Verifier,
            Request::QueryChannels => Ioctl::QueryChannels,
            Request::Subscribe { .. } => Ioctl::Subscribe,
        }
    }
}

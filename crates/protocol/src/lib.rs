//! The evshare wire protocol, version 1: the contract between `evshare.sys` and user mode.
//!
//! `docs/protocol.md` is the specification; this crate is its only implementation. The driver
//! and the client both build on it, so the two sides cannot drift apart:
//!
//! - [`ioctl`]: the device names and the IOCTL codes (`CTL_CODE`, `METHOD_BUFFERED`).
//! - [`ioctl_space`]: the same codes on a host driver's own device type and function base.
//! - [`layout`]: every request's and reply's layout as data, the source of
//!   `docs/protocol.md`'s "Encoding" list.
//! - [`request`]: parse (driver) and encode (client) the input buffer of every IOCTL.
//! - [`reply`]: encode (driver) and parse (client) the output buffer of every IOCTL.
//! - [`channel`]: channels a host driver publishes on, and how a payload fills a ring record.
//! - [`names`]: how a name such as `Global\X` resolves to an NT path in the caller's session,
//!   and the name of an event the driver creates.
//! - [`created`]: the kind and scope of an event the driver creates.
//! - [`method`]: how a registration was made (by name, by handle, driver-created).
//! - [`mode`]: how the driver signals a registered event.
//! - [`quota`]: the per-process quotas and the timer budget the driver enforces.
//! - [`ring`]: the limits of the ring channel's requests (capacity, watermark, batch counts).
//! - [`error`], [`status`], [`stats`]: what is wrong with a request, the NTSTATUS it gets, and
//!   the rejection counter it bumps.
//!
//! The crate is `no_std`, allocates nothing and never panics on any input: the kernel driver
//! links it, and a panic there is a bugcheck. Every buffer access is bounds-checked by
//! construction (`get`, `split_at_checked`, iterators), and the lints below keep it that way.

#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

#[cfg(test)]
extern crate std;

pub mod channel;
pub mod created;
pub mod error;
pub mod ioctl;
pub mod ioctl_space;
pub mod layout;
pub mod method;
pub mod mode;
pub mod names;
pub mod quota;
pub mod reply;
pub mod request;
pub mod ring;
pub mod stats;
pub mod status;
mod wire;

pub use created::{EventKind, Scope};
pub use error::ProtocolError;
pub use evshare_ntstatus::NtStatus;
pub use ioctl::Ioctl;
pub use ioctl_space::{IoctlSpace, SpaceError};
pub use method::Method;
pub use mode::SignalMode;
pub use names::{NameError, Namespace, ResolvedName};
pub use reply::{
    ChannelEntry, ChannelsReply, Holder, HoldersReply, HostKind, Notification, NotifyReply,
    ProduceReply, RegisterReply, RegistrationInfo, RingInfo, RingReply, SignalReply, StatsReply,
    VerifierFigures, VerifierReply, VersionReply, VERIFIER_CHECK_NAMES,
};
pub use request::{Request, VerifierOp};
pub use stats::RejectReason;

/// The protocol version this crate speaks; the first field of every request and reply.
pub const PROTOCOL_VERSION: u32 = 1;

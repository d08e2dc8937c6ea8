//! Replies: the output buffer of the IOCTLs that return data.
//!
//! The driver `encode`s a reply into the system buffer (refusing with
//! [`OutputTooSmall`](ProtocolError::OutputTooSmall) if it does not fit); the client `parse`s
//! the bytes `DeviceIoControl` returned, which must be exactly the reply's `LEN`. Every reply
//! starts with `version: u32 = 1` and a `u32` that the reply defines (`docs/protocol.md`,
//! "Encoding").
//!
//! Each reply's layout is declared once, next to its type, with `wire_layout!` (or
//! `counters_reply!`): its size, its raw encoding and parsing, and its row in the
//! documentation follow from it; the reply types convert to and from those raw layouts,
//! checking what the fields mean.

/// Defines a reply that is `version: u32`, `reserved: u32 = 0`, then `u64` counters in the
/// order given: the public struct of the counters and, by [`wire_layout!`], its wire layout
/// `$wire` (documented under the reply's name), from which its `LEN`, `encode` and `parse`
/// follow. `SignalReply`, `NotifyReply` and `ProduceReply` have this shape. As for every
/// layout, the `///` texts are the documentation's too: plain Markdown, no intra-doc links.
macro_rules! counters_reply {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident, wire $wire:ident {
            $( $(#[doc = $field_doc:literal])* pub $field:ident: u64, )+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $name {
            $( $(#[doc = $field_doc])* pub $field: u64, )+
        }

        $crate::wire::wire_layout! {
            $(#[doc = $doc])*
            pub(crate) struct $wire as $name {
                version: u32 = 1,
                reserved: u32 = 0,
                $( $(#[doc = $field_doc])* $field: u64, )+
            }
        }

        impl $name {
            /// The encoded size.
            pub const LEN: usize = $wire::LEN;

            /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns
            /// `LEN`.
            pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
                let raw = $wire {
                    $( $field: self.$field, )+
                    ..<$wire as $crate::wire::Wire>::BLANK
                };
                super::encode_fixed(&raw, out)
            }

            /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
            pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
                let raw: $wire = super::decode_fixed(bytes)?;
                $crate::wire::check_fixed(&raw)?;
                Ok($name { $( $field: raw.$field, )+ })
            }
        }
    };
}

pub(crate) mod channels;
pub(crate) mod holders;
pub(crate) mod notify;
pub(crate) mod register;
pub(crate) mod registration;
mod resolved_field;
pub(crate) mod ring;
pub(crate) mod signal;
pub(crate) mod stats;
pub(crate) mod verifier;
pub(crate) mod version;

pub use channels::{ChannelEntry, ChannelsReply};
pub use holders::{Holder, HoldersReply, MAX_HOLDERS};
pub use notify::{Notification, NotificationSource, NotifyReply, NOTIFICATION_PAYLOAD_LEN};
pub use register::RegisterReply;
pub use registration::RegistrationInfo;
pub use ring::{ProduceReply, RingInfo, RingReply};
pub use signal::SignalReply;
pub use stats::StatsReply;
pub use verifier::{VerifierFigures, VerifierReply, VERIFIER_CHECKS, VERIFIER_CHECK_NAMES};
pub use version::VersionReply;

use crate::error::ProtocolError;
use crate::wire::{Reader, Wire, Writer};
use crate::PROTOCOL_VERSION;

/// The kind of system the driver runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum HostKind {
    /// Windows itself.
    Windows = 1,
    /// Wine (`ntoskrnl.exe` emulation): some kernel behaviour differs, see PLATFORM.md.
    Wine = 2,
}

impl HostKind {
    /// The wire value (1 or 2).
    pub const fn to_wire(self) -> u32 {
        self as u32
    }

    /// The host a wire value names, or [`ProtocolError::UnknownHost`].
    pub const fn from_wire(host: u32) -> Result<HostKind, ProtocolError> {
        match host {
            1 => Ok(HostKind::Windows),
            2 => Ok(HostKind::Wine),
            _ => Err(ProtocolError::UnknownHost { host }),
        }
    }
}

impl core::fmt::Display for HostKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            HostKind::Windows => "Windows",
            HostKind::Wine => "Wine",
        })
    }
}

/// Writes the reply layout `raw` into the first `T::LEN` bytes of `out`; returns `T::LEN`.
fn encode_fixed<T: Wire>(raw: &T, out: &mut [u8]) -> Result<usize, ProtocolError> {
    let too_small = ProtocolError::OutputTooSmall {
        needed: T::LEN,
        got: out.len(),
    };
    let mut fields = Writer::new(out.get_mut(..T::LEN).ok_or(too_small)?);
    raw.write(&mut fields).ok_or(too_small)?;
    if fields.written() == T::LEN {
        Ok(T::LEN)
    } else {
        Err(ProtocolError::OutputTooSmall {
            needed: T::LEN,
            got: fields.written(),
        })
    }
}

/// Reads the reply layout `T` from a reply that must be exactly `T::LEN` bytes (see
/// [`open_reply`] for the order of the checks). Only the raw fields: what they mean is the
/// caller's to check.
fn decode_fixed<T: Wire>(bytes: &[u8]) -> Result<T, ProtocolError> {
    open_reply(bytes, T::LEN)?;
    T::read(&mut Reader::new(bytes)).ok_or(missing(T::LEN, bytes.len()))
}

/// Starts parsing a reply that should be `len` bytes: checks `version` (first, so a reply of
/// another version is named as such), then that the size is exactly `len`.
fn open_reply(bytes: &[u8], len: usize) -> Result<(), ProtocolError> {
    let too_short = ProtocolError::InputTooShort {
        needed: len,
        got: bytes.len(),
    };
    let mut fields = Reader::new(bytes);
    let version = fields.u32().ok_or(too_short)?;
    if version != PROTOCOL_VERSION {
        return Err(ProtocolError::UnsupportedVersion { got: version });
    }
    if bytes.len() < len {
        return Err(too_short);
    }
    if bytes.len() > len {
        return Err(ProtocolError::LengthMismatch {
            declared: len,
            got: bytes.len(),
        });
    }
    Ok(())
}

/// The error for a field missing from a reply whose size was already checked: it cannot
/// happen, and returning it keeps the parser free of panics.
const fn missing(len: usize, got: usize) -> ProtocolError {
    ProtocolError::InputTooShort { needed: len, got }
}

//! Replies: the output buffer of the IOCTLs that return data.
//!
//! The driver `encode`s a reply into the system buffer (refusing with
//! [`OutputTooSmall`](ProtocolError::OutputTooSmall) if it does not fit); the client `parse`s
//! the bytes `DeviceIoControl` returned, which must be exactly the reply's `LEN`. Every reply
//! starts with `version: u32 = 1` and a `u32` that the reply defines (`docs/protocol.md`,
//! "Encoding").

/// Defines a reply that is `version: u32`, `reserved: u32 = 0`, then `u64` counters in the
/// order given: the struct, its encoded `LEN` (stated, and pinned by the byte-layout tests),
/// `encode` and `parse`. `SignalReply`, `NotifyReply` and `ProduceReply` have this shape.
macro_rules! counters_reply {
    (
        $(#[$meta:meta])*
        pub struct $name:ident, len $len:literal {
            $( $(#[$field_meta:meta])* pub $field:ident: u64, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: u64, )+
        }

        impl $name {
            /// The encoded size.
            pub const LEN: usize = $len;

            /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns
            /// `LEN`.
            pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
                let mut fields = super::start_reply(out, Self::LEN)?;
                let too_small = ProtocolError::OutputTooSmall {
                    needed: Self::LEN,
                    got: fields.written(),
                };
                fields.u32(0).ok_or(too_small)?;
                $( fields.u64(self.$field).ok_or(too_small)?; )+
                super::finish_reply(&fields, Self::LEN)
            }

            /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
            pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
                let mut fields = super::open_reply(bytes, Self::LEN)?;
                let missing = super::missing(Self::LEN, bytes.len());
                let reserved = fields.u32().ok_or(missing)?;
                $( let $field = fields.u64().ok_or(missing)?; )+
                super::check_reserved(reserved)?;
                Ok($name { $( $field, )+ })
            }
        }
    };
}

mod holders;
mod notify;
mod register;
mod registration;
mod resolved_field;
mod ring;
mod signal;
mod stats;
mod verifier;
mod version;

pub use holders::{Holder, HoldersReply, MAX_HOLDERS};
pub use notify::{Notification, NotifyReply, NOTIFICATION_PAYLOAD_LEN};
pub use register::RegisterReply;
pub use registration::RegistrationInfo;
pub use ring::{ProduceReply, RingInfo, RingReply};
pub use signal::SignalReply;
pub use stats::StatsReply;
pub use verifier::{VerifierFigures, VerifierReply, VERIFIER_CHECKS, VERIFIER_CHECK_NAMES};
pub use version::VersionReply;

use crate::error::ProtocolError;
use crate::wire::{Reader, Writer};
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

/// Starts encoding a reply of `len` bytes into `out`: checks the size and writes `version`.
fn start_reply(out: &mut [u8], len: usize) -> Result<Writer<'_>, ProtocolError> {
    let too_small = ProtocolError::OutputTooSmall {
        needed: len,
        got: out.len(),
    };
    let mut fields = Writer::new(out.get_mut(..len).ok_or(too_small)?);
    fields.u32(PROTOCOL_VERSION).ok_or(too_small)?;
    Ok(fields)
}

/// Finishes encoding: every one of the reply's `len` bytes must have been written.
fn finish_reply(fields: &Writer<'_>, len: usize) -> Result<usize, ProtocolError> {
    if fields.written() == len {
        Ok(len)
    } else {
        Err(ProtocolError::OutputTooSmall {
            needed: len,
            got: fields.written(),
        })
    }
}

/// Starts parsing a reply that should be `len` bytes: checks `version` (first, so a reply of
/// another version is named as such), then that the size is exactly `len`.
fn open_reply(bytes: &[u8], len: usize) -> Result<Reader<'_>, ProtocolError> {
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
    Ok(fields)
}

/// The error for a field missing from a reply whose size was already checked: it cannot
/// happen, and returning it keeps the parser free of panics.
const fn missing(len: usize, got: usize) -> ProtocolError {
    ProtocolError::InputTooShort { needed: len, got }
}

/// A reserved field must be zero.
const fn check_reserved(field: u32) -> Result<(), ProtocolError> {
    if field == 0 {
        Ok(())
    } else {
        Err(ProtocolError::ReservedNotZero)
    }
}

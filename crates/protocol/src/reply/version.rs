//! `VersionReply`, the answer to `QUERY_VERSION`.

use super::{decode_fixed, encode_fixed, HostKind};
use crate::error::ProtocolError;
use crate::wire::{wire_layout, Wire};

wire_layout! {
    /// What `QUERY_VERSION` returns.
    pub(crate) struct VersionReplyWire as VersionReply {
        version: u32 = 1,
        /// 1 = Windows, 2 = Wine
        host: u32,
        /// the driver's own version: major, minor, patch
        driver_version: [u32; 3],
        /// how many registrations the driver allows in all
        max_registrations: u32,
    }
}

/// What `QUERY_VERSION` returns (layout: `VersionReplyWire`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VersionReply {
    /// The system the driver runs on.
    pub host: HostKind,
    /// The driver's own version: major, minor, patch.
    pub driver_version: [u32; 3],
    /// How many registrations the driver allows in all.
    pub max_registrations: u32,
}

impl VersionReply {
    /// The encoded size.
    pub const LEN: usize = VersionReplyWire::LEN;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let raw = VersionReplyWire {
            host: self.host.to_wire(),
            driver_version: self.driver_version,
            max_registrations: self.max_registrations,
            ..VersionReplyWire::BLANK
        };
        encode_fixed(&raw, out)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let raw: VersionReplyWire = decode_fixed(bytes)?;
        Ok(VersionReply {
            host: HostKind::from_wire(raw.host)?,
            driver_version: raw.driver_version,
            max_registrations: raw.max_registrations,
        })
    }
}

//! `VersionReply`, the answer to `QUERY_VERSION`.

use super::{finish_reply, missing, open_reply, start_reply, HostKind};
use crate::error::ProtocolError;

/// What `QUERY_VERSION` returns: `version: u32`, `host: u32`, `driver_version: [u32; 3]`,
/// `max_registrations: u32`.
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
    pub const LEN: usize = 24;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let mut fields = start_reply(out, Self::LEN)?;
        let too_small = ProtocolError::OutputTooSmall {
            needed: Self::LEN,
            got: fields.written(),
        };
        fields.u32(self.host.to_wire()).ok_or(too_small)?;
        for part in self.driver_version {
            fields.u32(part).ok_or(too_small)?;
        }
        fields.u32(self.max_registrations).ok_or(too_small)?;
        finish_reply(&fields, Self::LEN)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut fields = open_reply(bytes, Self::LEN)?;
        let missing = missing(Self::LEN, bytes.len());
        let host = fields.u32().ok_or(missing)?;
        let major = fields.u32().ok_or(missing)?;
        let minor = fields.u32().ok_or(missing)?;
        let patch = fields.u32().ok_or(missing)?;
        let max_registrations = fields.u32().ok_or(missing)?;
        Ok(VersionReply {
            host: HostKind::from_wire(host)?,
            driver_version: [major, minor, patch],
            max_registrations,
        })
    }
}

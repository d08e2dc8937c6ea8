//! `RegisterReply`, the answer to `REGISTER_BY_NAME`.

use super::{finish_reply, missing, open_reply, resolved_field, start_reply};
use crate::error::ProtocolError;
use crate::names::ResolvedName;

/// What `REGISTER_BY_NAME` returns: `version: u32`, `session_id: u32`, `id: u64`,
/// `resolved_bytes: u32`, `reserved: u32`, `resolved: [u16; 256]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegisterReply {
    /// The caller's session, as the driver saw it (the one names were resolved against).
    pub session_id: u32,
    /// The new registration's id, for `SIGNAL`, `UNREGISTER` and the other IOCTLs.
    pub id: u64,
    /// The NT path the driver opened.
    pub resolved: ResolvedName,
}

impl RegisterReply {
    /// The encoded size.
    pub const LEN: usize = 16 + resolved_field::LEN;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let mut fields = start_reply(out, Self::LEN)?;
        let too_small = ProtocolError::OutputTooSmall {
            needed: Self::LEN,
            got: fields.written(),
        };
        fields.u32(self.session_id).ok_or(too_small)?;
        fields.u64(self.id).ok_or(too_small)?;
        resolved_field::write(&mut fields, &self.resolved).ok_or(too_small)?;
        finish_reply(&fields, Self::LEN)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut fields = open_reply(bytes, Self::LEN)?;
        let missing = missing(Self::LEN, bytes.len());
        let session_id = fields.u32().ok_or(missing)?;
        let id = fields.u64().ok_or(missing)?;
        let resolved = resolved_field::read(&mut fields, missing)?;
        Ok(RegisterReply {
            session_id,
            id,
            resolved,
        })
    }
}

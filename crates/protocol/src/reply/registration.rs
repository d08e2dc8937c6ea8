//! `RegistrationInfo`, the answer to `QUERY_REGISTRATION`.

use super::{finish_reply, missing, open_reply, resolved_field, start_reply};
use crate::error::ProtocolError;
use crate::mode::SignalMode;
use crate::names::ResolvedName;

/// What `QUERY_REGISTRATION` returns: `version: u32`, `owner_pid: u32`, `id: u64`,
/// `mode: SignalMode`, `signals_sent: u64`, `resolved_bytes: u32`, `reserved: u32`,
/// `resolved: [u16; 256]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegistrationInfo {
    /// The process that registered.
    pub owner_pid: u32,
    /// The registration's id.
    pub id: u64,
    /// How the driver signals it.
    pub mode: SignalMode,
    /// How many times the driver has signalled it.
    pub signals_sent: u64,
    /// The NT path the driver opened.
    pub resolved: ResolvedName,
}

impl RegistrationInfo {
    /// The encoded size.
    pub const LEN: usize = 32 + resolved_field::LEN;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    /// A mode out of range is refused ([`BadSignalMode`](ProtocolError::BadSignalMode)).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let (kind, millis) = self.mode.validate()?.to_wire();
        let mut fields = start_reply(out, Self::LEN)?;
        let too_small = ProtocolError::OutputTooSmall {
            needed: Self::LEN,
            got: fields.written(),
        };
        fields.u32(self.owner_pid).ok_or(too_small)?;
        fields.u64(self.id).ok_or(too_small)?;
        fields.u32(kind).ok_or(too_small)?;
        fields.u32(millis).ok_or(too_small)?;
        fields.u64(self.signals_sent).ok_or(too_small)?;
        resolved_field::write(&mut fields, &self.resolved).ok_or(too_small)?;
        finish_reply(&fields, Self::LEN)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut fields = open_reply(bytes, Self::LEN)?;
        let missing = missing(Self::LEN, bytes.len());
        let owner_pid = fields.u32().ok_or(missing)?;
        let id = fields.u64().ok_or(missing)?;
        let kind = fields.u32().ok_or(missing)?;
        let millis = fields.u32().ok_or(missing)?;
        let signals_sent = fields.u64().ok_or(missing)?;
        let resolved = resolved_field::read(&mut fields, missing)?;
        Ok(RegistrationInfo {
            owner_pid,
            id,
            mode: SignalMode::from_wire(kind, millis)?,
            signals_sent,
            resolved,
        })
    }
}

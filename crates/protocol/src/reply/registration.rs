//! `RegistrationInfo`, the answer to `QUERY_REGISTRATION`.

use super::resolved_field::{self, check_method};
use super::{finish_reply, missing, open_reply, start_reply};
use crate::error::ProtocolError;
use crate::method::Method;
use crate::mode::SignalMode;
use crate::names::ResolvedName;

/// What `QUERY_REGISTRATION` returns: `version: u32`, `owner_pid: u32`, `id: u64`,
/// `mode: SignalMode`, `signals_sent: u64`, `resolved_bytes: u32`, `method: u32`,
/// `resolved: [u16; 256]`.
///
/// `resolved` must fit the method as in [`RegisterReply`](super::RegisterReply): a path for
/// [`ByName`](Method::ByName) and [`DriverNamed`](Method::DriverNamed), `None` otherwise.
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
    /// How the registration was made.
    pub method: Method,
    /// The NT path the driver opened or created; `None` for methods without a name.
    pub resolved: Option<ResolvedName>,
}

impl RegistrationInfo {
    /// The encoded size.
    pub const LEN: usize = 32 + resolved_field::LEN;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    /// A mode out of range is refused ([`BadSignalMode`](ProtocolError::BadSignalMode)), and
    /// so is a name that does not fit the method
    /// ([`MethodMismatch`](ProtocolError::MethodMismatch)).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let (kind, millis) = self.mode.validate()?.to_wire();
        check_method(self.method, self.resolved.as_ref(), 0)?;
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
        resolved_field::write(&mut fields, self.method, self.resolved.as_ref()).ok_or(too_small)?;
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
        let (method, resolved) = resolved_field::read(&mut fields, missing)?;
        let mode = SignalMode::from_wire(kind, millis)?;
        check_method(method, resolved.as_ref(), 0)?;
        Ok(RegistrationInfo {
            owner_pid,
            id,
            mode,
            signals_sent,
            method,
            resolved,
        })
    }
}

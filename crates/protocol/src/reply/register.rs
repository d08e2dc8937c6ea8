//! `RegisterReply`, the answer to `REGISTER_BY_NAME`, `REGISTER_BY_HANDLE`, `CREATE_EVENT` and
//! `CREATE_NAMED_EVENT`.

use super::resolved_field::{self, check_method};
use super::{finish_reply, missing, open_reply, start_reply};
use crate::error::ProtocolError;
use crate::method::Method;
use crate::names::ResolvedName;

/// What the registering IOCTLs return: `version: u32`, `session_id: u32`, `id: u64`,
/// `resolved_bytes: u32`, `method: u32`, `resolved: [u16; 256]`, `handle: u64`.
///
/// The fields must fit the method (`encode` and `parse` both refuse a reply that does not,
/// with [`MethodMismatch`](ProtocolError::MethodMismatch)):
///
/// | method | `resolved` | `handle` |
/// |---|---|---|
/// | [`ByName`](Method::ByName) | the path opened | 0 |
/// | [`ByHandle`](Method::ByHandle) | `None` | 0 |
/// | [`DriverHandle`](Method::DriverHandle) | `None` | the handle in the caller's process |
/// | [`DriverNamed`](Method::DriverNamed) | the path created (`...\evshare-<leaf>`) | 0 |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegisterReply {
    /// The caller's session, as the driver saw it (the one names were resolved against).
    pub session_id: u32,
    /// The new registration's id, for `SIGNAL`, `UNREGISTER` and the other IOCTLs.
    pub id: u64,
    /// How the registration was made.
    pub method: Method,
    /// The NT path the driver opened or created; `None` for methods without a name
    /// (`resolved_bytes` 0 on the wire).
    pub resolved: Option<ResolvedName>,
    /// For [`Method::DriverHandle`]: the handle to the new event that the driver put into the
    /// caller's process (`SYNCHRONIZE` access only). 0 for every other method.
    pub handle: u64,
}

impl RegisterReply {
    /// The encoded size.
    pub const LEN: usize = 16 + resolved_field::LEN + 8;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    /// Fields that do not fit the method are refused
    /// ([`MethodMismatch`](ProtocolError::MethodMismatch)).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        check_method(self.method, self.resolved.as_ref(), self.handle)?;
        let mut fields = start_reply(out, Self::LEN)?;
        let too_small = ProtocolError::OutputTooSmall {
            needed: Self::LEN,
            got: fields.written(),
        };
        fields.u32(self.session_id).ok_or(too_small)?;
        fields.u64(self.id).ok_or(too_small)?;
        resolved_field::write(&mut fields, self.method, self.resolved.as_ref()).ok_or(too_small)?;
        fields.u64(self.handle).ok_or(too_small)?;
        finish_reply(&fields, Self::LEN)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut fields = open_reply(bytes, Self::LEN)?;
        let missing = missing(Self::LEN, bytes.len());
        let session_id = fields.u32().ok_or(missing)?;
        let id = fields.u64().ok_or(missing)?;
        let (method, resolved) = resolved_field::read(&mut fields, missing)?;
        let handle = fields.u64().ok_or(missing)?;
        check_method(method, resolved.as_ref(), handle)?;
        Ok(RegisterReply {
            session_id,
            id,
            method,
            resolved,
            handle,
        })
    }
}

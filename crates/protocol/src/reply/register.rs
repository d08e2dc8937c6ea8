//! `RegisterReply`, the answer to `REGISTER_BY_NAME`, `REGISTER_BY_HANDLE`, `CREATE_EVENT` and
//! `CREATE_NAMED_EVENT`.

use super::resolved_field::{self, check_method};
use super::{decode_fixed, encode_fixed};
use crate::error::ProtocolError;
use crate::method::Method;
use crate::names::{ResolvedName, MAX_RESOLVED_UNITS};
use crate::wire::{wire_layout, Wire};

wire_layout! {
    /// What `REGISTER_BY_NAME`, `REGISTER_BY_HANDLE`, `CREATE_EVENT` and `CREATE_NAMED_EVENT`
    /// return.
    pub(crate) struct RegisterReplyWire as RegisterReply {
        version: u32 = 1,
        /// the caller's session, as the driver saw it: the one names were resolved against
        session_id: u32,
        /// the new registration's id
        id: u64,
        /// how many bytes of `resolved` are valid; 0 for methods without a name
        resolved_bytes: u32,
        /// how the registration was made: its method, numbered as above
        method: u32,
        /// the NT path the driver opened or created
        resolved: [u16; MAX_RESOLVED_UNITS],
        /// for `CREATE_EVENT`: the handle value in the caller's process; else 0
        handle: u64,
    }
}

/// What the registering IOCTLs return (layout: `RegisterReplyWire`).
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
    pub const LEN: usize = RegisterReplyWire::LEN;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    /// Fields that do not fit the method are refused
    /// ([`MethodMismatch`](ProtocolError::MethodMismatch)).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        check_method(self.method, self.resolved.as_ref(), self.handle)?;
        let (resolved_bytes, method, resolved) =
            resolved_field::encode(self.method, self.resolved.as_ref()).ok_or(
                ProtocolError::OutputTooSmall {
                    needed: Self::LEN,
                    got: out.len(),
                },
            )?;
        let raw = RegisterReplyWire {
            session_id: self.session_id,
            id: self.id,
            resolved_bytes,
            method,
            resolved,
            handle: self.handle,
            ..RegisterReplyWire::BLANK
        };
        encode_fixed(&raw, out)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let raw: RegisterReplyWire = decode_fixed(bytes)?;
        let (method, resolved) =
            resolved_field::decode(raw.resolved_bytes, raw.method, &raw.resolved)?;
        check_method(method, resolved.as_ref(), raw.handle)?;
        Ok(RegisterReply {
            session_id: raw.session_id,
            id: raw.id,
            method,
            resolved,
            handle: raw.handle,
        })
    }
}

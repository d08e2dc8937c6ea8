//! `RegistrationInfo`, the answer to `QUERY_REGISTRATION`.

use super::resolved_field::{self, check_method};
use super::{decode_fixed, encode_fixed};
use crate::error::ProtocolError;
use crate::method::Method;
use crate::mode::{SignalMode, SignalModeWire};
use crate::names::{ResolvedName, MAX_RESOLVED_UNITS};
use crate::wire::{wire_layout, Wire};

wire_layout! {
    /// What `QUERY_REGISTRATION` returns.
    pub(crate) struct RegistrationInfoWire as RegistrationInfo {
        version: u32 = 1,
        /// the process that registered
        owner_pid: u32,
        /// the registration's id
        id: u64,
        /// how the driver signals it
        mode: SignalModeWire,
        /// how many times the driver has signalled it
        signals_sent: u64,
        /// as in `RegisterReply`
        resolved_bytes: u32,
        /// as in `RegisterReply`
        method: u32,
        /// as in `RegisterReply`; empty for methods without a name
        resolved: [u16; MAX_RESOLVED_UNITS],
    }
}

/// What `QUERY_REGISTRATION` returns (layout: `RegistrationInfoWire`).
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
    pub const LEN: usize = RegistrationInfoWire::LEN;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    /// A mode out of range is refused ([`BadSignalMode`](ProtocolError::BadSignalMode)), and
    /// so is a name that does not fit the method
    /// ([`MethodMismatch`](ProtocolError::MethodMismatch)).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let mode = self.mode.validate()?.into();
        check_method(self.method, self.resolved.as_ref(), 0)?;
        let (resolved_bytes, method, resolved) =
            resolved_field::encode(self.method, self.resolved.as_ref()).ok_or(
                ProtocolError::OutputTooSmall {
                    needed: Self::LEN,
                    got: out.len(),
                },
            )?;
        let raw = RegistrationInfoWire {
            owner_pid: self.owner_pid,
            id: self.id,
            mode,
            signals_sent: self.signals_sent,
            resolved_bytes,
            method,
            resolved,
            ..RegistrationInfoWire::BLANK
        };
        encode_fixed(&raw, out)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let raw: RegistrationInfoWire = decode_fixed(bytes)?;
        let (method, resolved) =
            resolved_field::decode(raw.resolved_bytes, raw.method, &raw.resolved)?;
        let mode = raw.mode.decode()?;
        check_method(method, resolved.as_ref(), 0)?;
        Ok(RegistrationInfo {
            owner_pid: raw.owner_pid,
            id: raw.id,
            mode,
            signals_sent: raw.signals_sent,
            method,
            resolved,
        })
    }
}

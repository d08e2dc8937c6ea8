//! `SignalReply`, the answer to `SIGNAL`.

use super::{check_reserved, finish_reply, missing, open_reply, start_reply};
use crate::error::ProtocolError;

/// What `SIGNAL` returns: `version: u32`, `reserved: u32`, `timestamp: u64`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SignalReply {
    /// The driver's performance counter just before it set the event (the same clock as the
    /// app's `QueryPerformanceCounter`), for latency measurements.
    pub timestamp: u64,
}

impl SignalReply {
    /// The encoded size.
    pub const LEN: usize = 16;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let mut fields = start_reply(out, Self::LEN)?;
        let too_small = ProtocolError::OutputTooSmall {
            needed: Self::LEN,
            got: fields.written(),
        };
        fields.u32(0).ok_or(too_small)?;
        fields.u64(self.timestamp).ok_or(too_small)?;
        finish_reply(&fields, Self::LEN)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut fields = open_reply(bytes, Self::LEN)?;
        let missing = missing(Self::LEN, bytes.len());
        let reserved = fields.u32().ok_or(missing)?;
        let timestamp = fields.u64().ok_or(missing)?;
        check_reserved(reserved)?;
        Ok(SignalReply { timestamp })
    }
}

//! `StatsReply`, the answer to `QUERY_STATS`.

use super::{check_reserved, finish_reply, missing, open_reply, start_reply, HostKind};
use crate::error::ProtocolError;
use crate::method::{Method, METHODS};
use crate::stats::{RejectReason, REJECT_REASONS};

/// What `QUERY_STATS` returns: `version: u32`, `host: u32`, `live_registrations: u32`,
/// `live_for_pid: u32`, `open_handles: u32`, `reserved: u32`, `registrations_total: u64`,
/// `signals_sent: u64`, `rejected: [u64; 20]`, `live_by_method: [u32; 4]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatsReply {
    /// The system the driver runs on.
    pub host: HostKind,
    /// Registrations alive now, for all processes.
    pub live_registrations: u32,
    /// Registrations alive now for the `pid` of the request (0 if it asked for none).
    pub live_for_pid: u32,
    /// Handles open on the control device.
    pub open_handles: u32,
    /// Registrations made since the driver loaded.
    pub registrations_total: u64,
    /// Signals sent since the driver loaded.
    pub signals_sent: u64,
    /// Requests refused since the driver loaded, indexed by [`RejectReason::index`].
    pub rejected: [u64; REJECT_REASONS],
    /// Registrations alive now, for all processes, indexed by [`Method::index`].
    pub live_by_method: [u32; METHODS],
}

impl StatsReply {
    /// The encoded size.
    pub const LEN: usize = 40 + 8 * REJECT_REASONS + 4 * METHODS;

    /// How many requests were refused for `reason`.
    pub fn rejected_for(&self, reason: RejectReason) -> u64 {
        self.rejected.get(reason.index()).copied().unwrap_or(0)
    }

    /// How many registrations made with `method` are alive now.
    pub fn live_by(&self, method: Method) -> u32 {
        self.live_by_method
            .get(method.index())
            .copied()
            .unwrap_or(0)
    }

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let mut fields = start_reply(out, Self::LEN)?;
        let too_small = ProtocolError::OutputTooSmall {
            needed: Self::LEN,
            got: fields.written(),
        };
        fields.u32(self.host.to_wire()).ok_or(too_small)?;
        fields.u32(self.live_registrations).ok_or(too_small)?;
        fields.u32(self.live_for_pid).ok_or(too_small)?;
        fields.u32(self.open_handles).ok_or(too_small)?;
        fields.u32(0).ok_or(too_small)?;
        fields.u64(self.registrations_total).ok_or(too_small)?;
        fields.u64(self.signals_sent).ok_or(too_small)?;
        for count in self.rejected {
            fields.u64(count).ok_or(too_small)?;
        }
        for count in self.live_by_method {
            fields.u32(count).ok_or(too_small)?;
        }
        finish_reply(&fields, Self::LEN)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut fields = open_reply(bytes, Self::LEN)?;
        let missing = missing(Self::LEN, bytes.len());
        let host = fields.u32().ok_or(missing)?;
        let live_registrations = fields.u32().ok_or(missing)?;
        let live_for_pid = fields.u32().ok_or(missing)?;
        let open_handles = fields.u32().ok_or(missing)?;
        let reserved = fields.u32().ok_or(missing)?;
        let registrations_total = fields.u64().ok_or(missing)?;
        let signals_sent = fields.u64().ok_or(missing)?;
        let mut rejected = [0_u64; REJECT_REASONS];
        for count in &mut rejected {
            *count = fields.u64().ok_or(missing)?;
        }
        let mut live_by_method = [0_u32; METHODS];
        for count in &mut live_by_method {
            *count = fields.u32().ok_or(missing)?;
        }
        check_reserved(reserved)?;
        Ok(StatsReply {
            host: HostKind::from_wire(host)?,
            live_registrations,
            live_for_pid,
            open_handles,
            registrations_total,
            signals_sent,
            rejected,
            live_by_method,
        })
    }
}

//! `StatsReply`, the answer to `QUERY_STATS`.

use super::{
    check_reserved, finish_reply, missing, open_reply, start_reply, HostKind, VerifierFigures,
};
use crate::error::ProtocolError;
use crate::method::{Method, METHODS};
use crate::stats::{RejectReason, KNOWN_REJECT_REASONS, REJECT_REASONS};

/// What `QUERY_STATS` returns: `version: u32`, `host: u32`, `live_registrations: u32`,
/// `live_for_pid: u32`, `open_handles: u32`, `reserved: u32`, `registrations_total: u64`,
/// `signals_sent: u64`, `rejected: [u64; 24]`, `live_by_method: [u32; 5]`, `live_rings: u32`,
/// `pending_irps: u32`, `ring_produced: u64`, `ring_dropped: u64`, `ring_corrupt: u64`,
/// `notifications: u64`, then the verifier build's [`VerifierFigures`] (all zero in the shipped
/// build).
///
/// The reserved rejection counters (from [`KNOWN_REJECT_REASONS`] on) must be zero: `encode`
/// and `parse` both refuse one that is not ([`ReservedNotZero`](ProtocolError::ReservedNotZero)).
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
    /// Requests refused since the driver loaded, indexed by [`RejectReason::index`]; the
    /// counters past the known reasons are reserved and zero.
    pub rejected: [u64; REJECT_REASONS],
    /// Registrations alive now, for all processes, indexed by [`Method::index`].
    pub live_by_method: [u32; METHODS],
    /// Rings registered now, for all processes.
    pub live_rings: u32,
    /// `PEND_NOTIFICATION` IRPs pending now, for all handles.
    pub pending_irps: u32,
    /// Ring records written since the driver loaded.
    pub ring_produced: u64,
    /// Ring records dropped (ring full) since the driver loaded.
    pub ring_dropped: u64,
    /// Times a ring's consumer index was found impossible since the driver loaded.
    pub ring_corrupt: u64,
    /// Notifications made (`NOTIFY`) since the driver loaded.
    pub notifications: u64,
    /// What the verifier build has seen (all zero in the shipped build).
    pub verifier: VerifierFigures,
}

impl StatsReply {
    /// The encoded size.
    pub const LEN: usize = 40 + 8 * REJECT_REASONS + 4 * METHODS + 8 + 32 + VerifierFigures::LEN;

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
        check_reserved_counters(&self.rejected)?;
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
        fields.u32(self.live_rings).ok_or(too_small)?;
        fields.u32(self.pending_irps).ok_or(too_small)?;
        fields.u64(self.ring_produced).ok_or(too_small)?;
        fields.u64(self.ring_dropped).ok_or(too_small)?;
        fields.u64(self.ring_corrupt).ok_or(too_small)?;
        fields.u64(self.notifications).ok_or(too_small)?;
        self.verifier.write(&mut fields).ok_or(too_small)?;
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
        let live_rings = fields.u32().ok_or(missing)?;
        let pending_irps = fields.u32().ok_or(missing)?;
        let ring_produced = fields.u64().ok_or(missing)?;
        let ring_dropped = fields.u64().ok_or(missing)?;
        let ring_corrupt = fields.u64().ok_or(missing)?;
        let notifications = fields.u64().ok_or(missing)?;
        let verifier = VerifierFigures::read(&mut fields).ok_or(missing)??;
        check_reserved(reserved)?;
        check_reserved_counters(&rejected)?;
        Ok(StatsReply {
            host: HostKind::from_wire(host)?,
            live_registrations,
            live_for_pid,
            open_handles,
            registrations_total,
            signals_sent,
            rejected,
            live_by_method,
            live_rings,
            pending_irps,
            ring_produced,
            ring_dropped,
            ring_corrupt,
            notifications,
            verifier,
        })
    }
}

/// The rejection counters past the known reasons must be zero.
fn check_reserved_counters(rejected: &[u64; REJECT_REASONS]) -> Result<(), ProtocolError> {
    let reserved = rejected.get(KNOWN_REJECT_REASONS..).unwrap_or(&[]);
    if reserved.iter().all(|&count| count == 0) {
        Ok(())
    } else {
        Err(ProtocolError::ReservedNotZero)
    }
}

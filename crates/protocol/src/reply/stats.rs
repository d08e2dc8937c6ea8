//! `StatsReply`, the answer to `QUERY_STATS`.

use super::verifier::VerifierFiguresWire;
use super::{decode_fixed, encode_fixed, HostKind, VerifierFigures};
use crate::error::ProtocolError;
use crate::method::{Method, METHODS};
use crate::stats::{RejectReason, KNOWN_REJECT_REASONS, REJECT_REASONS};
use crate::wire::{check_fixed, wire_layout, Wire};

wire_layout! {
    /// What `QUERY_STATS` returns.
    pub(crate) struct StatsReplyWire as StatsReply {
        version: u32 = 1,
        /// 1 = Windows, 2 = Wine
        host: u32,
        /// registrations alive now, for all processes
        live_registrations: u32,
        /// registrations alive now for the request's `pid`; 0 if it asked for none
        live_for_pid: u32,
        /// handles open on the control device
        open_handles: u32,
        reserved: u32 = 0,
        /// registrations made since the driver loaded
        registrations_total: u64,
        /// signals sent since the driver loaded
        signals_sent: u64,
        /// requests refused since the driver loaded, indexed by `RejectReason`; 28–31
        /// reserved, zero
        rejected: [u64; REJECT_REASONS],
        /// registrations alive now, indexed by method
        live_by_method: [u32; METHODS],
        /// rings registered now
        live_rings: u32,
        /// `PEND_NOTIFICATION` IRPs pending now, for all handles
        pending_irps: u32,
        /// ring records written since the driver loaded
        ring_produced: u64,
        /// ring records dropped because the ring was full, since the driver loaded
        ring_dropped: u64,
        /// times a ring's consumer index was found impossible since the driver loaded
        ring_corrupt: u64,
        /// notifications made by `NOTIFY` since the driver loaded
        notifications: u64,
        /// what the verifier build has seen; all zero in the shipped build
        verifier: VerifierFiguresWire,
    }
}

/// What `QUERY_STATS` returns (layout: `StatsReplyWire`).
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
    pub const LEN: usize = StatsReplyWire::LEN;

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
        let raw = StatsReplyWire {
            host: self.host.to_wire(),
            live_registrations: self.live_registrations,
            live_for_pid: self.live_for_pid,
            open_handles: self.open_handles,
            registrations_total: self.registrations_total,
            signals_sent: self.signals_sent,
            rejected: self.rejected,
            live_by_method: self.live_by_method,
            live_rings: self.live_rings,
            pending_irps: self.pending_irps,
            ring_produced: self.ring_produced,
            ring_dropped: self.ring_dropped,
            ring_corrupt: self.ring_corrupt,
            notifications: self.notifications,
            verifier: self.verifier.into(),
            ..StatsReplyWire::BLANK
        };
        encode_fixed(&raw, out)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let raw: StatsReplyWire = decode_fixed(bytes)?;
        let verifier = VerifierFigures::try_from(raw.verifier)?;
        check_fixed(&raw)?;
        check_reserved_counters(&raw.rejected)?;
        Ok(StatsReply {
            host: HostKind::from_wire(raw.host)?,
            live_registrations: raw.live_registrations,
            live_for_pid: raw.live_for_pid,
            open_handles: raw.open_handles,
            registrations_total: raw.registrations_total,
            signals_sent: raw.signals_sent,
            rejected: raw.rejected,
            live_by_method: raw.live_by_method,
            live_rings: raw.live_rings,
            pending_irps: raw.pending_irps,
            ring_produced: raw.ring_produced,
            ring_dropped: raw.ring_dropped,
            ring_corrupt: raw.ring_corrupt,
            notifications: raw.notifications,
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

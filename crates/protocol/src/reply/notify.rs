//! The inverted call's replies: `Notification` (completes a pending `PEND_NOTIFICATION`) and
//! `NotifyReply` (`NOTIFY`).

use super::{check_reserved, finish_reply, missing, open_reply, start_reply};
use crate::error::ProtocolError;

/// The size of [`Notification::payload`].
pub const NOTIFICATION_PAYLOAD_LEN: usize = 40;

/// What completes a pending `PEND_NOTIFICATION`: `version: u32`, `reserved: u32`, `seq: u64`,
/// `timestamp: u64`, `payload: [u8; 40]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Notification {
    /// The notification's sequence number (per handle).
    pub seq: u64,
    /// The driver's performance counter when it made the notification (the same clock as the
    /// app's `QueryPerformanceCounter`).
    pub timestamp: u64,
    /// What the driver says; the protocol does not interpret it.
    pub payload: [u8; NOTIFICATION_PAYLOAD_LEN],
}

impl Default for Notification {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl Notification {
    /// The encoded size.
    pub const LEN: usize = 24 + NOTIFICATION_PAYLOAD_LEN;

    /// A notification with every field zero.
    pub const EMPTY: Notification = Notification {
        seq: 0,
        timestamp: 0,
        payload: [0; NOTIFICATION_PAYLOAD_LEN],
    };

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let mut fields = start_reply(out, Self::LEN)?;
        let too_small = ProtocolError::OutputTooSmall {
            needed: Self::LEN,
            got: fields.written(),
        };
        fields.u32(0).ok_or(too_small)?;
        fields.u64(self.seq).ok_or(too_small)?;
        fields.u64(self.timestamp).ok_or(too_small)?;
        fields.bytes(&self.payload).ok_or(too_small)?;
        finish_reply(&fields, Self::LEN)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut fields = open_reply(bytes, Self::LEN)?;
        let missing = missing(Self::LEN, bytes.len());
        let reserved = fields.u32().ok_or(missing)?;
        let seq = fields.u64().ok_or(missing)?;
        let timestamp = fields.u64().ok_or(missing)?;
        let payload = fields.bytes(NOTIFICATION_PAYLOAD_LEN).ok_or(missing)?;
        let payload = *payload
            .first_chunk::<NOTIFICATION_PAYLOAD_LEN>()
            .ok_or(missing)?;
        check_reserved(reserved)?;
        Ok(Notification {
            seq,
            timestamp,
            payload,
        })
    }
}

counters_reply! {
    /// What `NOTIFY` returns: `version: u32`, `reserved: u32`, `completed: u64`, `owed: u64`.
    pub struct NotifyReply, len 24 {
        /// Notifications that completed a pending IRP.
        pub completed: u64,
        /// Notifications that found no pending IRP: they complete the next ones to arrive.
        pub owed: u64,
    }
}

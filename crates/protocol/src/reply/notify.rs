//! The inverted call's replies: `Notification` (completes a pending `PEND_NOTIFICATION`) and
//! `NotifyReply` (`NOTIFY`).

use super::{decode_fixed, encode_fixed};
use crate::error::ProtocolError;
use crate::wire::{check_fixed, wire_layout, Wire};

/// The size of [`Notification::payload`].
pub const NOTIFICATION_PAYLOAD_LEN: usize = 40;

wire_layout! {
    /// What completes a pending `PEND_NOTIFICATION`.
    pub(crate) struct NotificationWire as Notification {
        version: u32 = 1,
        reserved: u32 = 0,
        /// the notification's sequence number, per handle
        seq: u64,
        /// the driver's performance counter when it made the notification, on the same clock
        /// as the app's `QueryPerformanceCounter`
        timestamp: u64,
        /// what the driver says; the protocol does not interpret it
        payload: [u8; NOTIFICATION_PAYLOAD_LEN],
    }
}

/// What completes a pending `PEND_NOTIFICATION` (layout: `NotificationWire`).
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
    pub const LEN: usize = NotificationWire::LEN;

    /// A notification with every field zero.
    pub const EMPTY: Notification = Notification {
        seq: 0,
        timestamp: 0,
        payload: [0; NOTIFICATION_PAYLOAD_LEN],
    };

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let raw = NotificationWire {
            seq: self.seq,
            timestamp: self.timestamp,
            payload: self.payload,
            ..NotificationWire::BLANK
        };
        encode_fixed(&raw, out)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let raw: NotificationWire = decode_fixed(bytes)?;
        check_fixed(&raw)?;
        Ok(Notification {
            seq: raw.seq,
            timestamp: raw.timestamp,
            payload: raw.payload,
        })
    }
}

counters_reply! {
    /// What `NOTIFY` returns.
    pub struct NotifyReply, wire NotifyReplyWire {
        /// notifications that completed a pending IRP
        pub completed: u64,
        /// notifications that found no pending IRP: they complete the next ones to arrive
        pub owed: u64,
    }
}

//! The inverted call's replies: `Notification` (completes a pending `PEND_NOTIFICATION`) and
//! `NotifyReply` (`NOTIFY`).

use super::{decode_fixed, encode_fixed};
use crate::channel::MAX_CHANNELS;
use crate::error::ProtocolError;
use crate::wire::{check_fixed, wire_layout, Wire};

/// The size of [`Notification::payload`].
pub const NOTIFICATION_PAYLOAD_LEN: usize = 40;

wire_layout! {
    /// What completes a pending `PEND_NOTIFICATION`.
    pub(crate) struct NotificationWire as Notification {
        version: u32 = 1,
        /// who made it: 0 = a `NOTIFY`, `1 + n` = the host's channel `n`
        source: u16,
        /// the bytes of `payload` that carry data: 40 for `NOTIFY`, the published payload's
        /// length for a channel
        len: u16,
        /// the notification's sequence number: per handle for `NOTIFY`, per handle and channel
        /// for a channel (a gap is payloads lost while the handle had no IRP pending and its
        /// backlog was full)
        seq: u64,
        /// the driver's performance counter when it made the notification, on the same clock
        /// as the app's `QueryPerformanceCounter`
        timestamp: u64,
        /// what the driver says; the protocol does not interpret it
        payload: [u8; NOTIFICATION_PAYLOAD_LEN],
    }
}

/// Who made a [`Notification`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationSource {
    /// A `NOTIFY` request of the handle.
    Notify,
    /// A payload the host published on its channel of this number (its place in
    /// `QUERY_CHANNELS`' list), to which the handle's inverted call is subscribed.
    Channel(u16),
}

impl NotificationSource {
    /// The wire `source`.
    pub const fn to_wire(self) -> u16 {
        match self {
            NotificationSource::Notify => 0,
            NotificationSource::Channel(channel) => channel.saturating_add(1),
        }
    }

    /// The source of wire value `source`, if it is `NOTIFY` or a channel a host may declare.
    pub const fn from_wire(source: u16) -> Option<NotificationSource> {
        match source.checked_sub(1) {
            None => Some(NotificationSource::Notify),
            Some(channel) if (channel as usize) < MAX_CHANNELS => {
                Some(NotificationSource::Channel(channel))
            }
            Some(_) => None,
        }
    }
}

/// What completes a pending `PEND_NOTIFICATION` (layout: `NotificationWire`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Notification {
    /// Who made it.
    pub source: NotificationSource,
    /// The bytes of [`payload`](Self::payload) that carry data (see [`data`](Self::data)):
    /// all of them for `NOTIFY`.
    pub len: u16,
    /// The notification's sequence number: per handle for `NOTIFY`, per handle and channel
    /// for a channel, so a gap counts payloads lost.
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

    /// A `NOTIFY` notification with every other field zero.
    pub const EMPTY: Notification = Notification {
        source: NotificationSource::Notify,
        len: NOTIFICATION_PAYLOAD_LEN as u16,
        seq: 0,
        timestamp: 0,
        payload: [0; NOTIFICATION_PAYLOAD_LEN],
    };

    /// A channel's payload as a notification (`Err` if it is longer than
    /// [`NOTIFICATION_PAYLOAD_LEN`]).
    pub fn of_channel(
        channel: u16,
        seq: u64,
        timestamp: u64,
        data: &[u8],
    ) -> Result<Notification, ProtocolError> {
        let mut payload = [0u8; NOTIFICATION_PAYLOAD_LEN];
        let len = data.len().min(u16::MAX as usize) as u16;
        let bad = ProtocolError::BadNotification {
            source: NotificationSource::Channel(channel).to_wire(),
            len,
        };
        payload
            .get_mut(..data.len())
            .ok_or(bad)?
            .copy_from_slice(data);
        Ok(Notification {
            source: NotificationSource::Channel(channel),
            len,
            seq,
            timestamp,
            payload,
        })
    }

    /// The bytes that carry data: the first [`len`](Self::len) of the payload.
    pub fn data(&self) -> &[u8] {
        self.payload
            .get(..usize::from(self.len))
            .unwrap_or(&self.payload)
    }

    /// Checks that `source` and `len` fit together.
    fn check(source: u16, len: u16) -> Result<NotificationSource, ProtocolError> {
        let bad = ProtocolError::BadNotification { source, len };
        let source = NotificationSource::from_wire(source).ok_or(bad)?;
        let fits = match source {
            NotificationSource::Notify => usize::from(len) == NOTIFICATION_PAYLOAD_LEN,
            NotificationSource::Channel(_) => usize::from(len) <= NOTIFICATION_PAYLOAD_LEN,
        };
        if fits {
            Ok(source)
        } else {
            Err(bad)
        }
    }

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let source = self.source.to_wire();
        Self::check(source, self.len)?;
        let raw = NotificationWire {
            source,
            len: self.len,
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
        let source = Self::check(raw.source, raw.len)?;
        Ok(Notification {
            source,
            len: raw.len,
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

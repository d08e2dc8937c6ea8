//! Channels: data a host driver publishes, which apps subscribe to. A host declares its
//! channels when it starts (a name and the largest payload); an app lists them, subscribes one
//! of its registrations to one, and from then on every payload the host publishes reaches it:
//! an event registration is signalled once per payload, a ring registration gets one record
//! carrying the payload.
//!
//! A ring record's payload area ([`RECORD_PAYLOAD_LEN`] bytes) holds a published payload as
//! `len: u16` (little-endian) followed by `len` bytes, the rest zero; so a channel that ring
//! subscribers may take has payloads of at most [`MAX_RING_PAYLOAD`] bytes.

use crate::error::ProtocolError;
use crate::reply::NOTIFICATION_PAYLOAD_LEN;

/// Channels one host may declare.
pub const MAX_CHANNELS: usize = 8;

/// Registrations one channel may have subscribed.
pub const MAX_SUBSCRIBERS: usize = 64;

/// The longest channel name, in bytes (UTF-8).
pub const MAX_NAME_LEN: usize = 32;

/// The payload area of one ring record (`evshare-ring`'s `PAYLOAD_LEN`).
pub const RECORD_PAYLOAD_LEN: usize = 48;

/// The largest payload a ring record can carry: the area less its length prefix.
pub const MAX_RING_PAYLOAD: usize = RECORD_PAYLOAD_LEN - 2;

/// The largest payload the inverted call carries: a whole notification payload (its length is
/// a field of the notification).
pub const MAX_INVERTED_PAYLOAD: usize = NOTIFICATION_PAYLOAD_LEN;

/// Who a `SUBSCRIBE` subscribes, of the caller's handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubscribeTarget {
    /// A registration: an event is signalled once per payload, a ring gets a record.
    Registration(u64),
    /// The handle's inverted call: each payload completes one of its pending
    /// `PEND_NOTIFICATION` IRPs (or waits, in a bounded backlog, for the next one).
    InvertedCall,
}

impl SubscribeTarget {
    /// The wire `(target, id)`.
    pub const fn to_wire(self) -> (u32, u64) {
        match self {
            SubscribeTarget::Registration(id) => (0, id),
            SubscribeTarget::InvertedCall => (1, 0),
        }
    }

    /// The target of wire `target` and `id`.
    pub const fn from_wire(target: u32, id: u64) -> Result<SubscribeTarget, ProtocolError> {
        match (target, id) {
            (0, id) => Ok(SubscribeTarget::Registration(id)),
            (1, 0) => Ok(SubscribeTarget::InvertedCall),
            _ => Err(ProtocolError::BadSubscribeTarget { target, id }),
        }
    }
}

/// Why a payload does not fit a ring record, or a record holds no valid payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadTooLong {
    /// The payload's length.
    pub len: usize,
}

/// A ring record's payload area holding `payload`, or `Err` if it is longer than
/// [`MAX_RING_PAYLOAD`].
pub fn record_payload(payload: &[u8]) -> Result<[u8; RECORD_PAYLOAD_LEN], PayloadTooLong> {
    let too_long = PayloadTooLong { len: payload.len() };
    let len = u16::try_from(payload.len()).map_err(|_| too_long)?;
    let mut area = [0u8; RECORD_PAYLOAD_LEN];
    let (prefix, rest) = area.split_at_mut(2);
    prefix.copy_from_slice(&len.to_le_bytes());
    rest.get_mut(..payload.len())
        .ok_or(too_long)?
        .copy_from_slice(payload);
    Ok(area)
}

/// The payload a ring record's payload area carries, or `Err` if its length prefix is longer
/// than the area allows (the record was not written by a channel).
pub fn payload_of(area: &[u8; RECORD_PAYLOAD_LEN]) -> Result<&[u8], PayloadTooLong> {
    let (prefix, rest) = area.split_at(2);
    let len = usize::from(u16::from_le_bytes([
        prefix.first().copied().unwrap_or(0),
        prefix.get(1).copied().unwrap_or(0),
    ]));
    rest.get(..len).ok_or(PayloadTooLong { len })
}

/// Whether `name` may name a channel: 1 to [`MAX_NAME_LEN`] bytes of ASCII letters, digits,
/// `-`, `_` and `.` (so it prints, and matches byte for byte in every app).
pub const fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_NAME_LEN {
        return false;
    }
    let mut rest = bytes;
    while let Some((&b, tail)) = rest.split_first() {
        if !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') {
            return false;
        }
        rest = tail;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_round_trips_through_a_record() {
        for len in 0..=MAX_RING_PAYLOAD {
            let payload: std::vec::Vec<u8> = (0..len as u8).map(|b| b ^ 0x5A).collect();
            let area = record_payload(&payload).unwrap();
            assert_eq!(payload_of(&area).unwrap(), &payload[..]);
            assert!(area[2 + len..].iter().all(|b| *b == 0));
        }
    }

    #[test]
    fn a_payload_too_long_for_a_record_is_refused() {
        let long = [1u8; MAX_RING_PAYLOAD + 1];
        assert_eq!(
            record_payload(&long),
            Err(PayloadTooLong {
                len: MAX_RING_PAYLOAD + 1
            })
        );
        let mut area = [0u8; RECORD_PAYLOAD_LEN];
        area[0] = (MAX_RING_PAYLOAD + 1) as u8;
        assert_eq!(
            payload_of(&area),
            Err(PayloadTooLong {
                len: MAX_RING_PAYLOAD + 1
            })
        );
    }

    #[test]
    fn channel_names_are_short_printable_ascii() {
        assert!(valid_name("ticks"));
        assert!(valid_name("status.v1_a-b"));
        assert!(valid_name(&"x".repeat(MAX_NAME_LEN)));
        assert!(!valid_name(""));
        assert!(!valid_name(&"x".repeat(MAX_NAME_LEN + 1)));
        assert!(!valid_name("a b"));
        assert!(!valid_name("é"));
        assert!(!valid_name("a\0"));
    }
}

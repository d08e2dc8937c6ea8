//! `ChannelsReply`, the answer to `QUERY_CHANNELS`: the channels the host driver publishes on.

use super::{decode_fixed, encode_fixed};
use crate::channel::{valid_name, MAX_CHANNELS, MAX_NAME_LEN};
use crate::error::ProtocolError;
use crate::wire::{wire_layout, Wire};

wire_layout! {
    /// One channel the host declared.
    pub struct ChannelEntry {
        /// its name: ASCII, NUL-padded
        name: [u8; MAX_NAME_LEN],
        /// the longest payload the host publishes on it, in bytes
        max_payload: u32,
        /// registrations subscribed to it now
        subscribers: u32,
        /// payloads published on it since the host started
        published: u64,
    }
}

impl Default for ChannelEntry {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl ChannelEntry {
    /// An unused entry: all zero.
    pub const EMPTY: ChannelEntry = ChannelEntry {
        name: [0; MAX_NAME_LEN],
        max_payload: 0,
        subscribers: 0,
        published: 0,
    };

    /// An entry for channel `name` (which must be a [`valid_name`]; `None` if it is not).
    pub fn new(name: &str, max_payload: u32, subscribers: u32, published: u64) -> Option<Self> {
        if !valid_name(name) {
            return None;
        }
        let mut padded = [0u8; MAX_NAME_LEN];
        padded
            .get_mut(..name.len())?
            .copy_from_slice(name.as_bytes());
        Some(ChannelEntry {
            name: padded,
            max_payload,
            subscribers,
            published,
        })
    }

    /// The channel's name (empty for an unused entry or one whose name is not valid).
    pub fn name(&self) -> &str {
        let len = self
            .name
            .iter()
            .position(|b| *b == 0)
            .unwrap_or(MAX_NAME_LEN);
        let name = self
            .name
            .get(..len)
            .and_then(|bytes| core::str::from_utf8(bytes).ok())
            .unwrap_or("");
        if valid_name(name) {
            name
        } else {
            ""
        }
    }

    /// The longest payload the host publishes on it.
    pub fn max_payload(&self) -> u32 {
        self.max_payload
    }

    /// Registrations subscribed to it now.
    pub fn subscribers(&self) -> u32 {
        self.subscribers
    }

    /// Payloads published on it since the host started.
    pub fn published(&self) -> u64 {
        self.published
    }

    /// Whether the name is valid and NUL-padded (no byte after the first NUL).
    fn well_formed(&self) -> bool {
        let name = self.name();
        !name.is_empty()
            && self
                .name
                .get(name.len()..)
                .is_some_and(|pad| pad.iter().all(|b| *b == 0))
    }
}

wire_layout! {
    /// What `QUERY_CHANNELS` returns: the host's channels, in the order it declared them (a
    /// channel's number is its place in this list).
    pub(crate) struct ChannelsReplyWire as ChannelsReply {
        version: u32 = 1,
        /// entries used, at most 8
        count: u32,
        /// the first `count` used, the others zero
        channels: [ChannelEntry; MAX_CHANNELS],
    }
}

/// What `QUERY_CHANNELS` returns (layout: `ChannelsReplyWire`): [`MAX_CHANNELS`] entries, of
/// which the first `count` are the host's channels in the order it declared them, the rest
/// zero. `encode` and `parse` refuse a `count` over [`MAX_CHANNELS`], a used entry whose name
/// is not valid, and an unused entry that is not zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChannelsReply {
    channels: [ChannelEntry; MAX_CHANNELS],
    count: u32,
}

impl Default for ChannelsReply {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl ChannelsReply {
    /// The encoded size.
    pub const LEN: usize = ChannelsReplyWire::LEN;

    /// A reply that lists no channel.
    pub const EMPTY: ChannelsReply = ChannelsReply {
        channels: [ChannelEntry::EMPTY; MAX_CHANNELS],
        count: 0,
    };

    /// The channels, in the order the host declared them.
    pub fn channels(&self) -> &[ChannelEntry] {
        let count = usize::try_from(self.count).unwrap_or(usize::MAX);
        self.channels.get(..count).unwrap_or(&self.channels)
    }

    /// Appends `entry`, or gives it back if all entries are used.
    pub fn push(&mut self, entry: ChannelEntry) -> Result<(), ChannelEntry> {
        let count = usize::try_from(self.count).unwrap_or(usize::MAX);
        let Some(slot) = self.channels.get_mut(count) else {
            return Err(entry);
        };
        let Some(next) = self.count.checked_add(1) else {
            return Err(entry);
        };
        *slot = entry;
        self.count = next;
        Ok(())
    }

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        check_entries(&self.channels, self.count)?;
        let raw = ChannelsReplyWire {
            count: self.count,
            channels: self.channels,
            ..ChannelsReplyWire::BLANK
        };
        encode_fixed(&raw, out)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let raw: ChannelsReplyWire = decode_fixed(bytes)?;
        check_entries(&raw.channels, raw.count)?;
        Ok(ChannelsReply {
            channels: raw.channels,
            count: raw.count,
        })
    }
}

/// `count` must be at most [`MAX_CHANNELS`], every used entry well formed and every unused
/// one zero.
fn check_entries(channels: &[ChannelEntry; MAX_CHANNELS], count: u32) -> Result<(), ProtocolError> {
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let (used, unused) = channels
        .split_at_checked(count)
        .ok_or(ProtocolError::LengthMismatch {
            declared: count.saturating_mul(ChannelEntry::LEN),
            got: ChannelEntry::LEN * MAX_CHANNELS,
        })?;
    if used.iter().all(ChannelEntry::well_formed)
        && unused.iter().all(|entry| *entry == ChannelEntry::EMPTY)
    {
        Ok(())
    } else {
        Err(ProtocolError::ReservedNotZero)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_round_trips() {
        let mut reply = ChannelsReply::EMPTY;
        reply
            .push(ChannelEntry::new("ticks", 8, 2, 41).unwrap())
            .unwrap();
        reply
            .push(ChannelEntry::new("status", 40, 0, 7).unwrap())
            .unwrap();
        let mut out = [0u8; ChannelsReply::LEN];
        assert_eq!(reply.encode(&mut out), Ok(ChannelsReply::LEN));
        let back = ChannelsReply::parse(&out).unwrap();
        assert_eq!(back, reply);
        let names: std::vec::Vec<&str> = back.channels().iter().map(|c| c.name()).collect();
        assert_eq!(names, ["ticks", "status"]);
        assert_eq!(back.channels()[0].published(), 41);
        assert_eq!(back.channels()[1].max_payload(), 40);
        assert_eq!(ChannelsReply::LEN, 8 + MAX_CHANNELS * 48);
    }

    #[test]
    fn bad_names_counts_and_leftovers_are_refused() {
        assert_eq!(ChannelEntry::new("", 1, 0, 0), None);
        assert_eq!(ChannelEntry::new("a b", 1, 0, 0), None);
        let mut out = [0u8; ChannelsReply::LEN];
        let over = ChannelsReply {
            count: MAX_CHANNELS as u32 + 1,
            ..ChannelsReply::EMPTY
        };
        assert!(matches!(
            over.encode(&mut out),
            Err(ProtocolError::LengthMismatch { .. })
        ));
        // A used entry with an invalid name.
        let mut bad = ChannelsReply::EMPTY;
        bad.push(ChannelEntry::EMPTY).unwrap();
        assert_eq!(bad.encode(&mut out), Err(ProtocolError::ReservedNotZero));
        // An unused entry that is not zero, seen by the parser.
        let mut good = ChannelsReply::EMPTY;
        good.push(ChannelEntry::new("x", 1, 0, 0).unwrap()).unwrap();
        good.encode(&mut out).unwrap();
        out[8 + 48] = b'y';
        assert_eq!(
            ChannelsReply::parse(&out),
            Err(ProtocolError::ReservedNotZero)
        );
    }
}

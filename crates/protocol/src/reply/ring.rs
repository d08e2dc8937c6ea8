//! The ring channel's replies: `RingReply` (`REGISTER_RING`), `ProduceReply` (`PRODUCE`) and
//! `RingInfo` (`QUERY_RING`).

use super::{decode_fixed, encode_fixed};
use crate::error::ProtocolError;
use crate::ring::check_capacity;
use crate::wire::{wire_layout, Wire};

wire_layout! {
    /// What `REGISTER_RING` returns.
    pub(crate) struct RingReplyWire as RingReply {
        version: u32 = 1,
        /// the caller's session, as the driver saw it
        session_id: u32,
        /// the ring's registration id
        id: u64,
        /// records in the ring, as the request declared and the section's header confirmed
        capacity: u32,
        /// the size of one record in bytes, as `crates/ring` defines it
        record_size: u32,
    }
}

/// What `REGISTER_RING` returns (layout: `RingReplyWire`).
///
/// `encode` and `parse` both refuse a capacity that `REGISTER_RING` could not have declared
/// ([`BadCapacity`](ProtocolError::BadCapacity)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RingReply {
    /// The caller's session, as the driver saw it (the one the names were resolved against).
    pub session_id: u32,
    /// The ring's registration id, for `PRODUCE`, `QUERY_RING`, `UNREGISTER` and the other
    /// IOCTLs that take one.
    pub id: u64,
    /// Records in the ring, as the request declared and the section's header confirmed.
    pub capacity: u32,
    /// The size of one record, in bytes, as `crates/ring` defines it.
    pub record_size: u32,
}

impl RingReply {
    /// The encoded size.
    pub const LEN: usize = RingReplyWire::LEN;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let raw = RingReplyWire {
            session_id: self.session_id,
            id: self.id,
            capacity: check_capacity(self.capacity)?,
            record_size: self.record_size,
            ..RingReplyWire::BLANK
        };
        encode_fixed(&raw, out)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let raw: RingReplyWire = decode_fixed(bytes)?;
        Ok(RingReply {
            session_id: raw.session_id,
            id: raw.id,
            capacity: check_capacity(raw.capacity)?,
            record_size: raw.record_size,
        })
    }
}

counters_reply! {
    /// What `PRODUCE` returns: this call's figures.
    pub struct ProduceReply, wire ProduceReplyWire {
        /// records written into the ring
        pub written: u64,
        /// records dropped because the ring was full
        pub dropped: u64,
        /// data-ready signals sent
        pub wakeups: u64,
    }
}

wire_layout! {
    /// What `QUERY_RING` returns.
    pub(crate) struct RingInfoWire as RingInfo {
        version: u32 = 1,
        /// bit 0: poisoned; the others zero
        flags: u32,
        /// the ring's registration id
        id: u64,
        /// records written since the ring was registered
        produced: u64,
        /// records dropped because the ring was full
        dropped: u64,
        /// times the consumer index was found impossible
        corrupt: u64,
        /// data-ready signals sent
        wakeups: u64,
        /// times the producer found the ring full and asked, through the header, for a
        /// space-free signal; the driver never waits on it
        space_free_seen: u64,
    }
}

/// What `QUERY_RING` returns (layout: `RingInfoWire`).
///
/// `flags` has one bit, [`FLAG_POISONED`](Self::FLAG_POISONED); `parse` refuses any other
/// ([`ReservedNotZero`](ProtocolError::ReservedNotZero)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RingInfo {
    /// `flags` bit 0: the ring is poisoned (what poisons a ring is `crates/ring`'s business).
    pub poisoned: bool,
    /// The ring's registration id.
    pub id: u64,
    /// Records written since the ring was registered.
    pub produced: u64,
    /// Records dropped because the ring was full.
    pub dropped: u64,
    /// Times the consumer index was found impossible.
    pub corrupt: u64,
    /// Data-ready signals sent.
    pub wakeups: u64,
    /// Times the producer found the ring full and asked the consumer, through the header's
    /// space-free flag, to set the space-free event once it frees room (the driver never
    /// waits on that event; the name is historical).
    pub space_free_seen: u64,
}

impl RingInfo {
    /// The encoded size.
    pub const LEN: usize = RingInfoWire::LEN;
    /// `flags` bit 0: the ring is poisoned.
    pub const FLAG_POISONED: u32 = 1;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let flags = if self.poisoned {
            Self::FLAG_POISONED
        } else {
            0
        };
        let raw = RingInfoWire {
            flags,
            id: self.id,
            produced: self.produced,
            dropped: self.dropped,
            corrupt: self.corrupt,
            wakeups: self.wakeups,
            space_free_seen: self.space_free_seen,
            ..RingInfoWire::BLANK
        };
        encode_fixed(&raw, out)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let raw: RingInfoWire = decode_fixed(bytes)?;
        if raw.flags & !Self::FLAG_POISONED != 0 {
            return Err(ProtocolError::ReservedNotZero);
        }
        Ok(RingInfo {
            poisoned: raw.flags & Self::FLAG_POISONED != 0,
            id: raw.id,
            produced: raw.produced,
            dropped: raw.dropped,
            corrupt: raw.corrupt,
            wakeups: raw.wakeups,
            space_free_seen: raw.space_free_seen,
        })
    }
}

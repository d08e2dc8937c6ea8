//! The ring channel's replies: `RingReply` (`REGISTER_RING`), `ProduceReply` (`PRODUCE`) and
//! `RingInfo` (`QUERY_RING`).

use super::{check_reserved, finish_reply, missing, open_reply, start_reply};
use crate::error::ProtocolError;
use crate::ring::check_capacity;

/// What `REGISTER_RING` returns: `version: u32`, `session_id: u32`, `id: u64`,
/// `capacity: u32`, `record_size: u32`.
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
    pub const LEN: usize = 24;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let capacity = check_capacity(self.capacity)?;
        let mut fields = start_reply(out, Self::LEN)?;
        let too_small = ProtocolError::OutputTooSmall {
            needed: Self::LEN,
            got: fields.written(),
        };
        fields.u32(self.session_id).ok_or(too_small)?;
        fields.u64(self.id).ok_or(too_small)?;
        fields.u32(capacity).ok_or(too_small)?;
        fields.u32(self.record_size).ok_or(too_small)?;
        finish_reply(&fields, Self::LEN)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut fields = open_reply(bytes, Self::LEN)?;
        let missing = missing(Self::LEN, bytes.len());
        let session_id = fields.u32().ok_or(missing)?;
        let id = fields.u64().ok_or(missing)?;
        let capacity = fields.u32().ok_or(missing)?;
        let record_size = fields.u32().ok_or(missing)?;
        Ok(RingReply {
            session_id,
            id,
            capacity: check_capacity(capacity)?,
            record_size,
        })
    }
}

counters_reply! {
    /// What `PRODUCE` returns: `version: u32`, `reserved: u32`, `written: u64`,
    /// `dropped: u64`, `wakeups: u64` — this call's figures.
    pub struct ProduceReply, len 32 {
        /// Records written into the ring.
        pub written: u64,
        /// Records dropped because the ring was full.
        pub dropped: u64,
        /// Data-ready signals sent.
        pub wakeups: u64,
    }
}

/// What `QUERY_RING` returns: `version: u32`, `flags: u32`, `id: u64`, `produced: u64`,
/// `dropped: u64`, `corrupt: u64`, `wakeups: u64`, `space_free_seen: u64`.
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
    pub const LEN: usize = 56;
    /// `flags` bit 0: the ring is poisoned.
    pub const FLAG_POISONED: u32 = 1;

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        let mut fields = start_reply(out, Self::LEN)?;
        let too_small = ProtocolError::OutputTooSmall {
            needed: Self::LEN,
            got: fields.written(),
        };
        let flags = if self.poisoned {
            Self::FLAG_POISONED
        } else {
            0
        };
        fields.u32(flags).ok_or(too_small)?;
        fields.u64(self.id).ok_or(too_small)?;
        fields.u64(self.produced).ok_or(too_small)?;
        fields.u64(self.dropped).ok_or(too_small)?;
        fields.u64(self.corrupt).ok_or(too_small)?;
        fields.u64(self.wakeups).ok_or(too_small)?;
        fields.u64(self.space_free_seen).ok_or(too_small)?;
        finish_reply(&fields, Self::LEN)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut fields = open_reply(bytes, Self::LEN)?;
        let missing = missing(Self::LEN, bytes.len());
        let flags = fields.u32().ok_or(missing)?;
        let id = fields.u64().ok_or(missing)?;
        let produced = fields.u64().ok_or(missing)?;
        let dropped = fields.u64().ok_or(missing)?;
        let corrupt = fields.u64().ok_or(missing)?;
        let wakeups = fields.u64().ok_or(missing)?;
        let space_free_seen = fields.u64().ok_or(missing)?;
        check_reserved(flags & !Self::FLAG_POISONED)?;
        Ok(RingInfo {
            poisoned: flags & Self::FLAG_POISONED != 0,
            id,
            produced,
            dropped,
            corrupt,
            wakeups,
            space_free_seen,
        })
    }
}

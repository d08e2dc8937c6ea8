//! Helpers shared by the integration tests.

#![allow(dead_code)]

use evshare_ring::layout::PAYLOAD_LEN;
use evshare_ring::{Entry, Item, Record};

/// A payload that says which sequence number it was made for.
pub fn payload_for(seq: u64) -> [u8; PAYLOAD_LEN] {
    let mut payload = [0_u8; PAYLOAD_LEN];
    payload[..8].copy_from_slice(&seq.to_le_bytes());
    for (i, byte) in payload[8..].iter_mut().enumerate() {
        *byte = (seq as u8).wrapping_mul(31).wrapping_add(i as u8);
    }
    payload
}

/// The entry the tests produce for `seq`: timestamp `seq * 10`.
pub fn entry_for(seq: u64) -> Entry {
    Entry {
        timestamp: seq * 10,
        payload: payload_for(seq),
    }
}

/// Whether a record is exactly what `entry_for` made for its sequence number.
pub fn is_intact(record: &Record) -> bool {
    record.timestamp == record.seq * 10 && record.payload == payload_for(record.seq)
}

/// An item the tests can keep after the poll (a copy of the record).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    Record(Record),
    Missed { first_seq: u64, count: u64 },
}

impl Seen {
    pub fn of(item: Item<'_>) -> Seen {
        match item {
            Item::Record(record) => Seen::Record(*record),
            Item::Missed { first_seq, count } => Seen::Missed { first_seq, count },
        }
    }
}

/// A small deterministic PRNG (xorshift64*), so failures replay.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

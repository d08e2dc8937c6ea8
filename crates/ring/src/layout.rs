//! The ring's memory layout, shared by the driver, the Rust client and (later) a C header.
//!
//! ```text
//! offset  line  written by          fields
//!      0     0  app, once (create)  magic u64, version u32, header_len u32,
//!                                   record_size u32, capacity u32
//!     64     1  producer (driver)   write u64, produced u64, dropped u64, corrupt u64,
//!                                   state u32 (bit 0 = POISONED)
//!    128     2  consumer (app)      read u64, consumer_waiting u32 (wait token)
//!    192     3  producer (driver)   producer_waiting u32 (space-free request token)
//!    256        producer            capacity records of RECORD_SIZE bytes:
//!                                   seq u64, timestamp u64, payload [u8; 48]
//! ```
//!
//! Every field is little-endian (the only byte order Windows runs on), accessed atomically at
//! its own size, and written by one side only: the two waiting flags are tokens (0 = not
//! waiting, else a number that changes with every wait) that only their owner writes, and the
//! other side remembers the last token it answered, so "signal once per wait" needs no write
//! into the other side's line. Driver-written and app-written fields sit on separate cache
//! lines (SPEC rule 5), so the consumer's polling does not bounce the producer's line and vice
//! versa. The [`offsets`] are what a C header would `#define`; the crate's own `#[repr(C)]`
//! header struct is checked against them at compile time.

use crate::error::RingError;
use crate::sync::{AtomicU32, AtomicU64};

/// `b"EVSHRING"` read as a little-endian `u64`.
pub const MAGIC: u64 = u64::from_le_bytes(*b"EVSHRING");
/// The layout version this crate speaks.
pub const RING_VERSION: u32 = 1;
/// The unit of the layout: fields written by different sides never share one.
pub const CACHE_LINE: usize = 64;
/// Bytes before the first record: four cache lines.
pub const HEADER_LEN: usize = 4 * CACHE_LINE;
/// Bytes per record: one cache line.
pub const RECORD_SIZE: usize = 64;
/// Payload bytes per record (what is left after `seq` and `timestamp`).
pub const PAYLOAD_LEN: usize = 48;
/// The fewest records a ring may hold (same as `evshare_protocol::ring::MIN_CAPACITY`).
pub const MIN_CAPACITY: u32 = 16;
/// The most records a ring may hold, 2^20 (same as `evshare_protocol::ring::MAX_CAPACITY`).
pub const MAX_CAPACITY: u32 = 1 << 20;
/// Bit of `state`: the producer is gone; whatever is in the ring is all there will be.
pub const POISONED: u32 = 1;

/// Byte offsets of every header field from the start of the region.
pub mod offsets {
    /// `magic: u64`, written once by the app.
    pub const MAGIC: usize = 0;
    /// `version: u32`, written once by the app.
    pub const VERSION: usize = 8;
    /// `header_len: u32`, written once by the app.
    pub const HEADER_LEN: usize = 12;
    /// `record_size: u32`, written once by the app.
    pub const RECORD_SIZE: usize = 16;
    /// `capacity: u32`, written once by the app.
    pub const CAPACITY: usize = 20;
    /// `write: u64`, the producer's index: records written so far (release-stored).
    pub const WRITE: usize = 64;
    /// `produced: u64`, records written so far (published total).
    pub const PRODUCED: usize = 72;
    /// `dropped: u64`, records dropped because the ring was full (published total).
    pub const DROPPED: usize = 80;
    /// `corrupt: u64`, times the producer found the consumer index impossible.
    pub const CORRUPT: usize = 88;
    /// `state: u32`, bit 0 = [`POISONED`](super::POISONED).
    pub const STATE: usize = 96;
    /// `read: u64`, the consumer's index: records consumed so far (release-stored).
    pub const READ: usize = 128;
    /// `consumer_waiting: u32`: 0, or the token of the wait the consumer is (about to be) asleep
    /// in; a new token for every wait.
    pub const CONSUMER_WAITING: usize = 136;
    /// `producer_waiting: u32`: 0, or the token of the producer's current request for a
    /// space-free signal; a new token for every request.
    pub const PRODUCER_WAITING: usize = 192;
}

/// One record as the consumer sees it (a copy out of the ring).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// From a counter that also advances on drops: a gap is the exact loss.
    pub seq: u64,
    /// The driver's performance counter when the record was produced (`KeQueryPerformanceCounter`,
    /// the same clock as the app's `QueryPerformanceCounter`).
    pub timestamp: u64,
    /// Whatever the producer put there.
    pub payload: [u8; PAYLOAD_LEN],
}

/// What the producer writes into a record; the sequence number is its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// See [`Record::timestamp`].
    pub timestamp: u64,
    /// See [`Record::payload`].
    pub payload: [u8; PAYLOAD_LEN],
}

/// Words per record in shared memory.
pub(crate) const RECORD_WORDS: usize = RECORD_SIZE / 8;

impl Record {
    /// The record as the eight native-endian words the ring stores.
    pub(crate) fn to_words(self) -> [u64; RECORD_WORDS] {
        let mut words = [0_u64; RECORD_WORDS];
        let mut out = words.iter_mut();
        if let Some(word) = out.next() {
            *word = self.seq;
        }
        if let Some(word) = out.next() {
            *word = self.timestamp;
        }
        for (word, chunk) in out.zip(self.payload.chunks_exact(8)) {
            let mut bytes = [0_u8; 8];
            for (byte, from) in bytes.iter_mut().zip(chunk) {
                *byte = *from;
            }
            *word = u64::from_ne_bytes(bytes);
        }
        words
    }

    /// The record stored as `words`.
    pub(crate) fn from_words(words: &[u64; RECORD_WORDS]) -> Record {
        let [seq, timestamp, payload_words @ ..] = *words;
        let mut payload = [0_u8; PAYLOAD_LEN];
        for (chunk, word) in payload.chunks_exact_mut(8).zip(payload_words) {
            for (byte, from) in chunk.iter_mut().zip(word.to_ne_bytes()) {
                *byte = from;
            }
        }
        Record {
            seq,
            timestamp,
            payload,
        }
    }
}

/// The bytes a ring of `capacity` records occupies: the section's exact size.
///
/// # Errors
/// [`RingError::BadCapacity`] unless `capacity` is a power of two in
/// [`MIN_CAPACITY`]..=[`MAX_CAPACITY`].
pub const fn required_len(capacity: u32) -> Result<usize, RingError> {
    if !capacity.is_power_of_two() || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY {
        return Err(RingError::BadCapacity { capacity });
    }
    // At most 256 + 2^20 * 64 = 64 MiB + 256: no overflow on any 32- or 64-bit target.
    Ok(HEADER_LEN + capacity as usize * RECORD_SIZE)
}

/// The header as a `#[repr(C)]` struct: four cache lines, each written by one side.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) identity: IdentityLine,
    pub(crate) producer: ProducerLine,
    pub(crate) consumer: ConsumerLine,
    pub(crate) space: SpaceLine,
}

/// Line 0: what the ring is, written once by the app when it creates the section.
#[repr(C, align(64))]
pub(crate) struct IdentityLine {
    pub(crate) magic: AtomicU64,
    pub(crate) version: AtomicU32,
    pub(crate) header_len: AtomicU32,
    pub(crate) record_size: AtomicU32,
    pub(crate) capacity: AtomicU32,
}

/// Line 1: written by the producer only.
#[repr(C, align(64))]
pub(crate) struct ProducerLine {
    pub(crate) write: AtomicU64,
    pub(crate) produced: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) corrupt: AtomicU64,
    pub(crate) state: AtomicU32,
}

/// Line 2: written by the consumer only (and read by the producer as untrusted hints).
#[repr(C, align(64))]
pub(crate) struct ConsumerLine {
    pub(crate) read: AtomicU64,
    pub(crate) consumer_waiting: AtomicU32,
}

/// Line 3: the space-free request, written by the producer only.
#[repr(C, align(64))]
pub(crate) struct SpaceLine {
    pub(crate) producer_waiting: AtomicU32,
}

#[cfg(loom)]
impl Header {
    /// An all-zero header (loom atomics cannot be laid over raw memory).
    pub(crate) fn zeroed() -> Header {
        Header {
            identity: IdentityLine {
                magic: AtomicU64::new(0),
                version: AtomicU32::new(0),
                header_len: AtomicU32::new(0),
                record_size: AtomicU32::new(0),
                capacity: AtomicU32::new(0),
            },
            producer: ProducerLine {
                write: AtomicU64::new(0),
                produced: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
                corrupt: AtomicU64::new(0),
                state: AtomicU32::new(0),
            },
            consumer: ConsumerLine {
                read: AtomicU64::new(0),
                consumer_waiting: AtomicU32::new(0),
            },
            space: SpaceLine {
                producer_waiting: AtomicU32::new(0),
            },
        }
    }
}

// The struct and the offsets are one layout (only meaningful with core's atomics, which have
// the size and alignment of the integers they hold).
#[cfg(not(loom))]
const _: () = {
    use core::mem::{align_of, offset_of, size_of};
    assert!(size_of::<Header>() == HEADER_LEN);
    assert!(align_of::<Header>() == CACHE_LINE);
    assert!(size_of::<Record>() == RECORD_SIZE);
    assert!(RECORD_SIZE == 16 + PAYLOAD_LEN);
    assert!(offset_of!(Header, identity) + offset_of!(IdentityLine, magic) == offsets::MAGIC);
    assert!(offset_of!(Header, identity) + offset_of!(IdentityLine, version) == offsets::VERSION);
    assert!(
        offset_of!(Header, identity) + offset_of!(IdentityLine, header_len) == offsets::HEADER_LEN
    );
    assert!(
        offset_of!(Header, identity) + offset_of!(IdentityLine, record_size)
            == offsets::RECORD_SIZE
    );
    assert!(offset_of!(Header, identity) + offset_of!(IdentityLine, capacity) == offsets::CAPACITY);
    assert!(offset_of!(Header, producer) + offset_of!(ProducerLine, write) == offsets::WRITE);
    assert!(offset_of!(Header, producer) + offset_of!(ProducerLine, produced) == offsets::PRODUCED);
    assert!(offset_of!(Header, producer) + offset_of!(ProducerLine, dropped) == offsets::DROPPED);
    assert!(offset_of!(Header, producer) + offset_of!(ProducerLine, corrupt) == offsets::CORRUPT);
    assert!(offset_of!(Header, producer) + offset_of!(ProducerLine, state) == offsets::STATE);
    assert!(offset_of!(Header, consumer) + offset_of!(ConsumerLine, read) == offsets::READ);
    assert!(
        offset_of!(Header, consumer) + offset_of!(ConsumerLine, consumer_waiting)
            == offsets::CONSUMER_WAITING
    );
    assert!(
        offset_of!(Header, space) + offset_of!(SpaceLine, producer_waiting)
            == offsets::PRODUCER_WAITING
    );
};

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn required_len_is_header_plus_records() {
        assert_eq!(required_len(16), Ok(256 + 16 * 64));
        assert_eq!(required_len(MAX_CAPACITY), Ok(256 + (1 << 20) * 64));
        for capacity in [0, 1, 2, 8, 15, 17, 24, 1000, MAX_CAPACITY * 2, u32::MAX] {
            assert_eq!(
                required_len(capacity),
                Err(RingError::BadCapacity { capacity })
            );
        }
    }

    #[test]
    fn records_round_trip_through_words() {
        let mut payload = [0_u8; PAYLOAD_LEN];
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte = i as u8 ^ 0xA5;
        }
        let record = Record {
            seq: 0x0102_0304_0506_0708,
            timestamp: u64::MAX - 3,
            payload,
        };
        let words = record.to_words();
        assert_eq!(words[0], record.seq);
        assert_eq!(words[1], record.timestamp);
        assert_eq!(Record::from_words(&words), record);
    }

    #[test]
    fn magic_spells_evshring() {
        assert_eq!(&MAGIC.to_le_bytes(), b"EVSHRING");
    }
}

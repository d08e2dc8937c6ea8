//! Why a ring cannot be attached, or why the consumer stopped.

use core::fmt;

/// What is wrong with a ring's memory or header. The producer reports these at
/// [`Producer::attach`](crate::Producer::attach) (the driver maps each to a defined NTSTATUS);
/// the consumer at [`Consumer::initialize`](crate::Consumer::initialize) and, for a producer that
/// broke the rules, from [`Consumer::poll`](crate::Consumer::poll).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingError {
    /// The region's base address is null.
    NullRegion,
    /// The region's base address is not aligned to a cache line (64 bytes).
    Misaligned {
        /// The base address.
        address: usize,
    },
    /// A capacity that is not a power of two in
    /// [`MIN_CAPACITY`](crate::layout::MIN_CAPACITY)..=[`MAX_CAPACITY`](crate::layout::MAX_CAPACITY).
    BadCapacity {
        /// The capacity asked for.
        capacity: u32,
    },
    /// The header's magic is not [`MAGIC`](crate::layout::MAGIC): not a ring, or not
    /// initialised.
    BadMagic {
        /// The magic found.
        found: u64,
    },
    /// The header's version is not [`RING_VERSION`](crate::layout::RING_VERSION).
    BadVersion {
        /// The version found.
        found: u32,
    },
    /// The header's `header_len` is not [`HEADER_LEN`](crate::layout::HEADER_LEN).
    BadHeaderLen {
        /// The length found.
        found: u32,
    },
    /// The header's `record_size` is not [`RECORD_SIZE`](crate::layout::RECORD_SIZE).
    BadRecordSize {
        /// The size found.
        found: u32,
    },
    /// The header's capacity is not the one declared when the ring was registered.
    CapacityMismatch {
        /// The capacity declared (by the registration request).
        declared: u32,
        /// The capacity in the header.
        found: u32,
    },
    /// The region is not exactly [`required_len`](crate::layout::required_len) bytes for its
    /// capacity.
    SizeMismatch {
        /// The length the capacity needs.
        expected: usize,
        /// The region's length.
        found: usize,
    },
    /// Consumer side: the producer's published write index is more than a capacity ahead of
    /// the consumer, or behind it.
    ProducerIndexCorrupt {
        /// The consumer's position.
        read: u64,
        /// The write index found.
        write: u64,
    },
    /// Consumer side: a record's sequence number is lower than the next one expected.
    SequenceWentBackwards {
        /// The sequence number expected (or higher).
        expected: u64,
        /// The sequence number found.
        found: u64,
    },
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RingError::NullRegion => f.write_str("the ring's region is a null pointer"),
            RingError::Misaligned { address } => write!(
                f,
                "the ring's region at {address:#x} is not 64-byte aligned; map the section \
                 at a page boundary"
            ),
            RingError::BadCapacity { capacity } => write!(
                f,
                "a ring's capacity must be a power of two in {}..={}, got {capacity}",
                crate::layout::MIN_CAPACITY,
                crate::layout::MAX_CAPACITY
            ),
            RingError::BadMagic { found } => write!(
                f,
                "the ring header's magic is {found:#018x}, not {:#018x}: initialise the \
                 section with Consumer::initialize before registering it",
                crate::layout::MAGIC
            ),
            RingError::BadVersion { found } => write!(
                f,
                "the ring header's version is {found}, this build speaks {}: use a client and \
                 driver from the same release",
                crate::layout::RING_VERSION
            ),
            RingError::BadHeaderLen { found } => write!(
                f,
                "the ring header says it is {found} bytes long, not {}",
                crate::layout::HEADER_LEN
            ),
            RingError::BadRecordSize { found } => write!(
                f,
                "the ring header says records are {found} bytes, not {}",
                crate::layout::RECORD_SIZE
            ),
            RingError::CapacityMismatch { declared, found } => write!(
                f,
                "the ring was registered with capacity {declared} but its header says {found}: \
                 register the capacity the section was initialised with"
            ),
            RingError::SizeMismatch { expected, found } => write!(
                f,
                "the ring's section is {found} bytes, its capacity needs exactly {expected}: \
                 create the section with layout::required_len"
            ),
            RingError::ProducerIndexCorrupt { read, write } => write!(
                f,
                "the ring's write index {write} is impossible for read position {read}: the \
                 producer or something else scribbled on the header"
            ),
            RingError::SequenceWentBackwards { expected, found } => write!(
                f,
                "a ring record has sequence number {found}, below the next expected {expected}: \
                 the producer restarted or the section is shared with someone else"
            ),
        }
    }
}

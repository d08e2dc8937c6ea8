//! Attaching: every bad header field and size gets its own error; a good one attaches.

#![cfg(not(loom))]

use evshare_ring::inprocess::SharedMemory;
use evshare_ring::layout::{offsets, required_len, MAGIC, RING_VERSION};
use evshare_ring::{Consumer, Producer, Region, RingError, WakePolicy};

const CAPACITY: u32 = 16;

fn initialised() -> std::sync::Arc<SharedMemory> {
    let memory = SharedMemory::for_capacity(CAPACITY).unwrap();
    let _consumer = memory.initialize_consumer(CAPACITY).unwrap();
    memory
}

fn attach(memory: &std::sync::Arc<SharedMemory>, declared: u32) -> Result<(), RingError> {
    memory
        .attach_producer(declared, WakePolicy::IMMEDIATE)
        .map(drop)
}

#[test]
fn a_fresh_header_attaches_and_describes_itself() {
    let memory = initialised();
    let producer = memory
        .attach_producer(CAPACITY, WakePolicy::IMMEDIATE)
        .unwrap();
    assert_eq!(producer.capacity(), CAPACITY);
    assert_eq!(memory.load_u64(offsets::MAGIC), MAGIC);
    assert_eq!(memory.region_len(), required_len(CAPACITY).unwrap());
}

#[test]
fn declared_capacity_out_of_range_is_bad_capacity() {
    let memory = initialised();
    for capacity in [0, 1, 8, 24, 1 << 21] {
        assert_eq!(
            attach(&memory, capacity),
            Err(RingError::BadCapacity { capacity })
        );
    }
}

#[test]
fn each_bad_identity_field_has_its_error() {
    let memory = initialised();
    memory.store_u64(offsets::MAGIC, 0x1234);
    assert_eq!(
        attach(&memory, CAPACITY),
        Err(RingError::BadMagic { found: 0x1234 })
    );

    let memory = initialised();
    memory.store_u32(offsets::VERSION, RING_VERSION + 1);
    assert_eq!(
        attach(&memory, CAPACITY),
        Err(RingError::BadVersion {
            found: RING_VERSION + 1
        })
    );

    let memory = initialised();
    memory.store_u32(offsets::HEADER_LEN, 128);
    assert_eq!(
        attach(&memory, CAPACITY),
        Err(RingError::BadHeaderLen { found: 128 })
    );

    let memory = initialised();
    memory.store_u32(offsets::RECORD_SIZE, 32);
    assert_eq!(
        attach(&memory, CAPACITY),
        Err(RingError::BadRecordSize { found: 32 })
    );
}

#[test]
fn header_capacity_other_than_declared_is_a_mismatch() {
    let memory = initialised();
    memory.store_u32(offsets::CAPACITY, 32);
    assert_eq!(
        attach(&memory, CAPACITY),
        Err(RingError::CapacityMismatch {
            declared: CAPACITY,
            found: 32
        })
    );
    // Not a power of two in the header: still a mismatch with what was declared.
    memory.store_u32(offsets::CAPACITY, 17);
    assert_eq!(
        attach(&memory, CAPACITY),
        Err(RingError::CapacityMismatch {
            declared: CAPACITY,
            found: 17
        })
    );
}

#[test]
fn a_section_of_the_wrong_size_is_a_size_mismatch() {
    // A 32-record section whose header (and declaration) claims 16 records.
    let memory = SharedMemory::for_capacity(32).unwrap();
    let _consumer = memory.initialize_consumer(32).unwrap();
    memory.store_u32(offsets::CAPACITY, CAPACITY);
    assert_eq!(
        attach(&memory, CAPACITY),
        Err(RingError::SizeMismatch {
            expected: required_len(CAPACITY).unwrap(),
            found: required_len(32).unwrap(),
        })
    );
}

#[test]
fn the_consumer_refuses_to_initialise_a_wrong_size() {
    let len = required_len(CAPACITY).unwrap() + 64;
    let memory = SharedMemory::with_len(len);
    assert_eq!(
        memory.initialize_consumer(CAPACITY).map(drop),
        Err(RingError::SizeMismatch {
            expected: required_len(CAPACITY).unwrap(),
            found: len,
        })
    );
    assert_eq!(
        memory.initialize_consumer(24).map(drop),
        Err(RingError::BadCapacity { capacity: 24 })
    );
}

#[test]
fn uninitialised_memory_has_no_magic() {
    let memory = SharedMemory::for_capacity(CAPACITY).unwrap();
    assert_eq!(
        attach(&memory, CAPACITY),
        Err(RingError::BadMagic { found: 0 })
    );
}

#[repr(C, align(64))]
struct Aligned([u8; 512]);

#[test]
fn regions_must_be_non_null_aligned_and_hold_a_header() {
    let mut memory = Box::new(Aligned([0; 512]));
    let base = memory.0.as_mut_ptr();
    // SAFETY: a null pointer is refused before it is used.
    let null = unsafe { Region::from_raw(std::ptr::null_mut(), 512) };
    assert_eq!(null.map(drop), Err(RingError::NullRegion));
    let off_by_eight = base.wrapping_add(8);
    // SAFETY: `base + 8` is valid for 504 bytes; the call refuses it for its alignment.
    let misaligned = unsafe { Region::from_raw(off_by_eight, 504) };
    assert_eq!(
        misaligned.map(drop),
        Err(RingError::Misaligned {
            address: base as usize + 8
        })
    );
    // SAFETY: `base` is valid for 512 bytes; the call refuses 100 as too short for a header.
    let short = unsafe { Region::from_raw(base, 100) };
    assert_eq!(
        short.map(drop),
        Err(RingError::SizeMismatch {
            expected: 256,
            found: 100
        })
    );
    // SAFETY: `base` is valid for 512 bytes while `memory` lives, which outlasts the region.
    let region = unsafe { Region::from_raw(base, 512) }.unwrap();
    // 512 bytes is neither a 16-record ring nor anything else: the consumer says so.
    assert!(matches!(
        Consumer::initialize(region.clone(), CAPACITY),
        Err(RingError::SizeMismatch { .. })
    ));
    assert_eq!(
        Producer::attach(region, CAPACITY, WakePolicy::IMMEDIATE).map(drop),
        Err(RingError::BadMagic { found: 0 })
    );
    drop(memory);
}

#[test]
fn errors_name_the_cause_and_the_fix() {
    let text = RingError::SizeMismatch {
        expected: 1280,
        found: 4096,
    }
    .to_string();
    assert!(
        text.contains("1280") && text.contains("required_len"),
        "{text}"
    );
    let text = RingError::BadMagic { found: 0 }.to_string();
    assert!(text.contains("Consumer::initialize"), "{text}");
    let text = RingError::CapacityMismatch {
        declared: 16,
        found: 32,
    }
    .to_string();
    assert!(text.contains("16") && text.contains("32"), "{text}");
}

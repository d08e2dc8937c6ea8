//! The shared memory a ring lives in, seen through atomics only.
//!
//! The other side is another process (or the kernel), outside this program's memory model: the
//! only sound way to touch memory it may write at any moment is through atomic accesses, and
//! the only sound way to hand it out is as `&Atomic*` (interior mutability), never as `&T` or
//! `&mut T` over plain data. So the header is a struct of atomics laid over the region, and a
//! record is eight `AtomicU64`s copied in and out word by word (relaxed; the `write` and `read`
//! indices order them). On x86-64 these compile to plain `mov`s.
//!
//! Every address the crate touches comes from [`Region::header`] (the first
//! [`HEADER_LEN`] bytes) or [`Region::slot`] (bounds-checked against the region's own length):
//! no value read from shared memory can steer a write outside the region.
//!
//! Under `--cfg loom` a region is an ordinary allocation of loom atomics instead, and records
//! are loom `UnsafeCell`s, so the model also proves that no record is read while it is written.

#[cfg(not(loom))]
use core::ptr::NonNull;

use crate::sync::Ordering;

#[cfg(not(loom))]
use crate::error::RingError;
#[cfg(not(loom))]
use crate::layout::{Header, CACHE_LINE, HEADER_LEN, RECORD_SIZE, RECORD_WORDS};
#[cfg(not(loom))]
use crate::sync::{fence, AtomicU64};

/// A ring's shared memory: `len` bytes at a 64-byte-aligned address, valid while the `Region`
/// (and every clone, producer and consumer made from it) lives.
///
/// Cloning a `Region` copies the pointer: all access is atomic, so any number of views may
/// exist (the producer and the consumer each hold one in the same-process harness). A ring has
/// one producer and one consumer: attaching a second of either breaks the ring's accounting
/// (never memory safety).
#[derive(Clone)]
pub struct Region {
    #[cfg(not(loom))]
    base: NonNull<u8>,
    #[cfg(loom)]
    memory: loom::sync::Arc<model::Memory>,
    #[cfg(loom)]
    fault: Fault,
    len: usize,
}

/// One record's storage in the ring.
#[cfg(not(loom))]
#[repr(C, align(64))]
pub(crate) struct Slot {
    words: [AtomicU64; RECORD_WORDS],
}

#[cfg(not(loom))]
const _: () = assert!(core::mem::size_of::<Slot>() == RECORD_SIZE);

// SAFETY: a `Region` is a pointer to memory that, by `from_raw`'s contract, stays valid while
// the region lives and is only accessed through atomics, from any thread.
#[cfg(not(loom))]
unsafe impl Send for Region {}
// SAFETY: as for `Send`: every access through `&Region` is an atomic access.
#[cfg(not(loom))]
unsafe impl Sync for Region {}

#[cfg(not(loom))]
impl Region {
    /// A view of the `len` bytes at `base`.
    ///
    /// # Errors
    /// [`RingError::NullRegion`] for a null `base`, [`RingError::Misaligned`] unless `base` is
    /// 64-byte aligned, [`RingError::SizeMismatch`] if `len` cannot even hold the header.
    ///
    /// # Safety
    /// For as long as the returned region, or anything made from it, is used:
    /// - `base..base + len` is valid for reads and writes (mapped, and if it is used at
    ///   `DISPATCH_LEVEL`, resident: locked with an MDL, not a pageable view);
    /// - in this address space it is accessed only through this crate or through atomics of
    ///   the field's own size (another process or the kernel may write any byte at any time:
    ///   that is fine, it is what the ring is built for).
    pub unsafe fn from_raw(base: *mut u8, len: usize) -> Result<Region, RingError> {
        let base = NonNull::new(base).ok_or(RingError::NullRegion)?;
        let address = base.as_ptr() as usize;
        if address % CACHE_LINE != 0 {
            return Err(RingError::Misaligned { address });
        }
        if len < HEADER_LEN {
            return Err(RingError::SizeMismatch {
                expected: HEADER_LEN,
                found: len,
            });
        }
        // INVARIANT: `base` is non-null, 64-byte aligned and valid for `len >= HEADER_LEN` bytes.
        Ok(Region { base, len })
    }

    /// The header, laid over the region's first [`HEADER_LEN`] bytes.
    #[inline]
    pub(crate) fn header(&self) -> &Header {
        let header = self.base.as_ptr().cast::<Header>();
        // SAFETY: the region is valid for at least `HEADER_LEN == size_of::<Header>()` bytes at
        // a 64-byte (= `align_of::<Header>()`) aligned address; `Header` is only atomics, for
        // which every bit pattern is valid and shared mutation is allowed.
        unsafe { &*header }
    }

    /// Record storage `index` (`0..capacity`), or `None` if it would not lie wholly inside the
    /// region.
    #[inline]
    pub(crate) fn slot(&self, index: u64) -> Option<&Slot> {
        let index = usize::try_from(index).ok()?;
        let offset = index.checked_mul(RECORD_SIZE)?.checked_add(HEADER_LEN)?;
        if offset.checked_add(RECORD_SIZE)? > self.len {
            return None;
        }
        // SAFETY: `offset + RECORD_SIZE <= len`, so the pointer stays inside the region.
        let slot = unsafe { self.base.as_ptr().add(offset) }.cast::<Slot>();
        // SAFETY: `slot` points at `RECORD_SIZE == size_of::<Slot>()` valid bytes inside the
        // region, 64-byte aligned (base and `HEADER_LEN` and `RECORD_SIZE` all are); a `Slot` is
        // only atomics.
        Some(unsafe { &*slot })
    }

    /// The full fence of the sleep/wake handshake (SPEC rule 6).
    #[inline]
    pub(crate) fn handshake_fence(&self) {
        fence(Ordering::SeqCst);
    }

    /// Whether the consumer skips its re-check after flagging itself waiting: never, outside
    /// the loom fault model.
    #[inline]
    pub(crate) fn skips_recheck(&self) -> bool {
        false
    }
}

#[cfg(not(loom))]
impl Slot {
    /// Writes a record (relaxed word stores; the caller's release store of `write` publishes).
    #[inline]
    pub(crate) fn store(&self, words: &[u64; RECORD_WORDS]) {
        for (cell, word) in self.words.iter().zip(words) {
            cell.store(*word, Ordering::Relaxed);
        }
    }

    /// Reads a record (relaxed word loads; the caller's acquire load of `write` ordered them).
    #[inline]
    pub(crate) fn load(&self) -> [u64; RECORD_WORDS] {
        let mut words = [0_u64; RECORD_WORDS];
        for (word, cell) in words.iter_mut().zip(&self.words) {
            *word = cell.load(Ordering::Relaxed);
        }
        words
    }
}

impl Region {
    /// The region's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always `false`: a region holds at least a header.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every header field, read now (relaxed; for diagnostics and tests, not for decisions).
    pub fn snapshot(&self) -> HeaderSnapshot {
        let header = self.header();
        let load64 = |field: &crate::sync::AtomicU64| field.load(Ordering::Relaxed);
        let load32 = |field: &crate::sync::AtomicU32| field.load(Ordering::Relaxed);
        HeaderSnapshot {
            magic: load64(&header.identity.magic),
            version: load32(&header.identity.version),
            header_len: load32(&header.identity.header_len),
            record_size: load32(&header.identity.record_size),
            capacity: load32(&header.identity.capacity),
            write: load64(&header.producer.write),
            produced: load64(&header.producer.produced),
            dropped: load64(&header.producer.dropped),
            corrupt: load64(&header.producer.corrupt),
            state: load32(&header.producer.state),
            read: load64(&header.consumer.read),
            consumer_waiting: load32(&header.consumer.consumer_waiting),
            producer_waiting: load32(&header.space.producer_waiting),
        }
    }
}

impl core::fmt::Debug for Region {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Region").field("len", &self.len).finish()
    }
}

/// Every header field at one moment (see [`layout::offsets`](crate::layout::offsets)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderSnapshot {
    /// [`MAGIC`](crate::layout::MAGIC) once initialised.
    pub magic: u64,
    /// Layout version.
    pub version: u32,
    /// Header length in bytes.
    pub header_len: u32,
    /// Record size in bytes.
    pub record_size: u32,
    /// Records the ring holds.
    pub capacity: u32,
    /// The producer's index: records written.
    pub write: u64,
    /// Records written (published total).
    pub produced: u64,
    /// Records dropped (published total).
    pub dropped: u64,
    /// Times the producer found the consumer index impossible.
    pub corrupt: u64,
    /// Bit 0: poisoned.
    pub state: u32,
    /// The consumer's index: records consumed.
    pub read: u64,
    /// The consumer's wait token, 0 when awake.
    pub consumer_waiting: u32,
    /// The producer's space-free request token, 0 when none.
    pub producer_waiting: u32,
}

/// A deliberate weakening of the handshake, to show the loom model catches it
/// (`tests/loom.rs`). Exists only under `--cfg loom`.
#[cfg(loom)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The real protocol.
    None,
    /// Both handshake fences are `AcqRel` instead of `SeqCst` (the libbpf 2023 bug).
    WeakFences,
    /// The consumer sleeps right after flagging itself waiting, without re-checking `write`.
    NoRecheck,
}

#[cfg(loom)]
mod model {
    use super::{Fault, Region};
    use crate::layout::{Header, HEADER_LEN, RECORD_SIZE, RECORD_WORDS};
    use crate::sync::{fence, Ordering};
    use loom::cell::UnsafeCell;
    use std::boxed::Box;
    use std::vec::Vec;

    pub(crate) struct Memory {
        pub(crate) header: Header,
        pub(crate) slots: Box<[Slot]>,
    }

    /// Under loom a record is a plain cell: loom reports any read that races a write.
    pub(crate) struct Slot {
        words: UnsafeCell<[u64; RECORD_WORDS]>,
    }

    impl Slot {
        pub(crate) fn store(&self, words: &[u64; RECORD_WORDS]) {
            self.words.with_mut(|cell| {
                // SAFETY: loom checks the claim this makes: no other thread reads or writes the
                // slot concurrently (the `write`/`read` indices order every access).
                unsafe { *cell = *words }
            });
        }

        pub(crate) fn load(&self) -> [u64; RECORD_WORDS] {
            self.words.with(|cell| {
                // SAFETY: as in `store`; loom reports a race if the claim is false.
                unsafe { *cell }
            })
        }
    }

    impl Region {
        /// A zeroed loom region with room for `capacity` records (no header yet: the consumer
        /// initialises it, as in real life), weakened by `fault`.
        pub fn model(capacity: u32, fault: Fault) -> Region {
            let slots: Vec<Slot> = (0..capacity)
                .map(|_| Slot {
                    words: UnsafeCell::new([0; RECORD_WORDS]),
                })
                .collect();
            Region {
                memory: loom::sync::Arc::new(Memory {
                    header: Header::zeroed(),
                    slots: slots.into_boxed_slice(),
                }),
                fault,
                len: HEADER_LEN + capacity as usize * RECORD_SIZE,
            }
        }

        pub(crate) fn header(&self) -> &Header {
            &self.memory.header
        }

        pub(crate) fn slot(&self, index: u64) -> Option<&Slot> {
            self.memory.slots.get(usize::try_from(index).ok()?)
        }

        pub(crate) fn handshake_fence(&self) {
            if self.fault == Fault::WeakFences {
                fence(Ordering::AcqRel);
            } else {
                fence(Ordering::SeqCst);
            }
        }

        pub(crate) fn skips_recheck(&self) -> bool {
            self.fault == Fault::NoRecheck
        }
    }
}

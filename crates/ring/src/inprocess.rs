//! A ring in one process, for tests, examples and benchmarks (feature `std`): owned,
//! cache-line-aligned shared memory with guard bytes after the region, and an auto-reset event.
//!
//! The producer and consumer it hands out are the real ones, over a [`Region`] exactly like
//! the driver's and the client's; the memory stays alive as long as either does.

use std::boxed::Box;
use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};
use std::vec::Vec;

use crate::error::RingError;
use crate::layout::{required_len, CACHE_LINE};
use crate::producer::{Producer, ProducerStats};
use crate::region::Region;
use crate::wait::{WaitStatus, Waiter};
use crate::wake::WakePolicy;
use crate::Consumer;

/// Bytes after the region that nothing may ever write.
pub const GUARD_LEN: usize = 256;
/// What the guard bytes hold.
pub const GUARD_BYTE: u8 = 0xA5;

#[repr(C, align(64))]
struct Line(UnsafeCell<[u8; CACHE_LINE]>);

/// Zeroed, 64-byte-aligned memory of `region_len` bytes followed by [`GUARD_LEN`] guard bytes.
/// Everything is accessed atomically, like a section shared with another process.
pub struct SharedMemory {
    lines: Box<[Line]>,
    region_len: usize,
}

// SAFETY: the memory is only ever accessed through atomics (the ring's, or this module's
// `store_*`/`load_*`), so sharing it between threads is what it is for.
unsafe impl Sync for SharedMemory {}
// SAFETY: as for `Sync`: owning it on another thread changes nothing.
unsafe impl Send for SharedMemory {}

impl SharedMemory {
    /// Memory for a ring of `capacity` records (exactly [`required_len`] bytes) plus guard bytes.
    ///
    /// # Errors
    /// [`RingError::BadCapacity`].
    pub fn for_capacity(capacity: u32) -> Result<Arc<SharedMemory>, RingError> {
        Ok(SharedMemory::with_len(required_len(capacity)?))
    }

    /// A region of any `region_len` bytes (to test size checks) plus guard bytes.
    pub fn with_len(region_len: usize) -> Arc<SharedMemory> {
        let total = region_len.saturating_add(GUARD_LEN);
        let count = total.div_ceil(CACHE_LINE);
        let lines: Vec<Line> = (0..count)
            .map(|_| Line(UnsafeCell::new([0; CACHE_LINE])))
            .collect();
        let memory = SharedMemory {
            lines: lines.into_boxed_slice(),
            region_len,
        };
        for offset in region_len..memory.total_len() {
            memory.byte(offset).store(GUARD_BYTE, Ordering::Relaxed);
        }
        Arc::new(memory)
    }

    /// The region's length (without the guard).
    pub fn region_len(&self) -> usize {
        self.region_len
    }

    fn total_len(&self) -> usize {
        self.lines.len() * CACHE_LINE
    }

    fn base(&self) -> *mut u8 {
        UnsafeCell::raw_get(self.lines.as_ptr().cast::<UnsafeCell<[u8; CACHE_LINE]>>()).cast()
    }

    /// A view of the region. Private: a `Region` does not keep the memory alive, so only
    /// [`Attached`] values (which do) are handed out.
    fn region(&self) -> Result<Region, RingError> {
        // SAFETY: `base` is valid for `total_len() >= region_len` bytes, 64-byte aligned, for as
        // long as `self` lives; callers keep `self` alive (in an `Arc`) beside the region, and
        // every access to this memory is atomic.
        unsafe { Region::from_raw(self.base(), self.region_len) }
    }

    /// The byte at `offset` as an atomic (panics beyond the memory: a test harness bug).
    fn byte(&self, offset: usize) -> &AtomicU8 {
        assert!(
            offset < self.total_len(),
            "offset {offset} outside the memory"
        );
        // SAFETY: `offset` is inside the allocation.
        let pointer = unsafe { self.base().add(offset) };
        // SAFETY: in bounds, any alignment is fine for a byte, and the memory is only accessed
        // atomically; it lives as long as `self`.
        unsafe { AtomicU8::from_ptr(pointer) }
    }

    fn word<T>(&self, offset: usize) -> *mut T {
        let size = core::mem::size_of::<T>();
        assert!(
            offset % size == 0 && offset + size <= self.region_len,
            "offset {offset} is not a field of the region"
        );
        // SAFETY: `offset + size <= region_len <= total_len()`, inside the allocation.
        unsafe { self.base().add(offset) }.cast()
    }

    /// Scribbles a `u64` at `offset` (a header field, see [`layout::offsets`](crate::layout::offsets)),
    /// as a hostile app would.
    pub fn store_u64(&self, offset: usize, value: u64) {
        let pointer = self.word::<u64>(offset);
        // SAFETY: aligned, inside the region, accessed only atomically at this size (every
        // `u64` header field is); it lives as long as `self`.
        unsafe { AtomicU64::from_ptr(pointer) }.store(value, Ordering::Relaxed);
    }

    /// Scribbles a `u32` at `offset`.
    pub fn store_u32(&self, offset: usize, value: u32) {
        let pointer = self.word::<u32>(offset);
        // SAFETY: as in `store_u64`, for the `u32` fields.
        unsafe { AtomicU32::from_ptr(pointer) }.store(value, Ordering::Relaxed);
    }

    /// Reads a `u64` at `offset`.
    pub fn load_u64(&self, offset: usize) -> u64 {
        let pointer = self.word::<u64>(offset);
        // SAFETY: as in `store_u64`.
        unsafe { AtomicU64::from_ptr(pointer) }.load(Ordering::Relaxed)
    }

    /// Reads a `u32` at `offset`.
    pub fn load_u32(&self, offset: usize) -> u32 {
        let pointer = self.word::<u32>(offset);
        // SAFETY: as in `store_u32`.
        unsafe { AtomicU32::from_ptr(pointer) }.load(Ordering::Relaxed)
    }

    /// Whether every guard byte after the region still holds [`GUARD_BYTE`].
    pub fn guard_intact(&self) -> bool {
        (self.region_len..self.total_len())
            .all(|offset| self.byte(offset).load(Ordering::Relaxed) == GUARD_BYTE)
    }

    /// Writes a fresh header and returns its consumer.
    ///
    /// # Errors
    /// As [`Consumer::initialize`].
    pub fn initialize_consumer(
        self: &Arc<Self>,
        capacity: u32,
    ) -> Result<Attached<Consumer>, RingError> {
        let consumer = Consumer::initialize(self.region()?, capacity)?;
        Ok(Attached::new(consumer, self))
    }

    /// Attaches a producer, as the driver would.
    ///
    /// # Errors
    /// As [`Producer::attach`].
    pub fn attach_producer(
        self: &Arc<Self>,
        declared_capacity: u32,
        policy: WakePolicy,
    ) -> Result<Attached<Producer>, RingError> {
        let producer = Producer::attach(self.region()?, declared_capacity, policy)?;
        Ok(Attached::new(producer, self))
    }
}

/// A producer or consumer together with the memory it points into.
pub struct Attached<T> {
    // Field order matters: `inner` is dropped before the memory.
    inner: T,
    memory: Arc<SharedMemory>,
}

impl<T> Attached<T> {
    fn new(inner: T, memory: &Arc<SharedMemory>) -> Attached<T> {
        Attached {
            inner,
            memory: Arc::clone(memory),
        }
    }

    /// The memory, to scribble on or check the guard.
    pub fn memory(&self) -> &Arc<SharedMemory> {
        &self.memory
    }
}

impl Attached<Producer> {
    /// [`Producer::poison`].
    pub fn poison(self, set_both_events: impl FnOnce()) -> ProducerStats {
        self.inner.poison(set_both_events)
    }
}

impl<T> Deref for Attached<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> DerefMut for Attached<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

/// A ring of `capacity` records in fresh memory: its producer (with `policy`) and consumer.
///
/// # Errors
/// [`RingError::BadCapacity`].
pub fn ring(
    capacity: u32,
    policy: WakePolicy,
) -> Result<(Attached<Producer>, Attached<Consumer>), RingError> {
    let memory = SharedMemory::for_capacity(capacity)?;
    let consumer = memory.initialize_consumer(capacity)?;
    let producer = memory.attach_producer(capacity, policy)?;
    Ok((producer, consumer))
}

/// An auto-reset event (a Win32 synchronization event): `set` wakes one wait, or the next.
#[derive(Debug, Default)]
pub struct AutoResetEvent {
    signalled: Mutex<bool>,
    condvar: Condvar,
    sets: AtomicU64,
}

impl AutoResetEvent {
    /// A new, unsignalled event.
    pub fn new() -> AutoResetEvent {
        AutoResetEvent::default()
    }

    /// Sets the event.
    pub fn set(&self) {
        self.sets.fetch_add(1, Ordering::Relaxed);
        let mut signalled = self
            .signalled
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *signalled = true;
        self.condvar.notify_one();
    }

    /// Waits for the event at most `timeout` ([`Waiter::wait`] without the trait in scope).
    pub fn wait_for(&self, timeout: Duration) -> WaitStatus {
        Waiter::wait(self, Some(timeout))
    }

    /// Times [`set`](Self::set) was called.
    pub fn sets(&self) -> u64 {
        self.sets.load(Ordering::Relaxed)
    }
}

impl Waiter for AutoResetEvent {
    fn wait(&self, timeout: Option<Duration>) -> WaitStatus {
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        let mut signalled = self
            .signalled
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while !*signalled {
            match deadline {
                None => {
                    signalled = self
                        .condvar
                        .wait(signalled)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return WaitStatus::TimedOut;
                    }
                    signalled = self
                        .condvar
                        .wait_timeout(signalled, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
        }
        *signalled = false;
        WaitStatus::Signalled
    }
}

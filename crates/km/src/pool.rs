//! Non-paged pool allocations that free themselves (`ExAllocatePoolWithTag`).
//!
//! `ExAllocatePool2` would zero for us, but Wine 8.0 lacks it (calling it kills
//! `winedevice.exe`), so we allocate with `ExAllocatePoolWithTag` and initialise the memory by
//! writing a whole `T` into it.

use crate::status::NtStatus;
use crate::sys::imports::{ExAllocatePoolWithTag, ExFreePoolWithTag};
use crate::sys::NON_PAGED_POOL_NX;
use core::ops::Deref;
use core::ptr::NonNull;
use core::sync::atomic::{fence, AtomicUsize, Ordering};

/// Allocates non-paged memory for one `T` and moves `value` into it.
fn allocate<T>(value: T) -> Result<NonNull<T>, NtStatus> {
    // Pool allocations are 16-byte aligned on x64; larger alignments are not supported.
    const { assert!(core::mem::align_of::<T>() <= 16) };
    let size = core::mem::size_of::<T>().max(1);
    // The driver's tag (`crate::identity`), set before its first allocation and never again.
    let tag = crate::identity::pool_tag();
    // SAFETY: a plain allocation call; non-paged pool may be requested at IRQL <= DISPATCH_LEVEL.
    let raw = unsafe { ExAllocatePoolWithTag(NON_PAGED_POOL_NX, size, tag) };
    let ptr = NonNull::new(raw.cast::<T>()).ok_or(NtStatus::INSUFFICIENT_RESOURCES)?;
    crate::verifier::pool_allocated(tag, size);
    // SAFETY: `ptr` is a fresh, suitably aligned allocation of `size_of::<T>()` bytes.
    unsafe { ptr.as_ptr().write(value) };
    Ok(ptr)
}

/// Drops the `T` at `ptr` and returns its memory to the pool.
///
/// # Safety
/// `ptr` came from [`allocate`], holds a live `T`, and is used by no one after this call.
unsafe fn release<T>(ptr: NonNull<T>) {
    // SAFETY: the caller guarantees a live `T` that nobody else uses.
    unsafe { core::ptr::drop_in_place(ptr.as_ptr()) };
    let tag = crate::identity::pool_tag();
    crate::verifier::pool_freed(tag, core::mem::size_of::<T>().max(1));
    // SAFETY: the memory came from ExAllocatePoolWithTag with the same tag (set once, before
    // the first allocation).
    unsafe { ExFreePoolWithTag(ptr.as_ptr().cast(), tag) };
}

/// An owned `T` in non-paged pool. Its address never changes, so kernel structures inside it
/// (timers, DPCs) may be handed to the kernel.
///
/// IRQL: created and dropped at `<= DISPATCH_LEVEL` (and `T::drop` may ask for less).
pub struct PoolBox<T> {
    ptr: NonNull<T>,
}

// SAFETY: PoolBox owns its T exactly like Box does.
unsafe impl<T: Send> Send for PoolBox<T> {}
// SAFETY: shared access only hands out &T.
unsafe impl<T: Sync> Sync for PoolBox<T> {}

impl<T> PoolBox<T> {
    /// Moves `value` into a new pool allocation. Dropping the box frees it (`ExFreePoolWithTag`,
    /// `<= DISPATCH_LEVEL`, after `T`'s own drop).
    ///
    /// IRQL: `<= DISPATCH_LEVEL` (non-paged pool).
    pub fn new(value: T) -> Result<Self, NtStatus> {
        Ok(PoolBox {
            ptr: allocate(value)?,
        })
    }

    /// Gives up ownership; the allocation must come back through [`PoolBox::from_raw`].
    pub fn into_raw(this: Self) -> NonNull<T> {
        let ptr = this.ptr;
        core::mem::forget(this);
        ptr
    }

    /// Takes back an allocation made by [`PoolBox::into_raw`].
    ///
    /// # Safety
    /// `ptr` came from `PoolBox::into_raw` and is not owned by anyone else.
    pub unsafe fn from_raw(ptr: NonNull<T>) -> Self {
        PoolBox { ptr }
    }
}

impl<T> Deref for PoolBox<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: INVARIANT: `ptr` holds a live T for as long as self exists.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> core::ops::DerefMut for PoolBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: unique ownership gives unique access.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T> Drop for PoolBox<T> {
    fn drop(&mut self) {
        // SAFETY: we own the allocation and nobody uses it after drop.
        unsafe { release(self.ptr) }
    }
}

// `repr(C)`: `clone_from_value` finds the header from the value's address.
#[repr(C)]
struct ArcInner<T> {
    refs: AtomicUsize,
    value: T,
}

/// A reference-counted `T` in non-paged pool (like `Arc`): `clone` adds a reference, the last
/// `drop` drops `T` and frees the memory. The address is stable for the allocation's life.
pub struct PoolArc<T> {
    ptr: NonNull<ArcInner<T>>,
}

// SAFETY: same reasoning as Arc: the value is shared across threads and dropped on any of them.
unsafe impl<T: Send + Sync> Send for PoolArc<T> {}
// SAFETY: same as above.
unsafe impl<T: Send + Sync> Sync for PoolArc<T> {}

impl<T> PoolArc<T> {
    /// Moves `value` into a new pool allocation with one reference. Dropping the last
    /// reference frees it (`<= DISPATCH_LEVEL`, after `T`'s own drop).
    ///
    /// IRQL: `<= DISPATCH_LEVEL` (non-paged pool).
    pub fn new(value: T) -> Result<Self, NtStatus> {
        let ptr = allocate(ArcInner {
            refs: AtomicUsize::new(1),
            value,
        })?;
        Ok(PoolArc { ptr })
    }

    fn inner(&self) -> &ArcInner<T> {
        // SAFETY: INVARIANT: while a PoolArc exists, refs >= 1 and the allocation is live.
        unsafe { self.ptr.as_ref() }
    }

    /// A new reference to the allocation `value` lives in.
    ///
    /// # Safety
    /// `value` is the `T` inside a live `PoolArc<T>` allocation (borrowed through a reference
    /// that keeps it alive for the call).
    pub(crate) unsafe fn clone_from_value(value: &T) -> Self {
        let offset = core::mem::offset_of!(ArcInner<T>, value);
        let inner = (value as *const T)
            .cast::<u8>()
            .wrapping_sub(offset)
            .cast::<ArcInner<T>>()
            .cast_mut();
        // SAFETY: the caller's contract: `value` is the `value` field of a live ArcInner, so
        // `inner` is its (non-null) header.
        let ptr = unsafe { NonNull::new_unchecked(inner) };
        let this = PoolArc { ptr };
        let clone = this.clone();
        core::mem::forget(this);
        clone
    }

    /// Whether two handles share one allocation.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.ptr == b.ptr
    }
}

impl<T> Clone for PoolArc<T> {
    fn clone(&self) -> Self {
        // Relaxed is enough to add a reference to one we already hold (as in std's Arc).
        self.inner().refs.fetch_add(1, Ordering::Relaxed);
        PoolArc { ptr: self.ptr }
    }
}

impl<T> Deref for PoolArc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T> Drop for PoolArc<T> {
    fn drop(&mut self) {
        if self.inner().refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        // Synchronise with every other release before tearing down (as in std's Arc).
        fence(Ordering::Acquire);
        // SAFETY: this was the last reference.
        unsafe { release(self.ptr) }
    }
}

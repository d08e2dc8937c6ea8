//! The per-handle state km attaches to each file object (`FileObject->FsContext`): made at
//! `IRP_MJ_CREATE`, read while requests on the handle are handled, freed at `IRP_MJ_CLOSE`.
//!
//! Every attached state is also on one list, so that unload frees the states of handles still
//! open. On Windows there are none: `DriverUnload` runs only once every handle is closed. Wine
//! unloads a driver with handles open (an app that outlives `evshare stop`), and never sends
//! their CLOSE to the unloaded driver; without the list their states leaked (the verifier
//! build's pool check found 1 to 10 of them per stop in the e2e suite).

use crate::irp::Irp;
use crate::pool::PoolBox;
use crate::sync::SpinLock;
use crate::sys::FILE_OBJECT;
use core::any::TypeId;
use core::ptr::{null_mut, NonNull};

/// What every attached state starts with, whatever its type (`repr(C)`: `owner` first, so the
/// type is checked before the rest is trusted).
#[repr(C)]
struct Header {
    owner: TypeId,
    /// The file object whose `FsContext` points here.
    file: *mut FILE_OBJECT,
    /// Neighbours on [`ATTACHED`] (null at the ends).
    prev: *mut Header,
    next: *mut Header,
    /// Frees the whole `Attached<T>` this header begins.
    free: unsafe fn(NonNull<Header>),
}

/// What km stores in `FileObject->FsContext`.
#[repr(C)]
struct Attached<T> {
    header: Header,
    state: T,
}

/// The list of attached states (its first element).
struct List(*mut Header);

// SAFETY: the list is only touched under its spin lock, and the headers it links are pool
// memory owned by the list until detached.
unsafe impl Send for List {}

static ATTACHED: SpinLock<List> = SpinLock::new(List(null_mut()));

/// Frees an `Attached<T>` given its header.
///
/// # Safety
/// `header` begins an `Attached<T>` from [`attach`], detached from its file object and off
/// the list.
unsafe fn free_attached<T>(header: NonNull<Header>) {
    // SAFETY: the caller's contract: a whole `Attached<T>` box nobody else reaches.
    drop(unsafe { PoolBox::<Attached<T>>::from_raw(header.cast()) });
}

/// Takes `header` off the list.
///
/// # Safety
/// `header` is on the list.
unsafe fn unlink(list: &mut List, header: NonNull<Header>) {
    // SAFETY (every block below): headers on the list are live pool memory, only touched
    // under the list's lock, and their neighbours are on the list too (or null).
    let header = header.as_ptr();
    // SAFETY: as above.
    let links = unsafe { &mut *header };
    let (prev, next) = (links.prev, links.next);
    match NonNull::new(prev) {
        None => list.0 = next,
        // SAFETY: as above.
        Some(prev) => unsafe { (*prev.as_ptr()).next = next },
    }
    if let Some(next) = NonNull::new(next) {
        // SAFETY: as above.
        unsafe { (*next.as_ptr()).prev = prev };
    }
    // SAFETY: as above (no other reference to this header is live: its neighbours were
    // updated through their own pointers).
    let links = unsafe { &mut *header };
    links.prev = null_mut();
    links.next = null_mut();
}

/// The attached header of `file`, if its context is an `Attached<T>`.
///
/// # Safety
/// `file` is null or a live file object whose `FsContext` is null or set by [`attach`].
unsafe fn attached_to<T: 'static>(file: *mut FILE_OBJECT) -> Option<NonNull<Attached<T>>> {
    if file.is_null() {
        return None;
    }
    // SAFETY: the caller's contract.
    let context = NonNull::new(unsafe { (*file).FsContext })?;
    // SAFETY: km stores only `Attached<_>` boxes in FsContext, each starting with its TypeId.
    let owner = unsafe { context.cast::<TypeId>().read() };
    (owner == TypeId::of::<T>()).then(|| context.cast())
}

/// Attaches a fresh `state` to the file object of `irp` (a CREATE). With no memory (or no file
/// object) the handle has no state: [`get`] returns `None` for it.
pub(crate) fn attach<T: Sync + 'static>(irp: &Irp, state: T) {
    let file = irp.file_object();
    if file.is_null() {
        return;
    }
    let attached = Attached {
        header: Header {
            owner: TypeId::of::<T>(),
            file,
            prev: null_mut(),
            next: null_mut(),
            free: free_attached::<T>,
        },
        state,
    };
    let Ok(attached) = PoolBox::new(attached) else {
        crate::log!(
            Error,
            "no memory for a handle's state; requests that need it will be refused"
        );
        return;
    };
    let raw = PoolBox::into_raw(attached);
    let header = raw.as_ptr().cast::<Header>();
    let mut list = ATTACHED.lock_leaf();
    // SAFETY: `header` is ours and not yet linked.
    unsafe { (*header).next = list.0 };
    if let Some(first) = NonNull::new(list.0) {
        // SAFETY: the first element is live (on the list, under its lock).
        unsafe { (*first.as_ptr()).prev = header };
    }
    list.0 = header;
    drop(list);
    // SAFETY: the file object of the CREATE being dispatched is alive, and its FsContext is
    // the driver's; the box is freed by `detach` at close (or by `free_all_at_unload`).
    unsafe { (*file).FsContext = raw.as_ptr().cast() };
}

/// The state of `irp`'s handle, if it has one of type `T`.
///
/// # Safety
/// The reference is used only while handling a request on that handle, which never overlaps
/// with its `IRP_MJ_CLOSE` (when the state is freed).
pub(crate) unsafe fn get<'file, T: 'static>(irp: &Irp) -> Option<&'file T> {
    // SAFETY: the file object of a request being dispatched is alive.
    let attached = unsafe { attached_to::<T>(irp.file_object()) }?;
    // SAFETY: checked type; alive until close (the caller's contract).
    Some(unsafe { &(*attached.as_ptr()).state })
}

/// A state detached from its file object at CLOSE; freed when dropped.
pub(crate) struct Detached<T>(PoolBox<Attached<T>>);

impl<T> Detached<T> {
    /// The state.
    pub(crate) fn state(&self) -> &T {
        &self.0.state
    }
}

/// Detaches the state of the file object of `irp` (a CLOSE).
pub(crate) fn detach<T: 'static>(irp: &Irp) -> Option<Detached<T>> {
    // SAFETY: the file object of the CLOSE being dispatched is alive, with no other request.
    unsafe { take::<T>(irp.file_object()) }.map(Detached)
}

/// Detaches the `Attached<T>` of `file`: off the list, `FsContext` cleared, the box returned.
///
/// # Safety
/// `file` is null or a live file object with no other request in progress on it.
unsafe fn take<T: 'static>(file: *mut FILE_OBJECT) -> Option<PoolBox<Attached<T>>> {
    // SAFETY: the caller's contract.
    let attached = unsafe { attached_to::<T>(file) }?;
    {
        let mut list = ATTACHED.lock_leaf();
        // SAFETY: an attached state is on the list until it is taken, which happens once
        // (FsContext is cleared under the same exclusive access to the file object).
        unsafe { unlink(&mut list, attached.cast()) };
    }
    // SAFETY: as above; cleared before the box is handed out.
    unsafe { (*file).FsContext = null_mut() };
    // SAFETY: it came from `attach` as this type (checked) and is attached no more.
    Some(unsafe { PoolBox::from_raw(attached) })
}

/// Frees the state of a file object whose CREATE was refused: Windows sends no CLOSE for a
/// failed open, so nobody else would. (Under Wine an open cannot be refused; its CLOSE frees
/// the state as usual.)
///
/// # Safety
/// `file` is null or the file object of the CREATE being dispatched, alive until the dispatch
/// routine returns, with no other request on it (its handle does not exist yet).
pub(crate) unsafe fn free_refused<T: 'static>(file: *mut FILE_OBJECT) {
    // SAFETY: the caller's contract.
    drop(unsafe { take::<T>(file) });
}

/// At unload: frees the state of every handle still open (none on Windows; under Wine, those
/// of apps that outlive the driver) and clears their file objects' `FsContext`, so a CLOSE
/// that still arrives finds nothing to free. Returns how many were freed.
///
/// IRQL: `PASSIVE_LEVEL` (from `DriverUnload`, once no other request runs).
pub(crate) fn free_all_at_unload() -> usize {
    let mut freed = 0;
    loop {
        let header = {
            let mut list = ATTACHED.lock_leaf();
            let Some(first) = NonNull::new(list.0) else {
                break;
            };
            // SAFETY: `first` is on the list.
            unsafe { unlink(&mut list, first) };
            first
        };
        // SAFETY: a header off the list that begins a live `Attached<_>`.
        let (file, free) = unsafe {
            let header = header.as_ref();
            (header.file, header.free)
        };
        // SAFETY: its file object is still alive: under Wine the handle is open, and nothing
        // else runs on the dispatch thread during unload.
        if !file.is_null() && unsafe { (*file).FsContext } == header.as_ptr().cast() {
            // SAFETY: as above; the context is ours.
            unsafe { (*file).FsContext = null_mut() };
        }
        // SAFETY: `free` is the one `attach` stored for this header's type; nothing else
        // reaches the state any more.
        unsafe { free(header) };
        freed += 1;
    }
    freed
}

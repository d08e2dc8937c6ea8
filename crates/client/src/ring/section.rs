//! The ring's shared memory: a named, pagefile-backed section (`CreateFileMappingW`) mapped
//! into this process (`MapViewOfFile`), and the guard bytes after the ring.
//! <https://learn.microsoft.com/windows/win32/memory/creating-named-shared-memory>
//!
//! The raw calls of the ring live here; [`super`] sees a [`SharedSection`] that unmaps itself,
//! and guard checks that read the memory through atomics only (the driver, or a hostile app
//! that opened the section by name, may write any byte at any time).

use std::io;
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, Ordering};

use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, MapViewOfFile, UnmapViewOfFile, FILE_MAP_READ, FILE_MAP_WRITE,
    MEMORY_MAPPED_VIEW_ADDRESS, PAGE_READWRITE,
};

use crate::sys::sync::{adopt_created, Created};
use crate::sys::wide::WideCString;

/// A named section of `len` bytes, mapped read-write at `base` until dropped.
///
/// INVARIANT: `base..base + len` is a view of the section, mapped read-write and
/// page-aligned, for as long as the value lives.
#[derive(Debug)]
pub(crate) struct SharedSection {
    base: NonNull<u8>,
    len: usize,
    /// The section itself; the view keeps it alive too, but the handle is what makes the name
    /// resolve for the driver until it has opened it.
    _handle: OwnedHandle,
}

// SAFETY: the view is plain memory mapped into the process; any thread may use it, and this
// module and the ring crate touch it through atomics only.
unsafe impl Send for SharedSection {}
// SAFETY: as for `Send`: every access through `&SharedSection` is atomic.
unsafe impl Sync for SharedSection {}

impl SharedSection {
    /// Creates the section `name` (default security, in whatever namespace the name says) of
    /// `len` bytes and maps all of it. `Ok(None)` when an object of that name already exists
    /// (the section is then not ours to use: it may be a squatter's).
    pub(crate) fn create(name: &WideCString, len: usize) -> io::Result<Option<SharedSection>> {
        let size = u64::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let (high, low) = ((size >> 32) as u32, size as u32);
        // SAFETY: INVALID_HANDLE_VALUE asks for a pagefile-backed section; NULL security
        // attributes mean the default descriptor; `name` is NUL-terminated and outlives the
        // call. The handle is adopted (or the error read) at once.
        let raw = unsafe {
            CreateFileMappingW(
                INVALID_HANDLE_VALUE,
                std::ptr::null(),
                PAGE_READWRITE,
                high,
                low,
                name.as_ptr(),
            )
        };
        let (handle, created) = adopt_created(raw)?;
        if created == Created::AlreadyExisted {
            return Ok(None);
        }
        // SAFETY: `handle` is the section just created with PAGE_READWRITE and `len` bytes;
        // mapping all of it from offset 0 for reading and writing is within what it allows.
        let view = unsafe {
            MapViewOfFile(
                handle.as_raw_handle(),
                FILE_MAP_READ | FILE_MAP_WRITE,
                0,
                0,
                len,
            )
        };
        let base =
            NonNull::new(view.Value.cast::<u8>()).ok_or_else(std::io::Error::last_os_error)?;
        // INVARIANT: MapViewOfFile succeeded: `len` bytes at `base`, read-write, page-aligned.
        Ok(Some(SharedSection {
            base,
            len,
            _handle: handle,
        }))
    }

    /// The first byte of the view.
    pub(crate) fn base(&self) -> NonNull<u8> {
        self.base
    }

    /// Fills `range` (offsets into the view) with [`guard_byte`]s.
    pub(crate) fn fill_guard(&self, range: std::ops::Range<usize>) {
        for offset in range {
            if let Some(byte) = self.byte(offset) {
                byte.store(guard_byte(offset), Ordering::Relaxed);
            }
        }
    }

    /// The first offset in `range` that no longer holds its [`guard_byte`], if any.
    pub(crate) fn first_guard_damage(&self, range: std::ops::Range<usize>) -> Option<usize> {
        range.into_iter().find(|&offset| {
            self.byte(offset)
                .is_some_and(|byte| byte.load(Ordering::Relaxed) != guard_byte(offset))
        })
    }

    /// The byte at `offset`, as an atomic, if it lies inside the view.
    fn byte(&self, offset: usize) -> Option<&AtomicU8> {
        if offset >= self.len {
            return None;
        }
        // SAFETY: `offset < len`, so the pointer stays inside the view.
        let pointer = unsafe { self.base.as_ptr().add(offset) };
        // SAFETY: the byte is inside the mapped view, which lives as long as `self`; another
        // party may write it at any time, which an atomic byte allows.
        Some(unsafe { AtomicU8::from_ptr(pointer) })
    }
}

impl Drop for SharedSection {
    fn drop(&mut self) {
        let view = MEMORY_MAPPED_VIEW_ADDRESS {
            Value: self.base.as_ptr().cast(),
        };
        // SAFETY: `base` is the address MapViewOfFile returned, mapped until now; nothing
        // made from it outlives `self` (the ring drops its consumer first).
        unsafe { UnmapViewOfFile(view) };
    }
}

/// The pattern of the guard bytes: not constant, so a shifted copy of it is damage too.
pub(crate) fn guard_byte(offset: usize) -> u8 {
    (offset as u8).wrapping_mul(31) ^ 0xA5
}

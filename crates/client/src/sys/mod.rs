//! Raw Win32 and NT calls: the only module of the crate that writes `unsafe`, but for one
//! block in `device.rs` that adopts the handle a `CREATE_EVENT` reply names (only the code that
//! sent the request can vouch that nothing else owns it; [`handle::adopt_foreign`] says so).
//!
//! Every function here takes and returns safe types (slices, [`OwnedHandle`], [`io::Error`]);
//! the rest of the crate never sees a raw pointer. Each `unsafe` block says which invariant makes
//! it sound.
//!
//! [`OwnedHandle`]: std::os::windows::io::OwnedHandle
//! [`io::Error`]: std::io::Error

pub(crate) mod console;
pub(crate) mod device;
pub(crate) mod handle;
pub(crate) mod process;
pub(crate) mod scm;
pub(crate) mod security;
pub(crate) mod sync;
pub(crate) mod system;
pub(crate) mod wide;

use std::os::windows::io::{FromRawHandle, OwnedHandle};

use windows_sys::Win32::Foundation::{HANDLE, INVALID_HANDLE_VALUE};

/// Adopts `raw` as an owned handle, or returns the calling thread's last error when `raw` is
/// the failure value (`NULL`, or `INVALID_HANDLE_VALUE` for `CreateFileW`).
///
/// Must be called right after the API that produced `raw`, before anything else can overwrite
/// the thread's last error.
fn adopt_handle(raw: HANDLE) -> std::io::Result<OwnedHandle> {
    if raw.is_null() || raw == INVALID_HANDLE_VALUE {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `raw` is neither NULL nor INVALID_HANDLE_VALUE, so it is a handle the API that
    // returned it just opened for us; nothing else owns it, and OwnedHandle closes it once.
    Ok(unsafe { OwnedHandle::from_raw_handle(raw) })
}

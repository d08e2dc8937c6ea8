//! Named kernel objects through kernel32: events, mutexes, waits, and the probes that tell what
//! kind of object a name holds.
//! <https://learn.microsoft.com/windows/win32/sync/object-names>

use std::io;
use std::os::windows::io::{AsRawHandle, BorrowedHandle, OwnedHandle};

use windows_sys::Win32::Foundation::{
    GetLastError, ERROR_ALREADY_EXISTS, WAIT_FAILED, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::System::Memory::{OpenFileMappingW, FILE_MAP_READ};
use windows_sys::Win32::System::RemoteDesktop::ProcessIdToSessionId;
use windows_sys::Win32::System::Threading::{
    CreateEventW, CreateMutexW, OpenEventW, OpenMutexW, OpenSemaphoreW, OpenWaitableTimerW,
    ResetEvent, SetEvent, WaitForMultipleObjects, WaitForSingleObject, SYNCHRONIZATION_SYNCHRONIZE,
};

use super::wide::WideCString;

/// What `create_*` found: a new object, or an existing one of the same name and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Created {
    New,
    AlreadyExisted,
}

/// `CreateEventW` with default security, named or (`None`) unnamed.
pub(crate) fn create_event(
    name: Option<&WideCString>,
    manual_reset: bool,
) -> io::Result<(OwnedHandle, Created)> {
    let name_ptr = name.map_or(std::ptr::null(), WideCString::as_ptr);
    // SAFETY: `name_ptr` is NULL (unnamed) or NUL-terminated and outlives the call; NULL
    // security attributes mean the default descriptor. The returned handle is adopted (or the
    // error read) at once.
    let raw = unsafe { CreateEventW(std::ptr::null(), manual_reset.into(), 0, name_ptr) };
    adopt_created(raw)
}

/// `CreateMutexW` with a name, not owned, default security.
pub(crate) fn create_mutex(name: &WideCString) -> io::Result<(OwnedHandle, Created)> {
    // SAFETY: as in `create_event`.
    let raw = unsafe { CreateMutexW(std::ptr::null(), 0, name.as_ptr()) };
    adopt_created(raw)
}

/// Adopts what a `Create*W` call returned; must run right after it (it reads the last error).
pub(crate) fn adopt_created(
    raw: windows_sys::Win32::Foundation::HANDLE,
) -> io::Result<(OwnedHandle, Created)> {
    // Read the last error before anything can overwrite it: on success it tells whether the
    // object already existed.
    // SAFETY: GetLastError only reads this thread's last-error value.
    let last = unsafe { GetLastError() };
    let handle = super::adopt_handle(raw)?;
    let created = if last == ERROR_ALREADY_EXISTS {
        Created::AlreadyExisted
    } else {
        Created::New
    };
    Ok((handle, created))
}

/// `OpenEventW` with exactly `access`.
pub(crate) fn open_event_with(name: &WideCString, access: u32) -> io::Result<OwnedHandle> {
    // SAFETY: `name` is NUL-terminated and outlives the call.
    let raw = unsafe { OpenEventW(access, 0, name.as_ptr()) };
    super::adopt_handle(raw)
}

/// Kinds of named objects [`open_as`] can try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
    Event,
    Mutex,
    Semaphore,
    WaitableTimer,
    Section,
}

/// Opens `name` as an object of kind `probe` with the least access that opening allows.
/// Fails (`ERROR_FILE_NOT_FOUND`, or `ERROR_INVALID_HANDLE` for another type) when the name
/// does not hold an object of that kind.
pub(crate) fn open_as(probe: Probe, name: &WideCString) -> io::Result<OwnedHandle> {
    let sync = SYNCHRONIZATION_SYNCHRONIZE;
    let raw = match probe {
        // SAFETY: `name` is NUL-terminated and outlives the call.
        Probe::Event => unsafe { OpenEventW(sync, 0, name.as_ptr()) },
        // SAFETY: as above.
        Probe::Mutex => unsafe { OpenMutexW(sync, 0, name.as_ptr()) },
        // SAFETY: as above.
        Probe::Semaphore => unsafe { OpenSemaphoreW(sync, 0, name.as_ptr()) },
        // SAFETY: as above.
        Probe::WaitableTimer => unsafe { OpenWaitableTimerW(sync, 0, name.as_ptr()) },
        // SAFETY: as above.
        Probe::Section => unsafe { OpenFileMappingW(FILE_MAP_READ, 0, name.as_ptr()) },
    };
    super::adopt_handle(raw)
}

/// `WaitForSingleObject`: `Ok(true)` when signalled, `Ok(false)` on timeout.
pub(crate) fn wait(handle: BorrowedHandle<'_>, millis: u32) -> io::Result<bool> {
    // SAFETY: the borrowed handle stays open for the call.
    let result = unsafe { WaitForSingleObject(handle.as_raw_handle(), millis) };
    match result {
        WAIT_OBJECT_0 => Ok(true),
        WAIT_TIMEOUT => Ok(false),
        WAIT_FAILED => Err(io::Error::last_os_error()),
        other => Err(io::Error::other(format!(
            "WaitForSingleObject returned {other:#x}"
        ))),
    }
}

/// `WaitForMultipleObjects` for any one of `handles` (at most 64): `Ok(Some(index))` of the
/// first signalled one, `Ok(None)` on timeout.
pub(crate) fn wait_any(handles: &[BorrowedHandle<'_>], millis: u32) -> io::Result<Option<usize>> {
    let raw: Vec<_> = handles.iter().map(AsRawHandle::as_raw_handle).collect();
    let count = u32::try_from(raw.len())
        .ok()
        .filter(|&n| (1..=64).contains(&n))
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `raw` holds `count` handles, each open for the duration of its borrow; the call
    // only reads the array, which outlives it.
    let result = unsafe { WaitForMultipleObjects(count, raw.as_ptr(), 0, millis) };
    match result {
        WAIT_TIMEOUT => Ok(None),
        WAIT_FAILED => Err(io::Error::last_os_error()),
        index if (WAIT_OBJECT_0..WAIT_OBJECT_0 + count).contains(&index) => {
            Ok(Some((index - WAIT_OBJECT_0) as usize))
        }
        other => Err(io::Error::other(format!(
            "WaitForMultipleObjects returned {other:#x}"
        ))),
    }
}

/// `SetEvent`.
pub(crate) fn set_event(handle: BorrowedHandle<'_>) -> io::Result<()> {
    // SAFETY: the borrowed handle stays open for the call.
    let ok = unsafe { SetEvent(handle.as_raw_handle()) };
    bool_result(ok)
}

/// `ResetEvent`.
pub(crate) fn reset_event(handle: BorrowedHandle<'_>) -> io::Result<()> {
    // SAFETY: the borrowed handle stays open for the call.
    let ok = unsafe { ResetEvent(handle.as_raw_handle()) };
    bool_result(ok)
}

/// `ProcessIdToSessionId`.
pub(crate) fn session_of(pid: u32) -> io::Result<u32> {
    let mut session = 0u32;
    // SAFETY: `session` is a valid u32 out-pointer for the duration of the call.
    let ok = unsafe { ProcessIdToSessionId(pid, &mut session) };
    bool_result(ok).map(|()| session)
}

fn bool_result(ok: windows_sys::core::BOOL) -> io::Result<()> {
    if ok == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

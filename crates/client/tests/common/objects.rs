//! Kernel objects of every kind an app can make, for handing the driver handles that are not
//! (or not quite) events: mutexes, semaphores, sections, files, process and thread handles,
//! pseudo-handles and values that are no handle at all.

use std::os::windows::io::{AsHandle, AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};

use windows_sys::Win32::Foundation::{
    DuplicateHandle, GetHandleInformation, DUPLICATE_SAME_ACCESS, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::System::Memory::{CreateFileMappingW, PAGE_READWRITE};
use windows_sys::Win32::System::Threading::{
    CreateMutexW, CreateSemaphoreW, GetCurrentProcess, GetCurrentThread,
};

/// Adopts what a `Create*` call returned, or panics with the last error.
fn adopt(raw: RawHandle, what: &str) -> OwnedHandle {
    assert!(
        !raw.is_null() && raw != INVALID_HANDLE_VALUE,
        "create {what}: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `raw` is a handle the Create call just returned to us, owned by nothing else.
    unsafe { OwnedHandle::from_raw_handle(raw) }
}

/// An unnamed mutex, not owned.
pub fn mutex() -> OwnedHandle {
    // SAFETY: NULL attributes and name are allowed; the result is adopted at once.
    let raw = unsafe { CreateMutexW(std::ptr::null(), 0, std::ptr::null()) };
    adopt(raw, "a mutex")
}

/// An unnamed semaphore (count 0 of 1).
pub fn semaphore() -> OwnedHandle {
    // SAFETY: NULL attributes and name are allowed; the result is adopted at once.
    let raw = unsafe { CreateSemaphoreW(std::ptr::null(), 0, 1, std::ptr::null()) };
    adopt(raw, "a semaphore")
}

/// An unnamed 4 KiB pagefile-backed section.
pub fn section() -> OwnedHandle {
    // SAFETY: INVALID_HANDLE_VALUE asks for a pagefile-backed section; NULL attributes and
    // name are allowed; the result is adopted at once.
    let raw = unsafe {
        CreateFileMappingW(
            INVALID_HANDLE_VALUE,
            std::ptr::null(),
            PAGE_READWRITE,
            0,
            4096,
            std::ptr::null(),
        )
    };
    adopt(raw, "a section")
}

/// A real (not pseudo) handle to the object behind a pseudo-handle of this process.
fn real(pseudo: RawHandle, what: &str) -> OwnedHandle {
    let mut copy: RawHandle = std::ptr::null_mut();
    // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no closing.
    let me = unsafe { GetCurrentProcess() };
    // SAFETY: `pseudo` and `me` are valid pseudo-handles of this process; `copy` is a valid
    // out-pointer.
    let ok = unsafe { DuplicateHandle(me, pseudo, me, &mut copy, 0, 0, DUPLICATE_SAME_ACCESS) };
    assert_ne!(
        ok,
        0,
        "duplicate {what}: {}",
        std::io::Error::last_os_error()
    );
    adopt(copy, what)
}

/// A handle to this process.
pub fn process() -> OwnedHandle {
    // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no closing.
    let pseudo = unsafe { GetCurrentProcess() };
    real(pseudo, "a process handle")
}

/// A handle to the calling thread.
pub fn thread() -> OwnedHandle {
    // SAFETY: GetCurrentThread returns a pseudo-handle that needs no closing.
    let pseudo = unsafe { GetCurrentThread() };
    real(pseudo, "a thread handle")
}

/// A file in the temp directory, deleted when `tag`'s test ends.
pub fn file(tag: &str) -> std::fs::File {
    let path = std::env::temp_dir().join(format!("evshare-e2e-{}-{tag}", std::process::id()));
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .expect("create a temp file")
}

/// The value of a handle, as the protocol carries it.
pub fn value_of(handle: &impl AsHandle) -> u64 {
    handle.as_handle().as_raw_handle() as usize as u64
}

/// Pseudo-handles: current process (-1), current thread (-2), and the token pseudo-handles
/// (-4, -5, -6).
pub const PSEUDO_HANDLES: [u64; 5] = [
    u64::MAX,
    u64::MAX - 1,
    u64::MAX - 3,
    u64::MAX - 4,
    u64::MAX - 5,
];

/// Values that are no handle of this process: far beyond any handle table it has, unaligned
/// variants of those, and 0.
pub const GARBAGE_HANDLES: [u64; 5] = [
    0,
    0x00DE_AD00,
    0x00DE_AD03,
    0x7FFF_FFF0,
    0x1234_5678_9ABC_DEF0,
];

/// Whether `value` is an open handle of this process now.
pub fn is_open(value: u64) -> bool {
    let mut flags = 0u32;
    // SAFETY: GetHandleInformation only looks the value up in this process's handle table
    // (a closed or never-opened value fails with ERROR_INVALID_HANDLE); `flags` is a valid
    // out-pointer.
    unsafe { GetHandleInformation(value as usize as RawHandle, &mut flags) != 0 }
}

/// The open handle values of this process (see [`open_handle_count`]).
pub fn open_handles() -> Vec<u64> {
    let mut open = Vec::new();
    let mut free_in_a_row = 0;
    let mut value = 4u64;
    while free_in_a_row < 4096 {
        if is_open(value) {
            open.push(value);
            free_in_a_row = 0;
        } else {
            free_in_a_row += 1;
        }
        value += 4;
    }
    open
}

/// How many handles this process has open, counted by looking up every handle value up to
/// the last one in use (`GetProcessHandleCount` answers 0 under Wine). Handle values are
/// multiples of 4, allocated from the bottom; the scan stops after 4096 free values in a row.
pub fn open_handle_count() -> u32 {
    let mut count = 0;
    let mut free_in_a_row = 0;
    let mut value = 4u64;
    while free_in_a_row < 4096 {
        if is_open(value) {
            count += 1;
            free_in_a_row = 0;
        } else {
            free_in_a_row += 1;
        }
        value += 4;
    }
    count
}

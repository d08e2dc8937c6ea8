//! Handles themselves: duplicating one with less access, asking what object it refers to and
//! what it grants (`NtQueryObject`), and adopting one the driver put into this process.
//! <https://learn.microsoft.com/windows/win32/api/handleapi/nf-handleapi-duplicatehandle>
//! <https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntqueryobject>

use std::io;
use std::os::windows::io::{AsRawHandle, BorrowedHandle, FromRawHandle, OwnedHandle};

use windows_sys::Wdk::Foundation::{NtQueryObject, ObjectBasicInformation, ObjectTypeInformation};
use windows_sys::Win32::Foundation::{DuplicateHandle, HANDLE};
use windows_sys::Win32::System::Threading::GetCurrentProcess;

/// `DuplicateHandle` within this process, with exactly `access` (not inheritable).
pub(crate) fn duplicate(handle: BorrowedHandle<'_>, access: u32) -> io::Result<OwnedHandle> {
    let mut copy: HANDLE = std::ptr::null_mut();
    // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no closing.
    let me = unsafe { GetCurrentProcess() };
    // SAFETY: `handle` is open for the duration of the borrow; `copy` is a valid out-pointer;
    // source and target process are this process (a pseudo-handle valid for the call).
    let ok = unsafe { DuplicateHandle(me, handle.as_raw_handle(), me, &mut copy, access, 0, 0) };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: DuplicateHandle succeeded, so `copy` is a new handle that only we own.
    Ok(unsafe { OwnedHandle::from_raw_handle(copy) })
}

/// `OBJECT_BASIC_INFORMATION` (ntifs.h), the fields we read; the kernel fills 56 bytes.
#[repr(C)]
#[derive(Default)]
struct BasicInformation {
    attributes: u32,
    granted_access: u32,
    handle_count: u32,
    pointer_count: u32,
    reserved: [u32; 10],
}

/// The access mask a handle grants (`ObjectBasicInformation`).
pub(crate) fn granted_access(handle: BorrowedHandle<'_>) -> Result<u32, u32> {
    let mut info = BasicInformation::default();
    let size = std::mem::size_of::<BasicInformation>() as u32;
    let mut written = 0u32;
    // SAFETY: `handle` is open; `info` is writable for `size` bytes and outlives the call;
    // `written` is a valid out-pointer.
    let status = unsafe {
        NtQueryObject(
            handle.as_raw_handle(),
            ObjectBasicInformation,
            (&mut info as *mut BasicInformation).cast(),
            size,
            &mut written,
        )
    };
    if status < 0 {
        return Err(status as u32);
    }
    Ok(info.granted_access)
}

/// The object type's name (`Event`, `Mutant`, `Semaphore`, `File`, ...) from
/// `ObjectTypeInformation`.
pub(crate) fn type_name(handle: BorrowedHandle<'_>) -> Result<String, u32> {
    // OBJECT_TYPE_INFORMATION starts with a UNICODE_STRING whose buffer points into the same
    // allocation, after the fixed part. 1 KiB is plenty for any type name; u64 storage keeps the
    // struct aligned.
    let mut storage = [0u64; 128];
    let size = std::mem::size_of_val(&storage) as u32;
    let mut written = 0u32;
    // SAFETY: `handle` is open; `storage` is writable for `size` bytes and outlives the call.
    let status = unsafe {
        NtQueryObject(
            handle.as_raw_handle(),
            ObjectTypeInformation,
            storage.as_mut_ptr().cast(),
            size,
            &mut written,
        )
    };
    if status < 0 {
        return Err(status as u32);
    }
    // UNICODE_STRING: Length (bytes, u16), MaximumLength (u16), 4 bytes padding, Buffer (ptr).
    let [first, pointer, ..] = storage;
    let length = (first & 0xFFFF) as usize;
    let start = (pointer as usize).wrapping_sub(storage.as_ptr() as usize);
    let total = std::mem::size_of_val(&storage);
    if !start.is_multiple_of(2) || start > total || length > total - start {
        return Err(evshare_protocol::status::STATUS_UNSUCCESSFUL);
    }
    // SAFETY: `storage` is `total` initialised bytes; viewing them as `total / 2` u16s is in
    // bounds and aligned (u16 alignment divides u64's); the slice borrows `storage`, which is
    // not written while it lives.
    let units: &[u16] =
        unsafe { std::slice::from_raw_parts(storage.as_ptr().cast::<u16>(), total / 2) };
    Ok(String::from_utf16_lossy(
        &units[start / 2..(start + length) / 2],
    ))
}

/// Adopts a handle value the driver put into this process (`CREATE_EVENT`'s reply).
///
/// # Safety
/// `value` must be a handle that is open in this process and that nothing else owns or will
/// close: the caller hands its ownership to the returned value.
pub(crate) unsafe fn adopt_foreign(value: u64) -> OwnedHandle {
    // SAFETY: the caller guarantees `value` is an open handle of this process owned by no one
    // else.
    unsafe { OwnedHandle::from_raw_handle(value as usize as HANDLE) }
}

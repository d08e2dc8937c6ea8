//! The control device: `CreateFileW` on `\\.\evshare` and `NtDeviceIoControlFile`.
//!
//! `NtDeviceIoControlFile` rather than `DeviceIoControl`, so the caller sees the driver's exact
//! NTSTATUS (`DeviceIoControl` folds many of them into one Win32 error).
//! <https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntdeviceiocontrolfile>

use std::io;
use std::os::windows::io::{AsRawHandle, BorrowedHandle, OwnedHandle};

use windows_sys::Wdk::System::IO::NtDeviceIoControlFile;
use windows_sys::Win32::Foundation::{GENERIC_READ, GENERIC_WRITE, STATUS_PENDING};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ, FILE_SHARE_WRITE, OPEN_EXISTING,
};
use windows_sys::Win32::System::Threading::{WaitForSingleObject, INFINITE};
use windows_sys::Win32::System::IO::{IO_STATUS_BLOCK, IO_STATUS_BLOCK_0};

use super::wide::WideCString;

/// Opens a device by its Win32 path for synchronous I/O: reads and writes when `writable`,
/// reads only otherwise (the I/O manager then refuses IOCTLs whose code needs write access).
pub(crate) fn open(path: &WideCString, writable: bool) -> io::Result<OwnedHandle> {
    let access = if writable {
        GENERIC_READ | GENERIC_WRITE
    } else {
        GENERIC_READ
    };
    // SAFETY: `path` is NUL-terminated and outlives the call; no security attributes or
    // template handle are passed. Without FILE_FLAG_OVERLAPPED the handle is synchronous, which
    // `ioctl` below relies on.
    let raw = unsafe {
        CreateFileW(
            path.as_ptr(),
            access,
            FILE_SHARE_READ | FILE_SHARE_WRITE,
            std::ptr::null(),
            OPEN_EXISTING,
            FILE_ATTRIBUTE_NORMAL,
            std::ptr::null_mut(),
        )
    };
    super::adopt_handle(raw)
}

/// Sends one IOCTL and waits for it. Returns the number of output bytes the driver wrote, or the
/// driver's NTSTATUS (as the unsigned value the protocol documents) when it is not a success.
pub(crate) fn ioctl(
    device: BorrowedHandle<'_>,
    code: u32,
    input: &[u8],
    output: &mut [u8],
) -> Result<usize, u32> {
    ioctl_and_wait(device, None, code, input, output)
}

/// Sends one IOCTL on `device` and waits for it to complete, on `event` when one is given (the
/// I/O manager sets it at completion; what an overlapped handle needs, so that other requests
/// in flight on the handle cannot be mistaken for this one), else on the file handle itself
/// (which a synchronous handle's I/O signals). Returns the bytes the driver wrote or its
/// NTSTATUS, as [`ioctl`] does.
pub(crate) fn ioctl_and_wait(
    device: BorrowedHandle<'_>,
    event: Option<BorrowedHandle<'_>>,
    code: u32,
    input: &[u8],
    output: &mut [u8],
) -> Result<usize, u32> {
    let input_len = u32::try_from(input.len()).map_err(|_| STATUS_INVALID_PARAMETER)?;
    let output_len = u32::try_from(output.len()).map_err(|_| STATUS_INVALID_PARAMETER)?;
    let mut iosb = IO_STATUS_BLOCK {
        Anonymous: IO_STATUS_BLOCK_0 { Status: 0 },
        Information: 0,
    };
    let (input_ptr, output_ptr) = (non_empty_ptr(input), non_empty_mut_ptr(output));
    let event_raw = event.map_or(std::ptr::null_mut(), |event| event.as_raw_handle());
    // SAFETY: `device` (and `event`, when given) are open handles for the duration of their
    // borrows; the input and output pointers are valid for the lengths passed (or NULL with
    // length 0), and the input is copied before the call returns; `iosb` and the output
    // buffer live on this frame until the request has completed: on a synchronous handle the
    // call returns only once it is finished, and if it returns STATUS_PENDING (an overlapped
    // handle) the branch below waits, without a timeout, before either is read or dropped.
    // No APC is used.
    let status = unsafe {
        NtDeviceIoControlFile(
            device.as_raw_handle(),
            event_raw,
            None,
            std::ptr::null(),
            &mut iosb,
            code,
            input_ptr,
            input_len,
            output_ptr,
            output_len,
        )
    };
    let status = if status == STATUS_PENDING {
        let signalled = event.unwrap_or(device);
        // SAFETY: waiting on a handle we borrow: the request's own event, set when it
        // completes, or else the synchronous file handle, signalled when its I/O completes.
        unsafe { WaitForSingleObject(signalled.as_raw_handle(), INFINITE) };
        // SAFETY: the request has completed, so the I/O manager has written `Status`, and
        // every bit pattern is a valid i32.
        unsafe { iosb.Anonymous.Status }
    } else {
        status
    };
    if status < 0 {
        // NTSTATUS values are documented and compared as u32 (0xC0000034...).
        return Err(status as u32);
    }
    Ok(iosb.Information.min(output.len()))
}

/// `STATUS_INVALID_PARAMETER` as the protocol spells it, for buffers over 4 GiB.
const STATUS_INVALID_PARAMETER: u32 = 0xC000_000D;

fn non_empty_ptr(buffer: &[u8]) -> *const core::ffi::c_void {
    if buffer.is_empty() {
        std::ptr::null()
    } else {
        buffer.as_ptr().cast()
    }
}

fn non_empty_mut_ptr(buffer: &mut [u8]) -> *mut core::ffi::c_void {
    if buffer.is_empty() {
        std::ptr::null_mut()
    } else {
        buffer.as_mut_ptr().cast()
    }
}

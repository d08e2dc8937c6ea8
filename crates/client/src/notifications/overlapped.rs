//! Asynchronous IOCTLs on an overlapped device handle: `CreateFileW(FILE_FLAG_OVERLAPPED)`,
//! `NtDeviceIoControlFile` with an event and an `OVERLAPPED` (whose first two fields are the
//! `IO_STATUS_BLOCK` the I/O manager writes, as `DeviceIoControl` itself passes it),
//! `CancelIoEx`, `GetOverlappedResult`.
//! <https://learn.microsoft.com/windows/win32/fileio/synchronous-and-asynchronous-i-o>
//! <https://learn.microsoft.com/windows/win32/fileio/cancelioex-func>
//!
//! The raw calls of the inverted call live here. An [`IoSlot`] is the memory one request in
//! flight owns: the system writes its `OVERLAPPED` and output buffer until the request
//! completes, so a slot is pinned and must not be freed before then (what
//! [`IoSlot::issue`]'s contract says and `super` upholds).

use std::cell::UnsafeCell;
use std::io;
use std::marker::PhantomPinned;
use std::os::windows::io::{AsHandle, AsRawHandle, BorrowedHandle, FromRawHandle, OwnedHandle};

use evshare_protocol::Notification;
use windows_sys::Wdk::System::IO::NtDeviceIoControlFile;
use windows_sys::Win32::Foundation::{
    GetLastError, RtlNtStatusToDosError, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE,
    STATUS_PENDING,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_FLAG_OVERLAPPED, FILE_SHARE_READ, FILE_SHARE_WRITE, OPEN_EXISTING,
};
use windows_sys::Win32::System::IO::{
    CancelIoEx, GetOverlappedResult, IO_STATUS_BLOCK, OVERLAPPED,
};

use crate::sys::wide::WideCString;
use crate::sys::{device, sync};

/// Opens a device by its Win32 path for asynchronous I/O, reading and writing.
pub(crate) fn open(path: &WideCString) -> io::Result<OwnedHandle> {
    // SAFETY: `path` is NUL-terminated and outlives the call; no security attributes or
    // template handle are passed. FILE_FLAG_OVERLAPPED makes every request on the handle
    // asynchronous, which `IoSlot` and `ioctl_and_wait` are written for.
    let raw = unsafe {
        CreateFileW(
            path.as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            FILE_SHARE_READ | FILE_SHARE_WRITE,
            std::ptr::null(),
            OPEN_EXISTING,
            FILE_FLAG_OVERLAPPED,
            std::ptr::null_mut(),
        )
    };
    if raw.is_null() || raw == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: CreateFileW succeeded, so `raw` is a handle it just opened for us; nothing else
    // owns it, and OwnedHandle closes it once.
    Ok(unsafe { OwnedHandle::from_raw_handle(raw) })
}

/// An NTSTATUS as the protocol writes it (`0xC0000120`).
pub(crate) type Status = u32;

/// What [`IoSlot::issue`] found when `NtDeviceIoControlFile` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Issued {
    /// In flight: the slot's event fires when it completes.
    Pending,
    /// Completed at once with this success status (the slot holds the result).
    Completed(Status),
    /// Refused at once; nothing is in flight and the slot is untouched.
    Refused(Status),
}

/// The memory of one asynchronous request: its `OVERLAPPED`, its output buffer, and the
/// manual-reset event that fires when it completes.
#[derive(Debug)]
pub(crate) struct IoSlot {
    overlapped: UnsafeCell<OVERLAPPED>,
    output: UnsafeCell<[u8; Notification::LEN]>,
    event: OwnedHandle,
    /// The system keeps pointers to `overlapped` and `output` while a request is in flight.
    _pinned: PhantomPinned,
}

// SAFETY: the cells are written by the system only while a request is in flight, and read by
// the owner only after it completed (the event's wait orders the two); the owner (`super`)
// never shares a slot between threads, it only moves the whole set (pinned in a box).
unsafe impl Send for IoSlot {}

impl IoSlot {
    /// A slot with a new, non-signalled manual-reset event.
    pub(crate) fn new() -> io::Result<IoSlot> {
        let (event, _) = sync::create_event(None, true)?;
        Ok(IoSlot {
            overlapped: UnsafeCell::new(OVERLAPPED::default()),
            output: UnsafeCell::new([0; Notification::LEN]),
            event,
            _pinned: PhantomPinned,
        })
    }

    /// Sends `code` with `input` on `device` asynchronously, the reply going to this slot's
    /// buffer.
    ///
    /// # Safety
    /// Unless the result is [`Issued::Refused`], the request may write this slot's
    /// `OVERLAPPED` and output buffer until it completes: the slot must stay where it is and
    /// alive until its event has fired (or [`status`](Self::status) is final), and
    /// must not be issued again before that. (The owner keeps its slots in a pinned box.)
    pub(crate) unsafe fn issue(
        &self,
        device: BorrowedHandle<'_>,
        code: u32,
        input: &[u8],
    ) -> Issued {
        let overlapped = self.overlapped.get();
        // Pending until the system says otherwise, as DeviceIoControl starts it.
        let fresh = OVERLAPPED {
            Internal: STATUS_PENDING as usize,
            hEvent: self.event.as_raw_handle(),
            ..OVERLAPPED::default()
        };
        // SAFETY: no request is in flight on this slot (the caller's contract), so nothing
        // else touches the cell.
        unsafe { overlapped.write(fresh) };
        let Ok(input_len) = u32::try_from(input.len()) else {
            return Issued::Refused(STATUS_INVALID_PARAMETER);
        };
        let output_len = Notification::LEN as u32;
        // SAFETY: `device` is open for the borrow; the event is ours and open; `overlapped`
        // starts with the IO_STATUS_BLOCK fields (Internal = Status, InternalHigh =
        // Information), which is how DeviceIoControl passes it, so CancelIoEx and
        // GetOverlappedResult find this request by it; the input is copied before the call
        // returns (METHOD_BUFFERED); the output buffer and the OVERLAPPED stay valid and
        // pinned until the request completes (this function's contract).
        let status = unsafe {
            NtDeviceIoControlFile(
                device.as_raw_handle(),
                self.event.as_raw_handle(),
                None,
                std::ptr::null(),
                overlapped.cast::<IO_STATUS_BLOCK>(),
                code,
                input.as_ptr().cast(),
                input_len,
                self.output.get().cast(),
                output_len,
            )
        };
        if status == STATUS_PENDING {
            Issued::Pending
        } else if status >= 0 {
            Issued::Completed(status as u32)
        } else {
            Issued::Refused(status as u32)
        }
    }

    /// Waits up to `millis` for the request to complete; `Ok(true)` once it has.
    pub(crate) fn wait(&self, millis: u32) -> io::Result<bool> {
        sync::wait(self.event.as_handle(), millis)
    }

    /// The request's final status and the bytes it wrote. Only once it completed (its event
    /// fired, or `issue` said [`Issued::Completed`]).
    fn result(&self) -> (Status, usize) {
        // SAFETY: the request completed, so the system no longer writes the OVERLAPPED (it
        // wrote Internal and InternalHigh before it set the event); volatile because it was
        // written behind the compiler's back.
        let overlapped = unsafe { self.overlapped.get().read_volatile() };
        (overlapped.Internal as u32, overlapped.InternalHigh)
    }

    /// The final status of a completed request (see [`result`](Self::result)).
    pub(crate) fn status(&self) -> Status {
        self.result().0
    }

    /// The reply bytes of a completed request (see [`result`](Self::result)).
    pub(crate) fn reply(&self) -> &[u8] {
        let (_, written) = self.result();
        // SAFETY: the request completed, so the system no longer writes the buffer; until the
        // slot is issued again (which needs `&mut` of its owner), only we read it.
        let output = unsafe { &*self.output.get() };
        &output[..written.min(Notification::LEN)]
    }

    /// Asks the system to cancel the request in flight on this slot (`CancelIoEx` with its
    /// `OVERLAPPED`). `Ok(false)` when there was none to cancel (it already completed).
    pub(crate) fn cancel(&self, device: BorrowedHandle<'_>) -> io::Result<bool> {
        // SAFETY: `device` is open for the borrow; the OVERLAPPED pointer only identifies the
        // request (CancelIoEx compares it, it does not write through it).
        let ok = unsafe { CancelIoEx(device.as_raw_handle(), self.overlapped.get()) };
        cancelled(ok)
    }

    /// What Win32 makes of the completed request: `Ok(bytes)` or the Win32 error
    /// (`ERROR_OPERATION_ABORTED` for a cancelled one), from `GetOverlappedResult` on the
    /// handle when it is still open, else from the status as `GetOverlappedResult` maps it.
    pub(crate) fn win32_result(&self, device: Option<BorrowedHandle<'_>>) -> Result<u32, u32> {
        let Some(device) = device else {
            let status = self.status();
            if (status as i32) >= 0 {
                return Ok(0);
            }
            // SAFETY: a pure function of its argument.
            return Err(unsafe { RtlNtStatusToDosError(status as i32) });
        };
        let mut bytes = 0u32;
        // SAFETY: `device` is open; the request completed, so GetOverlappedResult (not asked
        // to wait) only reads the OVERLAPPED; `bytes` is a valid out-pointer.
        let ok = unsafe {
            GetOverlappedResult(device.as_raw_handle(), self.overlapped.get(), &mut bytes, 0)
        };
        if ok != 0 {
            Ok(bytes)
        } else {
            // SAFETY: reads this thread's last error, right after the call that set it.
            Err(unsafe { GetLastError() })
        }
    }
}

/// Cancels every request in flight on `device`, whichever thread issued it (`CancelIoEx`
/// without an `OVERLAPPED`; `CancelIo` would cancel only the calling thread's). `Ok(false)`
/// when there was none.
pub(crate) fn cancel_all(device: BorrowedHandle<'_>) -> io::Result<bool> {
    // SAFETY: `device` is open for the borrow; NULL means every request on it.
    let ok = unsafe { CancelIoEx(device.as_raw_handle(), std::ptr::null()) };
    cancelled(ok)
}

/// What `CancelIoEx` returned, right after the call: `Ok(true)` when it cancelled something,
/// `Ok(false)` when there was nothing to cancel (`ERROR_NOT_FOUND`), else its error.
fn cancelled(ok: i32) -> io::Result<bool> {
    if ok != 0 {
        return Ok(true);
    }
    let error = io::Error::last_os_error();
    if error.raw_os_error() == Some(windows_sys::Win32::Foundation::ERROR_NOT_FOUND as i32) {
        return Ok(false);
    }
    Err(error)
}

/// Sends one IOCTL on an overlapped handle and waits for it (with an event of its own, so
/// other requests in flight on the handle cannot be mistaken for it). Returns the bytes the
/// driver wrote or its NTSTATUS.
pub(crate) fn ioctl_and_wait(
    device: BorrowedHandle<'_>,
    code: u32,
    input: &[u8],
    output: &mut [u8],
) -> Result<usize, Status> {
    let (event, _) = sync::create_event(None, true).map_err(|_| STATUS_INSUFFICIENT_RESOURCES)?;
    device::ioctl_and_wait(device, Some(event.as_handle()), code, input, output)
}

const STATUS_INVALID_PARAMETER: Status = 0xC000_000D;
const STATUS_INSUFFICIENT_RESOURCES: Status = 0xC000_009A;

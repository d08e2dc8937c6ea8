//! The few Win32 objects the benchmarks need beyond the `evshare` crate: auto-reset events to
//! ping-pong and to wake the in-process ring's consumer, an overlapped
//! handle to the driver for the inverted call, and the performance counter.

use std::ffi::c_void;
use std::io;
use std::os::windows::io::{AsRawHandle, BorrowedHandle, FromRawHandle, OwnedHandle, RawHandle};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use evshare_ring::{WaitStatus, Waiter};
use windows_sys::Win32::Foundation::{
    ERROR_IO_PENDING, GENERIC_READ, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE, WAIT_OBJECT_0,
    WAIT_TIMEOUT,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_FLAG_OVERLAPPED, FILE_SHARE_READ, FILE_SHARE_WRITE, OPEN_EXISTING,
};
use windows_sys::Win32::System::Performance::{QueryPerformanceCounter, QueryPerformanceFrequency};
use windows_sys::Win32::System::Threading::{CreateEventW, SetEvent, WaitForSingleObject};
use windows_sys::Win32::System::IO::{
    CancelIoEx, DeviceIoControl, GetOverlappedResult, OVERLAPPED,
};

/// The performance counter now (`QueryPerformanceCounter`: the driver's
/// `KeQueryPerformanceCounter` clock).
#[inline]
pub fn now() -> u64 {
    let mut value = 0_i64;
    // SAFETY: `value` is a valid place for the counter; the call cannot fail on XP and later.
    unsafe { QueryPerformanceCounter(&mut value) };
    u64::try_from(value).unwrap_or(0)
}

/// Ticks per second of [`now`].
pub fn frequency() -> u64 {
    let mut value = 0_i64;
    // SAFETY: as in `now`.
    unsafe { QueryPerformanceFrequency(&mut value) };
    u64::try_from(value).unwrap_or(0)
}

/// Converts performance-counter ticks to nanoseconds.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    frequency: u64,
}

impl Clock {
    /// The clock of this machine.
    pub fn new() -> Result<Clock> {
        let frequency = frequency();
        if frequency == 0 {
            bail!("QueryPerformanceFrequency reports 0 Hz");
        }
        Ok(Clock { frequency })
    }

    /// Ticks per second.
    pub fn frequency(&self) -> u64 {
        self.frequency
    }

    /// `ticks` in nanoseconds.
    pub fn nanos(&self, ticks: u64) -> u64 {
        let nanos = u128::from(ticks) * 1_000_000_000 / u128::from(self.frequency);
        u64::try_from(nanos).unwrap_or(u64::MAX)
    }
}

/// A NUL-terminated UTF-16 copy of `text`.
pub fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

fn adopt(raw: HANDLE, what: &str) -> Result<OwnedHandle> {
    if raw.is_null() || raw == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error()).with_context(|| format!("{what} failed"));
    }
    // SAFETY: a fresh handle the call just returned, owned by nobody else.
    Ok(unsafe { OwnedHandle::from_raw_handle(raw as RawHandle) })
}

/// Waits on any handle for at most `timeout`: `Ok(true)` if it was signalled.
pub fn wait_handle(handle: BorrowedHandle<'_>, timeout: Duration) -> Result<bool> {
    let millis = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX - 1);
    // SAFETY: the handle is open for the duration of the borrow.
    let status = unsafe { WaitForSingleObject(handle.as_raw_handle(), millis) };
    match status {
        WAIT_OBJECT_0 => Ok(true),
        WAIT_TIMEOUT => Ok(false),
        _ => Err(io::Error::last_os_error()).context("WaitForSingleObject failed"),
    }
}

/// A Win32 event (auto- or manual-reset) this process owns.
#[derive(Debug)]
pub struct Win32Event {
    handle: OwnedHandle,
}

impl Win32Event {
    /// An unnamed auto-reset event, not signalled.
    pub fn auto_reset() -> Result<Win32Event> {
        Self::create(false)
    }

    /// An unnamed manual-reset event, not signalled (for `OVERLAPPED::hEvent`).
    pub fn manual_reset() -> Result<Win32Event> {
        Self::create(true)
    }

    fn create(manual: bool) -> Result<Win32Event> {
        // SAFETY: no security attributes and no name.
        let raw = unsafe { CreateEventW(std::ptr::null(), i32::from(manual), 0, std::ptr::null()) };
        let handle = adopt(raw, "CreateEventW")?;
        Ok(Win32Event { handle })
    }

    /// `SetEvent`.
    pub fn set(&self) -> Result<()> {
        // SAFETY: our own open event handle.
        if unsafe { SetEvent(self.raw()) } == 0 {
            return Err(io::Error::last_os_error()).context("SetEvent failed");
        }
        Ok(())
    }

    /// Waits at most `timeout`: `Ok(true)` if signalled.
    pub fn wait(&self, timeout: Duration) -> Result<bool> {
        wait_handle(self.borrow(), timeout)
    }

    /// Waits at most `timeout`, failing with `what` in the message if it passes.
    pub fn wait_or_fail(&self, timeout: Duration, what: &str) -> Result<()> {
        if !self.wait(timeout)? {
            bail!("{what}: nothing after {} s", timeout.as_secs());
        }
        Ok(())
    }

    /// The handle, borrowed.
    pub fn borrow(&self) -> BorrowedHandle<'_> {
        // SAFETY: the handle lives as long as `self`.
        unsafe { BorrowedHandle::borrow_raw(self.handle.as_raw_handle()) }
    }

    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle() as HANDLE
    }
}

/// The consumer sleeps on a Win32 auto-reset event, exactly as an app of the driver does.
impl Waiter for Win32Event {
    fn wait(&self, timeout: Option<Duration>) -> WaitStatus {
        let timeout = timeout.unwrap_or(Duration::from_millis(u64::from(u32::MAX - 1)));
        match Win32Event::wait(self, timeout) {
            Ok(true) => WaitStatus::Signalled,
            // A failed wait is treated as a timeout: the consumer re-checks the ring either way.
            Ok(false) | Err(_) => WaitStatus::TimedOut,
        }
    }
}

/// A handle to `\\.\evshare` opened for overlapped I/O: the inverted call keeps an IOCTL
/// pending on it while another thread sends `NOTIFY` through the same handle (file object).
#[derive(Debug)]
pub struct OverlappedDevice {
    handle: OwnedHandle,
}

/// One overlapped IOCTL in flight. Its buffers and `OVERLAPPED` are boxed, so they stay put
/// until it has completed; dropping it unfinished cancels it and waits.
pub struct PendingIoctl<'d> {
    device: &'d OverlappedDevice,
    state: Box<IoctlState>,
    done: bool,
}

struct IoctlState {
    overlapped: OVERLAPPED,
    input: Vec<u8>,
    output: Vec<u8>,
    event: Win32Event,
}

impl OverlappedDevice {
    /// Opens `\\.\evshare` for reading and writing, overlapped.
    pub fn open() -> Result<OverlappedDevice> {
        let path = wide(evshare_protocol::ioctl::USER_PATH);
        // SAFETY: a NUL-terminated path; no security attributes or template.
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
        let handle = adopt(raw, "opening \\\\.\\evshare overlapped")?;
        Ok(OverlappedDevice { handle })
    }

    /// Starts IOCTL `code` with `input`, room for `output_len` reply bytes.
    pub fn start(&self, code: u32, input: &[u8], output_len: usize) -> Result<PendingIoctl<'_>> {
        let mut state = Box::new(IoctlState {
            overlapped: OVERLAPPED::default(),
            input: input.to_vec(),
            output: vec![0; output_len],
            event: Win32Event::manual_reset()?,
        });
        state.overlapped.hEvent = state.event.raw();
        let input_len = u32::try_from(state.input.len()).context("input too long")?;
        let output_len = u32::try_from(state.output.len()).context("output too long")?;
        let input_ptr: *const c_void = if state.input.is_empty() {
            std::ptr::null()
        } else {
            state.input.as_ptr().cast()
        };
        let output_ptr: *mut c_void = if state.output.is_empty() {
            std::ptr::null_mut()
        } else {
            state.output.as_mut_ptr().cast()
        };
        let mut returned = 0_u32;
        // SAFETY: the handle is open; the buffers and the OVERLAPPED live in a Box that
        // `PendingIoctl` keeps until the request has completed (its `drop` cancels and waits).
        let ok = unsafe {
            DeviceIoControl(
                self.raw(),
                code,
                input_ptr,
                input_len,
                output_ptr,
                output_len,
                &mut returned,
                &mut state.overlapped,
            )
        };
        if ok == 0 {
            let error = io::Error::last_os_error();
            if error.raw_os_error() != Some(ERROR_IO_PENDING as i32) {
                // It never started: nothing is in flight.
                return Err(error).context(format!("DeviceIoControl({code:#x}) failed"));
            }
        }
        Ok(PendingIoctl {
            device: self,
            state,
            done: false,
        })
    }

    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle() as HANDLE
    }
}

impl PendingIoctl<'_> {
    /// Whether it has already completed (without waiting).
    pub fn is_complete(&self) -> bool {
        // `Internal` holds the NTSTATUS, STATUS_PENDING (0x103) until completion.
        self.state.overlapped.Internal != 0x103
    }

    /// Waits at most `timeout` for completion; returns the reply bytes, or fails with the
    /// request's error, or on timeout (the request is then cancelled).
    pub fn finish(mut self, timeout: Duration) -> Result<Vec<u8>> {
        if !self.state.event.wait(timeout)? {
            bail!("the IOCTL did not complete within {} s", timeout.as_secs());
        }
        let mut transferred = 0_u32;
        // SAFETY: the request has completed (its event is set), so the OVERLAPPED is final.
        let ok = unsafe {
            GetOverlappedResult(
                self.device.raw(),
                &self.state.overlapped,
                &mut transferred,
                0,
            )
        };
        self.done = true;
        if ok == 0 {
            return Err(io::Error::last_os_error()).context("the IOCTL failed");
        }
        let len = usize::try_from(transferred)
            .unwrap_or(0)
            .min(self.state.output.len());
        self.state.output.truncate(len);
        Ok(std::mem::take(&mut self.state.output))
    }
}

impl Drop for PendingIoctl<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // SAFETY: cancels this request only; the buffers stay alive until it has completed.
        unsafe { CancelIoEx(self.device.raw(), &self.state.overlapped) };
        let _ = self.state.event.wait(Duration::from_secs(10));
    }
}

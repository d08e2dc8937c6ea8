//! Raw access to the device for the tests that must do what the client library never does:
//! issue requests from many threads on a handle that another thread closes, or line up
//! overlapped requests in a chosen order.

use std::ffi::c_void;

use evshare_protocol::request::{encode, MAX_REQUEST_LEN};
use evshare_protocol::Request;
use windows_sys::Win32::Foundation::{
    GetLastError, GENERIC_READ, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_FLAG_OVERLAPPED, FILE_SHARE_READ, FILE_SHARE_WRITE, OPEN_EXISTING,
};
use windows_sys::Win32::System::IO::DeviceIoControl;

/// Opens `\\.\evshare` (for overlapped I/O if asked); panics with the Win32 error otherwise.
/// The caller owns the handle.
pub fn open_device(overlapped: bool) -> HANDLE {
    open_path(r"\\.\evshare", overlapped)
}

/// Opens the device at the Win32 path `path` (another host's device: a driver that embeds
/// evshare) like [`open_device`].
pub fn open_path(path: &str, overlapped: bool) -> HANDLE {
    let wide: Vec<u16> = path.encode_utf16().chain([0]).collect();
    let flags = if overlapped { FILE_FLAG_OVERLAPPED } else { 0 };
    // SAFETY: `wide` is NUL-terminated and outlives the call.
    let handle = unsafe {
        CreateFileW(
            wide.as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            FILE_SHARE_READ | FILE_SHARE_WRITE,
            std::ptr::null(),
            OPEN_EXISTING,
            flags,
            std::ptr::null_mut(),
        )
    };
    assert!(
        handle != INVALID_HANDLE_VALUE,
        "open {path}: {}",
        // SAFETY: no arguments.
        unsafe { GetLastError() }
    );
    handle
}

/// The IOCTL code and input bytes of `request`.
pub fn encoded(request: &Request<'_>) -> (u32, Vec<u8>) {
    let mut out = [0u8; MAX_REQUEST_LEN];
    let (code, len) = encode(request, &mut out).expect("encode the request");
    (code, out[..len].to_vec())
}

/// `DeviceIoControl` with `input` and `output` as its buffers; nonzero on success.
///
/// # Safety
/// The buffers (and `overlapped`, if not null) outlive the request.
unsafe fn ioctl(
    handle: HANDLE,
    code: u32,
    input: &[u8],
    output: &mut [u8],
    got: *mut u32,
    overlapped: *mut windows_sys::Win32::System::IO::OVERLAPPED,
) -> i32 {
    // SAFETY: the caller's contract.
    unsafe {
        DeviceIoControl(
            handle,
            code,
            input.as_ptr().cast::<c_void>(),
            input.len() as u32,
            output.as_mut_ptr().cast::<c_void>(),
            output.len() as u32,
            got,
            overlapped,
        )
    }
}

/// A synchronous request on a non-overlapped `handle`: `Ok(bytes written)` or the Win32 error.
/// The handle may be closed by another thread at any moment; that is an error, not UB (the
/// value is just a number to the kernel).
pub fn call(handle: HANDLE, request: &Request<'_>, output: &mut [u8]) -> Result<u32, u32> {
    let (code, input) = encoded(request);
    call_code(handle, code, &input, output)
}

/// A synchronous `DeviceIoControl` of `code` (any code: another host's IOCTL space, or one of
/// its own) on a non-overlapped `handle`: `Ok(bytes written)` or the Win32 error.
pub fn call_code(handle: HANDLE, code: u32, input: &[u8], output: &mut [u8]) -> Result<u32, u32> {
    let mut got = 0u32;
    // SAFETY: the buffers outlive the synchronous call; a stale handle value only makes the
    // kernel fail the call.
    let ok = unsafe { ioctl(handle, code, input, output, &mut got, std::ptr::null_mut()) };
    if ok != 0 {
        Ok(got)
    } else {
        // SAFETY: no arguments.
        Err(unsafe { GetLastError() })
    }
}

/// `REGISTER_RING` for the section `name` and its events `name-data` and `name-space`,
/// declaring `capacity` records, on demand, raw: the registration id or the driver's status.
/// For rings the library would never make (hand-made headers, odd sections).
pub fn register_ring(driver: &evshare::Driver, name: &str, capacity: u32) -> Result<u64, u32> {
    use evshare_protocol::mode::SignalMode;
    use evshare_protocol::request::{name_to_wire, MAX_NAME_BYTES};
    use evshare_protocol::RingReply;
    let mut names = [[0u8; MAX_NAME_BYTES]; 3];
    let mut lens = [0usize; 3];
    let texts = [
        name.to_owned(),
        format!("{name}-data"),
        format!("{name}-space"),
    ];
    for ((text, wire), len) in texts.iter().zip(&mut names).zip(&mut lens) {
        *len = name_to_wire(text, wire).expect("a valid name");
    }
    let (code, input) = encoded(&Request::RegisterRing {
        capacity,
        mode: SignalMode::OnDemand,
        watermark: 1,
        section: &names[0][..lens[0]],
        data_ready: &names[1][..lens[1]],
        space_free: &names[2][..lens[2]],
    });
    let mut output = [0u8; RingReply::LEN];
    driver
        .raw_ioctl(code, &input, &mut output)
        .map(|written| {
            RingReply::parse(&output[..written])
                .expect("a ring reply")
                .id
        })
        .map_err(|status| status.as_u32())
}

/// A pagefile-backed section named `name` (this session's namespace) of `len` bytes, with page
/// protection and section flags `protect` (`PAGE_READWRITE`, maybe `| SEC_RESERVE`).
pub fn create_section(name: &str, len: usize, protect: u32) -> std::os::windows::io::OwnedHandle {
    use std::os::windows::io::FromRawHandle;
    use windows_sys::Win32::System::Memory::CreateFileMappingW;
    let wide: Vec<u16> = name.encode_utf16().chain([0]).collect();
    let len = u32::try_from(len).expect("a section under 4 GiB");
    // SAFETY: a pagefile-backed section (no file handle) of `len` bytes; `wide` is
    // NUL-terminated and outlives the call.
    let raw = unsafe {
        CreateFileMappingW(
            INVALID_HANDLE_VALUE,
            std::ptr::null(),
            protect,
            0,
            len,
            wide.as_ptr(),
        )
    };
    assert!(
        !raw.is_null(),
        "create the section {name}: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: a handle CreateFileMappingW just returned to us; nothing else owns it.
    unsafe { std::os::windows::io::OwnedHandle::from_raw_handle(raw) }
}

/// Starts `request` on the overlapped `handle` and leaves it in flight: `Ok(())` if it is
/// pending, else `Err` with the Win32 error (0 if it completed at once). Its OVERLAPPED and
/// buffers are leaked on purpose: a request that never completes must not find them freed.
pub fn start_overlapped(handle: HANDLE, request: &Request<'_>) -> Result<(), u32> {
    use windows_sys::Win32::Foundation::ERROR_IO_PENDING;
    use windows_sys::Win32::System::IO::OVERLAPPED;
    let (code, input) = encoded(request);
    let input: &'static [u8] = Vec::leak(input);
    let output: &'static mut [u8] = Vec::leak(vec![0u8; 256]);
    // SAFETY: OVERLAPPED is plain data; all zeroes is its initial state.
    let overlapped: &'static mut OVERLAPPED = Box::leak(Box::new(unsafe { std::mem::zeroed() }));
    // SAFETY: the buffers and the OVERLAPPED are leaked, so they outlive the request whatever
    // happens to it.
    let ok = unsafe {
        ioctl(
            handle,
            code,
            input,
            output,
            std::ptr::null_mut(),
            overlapped,
        )
    };
    if ok != 0 {
        return Err(0);
    }
    // SAFETY: no arguments.
    match unsafe { GetLastError() } {
        ERROR_IO_PENDING => Ok(()),
        error => Err(error),
    }
}

/// Closes a handle from [`open_device`].
pub fn close(handle: HANDLE) {
    // SAFETY: the caller owns `handle` and never uses it again.
    unsafe { windows_sys::Win32::Foundation::CloseHandle(handle) };
}

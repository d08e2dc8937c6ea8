//! The service control manager (advapi32): the calls `service.rs` builds on.
//! <https://learn.microsoft.com/windows/win32/services/service-control-manager>

use std::ffi::OsString;
use std::io;

use windows_sys::Win32::Foundation::{GetLastError, ERROR_INSUFFICIENT_BUFFER};
use windows_sys::Win32::System::Services::{
    ChangeServiceConfigW, CloseServiceHandle, ControlService, CreateServiceW, DeleteService,
    OpenSCManagerW, OpenServiceW, QueryServiceConfigW, QueryServiceStatus, StartServiceW,
    QUERY_SERVICE_CONFIGW, SC_HANDLE, SERVICE_CONTROL_STOP, SERVICE_DEMAND_START,
    SERVICE_ERROR_NORMAL, SERVICE_KERNEL_DRIVER, SERVICE_NO_CHANGE, SERVICE_STATUS,
};

use super::wide::{from_wide_until_nul, WideCString};

/// An open service-manager or service handle, closed on drop.
#[derive(Debug)]
pub(crate) struct ScHandle(SC_HANDLE);

impl Drop for ScHandle {
    fn drop(&mut self) {
        // SAFETY: `self.0` is a non-NULL handle that OpenSCManagerW/OpenServiceW/CreateServiceW
        // returned and only this value owns; it is closed exactly once, here.
        unsafe { CloseServiceHandle(self.0) };
    }
}

fn adopt(raw: SC_HANDLE) -> io::Result<ScHandle> {
    if raw.is_null() {
        Err(io::Error::last_os_error())
    } else {
        Ok(ScHandle(raw))
    }
}

fn check(ok: windows_sys::core::BOOL) -> io::Result<()> {
    if ok == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `OpenSCManagerW` on the local machine's active database.
pub(crate) fn open_manager(access: u32) -> io::Result<ScHandle> {
    // SAFETY: NULL machine and database names mean the local active database.
    let raw = unsafe { OpenSCManagerW(std::ptr::null(), std::ptr::null(), access) };
    adopt(raw)
}

/// `OpenServiceW`.
pub(crate) fn open_service(
    manager: &ScHandle,
    name: &WideCString,
    access: u32,
) -> io::Result<ScHandle> {
    // SAFETY: `manager` is open; `name` is NUL-terminated and outlives the call.
    let raw = unsafe { OpenServiceW(manager.0, name.as_ptr(), access) };
    adopt(raw)
}

/// `CreateServiceW` for a demand-start kernel driver.
pub(crate) fn create_kernel_driver(
    manager: &ScHandle,
    name: &WideCString,
    display_name: &WideCString,
    binary_path: &WideCString,
    access: u32,
) -> io::Result<ScHandle> {
    // SAFETY: `manager` is open; the strings are NUL-terminated and outlive the call; the
    // optional arguments (load-order group, tag, dependencies, account, password) are NULL,
    // which CreateServiceW documents as "none".
    let raw = unsafe {
        CreateServiceW(
            manager.0,
            name.as_ptr(),
            display_name.as_ptr(),
            access,
            SERVICE_KERNEL_DRIVER,
            SERVICE_DEMAND_START,
            SERVICE_ERROR_NORMAL,
            binary_path.as_ptr(),
            std::ptr::null(),
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    adopt(raw)
}

/// `ChangeServiceConfigW`: make an existing service a demand-start kernel driver with this
/// binary, leaving everything else as it is.
pub(crate) fn reconfigure_kernel_driver(
    service: &ScHandle,
    binary_path: &WideCString,
) -> io::Result<()> {
    // SAFETY: `service` is open with SERVICE_CHANGE_CONFIG; `binary_path` is NUL-terminated;
    // every NULL pointer and SERVICE_NO_CHANGE means "leave this setting unchanged".
    let ok = unsafe {
        ChangeServiceConfigW(
            service.0,
            SERVICE_KERNEL_DRIVER,
            SERVICE_DEMAND_START,
            SERVICE_NO_CHANGE,
            binary_path.as_ptr(),
            std::ptr::null(),
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    check(ok)
}

/// `StartServiceW` without arguments.
pub(crate) fn start(service: &ScHandle) -> io::Result<()> {
    // SAFETY: `service` is open with SERVICE_START; no argument vector.
    let ok = unsafe { StartServiceW(service.0, 0, std::ptr::null()) };
    check(ok)
}

/// `ControlService(SERVICE_CONTROL_STOP)`; returns the state the service reported.
pub(crate) fn stop(service: &ScHandle) -> io::Result<u32> {
    let mut status = SERVICE_STATUS::default();
    // SAFETY: `service` is open with SERVICE_STOP; `status` is a valid out-pointer.
    let ok = unsafe { ControlService(service.0, SERVICE_CONTROL_STOP, &mut status) };
    check(ok).map(|()| status.dwCurrentState)
}

/// `QueryServiceStatus`: `(current state, win32 exit code)`.
pub(crate) fn query_status(service: &ScHandle) -> io::Result<(u32, u32)> {
    let mut status = SERVICE_STATUS::default();
    // SAFETY: `service` is open with SERVICE_QUERY_STATUS; `status` is a valid out-pointer.
    let ok = unsafe { QueryServiceStatus(service.0, &mut status) };
    check(ok).map(|()| (status.dwCurrentState, status.dwWin32ExitCode))
}

/// `QueryServiceConfigW`: the service's binary path.
pub(crate) fn query_binary_path(service: &ScHandle) -> io::Result<OsString> {
    let mut needed = 0u32;
    // SAFETY: asking for the size only: NULL buffer of length 0, valid `needed` out-pointer.
    let ok = unsafe { QueryServiceConfigW(service.0, std::ptr::null_mut(), 0, &mut needed) };
    if ok == 0 {
        // SAFETY: reads this thread's last error, set by the call above.
        let error = unsafe { GetLastError() };
        if error != ERROR_INSUFFICIENT_BUFFER {
            return Err(io::Error::from_raw_os_error(error as i32));
        }
    }
    let header = std::mem::size_of::<QUERY_SERVICE_CONFIGW>();
    let bytes = (needed as usize).max(header);
    // u64 storage: QUERY_SERVICE_CONFIGW holds pointers and needs 8-byte alignment.
    let mut storage = vec![0u64; bytes.div_ceil(8)];
    let capacity = u32::try_from(storage.len() * 8).unwrap_or(u32::MAX);
    let base = storage.as_mut_ptr().cast::<QUERY_SERVICE_CONFIGW>();
    // SAFETY: `storage` is writable for `capacity` bytes and suitably aligned for the struct.
    let ok = unsafe { QueryServiceConfigW(service.0, base, capacity, &mut needed) };
    check(ok)?;
    // SAFETY: on success the buffer starts with an initialised QUERY_SERVICE_CONFIGW.
    let config = unsafe { std::ptr::read(base) };
    let path = config.lpBinaryPathName;
    if path.is_null() {
        return Ok(OsString::new());
    }
    // The strings live in the same buffer, after the struct. Find the path's offset and read
    // it from the buffer as a u16 slice bounded by the buffer's end, never past it.
    let start = (path as usize).wrapping_sub(storage.as_ptr() as usize);
    let total = storage.len() * 8;
    if start >= total || !start.is_multiple_of(2) {
        return Err(io::Error::other(
            "QueryServiceConfigW returned a binary path outside its buffer",
        ));
    }
    // SAFETY: `storage` is `total` bytes of initialised u64s; viewing them as `total / 2` u16s
    // is in bounds and aligned (u16 alignment divides u64 alignment); the slice borrows
    // `storage`, which is not written while it lives.
    let units: &[u16] =
        unsafe { std::slice::from_raw_parts(storage.as_ptr().cast::<u16>(), total / 2) };
    Ok(from_wide_until_nul(&units[start / 2..]))
}

/// `DeleteService`: marks the service for deletion (done when the last handle closes).
pub(crate) fn delete(service: &ScHandle) -> io::Result<()> {
    // SAFETY: `service` is open with DELETE access.
    let ok = unsafe { DeleteService(service.0) };
    check(ok)
}

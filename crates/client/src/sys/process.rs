//! Other processes, by id: their image path, for naming who holds registrations.
//! <https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-queryfullprocessimagenamew>

use std::io;
use std::os::windows::io::AsRawHandle;

use windows_sys::Win32::System::Threading::{
    OpenProcess, QueryFullProcessImageNameW, PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION,
};

use super::wide::from_wide_until_nul;

/// The full path of the executable of process `pid`.
pub(crate) fn image_path(pid: u32) -> io::Result<String> {
    // SAFETY: OpenProcess takes plain values; the result is adopted (or the error read) at once.
    let raw = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    let process = super::adopt_handle(raw)?;
    let mut buffer = [0u16; 1024];
    let mut len = buffer.len() as u32;
    // SAFETY: `process` is open with PROCESS_QUERY_LIMITED_INFORMATION; `buffer` is writable
    // for `len` units; `len` is a valid in/out pointer.
    let ok = unsafe {
        QueryFullProcessImageNameW(
            process.as_raw_handle(),
            PROCESS_NAME_WIN32,
            buffer.as_mut_ptr(),
            &mut len,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    let len = (len as usize).min(buffer.len());
    Ok(from_wide_until_nul(&buffer[..len])
        .to_string_lossy()
        .into_owned())
}

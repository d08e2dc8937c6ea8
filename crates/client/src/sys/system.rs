//! Where Windows keeps things: the system directory.

use std::io;
use std::path::PathBuf;

use windows_sys::Win32::System::SystemInformation::GetSystemDirectoryW;

use super::wide::from_wide_until_nul;

/// `GetSystemDirectoryW`: `C:\Windows\System32` (or wherever `%SystemRoot%` is).
pub(crate) fn system_directory() -> io::Result<PathBuf> {
    let mut buffer = vec![0u16; 260];
    loop {
        let capacity = u32::try_from(buffer.len()).unwrap_or(u32::MAX);
        // SAFETY: `buffer` is writable for `capacity` units.
        let len = unsafe { GetSystemDirectoryW(buffer.as_mut_ptr(), capacity) } as usize;
        if len == 0 {
            return Err(io::Error::last_os_error());
        }
        if len < buffer.len() {
            return Ok(PathBuf::from(from_wide_until_nul(&buffer[..len])));
        }
        // Too small: `len` is the size needed, terminator included.
        buffer.resize(len + 1, 0);
    }
}

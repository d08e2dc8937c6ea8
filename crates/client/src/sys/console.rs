//! Console control events (Ctrl-C, Ctrl-Break, closing the console window).
//! <https://learn.microsoft.com/windows/console/setconsolectrlhandler>

use std::io;

use windows_sys::core::BOOL;

/// A console control handler: gets the `CTRL_*_EVENT` code, returns nonzero if it handled it.
pub(crate) type CtrlHandler = unsafe extern "system" fn(u32) -> BOOL;

/// `SetConsoleCtrlHandler(handler, TRUE)`: `handler` runs (on a thread of its own) for every
/// console control event, before the default handler that ends the process.
pub(crate) fn add_ctrl_handler(handler: CtrlHandler) -> io::Result<()> {
    // SAFETY: `handler` is a function with the signature the console expects, valid for the
    // life of the process (a function item, never unloaded).
    let ok =
        unsafe { windows_sys::Win32::System::Console::SetConsoleCtrlHandler(Some(handler), 1) };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

//! Kernel handles (`OBJ_KERNEL_HANDLE`) that close themselves (`ZwClose`).
//!
//! `ObCloseHandle` would also do, but it is a crashing stub under Wine 8.0.

use crate::sys::imports::ZwClose;
use crate::sys::HANDLE;

/// A handle in the kernel handle table, closed on drop.
///
/// IRQL: `PASSIVE_LEVEL` (`ZwClose`).
pub struct KernelHandle(HANDLE);

impl KernelHandle {
    /// Adopts a handle the kernel just returned.
    ///
    /// # Safety
    /// `raw` is a valid kernel handle that nobody else will close.
    pub unsafe fn from_raw(raw: HANDLE) -> Self {
        KernelHandle(raw)
    }

    /// The raw value, for passing to kernel routines.
    pub fn as_raw(&self) -> HANDLE {
        self.0
    }
}

impl Drop for KernelHandle {
    fn drop(&mut self) {
        // SAFETY: INVARIANT: we own a valid kernel handle and close it exactly once. A failure
        // here would mean the handle was already closed, which ownership rules out.
        let _ = unsafe { ZwClose(self.0) };
    }
}

//! Kernel handles (`OBJ_KERNEL_HANDLE`) that close themselves (`ZwClose`).
//!
//! `ObCloseHandle` would also do, but it is a crashing stub under Wine 8.0.

use crate::sys::imports::ZwClose;
use crate::sys::HANDLE;

/// A handle in the kernel handle table (`OBJ_KERNEL_HANDLE`), closed on drop.
///
/// IRQL: `PASSIVE_LEVEL` (`ZwClose`), for the drop too: [`KernelHandle::close`] says so in the
/// types, and the verifier build checks every drop against the thread's shadow IRQL.
pub struct KernelHandle(HANDLE);

// SAFETY: an OBJ_KERNEL_HANDLE is valid in every process context and on every thread.
unsafe impl Send for KernelHandle {}
// SAFETY: the only shared operations (querying access, passing the value) are thread-safe.
unsafe impl Sync for KernelHandle {}

impl KernelHandle {
    /// Adopts a handle the kernel just returned.
    ///
    /// # Safety
    /// `raw` is a valid kernel handle that nobody else will close.
    pub unsafe fn from_raw(raw: HANDLE) -> Self {
        crate::verifier::reference_taken();
        KernelHandle(raw)
    }

    /// Closes the handle now: the explicit form of the drop, with its `PASSIVE_LEVEL` proven.
    ///
    /// IRQL: `PASSIVE_LEVEL` (the token proves it).
    pub fn close(self, _at: &crate::irql::Passive) {
        drop(self);
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
        crate::verifier::reference_given();
    }
}

impl KernelHandle {
    /// The access this handle was granted (`ZwQueryObject(ObjectBasicInformation)`). A
    /// duplicate made with `DUPLICATE_SAME_ACCESS` reports what the original handle had, which
    /// is how the driver checks an app's handle: Wine's `ObReferenceObjectByHandle` never checks
    /// `DesiredAccess`.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn granted_access(&self, _at: &crate::irql::Passive) -> Result<u32, crate::NtStatus> {
        use crate::sys::imports::ZwQueryObject;
        use crate::sys::{OBJECT_BASIC_INFORMATION, OBJECT_BASIC_INFORMATION_CLASS};
        let mut info = OBJECT_BASIC_INFORMATION::default();
        let mut returned = 0u32;
        // SAFETY: `info` is a writable buffer of the size we pass.
        let status = unsafe {
            ZwQueryObject(
                self.0,
                OBJECT_BASIC_INFORMATION_CLASS,
                (&mut info as *mut OBJECT_BASIC_INFORMATION).cast(),
                core::mem::size_of::<OBJECT_BASIC_INFORMATION>() as u32,
                &mut returned,
            )
        };
        crate::NtStatus::from_raw(status).ok()?;
        Ok(info.GrantedAccess)
    }
}

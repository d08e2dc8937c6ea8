//! The process behind a request: its id and its session.
//!
//! Under Wine the driver runs inside `winedevice.exe`, not in the caller's process, so nothing
//! here assumes the caller's context: the process is opened by id with `ZwOpenProcess` and
//! queried with `ZwQueryInformationProcess` (`PsGetProcessSessionId` and
//! `IoGetRequestorSessionId` are crashing stubs under Wine).

use crate::handle::KernelHandle;
use crate::irql::Passive;
use crate::status::NtStatus;
use crate::sys::imports::{ZwOpenProcess, ZwQueryInformationProcess};
use crate::sys::{
    CLIENT_ID, HANDLE, OBJECT_ATTRIBUTES, OBJ_KERNEL_HANDLE, PROCESS_QUERY_LIMITED_INFORMATION,
    PROCESS_SESSION_INFORMATION,
};

/// A process id as the kernel gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProcessId(pub u32);

impl ProcessId {
    /// The session the process belongs to.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn session_id(self, at: &Passive) -> Result<u32, NtStatus> {
        let process = self.open(at, PROCESS_QUERY_LIMITED_INFORMATION)?;
        let mut session: u32 = 0;
        let mut returned: u32 = 0;
        // SAFETY: `process` is a valid handle; the buffer is a u32 of the size we pass.
        let status = unsafe {
            ZwQueryInformationProcess(
                process.as_raw(),
                PROCESS_SESSION_INFORMATION,
                (&mut session as *mut u32).cast(),
                4,
                &mut returned,
            )
        };
        NtStatus::from_raw(status).ok()?;
        Ok(session)
    }

    /// Opens the process with `access`, as a kernel handle.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn open(self, _at: &Passive, access: u32) -> Result<KernelHandle, NtStatus> {
        let oa = OBJECT_ATTRIBUTES {
            Length: core::mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
            RootDirectory: core::ptr::null_mut(),
            ObjectName: core::ptr::null(),
            Attributes: OBJ_KERNEL_HANDLE,
            SecurityDescriptor: core::ptr::null_mut(),
            SecurityQualityOfService: core::ptr::null_mut(),
        };
        let cid = CLIENT_ID {
            UniqueProcess: self.0 as usize as HANDLE,
            UniqueThread: core::ptr::null_mut(),
        };
        let mut raw: HANDLE = core::ptr::null_mut();
        // SAFETY: all pointers are to live locals; `raw` is a valid out pointer.
        NtStatus::from_raw(unsafe { ZwOpenProcess(&mut raw, access, &oa, &cid) }).ok()?;
        // SAFETY: ZwOpenProcess succeeded, so `raw` is a kernel handle we own.
        Ok(unsafe { KernelHandle::from_raw(raw) })
    }
}

/// A handle value that belongs to another process's handle table: meaningless in ours, only
/// usable through [`duplicate_from`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForeignHandle(pub u64);

/// Copies `handle` out of `process` (opened with `PROCESS_DUP_HANDLE`) into a kernel handle with
/// the same access. This is what makes "register by handle" right in any process context: the
/// driver never interprets the app's handle value in whatever process it happens to run in.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn duplicate_from(
    _at: &Passive,
    process: &KernelHandle,
    handle: ForeignHandle,
) -> Result<KernelHandle, NtStatus> {
    use crate::sys::imports::ZwDuplicateObject;
    use crate::sys::{DUPLICATE_SAME_ACCESS, NT_CURRENT_PROCESS};
    let source = usize::try_from(handle.0).map_err(|_| NtStatus::INVALID_HANDLE)? as HANDLE;
    let mut local: HANDLE = core::ptr::null_mut();
    // SAFETY: `process` is a valid process handle; `local` is a valid out pointer. The source
    // value is only interpreted by the kernel, in `process`'s table.
    let status = unsafe {
        ZwDuplicateObject(
            process.as_raw(),
            source,
            NT_CURRENT_PROCESS,
            &mut local,
            0,
            OBJ_KERNEL_HANDLE,
            DUPLICATE_SAME_ACCESS,
        )
    };
    NtStatus::from_raw(status).ok()?;
    // SAFETY: the duplicate is a new kernel handle that we own.
    Ok(unsafe { KernelHandle::from_raw(local) })
}

/// Puts a new handle to `object` into `process`'s handle table with exactly `access`, and
/// returns its value there.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn duplicate_into(
    _at: &Passive,
    process: &KernelHandle,
    object: &KernelHandle,
    access: u32,
) -> Result<ForeignHandle, NtStatus> {
    use crate::sys::imports::ZwDuplicateObject;
    use crate::sys::NT_CURRENT_PROCESS;
    let mut target: HANDLE = core::ptr::null_mut();
    // SAFETY: both handles are valid; `target` is a valid out pointer.
    let status = unsafe {
        ZwDuplicateObject(
            NT_CURRENT_PROCESS,
            object.as_raw(),
            process.as_raw(),
            &mut target,
            access,
            0,
            0,
        )
    };
    NtStatus::from_raw(status).ok()?;
    Ok(ForeignHandle(target as usize as u64))
}

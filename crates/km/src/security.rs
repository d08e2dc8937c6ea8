//! Who a process runs as, and security descriptors that let exactly that user in.
//!
//! `SeQueryInformationToken`, `SeCaptureSubjectContext` and `SeAccessCheck` are crashing stubs
//! under Wine, so the user's SID is read with `ZwOpenProcessTokenEx` +
//! `ZwQueryInformationToken(TokenUser)`, which both kernels implement.

use crate::handle::KernelHandle;
use crate::irql::Passive;
use crate::status::NtStatus;
use crate::sys::imports::{
    RtlAddAccessAllowedAce, RtlCreateAcl, RtlCreateSecurityDescriptor, RtlLengthSid,
    RtlSetDaclSecurityDescriptor, RtlSetOwnerSecurityDescriptor, RtlValidSid, ZwOpenProcessTokenEx,
    ZwQueryInformationToken,
};
use crate::sys::{
    ACL, ACL_REVISION, HANDLE, OBJ_KERNEL_HANDLE, SECURITY_DESCRIPTOR,
    SECURITY_DESCRIPTOR_REVISION, SECURITY_MAX_SID_SIZE, SID_AND_ATTRIBUTES, TOKEN_QUERY,
    TOKEN_USER_CLASS,
};
use core::ffi::c_void;

/// A security identifier, copied out of a token.
#[derive(Clone, Copy)]
pub struct Sid {
    bytes: [u8; SECURITY_MAX_SID_SIZE],
    len: usize,
}

impl Sid {
    /// The user a process runs as (`TokenUser` of its primary token). `process` needs
    /// `PROCESS_QUERY_LIMITED_INFORMATION`.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn of_process(_at: &Passive, process: &KernelHandle) -> Result<Sid, NtStatus> {
        let mut raw: HANDLE = core::ptr::null_mut();
        // SAFETY: `process` is valid; `raw` is a valid out pointer.
        let status = unsafe {
            ZwOpenProcessTokenEx(process.as_raw(), TOKEN_QUERY, OBJ_KERNEL_HANDLE, &mut raw)
        };
        NtStatus::from_raw(status).ok()?;
        // SAFETY: the call succeeded, so `raw` is a kernel handle we own.
        let token = unsafe { KernelHandle::from_raw(raw) };
        // TOKEN_USER is a SID_AND_ATTRIBUTES followed by the SID it points at.
        let mut buffer =
            [0u64; (core::mem::size_of::<SID_AND_ATTRIBUTES>() + SECURITY_MAX_SID_SIZE) / 8 + 1];
        let mut returned = 0u32;
        // SAFETY: `buffer` is writable and 8-byte aligned, of the size we pass.
        let status = unsafe {
            ZwQueryInformationToken(
                token.as_raw(),
                TOKEN_USER_CLASS,
                buffer.as_mut_ptr().cast(),
                core::mem::size_of_val(&buffer) as u32,
                &mut returned,
            )
        };
        NtStatus::from_raw(status).ok()?;
        // SAFETY: on success the buffer starts with a SID_AND_ATTRIBUTES.
        let sid = unsafe { (*buffer.as_ptr().cast::<SID_AND_ATTRIBUTES>()).Sid };
        Self::copy_from(sid)
    }

    fn copy_from(sid: *const c_void) -> Result<Sid, NtStatus> {
        // SAFETY: the token query returned a pointer to a SID inside our buffer.
        if sid.is_null() || unsafe { RtlValidSid(sid) } == 0 {
            return Err(NtStatus::UNSUCCESSFUL);
        }
        // SAFETY: the SID is valid.
        let len = unsafe { RtlLengthSid(sid) } as usize;
        if len > SECURITY_MAX_SID_SIZE {
            return Err(NtStatus::UNSUCCESSFUL);
        }
        let mut bytes = [0u8; SECURITY_MAX_SID_SIZE];
        // SAFETY: the SID is `len` readable bytes, and `bytes` has room for them.
        unsafe { core::ptr::copy_nonoverlapping(sid.cast::<u8>(), bytes.as_mut_ptr(), len) };
        Ok(Sid { bytes, len })
    }

    /// `S-1-5-18`, LocalSystem.
    pub const fn local_system() -> Sid {
        let mut bytes = [0u8; SECURITY_MAX_SID_SIZE];
        // Revision 1, one sub-authority, NT authority (5), sub-authority 18.
        let head = [1u8, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0];
        let mut i = 0;
        while i < head.len() {
            bytes[i] = head[i];
            i += 1;
        }
        Sid { bytes, len: 12 }
    }

    /// The SID's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

/// Storage for an ACL with one access-allowed ACE: header, ACE header, mask, SID.
const ACL_BYTES: usize = core::mem::size_of::<ACL>() + 8 + SECURITY_MAX_SID_SIZE;

/// An absolute security descriptor whose DACL grants exactly one SID exactly one access mask,
/// and nobody anything else, owned by LocalSystem.
///
/// The explicit owner matters: an object's owner is implicitly granted `WRITE_DAC`, and the
/// default owner of an object a driver creates in a dispatch routine is the *caller*, who could
/// then rewrite the DACL to grant themselves `EVENT_MODIFY_STATE`. A kernel-mode caller may name
/// any owner.
pub struct UserOnlyDescriptor {
    descriptor: SECURITY_DESCRIPTOR,
    acl: [u64; ACL_BYTES.div_ceil(8)],
    sid: Sid,
    owner: Sid,
}

impl UserOnlyDescriptor {
    /// Builds the descriptor in place and runs `f` with it. (It points into itself, so it is
    /// never handed out by value.)
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn with<R>(
        _at: &Passive,
        sid: &Sid,
        access: u32,
        f: impl FnOnce(&UserOnlyDescriptor) -> R,
    ) -> Result<R, NtStatus> {
        let mut this = UserOnlyDescriptor {
            // SAFETY: an all-zero SECURITY_DESCRIPTOR is plain storage until initialised.
            descriptor: unsafe { core::mem::zeroed() },
            acl: [0; ACL_BYTES.div_ceil(8)],
            sid: *sid,
            owner: Sid::local_system(),
        };
        let descriptor = (&mut this.descriptor as *mut SECURITY_DESCRIPTOR).cast::<c_void>();
        let acl = this.acl.as_mut_ptr().cast::<c_void>();
        // SAFETY: `descriptor` is writable storage of SECURITY_DESCRIPTOR size.
        NtStatus::from_raw(unsafe {
            RtlCreateSecurityDescriptor(descriptor, SECURITY_DESCRIPTOR_REVISION)
        })
        .ok()?;
        // SAFETY: `acl` is writable, 8-byte aligned and ACL_BYTES long.
        NtStatus::from_raw(unsafe { RtlCreateAcl(acl, ACL_BYTES as u32, ACL_REVISION) }).ok()?;
        let sid_ptr = this.sid.bytes.as_ptr().cast::<c_void>();
        // SAFETY: the ACL was just initialised with room for one ACE holding this SID.
        NtStatus::from_raw(unsafe { RtlAddAccessAllowedAce(acl, ACL_REVISION, access, sid_ptr) })
            .ok()?;
        // SAFETY: the descriptor and the ACL are initialised; the ACL lives as long as `this`.
        NtStatus::from_raw(unsafe { RtlSetDaclSecurityDescriptor(descriptor, 1, acl, 0) }).ok()?;
        let owner = this.owner.bytes.as_ptr().cast::<c_void>();
        // SAFETY: the descriptor is initialised; the owner SID lives as long as `this`.
        NtStatus::from_raw(unsafe { RtlSetOwnerSecurityDescriptor(descriptor, owner, 0) }).ok()?;
        Ok(f(&this))
    }

    /// The descriptor, for `OBJECT_ATTRIBUTES::SecurityDescriptor`.
    pub fn as_raw(&self) -> *mut c_void {
        (&self.descriptor as *const SECURITY_DESCRIPTOR)
            .cast_mut()
            .cast()
    }
}

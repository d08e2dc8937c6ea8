//! Security descriptors of kernel objects: reading an object's owner and DACL back
//! (`GetSecurityInfo`), this process's user SID (`GetTokenInformation(TokenUser)`), and
//! creating an event with a descriptor written in SDDL.
//! <https://learn.microsoft.com/windows/win32/api/aclapi/nf-aclapi-getsecurityinfo>
//! <https://learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format>

use std::io;
use std::os::windows::io::{AsRawHandle, BorrowedHandle, OwnedHandle};

use windows_sys::Win32::Foundation::{LocalFree, ERROR_INSUFFICIENT_BUFFER, HLOCAL};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo,
    SE_KERNEL_OBJECT,
};
use windows_sys::Win32::Security::{
    GetAce, GetTokenInformation, TokenUser, ACE_HEADER, ACL, DACL_SECURITY_INFORMATION,
    OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES, TOKEN_QUERY,
    TOKEN_USER,
};
use windows_sys::Win32::System::Threading::{CreateEventW, GetCurrentProcess, OpenProcessToken};

use super::sync::Created;
use super::wide::{from_wide_until_nul, WideCString};
use crate::security::{Ace, AceKind, SecurityInfo};

/// `SDDL_REVISION_1`.
const SDDL_REVISION_1: u32 = 1;

/// Memory the system allocated with `LocalAlloc` for us, freed on drop.
struct LocalMemory(HLOCAL);

impl Drop for LocalMemory {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: `self.0` came from an API documented to return LocalAlloc memory that
            // the caller frees with LocalFree; only this value owns it; freed once, here.
            unsafe { LocalFree(self.0) };
        }
    }
}

/// The owner and DACL of the object behind `handle`, which needs `READ_CONTROL`.
pub(crate) fn security_of(handle: BorrowedHandle<'_>) -> io::Result<SecurityInfo> {
    let mut owner: PSID = std::ptr::null_mut();
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: `handle` is open for the call; every out-pointer is valid; group and SACL are
    // not asked for (NULL). On success `descriptor` is LocalAlloc memory that `owner` and
    // `dacl` point into.
    let error = unsafe {
        GetSecurityInfo(
            handle.as_raw_handle(),
            SE_KERNEL_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner,
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut descriptor,
        )
    };
    if error != 0 {
        return Err(io::Error::from_raw_os_error(error as i32));
    }
    // Keeps `owner` and `dacl` valid until the end of this function.
    let _descriptor = LocalMemory(descriptor);
    let owner = if owner.is_null() {
        None
    } else {
        Some(sid_string(owner)?)
    };
    let dacl = if dacl.is_null() {
        None
    } else {
        Some(aces(dacl)?)
    };
    Ok(SecurityInfo { owner, dacl })
}

/// The ACEs of `dacl`, which must stay valid for the call.
fn aces(dacl: *const ACL) -> io::Result<Vec<Ace>> {
    // SAFETY: `dacl` points at a valid ACL inside the descriptor our caller keeps alive.
    let count = unsafe { (*dacl).AceCount };
    let mut out = Vec::with_capacity(usize::from(count));
    for index in 0..u32::from(count) {
        let mut ace: *mut core::ffi::c_void = std::ptr::null_mut();
        // SAFETY: `dacl` is valid; `index` is below its ACE count; `ace` is a valid
        // out-pointer that receives a pointer into the ACL.
        let ok = unsafe { GetAce(dacl, index, &mut ace) };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: GetAce returned a pointer to an ACE, which starts with an ACE_HEADER.
        let header = unsafe { std::ptr::read_unaligned(ace.cast::<ACE_HEADER>()) };
        let kind = AceKind::from_raw(header.AceType);
        // ACCESS_ALLOWED_ACE and ACCESS_DENIED_ACE: header (4 bytes), Mask (4), SID (from 8).
        if !matches!(kind, AceKind::Allowed | AceKind::Denied) || header.AceSize < 16 {
            out.push(Ace {
                kind,
                flags: header.AceFlags,
                mask: 0,
                sid: String::new(),
            });
            continue;
        }
        let mask_at = ace.cast::<u8>().wrapping_add(4).cast::<u32>();
        // SAFETY: an allowed or denied ACE of at least 16 bytes has its mask at offset 4,
        // inside the ACL.
        let mask = unsafe { std::ptr::read_unaligned(mask_at) };
        // ... and its SID at offset 8.
        let sid = ace.cast::<u8>().wrapping_add(8);
        out.push(Ace {
            kind,
            flags: header.AceFlags,
            mask,
            sid: sid_string(sid.cast())?,
        });
    }
    Ok(out)
}

/// `ConvertSidToStringSidW`: `S-1-5-21-...`.
fn sid_string(sid: PSID) -> io::Result<String> {
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` points at a valid SID (our callers' invariant); `text` is a valid
    // out-pointer that receives LocalAlloc memory.
    let ok = unsafe { ConvertSidToStringSidW(sid, &mut text) };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    let memory = LocalMemory(text.cast());
    let mut len = 0usize;
    // SAFETY: `text` is a NUL-terminated UTF-16 string; we read up to and including the NUL,
    // never past it.
    while unsafe { *text.wrapping_add(len) } != 0 {
        len += 1;
    }
    // SAFETY: the `len` units before the terminator are initialised and live in `memory`,
    // which outlives this slice.
    let units = unsafe { std::slice::from_raw_parts(text, len) };
    let sid = from_wide_until_nul(units).to_string_lossy().into_owned();
    drop(memory);
    Ok(sid)
}

/// The SID of the user this process runs as (`S-1-5-21-...`).
pub(crate) fn current_user_sid() -> io::Result<String> {
    let mut raw = std::ptr::null_mut();
    // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no closing.
    let me = unsafe { GetCurrentProcess() };
    // SAFETY: `me` names this process; `raw` is a valid out-pointer.
    let ok = unsafe { OpenProcessToken(me, TOKEN_QUERY, &mut raw) };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    let token = super::adopt_handle(raw)?;
    // TOKEN_USER holds a pointer to the SID, which follows it in the same buffer. u64 storage
    // keeps it aligned.
    let mut storage = vec![0u64; 16];
    loop {
        let capacity = u32::try_from(storage.len() * 8).unwrap_or(u32::MAX);
        let mut needed = 0u32;
        // SAFETY: `token` is open with TOKEN_QUERY; `storage` is writable for `capacity`
        // bytes; `needed` is a valid out-pointer.
        let ok = unsafe {
            GetTokenInformation(
                token.as_raw_handle(),
                TokenUser,
                storage.as_mut_ptr().cast(),
                capacity,
                &mut needed,
            )
        };
        if ok != 0 {
            break;
        }
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(ERROR_INSUFFICIENT_BUFFER as i32) || needed <= capacity {
            return Err(error);
        }
        storage = vec![0u64; (needed as usize).div_ceil(8)];
    }
    // SAFETY: on success the buffer starts with an initialised, aligned TOKEN_USER whose SID
    // pointer points into `storage`, which is alive and unchanged until we return.
    let user = unsafe { std::ptr::read(storage.as_ptr().cast::<TOKEN_USER>()) };
    sid_string(user.User.Sid)
}

/// `CreateEventW` with the security descriptor `sddl` (SDDL, e.g. `D:(A;;0x100000;;;WD)`) and
/// an optional name.
pub(crate) fn create_event_with_sddl(
    name: Option<&WideCString>,
    manual_reset: bool,
    sddl: &WideCString,
) -> io::Result<(OwnedHandle, Created)> {
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: `sddl` is NUL-terminated and outlives the call; `descriptor` is a valid
    // out-pointer that receives LocalAlloc memory; the size out-pointer is optional (NULL).
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut descriptor,
            std::ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    let descriptor = LocalMemory(descriptor);
    let attributes = SECURITY_ATTRIBUTES {
        nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: descriptor.0,
        bInheritHandle: 0,
    };
    let name_ptr = name.map_or(std::ptr::null(), WideCString::as_ptr);
    // SAFETY: `attributes` and the descriptor it points to outlive the call; `name_ptr` is
    // NULL or a NUL-terminated string that outlives the call.
    let raw = unsafe { CreateEventW(&attributes, manual_reset.into(), 0, name_ptr) };
    // Reads the last error before the descriptor is freed.
    let created = super::sync::adopt_created(raw);
    drop(descriptor);
    created
}

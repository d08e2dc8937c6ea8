//! Shared memory: a named section the app created, mapped where the driver's DPC can write it.
//!
//! **Host switch** ([`Switch::MapSection`]: never forced, the Windows routines are stubs under
//! Wine):
//! - **Windows**: `ObReferenceObjectByHandle(MmSectionObjectType)` + `MmMapViewInSystemSpace`,
//!   a system-space view valid in every process context, DPCs included, locked resident with an
//!   MDL (`IoAllocateMdl` + `MmProbeAndLockPages`) because a view of a pagefile-backed section
//!   is pageable and a DPC must not fault. `MmProbeAndLockPages` raises when it cannot lock
//!   (uncommitted pages, low resources): it runs inside [`crate::seh::try_call`], so the raise
//!   becomes [`SECTION_NOT_COMMITTED`] instead of a bugcheck. (`ZwMapViewOfSection`
//!   with `NtCurrentProcess()` would map into the *caller's* user space, which a DPC running in
//!   an arbitrary context cannot use.) Both routines are resolved with
//!   `MmGetSystemRoutineAddress`, so the image never imports them: under Wine they are crashing
//!   stubs. **Untested here**: no Windows machine; covered by the image lint only.
//! - **Wine**: `ZwMapViewOfSection(NtCurrentProcess())` maps into `winedevice.exe`, which is
//!   where Wine runs the DPCs; verified to be truly shared with the app. Wine maps a
//!   `SEC_RESERVE` section's uncommitted pages too (and lets the DPC write them), and
//!   `MmProbeAndLockPages` is a no-op there, so the view is checked page by page
//!   (`ZwQueryVirtualMemory`, `MEM_COMMIT`) and refused with [`SECTION_NOT_COMMITTED`].
//!   Wine 8.0 keeps a `SEC_RESERVE` section's commit state per view (measured: pages an app
//!   committed with `VirtualAlloc` in its view are still reserved in a second view), so under
//!   Wine such a ring is refused even when the app committed every page; on Windows commit is
//!   the section's, and the lock accepts it.
//!
//! On both, [`MappedView::len`] is the section's own size (`ZwQuerySection`), so a ring's
//! "section too small" check is not fooled by the page rounding of the view.

use crate::driver::routine_exists;
use crate::handle::KernelHandle;
use crate::host_switch::{branch, Host, Switch};
use crate::irql::Passive;
use crate::seh::try_call;
use crate::status::NtStatus;
use crate::sys::imports::{
    IoAllocateMdl, IoFreeMdl, MmGetSystemRoutineAddress, MmProbeAndLockPages, MmUnlockPages,
    ObReferenceObjectByHandle, ObfDereferenceObject, ZwMapViewOfSection, ZwOpenSection,
    ZwUnmapViewOfSection,
};
use crate::sys::{
    HANDLE, IO_MODIFY_ACCESS, KERNEL_MODE, MEMORY_BASIC_INFORMATION,
    MEMORY_BASIC_INFORMATION_CLASS, MEM_COMMIT, MM_MAP_VIEW_IN_SYSTEM_SPACE,
    MM_UNMAP_VIEW_IN_SYSTEM_SPACE, NT_CURRENT_PROCESS, OBJECT_ATTRIBUTES, OBJ_CASE_INSENSITIVE,
    OBJ_FORCE_ACCESS_CHECK, OBJ_KERNEL_HANDLE, PAGE_READWRITE, POBJECT_TYPE,
    SECTION_BASIC_INFORMATION, SECTION_BASIC_INFORMATION_CLASS, SECTION_MAP_READ,
    SECTION_MAP_WRITE, SECTION_QUERY, VIEW_UNMAP, ZW_QUERY_SECTION, ZW_QUERY_VIRTUAL_MEMORY,
};
use crate::unicode::UnicodeStr;
use core::ffi::c_void;
use core::ptr::NonNull;

/// `STATUS_EVSHARE_SECTION_NOT_COMMITTED` (`evshare-protocol`'s status list): the section's
/// pages are not all committed memory the driver can lock.
pub const SECTION_NOT_COMMITTED: NtStatus = NtStatus::from_u32(0xE0E5_0006);

/// How a view was made, so it is unmapped the same way.
enum Mapping {
    /// In `winedevice.exe`'s address space (Wine).
    ProcessView,
    /// In system space (Windows), with the routine to unmap it and the section object, which
    /// stays referenced until the view is gone.
    SystemSpace {
        unmap: MM_UNMAP_VIEW_IN_SYSTEM_SPACE,
        section: NonNull<c_void>,
        mdl: NonNull<c_void>,
    },
}

/// A read-write view of a section, unmapped on drop.
pub struct MappedView {
    base: NonNull<u8>,
    /// The section's own size (`ZwQuerySection`), at most the view's length; the view's length
    /// where the size cannot be queried (see [`MappedView::len`]).
    len: usize,
    mapping: Mapping,
}

// SAFETY: the view is valid in every context the driver runs in (see the module docs); all
// access to its bytes goes through the caller's own synchronisation (atomics in the ring).
unsafe impl Send for MappedView {}
// SAFETY: as above.
unsafe impl Sync for MappedView {}

fn resolve(at: &Passive, name: &'static [u16]) -> Result<*mut c_void, NtStatus> {
    let name = UnicodeStr::new(name)?;
    if !routine_exists(at, &name) {
        return Err(NtStatus::NOT_IMPLEMENTED);
    }
    // SAFETY: `name` is a valid UNICODE_STRING for the duration of the call.
    Ok(unsafe { MmGetSystemRoutineAddress(name.as_raw()) })
}

impl MappedView {
    /// Opens the section at the NT path `name` with the caller's access checked, and maps all of
    /// it read-write.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn map_named(at: &Passive, name: &UnicodeStr<'_>) -> Result<MappedView, NtStatus> {
        let section = open_section(at, name)?;
        let mut view = match branch(Switch::MapSection) {
            Host::Wine => map_into_this_process(at, &section)?,
            Host::Windows => map_into_system_space(at, &section)?,
        };
        if let Some(size) = section_size(at, &section) {
            view.len = view.len.min(size);
        }
        Ok(view)
    }

    /// Unmaps the view now: the explicit form of the drop (`ZwUnmapViewOfSection` or
    /// `MmUnmapViewInSystemSpace`), with its `PASSIVE_LEVEL` proven.
    ///
    /// IRQL: `PASSIVE_LEVEL` (the token proves it).
    pub fn close(self, _at: &Passive) {
        drop(self);
    }

    /// The view's first byte.
    pub fn base(&self) -> NonNull<u8> {
        self.base
    }

    /// The section's size in bytes (`ZwQuerySection`'s `MaximumSize`), not the page-rounded
    /// view: on Windows a 1,279-byte section reports 1,279 though 4,096 bytes are mapped.
    /// Wine 8.0's server rounds an anonymous section's size up to pages when it creates it
    /// (`server/mapping.c` `create_mapping`; measured: `NtQuerySection` says 4,096 for 1,279),
    /// so there the size *is* the page-rounded one and the bytes up to it exist. Where the
    /// kernel does not export `ZwQuerySection` by name (some Windows versions), the view's
    /// length is all there is, with the same effect. Either way the extra bytes are mapped and
    /// the app's own, so the rounding costs the app, not the driver.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the view is empty (never, for a mapped section).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for MappedView {
    fn drop(&mut self) {
        let base = self.base.as_ptr().cast::<c_void>();
        match self.mapping {
            Mapping::ProcessView => {
                // SAFETY: we mapped this view into our own process and unmap it once.
                let _ = unsafe { ZwUnmapViewOfSection(NT_CURRENT_PROCESS, base) };
            }
            Mapping::SystemSpace {
                unmap,
                section,
                mdl,
            } => {
                // SAFETY: the MDL locked this view's pages; unlock before unmapping.
                unsafe { MmUnlockPages(mdl.as_ptr()) };
                // SAFETY: we allocated the MDL and free it once.
                unsafe { IoFreeMdl(mdl.as_ptr()) };
                crate::verifier::on_call(crate::irql::Rule::Passive, "MmUnmapViewInSystemSpace");
                // SAFETY: we mapped this view into system space and unmap it once.
                let _ = unsafe { unmap(base) };
                // SAFETY: we own the reference taken when mapping.
                unsafe { ObfDereferenceObject(section.as_ptr()) };
                crate::verifier::reference_given();
            }
        }
    }
}

fn open_section(_at: &Passive, name: &UnicodeStr<'_>) -> Result<KernelHandle, NtStatus> {
    let oa = OBJECT_ATTRIBUTES {
        Length: core::mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
        RootDirectory: core::ptr::null_mut(),
        ObjectName: name.as_raw(),
        Attributes: OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE | OBJ_FORCE_ACCESS_CHECK,
        SecurityDescriptor: core::ptr::null_mut(),
        SecurityQualityOfService: core::ptr::null_mut(),
    };
    let mut raw: HANDLE = core::ptr::null_mut();
    // SECTION_QUERY for `section_size`.
    let access = SECTION_MAP_READ | SECTION_MAP_WRITE | SECTION_QUERY;
    // SAFETY: `oa` and `name` outlive the call; `raw` is a valid out pointer.
    NtStatus::from_raw(unsafe { ZwOpenSection(&mut raw, access, &oa) }).ok()?;
    // SAFETY: ZwOpenSection succeeded, so `raw` is a kernel handle we own.
    Ok(unsafe { KernelHandle::from_raw(raw) })
}

fn map_into_this_process(at: &Passive, section: &KernelHandle) -> Result<MappedView, NtStatus> {
    let mut base: *mut c_void = core::ptr::null_mut();
    let mut size: usize = 0;
    // SAFETY: valid section handle; out pointers are live locals; size 0 maps the whole section.
    let status = unsafe {
        ZwMapViewOfSection(
            section.as_raw(),
            NT_CURRENT_PROCESS,
            &mut base,
            0,
            0,
            core::ptr::null_mut(),
            &mut size,
            VIEW_UNMAP,
            0,
            PAGE_READWRITE,
        )
    };
    NtStatus::from_raw(status).ok()?;
    let base = NonNull::new(base.cast::<u8>()).ok_or(NtStatus::UNSUCCESSFUL)?;
    // From here the view unmaps itself if we refuse it.
    let view = MappedView {
        base,
        len: size,
        mapping: Mapping::ProcessView,
    };
    require_committed(at, base, size)?;
    Ok(view)
}

/// Wine only: refuses a view any page of which is not committed (a `SEC_RESERVE` section whose
/// pages the app never committed). Wine maps such a view and lets the DPC write into it; on
/// Windows the MDL lock is what refuses it. `ZwQueryVirtualMemory` on our own process, over the
/// whole view: every region must be `MEM_COMMIT`. Fails closed (refuses) if the routine is
/// missing.
fn require_committed(at: &Passive, base: NonNull<u8>, len: usize) -> Result<(), NtStatus> {
    const QUERY: &[u16] = crate::utf16!("ZwQueryVirtualMemory");
    let query = resolve(at, QUERY).map_err(|_| SECTION_NOT_COMMITTED)?;
    // SAFETY: the export has exactly this signature on x64.
    let query: ZW_QUERY_VIRTUAL_MEMORY = unsafe { core::mem::transmute(query) };
    let start = base.as_ptr() as usize;
    let end = start.checked_add(len).ok_or(NtStatus::INVALID_PARAMETER)?;
    let mut at = start;
    while at < end {
        let mut info = MEMORY_BASIC_INFORMATION::default();
        let mut returned = 0usize;
        // SAFETY: a query about our own address space into a live local of the right size.
        let status = unsafe {
            query(
                NT_CURRENT_PROCESS,
                at as *mut c_void,
                MEMORY_BASIC_INFORMATION_CLASS,
                (&mut info as *mut MEMORY_BASIC_INFORMATION).cast(),
                core::mem::size_of::<MEMORY_BASIC_INFORMATION>(),
                &mut returned,
            )
        };
        NtStatus::from_raw(status)
            .ok()
            .map_err(|_| SECTION_NOT_COMMITTED)?;
        if info.State != MEM_COMMIT {
            return Err(SECTION_NOT_COMMITTED);
        }
        let next = info.BaseAddress.saturating_add(info.RegionSize);
        if next <= at {
            // A region that does not move us on: refuse rather than loop.
            return Err(SECTION_NOT_COMMITTED);
        }
        at = next;
    }
    Ok(())
}

/// The section's own size (`ZwQuerySection(SectionBasicInformation)`), or `None` where the
/// kernel does not export the routine (then [`MappedView::len`] is the view's length).
fn section_size(at: &Passive, section: &KernelHandle) -> Option<usize> {
    const QUERY: &[u16] = crate::utf16!("ZwQuerySection");
    let query = resolve(at, QUERY).ok()?;
    // SAFETY: the export has exactly this signature on x64.
    let query: ZW_QUERY_SECTION = unsafe { core::mem::transmute(query) };
    let mut info = SECTION_BASIC_INFORMATION::default();
    let mut returned = 0usize;
    // SAFETY: a valid section handle opened with SECTION_QUERY; the buffer is a live local of
    // the right size.
    let status = unsafe {
        query(
            section.as_raw(),
            SECTION_BASIC_INFORMATION_CLASS,
            (&mut info as *mut SECTION_BASIC_INFORMATION).cast(),
            core::mem::size_of::<SECTION_BASIC_INFORMATION>(),
            &mut returned,
        )
    };
    NtStatus::from_raw(status).ok().ok()?;
    usize::try_from(info.MaximumSize).ok()
}

fn map_into_system_space(at: &Passive, section: &KernelHandle) -> Result<MappedView, NtStatus> {
    const MAP: &[u16] = crate::utf16!("MmMapViewInSystemSpace");
    const UNMAP: &[u16] = crate::utf16!("MmUnmapViewInSystemSpace");
    const SECTION_TYPE: &[u16] = crate::utf16!("MmSectionObjectType");
    // SAFETY: these exports have exactly these signatures on Windows x64.
    let map: MM_MAP_VIEW_IN_SYSTEM_SPACE = unsafe { core::mem::transmute(resolve(at, MAP)?) };
    // SAFETY: as above.
    let unmap: MM_UNMAP_VIEW_IN_SYSTEM_SPACE = unsafe { core::mem::transmute(resolve(at, UNMAP)?) };
    let type_slot = resolve(at, SECTION_TYPE)?.cast::<POBJECT_TYPE>();
    // SAFETY: a data export's address is the address of the kernel variable `MmSectionObjectType`.
    let section_type = unsafe { *type_slot };
    let mut object: *mut c_void = core::ptr::null_mut();
    // SAFETY: valid kernel handle; `object` is a valid out pointer.
    let status = unsafe {
        ObReferenceObjectByHandle(
            section.as_raw(),
            SECTION_MAP_READ | SECTION_MAP_WRITE,
            section_type,
            KERNEL_MODE,
            &mut object,
            core::ptr::null_mut(),
        )
    };
    NtStatus::from_raw(status).ok()?;
    let section = NonNull::new(object).ok_or(NtStatus::UNSUCCESSFUL)?;
    crate::verifier::reference_taken();
    crate::verifier::on_call(crate::irql::Rule::Passive, "MmMapViewInSystemSpace");
    let mut base: *mut c_void = core::ptr::null_mut();
    let mut size: usize = 0;
    // SAFETY: `section` is a referenced section object; out pointers are live locals.
    let status = unsafe { map(section.as_ptr(), &mut base, &mut size) };
    let mapped = NtStatus::from_raw(status)
        .ok()
        .and_then(|()| NonNull::new(base.cast::<u8>()).ok_or(NtStatus::UNSUCCESSFUL));
    let locked = mapped.and_then(|base| lock_resident(base, size).map(|mdl| (base, mdl)));
    match locked {
        Ok((base, mdl)) => Ok(MappedView {
            base,
            len: size,
            mapping: Mapping::SystemSpace {
                unmap,
                section,
                mdl,
            },
        }),
        Err(status) => {
            if !base.is_null() {
                // SAFETY: the view was mapped above and nothing uses it.
                let _ = unsafe { unmap(base) };
            }
            // SAFETY: we own the reference taken above and nothing else uses it.
            unsafe { ObfDereferenceObject(section.as_ptr()) };
            crate::verifier::reference_given();
            Err(status)
        }
    }
}

/// Locks a system-space view resident so a DPC may touch it.
///
/// `MmProbeAndLockPages` raises when it cannot lock (pages that are not committed, a
/// `SEC_RESERVE` section's reserved pages, or no memory to make them resident): it runs inside
/// [`try_call`], and a raise becomes [`SECTION_NOT_COMMITTED`] with the MDL freed again.
fn lock_resident(base: NonNull<u8>, len: usize) -> Result<NonNull<c_void>, NtStatus> {
    let length = u32::try_from(len).map_err(|_| NtStatus::INVALID_PARAMETER)?;
    // SAFETY: `base..base+len` is a mapped view; no IRP is associated.
    let mdl = unsafe { IoAllocateMdl(base.as_ptr().cast(), length, 0, 0, core::ptr::null_mut()) };
    let mdl = NonNull::new(mdl).ok_or(NtStatus::INSUFFICIENT_RESOURCES)?;
    let raw = mdl.as_ptr();
    let locked = try_call(move || {
        // SAFETY: the MDL describes a mapped system-space view; a raise is caught by try_call.
        unsafe { MmProbeAndLockPages(raw, KERNEL_MODE, IO_MODIFY_ACCESS) };
    });
    match locked {
        Ok(()) => Ok(mdl),
        Err(_) => {
            // SAFETY: the pages were not locked (the routine raised), so the MDL only needs
            // freeing; we allocated it above and nothing else holds it.
            unsafe { IoFreeMdl(raw) };
            Err(SECTION_NOT_COMMITTED)
        }
    }
}

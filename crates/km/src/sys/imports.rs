//! The `ntoskrnl.exe` routines the driver imports, declared with `raw-dylib` so no WDK import
//! library is needed, each with its IRQL rule ([`Rule`]) and whether fault injection may fail
//! it (see `kernel_imports!`).
//!
//! Before adding a routine here, check it in `shared/WINE-NTOSKRNL.md`: Wine's `ntoskrnl.exe`
//! must export it as a real implementation (a missing name or a `@ stub` kills `winedevice.exe`
//! at the first call), and Windows must export it too (or the driver will not load there).
//! `cargo xtask lint` enforces both for the built image.
#![allow(
    non_snake_case,
    non_upper_case_globals,
    missing_docs,
    clippy::missing_safety_doc,
    clippy::too_many_arguments
)]

use super::types::*;
use crate::irql::Rule;
use core::ffi::c_void;

/// Declares each routine as an import of `ntoskrnl.exe` (`raw-dylib`, so no WDK import library
/// is needed) behind a wrapper of the same name and signature that first tells the verifier
/// build ([`crate::verifier`]) which routine is called under which IRQL [`Rule`]. An entry reads
/// `RULE fn Name(args) -> Ret;` with `RULE` one of `passive`, `apc`, `dispatch`, `any`
/// (Microsoft's documented IRQL of the routine); `, injectable` after the return type lets the
/// verifier build's fault injection fail the call (a status routine returns
/// `STATUS_INSUFFICIENT_RESOURCES`, an allocator null) without calling the kernel. In the
/// shipped build the wrapper is the bare call.
macro_rules! kernel_imports {
    () => {};
    (
        $(#[$attr:meta])*
        $rule:ident fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty, injectable;
        $($rest:tt)*
    ) => {
        $(#[$attr])*
        #[doc = concat!("IRQL: `", stringify!($rule), "` (see [`Rule`]); fault injection may fail it.")]
        #[inline(always)]
        pub unsafe fn $name($($arg: $ty),*) -> $ret {
            #[link(name = "ntoskrnl.exe", kind = "raw-dylib", modifiers = "+verbatim")]
            extern "system" {
                fn $name($($arg: $ty),*) -> $ret;
            }
            crate::verifier::on_call(kernel_imports!(@rule $rule), stringify!($name));
            if crate::verifier::inject(stringify!($name)) {
                return crate::verifier::Injected::injected();
            }
            // SAFETY: the caller's contract is the routine's own.
            unsafe { $name($($arg),*) }
        }
        kernel_imports!($($rest)*);
    };
    (
        $(#[$attr:meta])*
        $rule:ident fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?;
        $($rest:tt)*
    ) => {
        $(#[$attr])*
        #[doc = concat!("IRQL: `", stringify!($rule), "` (see [`Rule`]).")]
        #[inline(always)]
        pub unsafe fn $name($($arg: $ty),*) $(-> $ret)? {
            #[link(name = "ntoskrnl.exe", kind = "raw-dylib", modifiers = "+verbatim")]
            extern "system" {
                fn $name($($arg: $ty),*) $(-> $ret)?;
            }
            crate::verifier::on_call(kernel_imports!(@rule $rule), stringify!($name));
            // SAFETY: the caller's contract is the routine's own.
            unsafe { $name($($arg),*) }
        }
        kernel_imports!($($rest)*);
    };
    (@rule passive) => { Rule::Passive };
    (@rule apc) => { Rule::Apc };
    (@rule dispatch) => { Rule::Dispatch };
    (@rule any) => { Rule::Any };
}

kernel_imports! {
    // Driver and device objects.
    passive fn IoCreateDevice(
        DriverObject: *mut DRIVER_OBJECT,
        DeviceExtensionSize: u32,
        DeviceName: *const UNICODE_STRING,
        DeviceType: u32,
        DeviceCharacteristics: u32,
        Exclusive: u8,
        DeviceObject: *mut PDEVICE_OBJECT,
    ) -> NTSTATUS;
    passive fn IoDeleteDevice(DeviceObject: PDEVICE_OBJECT);
    passive fn IoCreateSymbolicLink(
        SymbolicLinkName: *const UNICODE_STRING,
        DeviceName: *const UNICODE_STRING,
    ) -> NTSTATUS;
    passive fn IoDeleteSymbolicLink(SymbolicLinkName: *const UNICODE_STRING) -> NTSTATUS;
    passive fn MmGetSystemRoutineAddress(SystemRoutineName: *const UNICODE_STRING) -> *mut c_void;

    // IRPs.
    dispatch fn IofCompleteRequest(Irp: *mut IRP, PriorityBoost: i8);
    dispatch fn IoGetRequestorProcess(Irp: *mut IRP) -> PEPROCESS;
    dispatch fn IoReleaseCancelSpinLock(Irql: KIRQL);

    // Remove locks (the unload rundown).
    passive fn IoInitializeRemoveLockEx(
        Lock: *mut IO_REMOVE_LOCK,
        AllocateTag: u32,
        MaxLockedMinutes: u32,
        HighWatermark: u32,
        RemlockSize: u32,
    );
    dispatch fn IoAcquireRemoveLockEx(
        RemoveLock: *mut IO_REMOVE_LOCK,
        Tag: *mut c_void,
        File: *const u8,
        Line: u32,
        RemlockSize: u32,
    ) -> NTSTATUS;
    dispatch fn IoReleaseRemoveLockEx(
        RemoveLock: *mut IO_REMOVE_LOCK,
        Tag: *mut c_void,
        RemlockSize: u32,
    );
    passive fn IoReleaseRemoveLockAndWaitEx(
        RemoveLock: *mut IO_REMOVE_LOCK,
        Tag: *mut c_void,
        RemlockSize: u32,
    );

    // Processes.
    any fn PsGetProcessId(Process: PEPROCESS) -> HANDLE;
    any fn PsGetCurrentProcessId() -> HANDLE;
    passive fn ZwOpenProcess(
        ProcessHandle: *mut HANDLE,
        DesiredAccess: ACCESS_MASK,
        ObjectAttributes: *const OBJECT_ATTRIBUTES,
        ClientId: *const CLIENT_ID,
    ) -> NTSTATUS, injectable;
    passive fn ZwQueryInformationProcess(
        ProcessHandle: HANDLE,
        ProcessInformationClass: u32,
        ProcessInformation: *mut c_void,
        ProcessInformationLength: u32,
        ReturnLength: *mut u32,
    ) -> NTSTATUS, injectable;

    // Handles and objects.
    passive fn ZwClose(Handle: HANDLE) -> NTSTATUS;
    /// Wine only, for its fence device (`crate::wine_fence`); Wine forwards it to NtCreateFile.
    passive fn ZwCreateFile(
        FileHandle: *mut HANDLE,
        DesiredAccess: ACCESS_MASK,
        ObjectAttributes: *const OBJECT_ATTRIBUTES,
        IoStatusBlock: *mut IO_STATUS_BLOCK,
        AllocationSize: *mut i64,
        FileAttributes: u32,
        ShareAccess: u32,
        CreateDisposition: u32,
        CreateOptions: u32,
        EaBuffer: *mut c_void,
        EaLength: u32,
    ) -> NTSTATUS, injectable;
    passive fn ObReferenceObjectByHandle(
        Handle: HANDLE,
        DesiredAccess: ACCESS_MASK,
        ObjectType: POBJECT_TYPE,
        AccessMode: KPROCESSOR_MODE,
        Object: *mut *mut c_void,
        HandleInformation: *mut c_void,
    ) -> NTSTATUS, injectable;
    dispatch fn ObfReferenceObject(Object: *mut c_void) -> isize;
    dispatch fn ObfDereferenceObject(Object: *mut c_void) -> isize;

    passive fn ZwDuplicateObject(
        SourceProcessHandle: HANDLE,
        SourceHandle: HANDLE,
        TargetProcessHandle: HANDLE,
        TargetHandle: *mut HANDLE,
        DesiredAccess: ACCESS_MASK,
        HandleAttributes: u32,
        Options: u32,
    ) -> NTSTATUS, injectable;
    passive fn ZwQueryObject(
        Handle: HANDLE,
        ObjectInformationClass: u32,
        ObjectInformation: *mut c_void,
        ObjectInformationLength: u32,
        ReturnLength: *mut u32,
    ) -> NTSTATUS, injectable;

    // Sections.
    passive fn ZwOpenSection(
        SectionHandle: *mut HANDLE,
        DesiredAccess: ACCESS_MASK,
        ObjectAttributes: *const OBJECT_ATTRIBUTES,
    ) -> NTSTATUS, injectable;
    passive fn ZwMapViewOfSection(
        SectionHandle: HANDLE,
        ProcessHandle: HANDLE,
        BaseAddress: *mut *mut c_void,
        ZeroBits: usize,
        CommitSize: usize,
        SectionOffset: *mut i64,
        ViewSize: *mut usize,
        InheritDisposition: u32,
        AllocationType: u32,
        Win32Protect: u32,
    ) -> NTSTATUS, injectable;
    passive fn ZwUnmapViewOfSection(ProcessHandle: HANDLE, BaseAddress: *mut c_void) -> NTSTATUS;
    dispatch fn IoAllocateMdl(
        VirtualAddress: *mut c_void,
        Length: u32,
        SecondaryBuffer: u8,
        ChargeQuota: u8,
        Irp: *mut IRP,
    ) -> *mut c_void, injectable;
    apc fn MmProbeAndLockPages(
        MemoryDescriptorList: *mut c_void,
        AccessMode: KPROCESSOR_MODE,
        Operation: u32,
    );
    dispatch fn MmUnlockPages(MemoryDescriptorList: *mut c_void);
    dispatch fn IoFreeMdl(Mdl: *mut c_void);

    // Tokens and security descriptors.
    passive fn ZwOpenProcessTokenEx(
        ProcessHandle: HANDLE,
        DesiredAccess: ACCESS_MASK,
        HandleAttributes: u32,
        TokenHandle: *mut HANDLE,
    ) -> NTSTATUS, injectable;
    passive fn ZwQueryInformationToken(
        TokenHandle: HANDLE,
        TokenInformationClass: u32,
        TokenInformation: *mut c_void,
        TokenInformationLength: u32,
        ReturnLength: *mut u32,
    ) -> NTSTATUS, injectable;
    passive fn RtlCreateSecurityDescriptor(SecurityDescriptor: *mut c_void, Revision: u32) -> NTSTATUS;
    passive fn RtlCreateAcl(Acl: *mut c_void, AclLength: u32, AclRevision: u32) -> NTSTATUS;
    passive fn RtlAddAccessAllowedAce(
        Acl: *mut c_void,
        AceRevision: u32,
        AccessMask: ACCESS_MASK,
        Sid: *const c_void,
    ) -> NTSTATUS;
    passive fn RtlSetDaclSecurityDescriptor(
        SecurityDescriptor: *mut c_void,
        DaclPresent: u8,
        Dacl: *mut c_void,
        DaclDefaulted: u8,
    ) -> NTSTATUS;
    passive fn RtlSetOwnerSecurityDescriptor(
        SecurityDescriptor: *mut c_void,
        Owner: *const c_void,
        OwnerDefaulted: u8,
    ) -> NTSTATUS;
    passive fn RtlLengthSid(Sid: *const c_void) -> u32;
    passive fn RtlValidSid(Sid: *const c_void) -> u8;

    // Events.
    passive fn ZwCreateEvent(
        EventHandle: *mut HANDLE,
        DesiredAccess: ACCESS_MASK,
        ObjectAttributes: *const OBJECT_ATTRIBUTES,
        EventType: u32,
        InitialState: u8,
    ) -> NTSTATUS, injectable;
    passive fn ZwOpenEvent(
        EventHandle: *mut HANDLE,
        DesiredAccess: ACCESS_MASK,
        ObjectAttributes: *const OBJECT_ATTRIBUTES,
    ) -> NTSTATUS, injectable;
    dispatch fn KeSetEvent(Event: *mut KEVENT, Increment: i32, Wait: u8) -> i32;
    passive fn ZwSetEvent(EventHandle: HANDLE, PreviousState: *mut i32) -> NTSTATUS;

    // Timers and DPCs.
    any fn KeInitializeTimerEx(Timer: *mut KTIMER, Type: u32);
    any fn KeInitializeDpc(
        Dpc: *mut KDPC,
        DeferredRoutine: KDEFERRED_ROUTINE,
        Context: *mut c_void,
    );
    dispatch fn KeSetTimerEx(Timer: *mut KTIMER, DueTime: i64, Period: i32, Dpc: *mut KDPC) -> u8;
    dispatch fn KeCancelTimer(Timer: *mut KTIMER) -> u8;
    passive fn KeFlushQueuedDpcs();

    // Spin locks.
    dispatch fn KeAcquireSpinLockRaiseToDpc(SpinLock: *mut KSPIN_LOCK) -> KIRQL;
    dispatch fn KeReleaseSpinLock(SpinLock: *mut KSPIN_LOCK, NewIrql: KIRQL);

    // Failure.
    any fn KeBugCheckEx(
        BugCheckCode: u32,
        Parameter1: usize,
        Parameter2: usize,
        Parameter3: usize,
        Parameter4: usize,
    ) -> !;

    // Pool.
    dispatch fn ExAllocatePoolWithTag(PoolType: u32, NumberOfBytes: usize, Tag: u32) -> *mut c_void, injectable;
    dispatch fn ExFreePoolWithTag(P: *mut c_void, Tag: u32);
}

#[link(name = "ntoskrnl.exe", kind = "raw-dylib", modifiers = "+verbatim")]
extern "system" {
    /// The kernel variable `POBJECT_TYPE ExEventObjectType`: declared with the variable's own
    /// type, so its value is the object type (the C idiom `*ExEventObjectType` would dereference
    /// once too often here).
    pub static ExEventObjectType: POBJECT_TYPE;
}

#[link(name = "ntoskrnl.exe", kind = "raw-dylib", modifiers = "+verbatim")]
extern "system" {
    /// The current thread's object; the verifier build's shadow IRQL is kept per thread. Not
    /// wrapped: the wrapper's own check would call it again. IRQL: any.
    #[cfg_attr(not(feature = "verifier"), allow(dead_code))]
    pub fn PsGetCurrentThread() -> *mut c_void;
}

#[link(name = "ntoskrnl.exe", kind = "raw-dylib", modifiers = "+verbatim")]
extern "C" {
    pub fn DbgPrintEx(ComponentId: u32, Level: u32, Format: *const u8, ...) -> u32;

    // The compiler emits calls to these for copies and fills; ntoskrnl exports them. Declared
    // for the link, never called by name.
    #[allow(dead_code)]
    pub fn memcpy(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void;
    #[allow(dead_code)]
    pub fn memmove(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void;
    #[allow(dead_code)]
    pub fn memset(dest: *mut c_void, c: i32, n: usize) -> *mut c_void;
    #[allow(dead_code)]
    pub fn memcmp(a: *const c_void, b: *const c_void, n: usize) -> i32;

    /// The language handler of C `__try`/`__except` frames. Never called from Rust: the unwind
    /// information of `crate::seh`'s shim names it, and the kernel's exception dispatch calls it.
    pub fn __C_specific_handler(
        ExceptionRecord: *mut c_void,
        EstablisherFrame: *mut c_void,
        ContextRecord: *mut c_void,
        DispatcherContext: *mut c_void,
    ) -> i32;
}

//! Kernel structures and constants, as the x64 DDK defines them.
//!
//! Structures Rust never interprets (`KTIMER`, `KDPC`, `KEVENT`) are opaque, correctly sized and
//! aligned storage. Structures we read fields of (`IRP`, `IO_STACK_LOCATION`, `DRIVER_OBJECT`,
//! `FILE_OBJECT`) declare the fields up to the last one we use.
#![allow(non_camel_case_types, non_snake_case, missing_docs)]

use core::ffi::c_void;

/// `NTSTATUS`.
pub type NTSTATUS = i32;
/// `HANDLE`.
pub type HANDLE = *mut c_void;
/// `ACCESS_MASK`.
pub type ACCESS_MASK = u32;
/// `KIRQL`.
pub type KIRQL = u8;
/// `KPROCESSOR_MODE`.
pub type KPROCESSOR_MODE = i8;
/// `KernelMode`.
pub const KERNEL_MODE: KPROCESSOR_MODE = 0;
/// `UserMode`.
pub const USER_MODE: KPROCESSOR_MODE = 1;

/// Opaque kernel object pointers.
pub type PEPROCESS = *mut c_void;
pub type PETHREAD = *mut c_void;
pub type POBJECT_TYPE = *mut c_void;
pub type PDEVICE_OBJECT = *mut DEVICE_OBJECT;

/// `UNICODE_STRING`: counted UTF-16, lengths in bytes.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct UNICODE_STRING {
    pub Length: u16,
    pub MaximumLength: u16,
    pub Buffer: *mut u16,
}

/// `OBJECT_ATTRIBUTES`.
#[repr(C)]
pub struct OBJECT_ATTRIBUTES {
    pub Length: u32,
    pub RootDirectory: HANDLE,
    pub ObjectName: *const UNICODE_STRING,
    pub Attributes: u32,
    pub SecurityDescriptor: *mut c_void,
    pub SecurityQualityOfService: *mut c_void,
}

pub const OBJ_CASE_INSENSITIVE: u32 = 0x40;
pub const OBJ_KERNEL_HANDLE: u32 = 0x200;
pub const OBJ_FORCE_ACCESS_CHECK: u32 = 0x400;

/// `CLIENT_ID`.
#[repr(C)]
pub struct CLIENT_ID {
    pub UniqueProcess: HANDLE,
    pub UniqueThread: HANDLE,
}

/// `IO_STATUS_BLOCK`.
#[repr(C)]
pub struct IO_STATUS_BLOCK {
    /// `union { NTSTATUS Status; PVOID Pointer; }`: pointer sized.
    pub Status: isize,
    pub Information: usize,
}

/// `LIST_ENTRY`.
#[repr(C)]
pub struct LIST_ENTRY {
    pub Flink: *mut LIST_ENTRY,
    pub Blink: *mut LIST_ENTRY,
}

/// `KEVENT`: opaque (x64: 24 bytes).
#[repr(C, align(8))]
pub struct KEVENT {
    _opaque: [u8; 24],
}

/// `KTIMER`: opaque (x64: 64 bytes).
#[repr(C, align(8))]
pub struct KTIMER {
    _opaque: [u8; 64],
}

/// `KDPC`: opaque (x64: 64 bytes).
#[repr(C, align(8))]
pub struct KDPC {
    _opaque: [u8; 64],
}

/// `KSPIN_LOCK`.
pub type KSPIN_LOCK = usize;

/// `DEVICE_OBJECT`: opaque; we only pass pointers to it.
#[repr(C)]
pub struct DEVICE_OBJECT {
    _opaque: [u8; 0],
}

/// `PDRIVER_DISPATCH`.
pub type DRIVER_DISPATCH =
    unsafe extern "system" fn(device: PDEVICE_OBJECT, irp: *mut IRP) -> NTSTATUS;
/// `PDRIVER_UNLOAD`.
pub type DRIVER_UNLOAD = unsafe extern "system" fn(driver: *mut DRIVER_OBJECT);
/// `PKDEFERRED_ROUTINE`.
pub type KDEFERRED_ROUTINE = unsafe extern "system" fn(
    dpc: *mut KDPC,
    context: *mut c_void,
    arg1: *mut c_void,
    arg2: *mut c_void,
);

/// `IRP_MJ_MAXIMUM_FUNCTION + 1`.
pub const IRP_MJ_COUNT: usize = 28;
pub const IRP_MJ_CREATE: u8 = 0x00;
pub const IRP_MJ_CLOSE: u8 = 0x02;
pub const IRP_MJ_DEVICE_CONTROL: u8 = 0x0e;
pub const IRP_MJ_CLEANUP: u8 = 0x12;

/// `DRIVER_OBJECT`, up to `MajorFunction`.
#[repr(C)]
pub struct DRIVER_OBJECT {
    pub Type: i16,
    pub Size: i16,
    pub DeviceObject: PDEVICE_OBJECT,
    pub Flags: u32,
    pub DriverStart: *mut c_void,
    pub DriverSize: u32,
    pub DriverSection: *mut c_void,
    pub DriverExtension: *mut c_void,
    pub DriverName: UNICODE_STRING,
    pub HardwareDatabase: *mut UNICODE_STRING,
    pub FastIoDispatch: *mut c_void,
    pub DriverInit: *mut c_void,
    pub DriverStartIo: *mut c_void,
    pub DriverUnload: Option<DRIVER_UNLOAD>,
    pub MajorFunction: [Option<DRIVER_DISPATCH>; IRP_MJ_COUNT],
}

/// `FILE_OBJECT`, up to `FsContext2`.
#[repr(C)]
pub struct FILE_OBJECT {
    pub Type: i16,
    pub Size: i16,
    pub DeviceObject: PDEVICE_OBJECT,
    pub Vpb: *mut c_void,
    pub FsContext: *mut c_void,
    pub FsContext2: *mut c_void,
}

/// The `Tail.Overlay` member of `IRP`.
#[repr(C)]
pub struct IRP_TAIL_OVERLAY {
    pub DriverContext: [*mut c_void; 4],
    pub Thread: PETHREAD,
    pub AuxiliaryBuffer: *mut u8,
    pub ListEntry: LIST_ENTRY,
    /// `union { PIO_STACK_LOCATION CurrentStackLocation; ULONG PacketType; }`.
    pub CurrentStackLocation: *mut IO_STACK_LOCATION,
    pub OriginalFileObject: *mut FILE_OBJECT,
}

/// `IRP` (x64), up to `Tail.Overlay`.
#[repr(C)]
pub struct IRP {
    pub Type: i16,
    pub Size: u16,
    pub MdlAddress: *mut c_void,
    pub Flags: u32,
    /// `AssociatedIrp`: we only use `SystemBuffer`.
    pub SystemBuffer: *mut c_void,
    pub ThreadListEntry: LIST_ENTRY,
    pub IoStatus: IO_STATUS_BLOCK,
    pub RequestorMode: KPROCESSOR_MODE,
    pub PendingReturned: u8,
    pub StackCount: i8,
    pub CurrentLocation: i8,
    pub Cancel: u8,
    pub CancelIrql: KIRQL,
    pub ApcEnvironment: i8,
    pub AllocationFlags: u8,
    pub UserIosb: *mut IO_STATUS_BLOCK,
    pub UserEvent: *mut KEVENT,
    /// `Overlay`: `AsynchronousParameters` or `AllocationSize`, 16 bytes.
    pub Overlay: [usize; 2],
    pub CancelRoutine: *mut c_void,
    pub UserBuffer: *mut c_void,
    pub Tail: IRP_TAIL_OVERLAY,
}

/// `Parameters.DeviceIoControl` of `IO_STACK_LOCATION`: note the x64 `POINTER_ALIGNMENT`
/// padding after each `ULONG`.
#[repr(C)]
pub struct DEVICE_IO_CONTROL_PARAMETERS {
    pub OutputBufferLength: u32,
    _pad0: u32,
    pub InputBufferLength: u32,
    _pad1: u32,
    pub IoControlCode: u32,
    _pad2: u32,
    pub Type3InputBuffer: *mut c_void,
}

/// `IO_STACK_LOCATION` (x64).
#[repr(C)]
pub struct IO_STACK_LOCATION {
    pub MajorFunction: u8,
    pub MinorFunction: u8,
    pub Flags: u8,
    pub Control: u8,
    /// The `Parameters` union is four pointers wide; we read it as `DeviceIoControl`.
    pub Parameters: DEVICE_IO_CONTROL_PARAMETERS,
    pub DeviceObject: PDEVICE_OBJECT,
    pub FileObject: *mut FILE_OBJECT,
    pub CompletionRoutine: *mut c_void,
    pub Context: *mut c_void,
}

/// `PROCESSINFOCLASS::ProcessSessionInformation`.
pub const PROCESS_SESSION_INFORMATION: u32 = 24;
/// `PROCESS_QUERY_LIMITED_INFORMATION`.
pub const PROCESS_QUERY_LIMITED_INFORMATION: ACCESS_MASK = 0x1000;
/// `EVENT_MODIFY_STATE`.
pub const EVENT_MODIFY_STATE: ACCESS_MASK = 0x0002;
/// `READ_CONTROL`.
pub const READ_CONTROL: ACCESS_MASK = 0x0002_0000;
/// `SYNCHRONIZE`.
pub const SYNCHRONIZE: ACCESS_MASK = 0x0010_0000;
/// `NonPagedPoolNx`.
pub const NON_PAGED_POOL_NX: u32 = 512;
/// `FILE_DEVICE_SECURE_OPEN`.
pub const FILE_DEVICE_SECURE_OPEN: u32 = 0x0000_0100;
/// `NotificationTimer`.
pub const NOTIFICATION_TIMER: u32 = 0;
/// `IO_NO_INCREMENT`.
pub const IO_NO_INCREMENT: i8 = 0;
/// `DPFLTR_IHVDRIVER_ID`.
pub const DPFLTR_IHVDRIVER_ID: u32 = 77;
/// `DPFLTR_ERROR_LEVEL`.
pub const DPFLTR_ERROR_LEVEL: u32 = 0;
/// `DPFLTR_INFO_LEVEL`.
pub const DPFLTR_INFO_LEVEL: u32 = 3;

/// `NtCurrentProcess()`.
pub const NT_CURRENT_PROCESS: HANDLE = usize::MAX as HANDLE;
/// `PROCESS_DUP_HANDLE`.
pub const PROCESS_DUP_HANDLE: ACCESS_MASK = 0x0040;
/// `DUPLICATE_SAME_ACCESS`.
pub const DUPLICATE_SAME_ACCESS: u32 = 0x2;
/// `OBJECT_INFORMATION_CLASS::ObjectBasicInformation`.
pub const OBJECT_BASIC_INFORMATION_CLASS: u32 = 0;
/// `EVENT_ALL_ACCESS`.
pub const EVENT_ALL_ACCESS: ACCESS_MASK = 0x001F_0003;
/// `EVENT_TYPE::NotificationEvent` (manual reset).
pub const NOTIFICATION_EVENT: u32 = 0;
/// `EVENT_TYPE::SynchronizationEvent` (auto reset).
pub const SYNCHRONIZATION_EVENT: u32 = 1;
/// `TOKEN_QUERY`.
pub const TOKEN_QUERY: ACCESS_MASK = 0x0008;
/// `TOKEN_INFORMATION_CLASS::TokenUser`.
pub const TOKEN_USER_CLASS: u32 = 1;
/// `SECURITY_DESCRIPTOR_REVISION`.
pub const SECURITY_DESCRIPTOR_REVISION: u32 = 1;
/// `ACL_REVISION`.
pub const ACL_REVISION: u32 = 2;
/// `SECURITY_MAX_SID_SIZE`.
pub const SECURITY_MAX_SID_SIZE: usize = 68;

/// `OBJECT_BASIC_INFORMATION` (the public part of it).
#[repr(C)]
#[derive(Default)]
pub struct OBJECT_BASIC_INFORMATION {
    pub Attributes: u32,
    pub GrantedAccess: ACCESS_MASK,
    pub HandleCount: u32,
    pub PointerCount: u32,
    pub Reserved: [u32; 10],
}

/// `SID_AND_ATTRIBUTES`, the head of `TOKEN_USER`.
#[repr(C)]
pub struct SID_AND_ATTRIBUTES {
    pub Sid: *mut c_void,
    pub Attributes: u32,
}

/// `SECURITY_DESCRIPTOR` in absolute form (x64: 40 bytes).
#[repr(C)]
pub struct SECURITY_DESCRIPTOR {
    pub Revision: u8,
    pub Sbz1: u8,
    pub Control: u16,
    pub Owner: *mut c_void,
    pub Group: *mut c_void,
    pub Sacl: *mut c_void,
    pub Dacl: *mut c_void,
}

/// `ACL` header.
#[repr(C)]
pub struct ACL {
    pub AclRevision: u8,
    pub Sbz1: u8,
    pub AclSize: u16,
    pub AceCount: u16,
    pub Sbz2: u16,
}

/// `SECTION_MAP_READ`.
pub const SECTION_MAP_READ: ACCESS_MASK = 0x0004;
/// `SECTION_MAP_WRITE`.
pub const SECTION_MAP_WRITE: ACCESS_MASK = 0x0002;
/// `SECTION_QUERY`.
pub const SECTION_QUERY: ACCESS_MASK = 0x0001;
/// `SECTION_INHERIT::ViewUnmap`.
pub const VIEW_UNMAP: u32 = 2;
/// `PAGE_READWRITE`.
pub const PAGE_READWRITE: u32 = 0x04;

/// `MmMapViewInSystemSpace`, resolved at run time (a crashing stub under Wine).
pub type MM_MAP_VIEW_IN_SYSTEM_SPACE = unsafe extern "system" fn(
    Section: *mut c_void,
    MappedBase: *mut *mut c_void,
    ViewSize: *mut usize,
) -> NTSTATUS;
/// `MmUnmapViewInSystemSpace`, resolved at run time.
pub type MM_UNMAP_VIEW_IN_SYSTEM_SPACE =
    unsafe extern "system" fn(MappedBase: *mut c_void) -> NTSTATUS;

/// `SL_PENDING_RETURNED`, in `IO_STACK_LOCATION::Control`.
pub const SL_PENDING_RETURNED: u8 = 0x01;
/// `SL_INVOKE_ON_CANCEL`, in `IO_STACK_LOCATION::Control`.
pub const SL_INVOKE_ON_CANCEL: u8 = 0x20;
/// `SL_INVOKE_ON_SUCCESS`, in `IO_STACK_LOCATION::Control`.
pub const SL_INVOKE_ON_SUCCESS: u8 = 0x40;
/// `SL_INVOKE_ON_ERROR`, in `IO_STACK_LOCATION::Control`.
pub const SL_INVOKE_ON_ERROR: u8 = 0x80;
/// `PIO_COMPLETION_ROUTINE`.
pub type IO_COMPLETION_ROUTINE = unsafe extern "system" fn(
    device: PDEVICE_OBJECT,
    irp: *mut IRP,
    context: *mut c_void,
) -> NTSTATUS;
/// `STATUS_MORE_PROCESSING_REQUIRED`: a completion routine keeps the IRP.
pub const STATUS_MORE_PROCESSING_REQUIRED: NTSTATUS = 0xC000_0016_u32 as NTSTATUS;
/// `FILE_DEVICE_UNKNOWN`.
pub const FILE_DEVICE_UNKNOWN: u32 = 0x22;
/// `FILE_READ_ATTRIBUTES`.
pub const FILE_READ_ATTRIBUTES: ACCESS_MASK = 0x0080;
/// `FILE_SHARE_READ`.
pub const FILE_SHARE_READ: u32 = 0x1;
/// `FILE_SHARE_WRITE`.
pub const FILE_SHARE_WRITE: u32 = 0x2;
/// `FILE_OPEN` (`CreateDisposition`).
pub const FILE_OPEN: u32 = 0x1;
/// `STATUS_PENDING`.
pub const STATUS_PENDING: NTSTATUS = 0x0000_0103;
/// `STATUS_CANCELLED`.
pub const STATUS_CANCELLED: NTSTATUS = 0xC000_0120_u32 as NTSTATUS;

/// `MEM_COMMIT`: a `MEMORY_BASIC_INFORMATION::State`.
pub const MEM_COMMIT: u32 = 0x1000;
/// `MEMORY_INFORMATION_CLASS::MemoryBasicInformation`.
pub const MEMORY_BASIC_INFORMATION_CLASS: u32 = 0;
/// `SECTION_INFORMATION_CLASS::SectionBasicInformation`.
pub const SECTION_BASIC_INFORMATION_CLASS: u32 = 0;

/// `MEMORY_BASIC_INFORMATION` (x64). Not in the mingw-w64 DDK headers (it is a `winnt.h`
/// type), so its layout is pinned by the assertions below, from Microsoft's documentation.
#[repr(C)]
#[derive(Default)]
pub struct MEMORY_BASIC_INFORMATION {
    pub BaseAddress: usize,
    pub AllocationBase: usize,
    pub AllocationProtect: u32,
    pub PartitionId: u16,
    pub RegionSize: usize,
    pub State: u32,
    pub Protect: u32,
    pub Type: u32,
}

const _: () = {
    assert!(core::mem::size_of::<MEMORY_BASIC_INFORMATION>() == 48);
    assert!(core::mem::offset_of!(MEMORY_BASIC_INFORMATION, RegionSize) == 24);
    assert!(core::mem::offset_of!(MEMORY_BASIC_INFORMATION, State) == 32);
};

/// `SECTION_BASIC_INFORMATION` (x64; `ntddk`-internal, not in the mingw-w64 headers: pinned by
/// the assertions below, from Microsoft's and Wine's `winternl.h`).
#[repr(C)]
#[derive(Default)]
pub struct SECTION_BASIC_INFORMATION {
    pub BaseAddress: usize,
    pub AllocationAttributes: u32,
    /// `LARGE_INTEGER`.
    pub MaximumSize: i64,
}

const _: () = {
    assert!(core::mem::size_of::<SECTION_BASIC_INFORMATION>() == 24);
    assert!(core::mem::offset_of!(SECTION_BASIC_INFORMATION, MaximumSize) == 16);
};

/// `ZwQueryVirtualMemory`, resolved at run time (exported `-private` by Wine, so not through an
/// import; exported by Windows from 8 on).
pub type ZW_QUERY_VIRTUAL_MEMORY = unsafe extern "system" fn(
    ProcessHandle: HANDLE,
    BaseAddress: *mut c_void,
    MemoryInformationClass: u32,
    MemoryInformation: *mut c_void,
    MemoryInformationLength: usize,
    ReturnLength: *mut usize,
) -> NTSTATUS;

/// `ZwQuerySection`, resolved at run time (exported `-private` by Wine; Windows may not export
/// it by name).
pub type ZW_QUERY_SECTION = unsafe extern "system" fn(
    SectionHandle: HANDLE,
    SectionInformationClass: u32,
    SectionInformation: *mut c_void,
    SectionInformationLength: usize,
    ReturnLength: *mut usize,
) -> NTSTATUS;

/// `LOCK_OPERATION::IoModifyAccess`.
pub const IO_MODIFY_ACCESS: u32 = 2;

/// `STATUS_SUCCESS`.
pub const STATUS_SUCCESS: NTSTATUS = 0;

/// `IO_REMOVE_LOCK` of a free build: its `Common` block only (a checked build's `Dbg` block
/// follows it when `DBG` is defined; we pass the free size, which the routines check).
#[repr(C)]
pub struct IO_REMOVE_LOCK {
    pub Removed: u8,
    pub Reserved: [u8; 3],
    pub IoCount: i32,
    pub RemoveEvent: KEVENT,
}

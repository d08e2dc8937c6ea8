//! The layout facts our kernel bindings rely on, in one table.
//!
//! Each row pairs a C expression over the DDK's types with the value the Rust declaration in
//! [`crate::sys`] gives. The host test below checks the table is what Rust computes;
//! `cargo xtask layout` turns every row into `_Static_assert(<c_expr> == <value>)` and compiles it
//! against the mingw-w64 DDK headers, so a wrong offset fails the build instead of the driver.

use crate::sys::*;
use core::mem::{offset_of, size_of};

/// One layout fact: `c_expr` evaluated by a C compiler over the DDK headers must equal `value`.
#[derive(Clone, Copy, Debug)]
pub struct LayoutCheck {
    /// A C constant expression, e.g. `offsetof(IRP, IoStatus)`.
    pub c_expr: &'static str,
    /// What the Rust declaration gives.
    pub value: usize,
    /// What the row is about, for the failure message.
    pub what: &'static str,
}

macro_rules! offset {
    ($rust:ty, $($rfield:ident).+ => $c:literal) => {
        LayoutCheck {
            c_expr: concat!("offsetof(", $c, ")"),
            value: offset_of!($rust, $($rfield).+),
            what: concat!(stringify!($rust), ".", stringify!($($rfield).+)),
        }
    };
}

macro_rules! size {
    ($rust:ty => $c:literal) => {
        LayoutCheck {
            c_expr: concat!("sizeof(", $c, ")"),
            value: size_of::<$rust>(),
            what: concat!("size of ", stringify!($rust)),
        }
    };
}

/// Every layout fact `km` relies on.
pub const CHECKS: &[LayoutCheck] = &[
    size!(UNICODE_STRING => "UNICODE_STRING"),
    offset!(UNICODE_STRING, MaximumLength => "UNICODE_STRING, MaximumLength"),
    offset!(UNICODE_STRING, Buffer => "UNICODE_STRING, Buffer"),
    size!(OBJECT_ATTRIBUTES => "OBJECT_ATTRIBUTES"),
    offset!(OBJECT_ATTRIBUTES, RootDirectory => "OBJECT_ATTRIBUTES, RootDirectory"),
    offset!(OBJECT_ATTRIBUTES, ObjectName => "OBJECT_ATTRIBUTES, ObjectName"),
    offset!(OBJECT_ATTRIBUTES, Attributes => "OBJECT_ATTRIBUTES, Attributes"),
    offset!(OBJECT_ATTRIBUTES, SecurityDescriptor => "OBJECT_ATTRIBUTES, SecurityDescriptor"),
    offset!(OBJECT_ATTRIBUTES, SecurityQualityOfService => "OBJECT_ATTRIBUTES, SecurityQualityOfService"),
    size!(CLIENT_ID => "CLIENT_ID"),
    offset!(CLIENT_ID, UniqueThread => "CLIENT_ID, UniqueThread"),
    size!(IO_STATUS_BLOCK => "IO_STATUS_BLOCK"),
    offset!(IO_STATUS_BLOCK, Information => "IO_STATUS_BLOCK, Information"),
    size!(KEVENT => "KEVENT"),
    size!(KTIMER => "KTIMER"),
    size!(KDPC => "KDPC"),
    size!(KSPIN_LOCK => "KSPIN_LOCK"),
    offset!(DRIVER_OBJECT, DeviceObject => "DRIVER_OBJECT, DeviceObject"),
    offset!(DRIVER_OBJECT, DriverName => "DRIVER_OBJECT, DriverName"),
    offset!(DRIVER_OBJECT, DriverUnload => "DRIVER_OBJECT, DriverUnload"),
    offset!(DRIVER_OBJECT, MajorFunction => "DRIVER_OBJECT, MajorFunction"),
    size!(DRIVER_OBJECT => "DRIVER_OBJECT"),
    offset!(FILE_OBJECT, DeviceObject => "FILE_OBJECT, DeviceObject"),
    offset!(FILE_OBJECT, FsContext => "FILE_OBJECT, FsContext"),
    offset!(FILE_OBJECT, FsContext2 => "FILE_OBJECT, FsContext2"),
    offset!(IRP, MdlAddress => "IRP, MdlAddress"),
    offset!(IRP, Flags => "IRP, Flags"),
    offset!(IRP, SystemBuffer => "IRP, AssociatedIrp.SystemBuffer"),
    offset!(IRP, IoStatus => "IRP, IoStatus"),
    offset!(IRP, RequestorMode => "IRP, RequestorMode"),
    offset!(IRP, PendingReturned => "IRP, PendingReturned"),
    offset!(IRP, Cancel => "IRP, Cancel"),
    offset!(IRP, CancelIrql => "IRP, CancelIrql"),
    offset!(IRP, UserIosb => "IRP, UserIosb"),
    offset!(IRP, CancelRoutine => "IRP, CancelRoutine"),
    offset!(IRP, UserBuffer => "IRP, UserBuffer"),
    offset!(IRP, Tail.DriverContext => "IRP, Tail.Overlay.DriverContext"),
    offset!(IRP, Tail.Thread => "IRP, Tail.Overlay.Thread"),
    offset!(IRP, Tail.ListEntry => "IRP, Tail.Overlay.ListEntry"),
    offset!(IRP, Tail.CurrentStackLocation => "IRP, Tail.Overlay.CurrentStackLocation"),
    offset!(IRP, Tail.OriginalFileObject => "IRP, Tail.Overlay.OriginalFileObject"),
    size!(IO_STACK_LOCATION => "IO_STACK_LOCATION"),
    offset!(IO_STACK_LOCATION, MinorFunction => "IO_STACK_LOCATION, MinorFunction"),
    offset!(IO_STACK_LOCATION, Parameters => "IO_STACK_LOCATION, Parameters"),
    offset!(IO_STACK_LOCATION, Parameters.OutputBufferLength => "IO_STACK_LOCATION, Parameters.DeviceIoControl.OutputBufferLength"),
    offset!(IO_STACK_LOCATION, Parameters.InputBufferLength => "IO_STACK_LOCATION, Parameters.DeviceIoControl.InputBufferLength"),
    offset!(IO_STACK_LOCATION, Parameters.IoControlCode => "IO_STACK_LOCATION, Parameters.DeviceIoControl.IoControlCode"),
    offset!(IO_STACK_LOCATION, Parameters.Type3InputBuffer => "IO_STACK_LOCATION, Parameters.DeviceIoControl.Type3InputBuffer"),
    offset!(IO_STACK_LOCATION, DeviceObject => "IO_STACK_LOCATION, DeviceObject"),
    offset!(IO_STACK_LOCATION, FileObject => "IO_STACK_LOCATION, FileObject"),
    size!(OBJECT_BASIC_INFORMATION => "OBJECT_BASIC_INFORMATION"),
    offset!(OBJECT_BASIC_INFORMATION, GrantedAccess => "OBJECT_BASIC_INFORMATION, GrantedAccess"),
    size!(SID_AND_ATTRIBUTES => "SID_AND_ATTRIBUTES"),
    offset!(SID_AND_ATTRIBUTES, Attributes => "SID_AND_ATTRIBUTES, Attributes"),
    size!(SECURITY_DESCRIPTOR => "SECURITY_DESCRIPTOR"),
    offset!(SECURITY_DESCRIPTOR, Owner => "SECURITY_DESCRIPTOR, Owner"),
    offset!(SECURITY_DESCRIPTOR, Dacl => "SECURITY_DESCRIPTOR, Dacl"),
    size!(ACL => "ACL"),
    size!(IO_REMOVE_LOCK => "IO_REMOVE_LOCK"),
    offset!(IO_REMOVE_LOCK, IoCount => "IO_REMOVE_LOCK, Common.IoCount"),
    offset!(IO_REMOVE_LOCK, RemoveEvent => "IO_REMOVE_LOCK, Common.RemoveEvent"),
    LayoutCheck {
        c_expr: "PROCESS_DUP_HANDLE",
        value: PROCESS_DUP_HANDLE as usize,
        what: "PROCESS_DUP_HANDLE",
    },
    LayoutCheck {
        c_expr: "DUPLICATE_SAME_ACCESS",
        value: DUPLICATE_SAME_ACCESS as usize,
        what: "DUPLICATE_SAME_ACCESS",
    },
    LayoutCheck {
        c_expr: "MEM_COMMIT",
        value: MEM_COMMIT as usize,
        what: "MEM_COMMIT",
    },
    LayoutCheck {
        c_expr: "ObjectBasicInformation",
        value: OBJECT_BASIC_INFORMATION_CLASS as usize,
        what: "ObjectBasicInformation",
    },
    LayoutCheck {
        c_expr: "EVENT_ALL_ACCESS",
        value: EVENT_ALL_ACCESS as usize,
        what: "EVENT_ALL_ACCESS",
    },
    LayoutCheck {
        c_expr: "SynchronizationEvent",
        value: SYNCHRONIZATION_EVENT as usize,
        what: "SynchronizationEvent",
    },
    LayoutCheck {
        c_expr: "TokenUser",
        value: TOKEN_USER_CLASS as usize,
        what: "TokenUser",
    },
    LayoutCheck {
        c_expr: "sizeof(SID) - sizeof(ULONG) + SID_MAX_SUB_AUTHORITIES * sizeof(ULONG)",
        value: SECURITY_MAX_SID_SIZE,
        what: "SECURITY_MAX_SID_SIZE",
    },
    LayoutCheck {
        c_expr: "SECTION_MAP_READ | (SECTION_MAP_WRITE << 4) | (SECTION_QUERY << 8)",
        value: (SECTION_MAP_READ | (SECTION_MAP_WRITE << 4) | (SECTION_QUERY << 8)) as usize,
        what: "SECTION_MAP_* access bits",
    },
    LayoutCheck {
        c_expr: "SL_PENDING_RETURNED",
        value: SL_PENDING_RETURNED as usize,
        what: "SL_PENDING_RETURNED",
    },
    offset!(IO_STACK_LOCATION, Control => "IO_STACK_LOCATION, Control"),
    LayoutCheck {
        c_expr: "IoModifyAccess",
        value: IO_MODIFY_ACCESS as usize,
        what: "IoModifyAccess",
    },
    LayoutCheck {
        c_expr: "ViewUnmap",
        value: VIEW_UNMAP as usize,
        what: "ViewUnmap",
    },
    LayoutCheck {
        c_expr: "IRP_MJ_MAXIMUM_FUNCTION + 1",
        value: IRP_MJ_COUNT,
        what: "number of major functions",
    },
    LayoutCheck {
        c_expr: "IRP_MJ_CLEANUP",
        value: IRP_MJ_CLEANUP as usize,
        what: "IRP_MJ_CLEANUP",
    },
    LayoutCheck {
        c_expr: "IRP_MJ_DEVICE_CONTROL",
        value: IRP_MJ_DEVICE_CONTROL as usize,
        what: "IRP_MJ_DEVICE_CONTROL",
    },
    LayoutCheck {
        c_expr: "OBJ_KERNEL_HANDLE",
        value: OBJ_KERNEL_HANDLE as usize,
        what: "OBJ_KERNEL_HANDLE",
    },
    LayoutCheck {
        c_expr: "OBJ_FORCE_ACCESS_CHECK",
        value: OBJ_FORCE_ACCESS_CHECK as usize,
        what: "OBJ_FORCE_ACCESS_CHECK",
    },
    LayoutCheck {
        c_expr: "ProcessSessionInformation",
        value: PROCESS_SESSION_INFORMATION as usize,
        what: "ProcessSessionInformation",
    },
    LayoutCheck {
        c_expr: "NonPagedPoolNx",
        value: NON_PAGED_POOL_NX as usize,
        what: "NonPagedPoolNx",
    },
    LayoutCheck {
        c_expr: "FILE_DEVICE_SECURE_OPEN",
        value: FILE_DEVICE_SECURE_OPEN as usize,
        what: "FILE_DEVICE_SECURE_OPEN",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_not_empty_and_names_are_unique() {
        assert!(CHECKS.len() >= 40);
        for (i, a) in CHECKS.iter().enumerate() {
            for b in &CHECKS[i + 1..] {
                assert_ne!(a.c_expr, b.c_expr, "duplicate row");
            }
        }
    }

    #[test]
    fn x64_facts_that_windows_sys_gets_wrong() {
        // PLATFORM.md: the IOCTL parameters are pointer-aligned on x64.
        let io = offset_of!(IO_STACK_LOCATION, Parameters);
        assert_eq!(io, 8);
        assert_eq!(
            offset_of!(IO_STACK_LOCATION, Parameters.InputBufferLength) - io,
            8
        );
        assert_eq!(
            offset_of!(IO_STACK_LOCATION, Parameters.IoControlCode) - io,
            16
        );
        assert_eq!(
            offset_of!(IO_STACK_LOCATION, Parameters.Type3InputBuffer) - io,
            24
        );
        assert_eq!(size_of::<IO_STACK_LOCATION>(), 72);
        assert_eq!(size_of::<DRIVER_OBJECT>(), 336);
        assert_eq!(offset_of!(IRP, Tail.CurrentStackLocation), 0xb8);
    }
}

//! Raw NTSTATUS values the driver completes requests with, named as in the DDK's `ntstatus.h`.
//!
//! They are plain `u32`s so that both sides can use them without a kernel or Win32 binding: the
//! driver hands them to its `NtStatus` type, the client compares them with what
//! `DeviceIoControl` reported. `docs/protocol.md` ("Statuses") says which condition gets which.

macro_rules! statuses {
    ($($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: u32 = $value;)*

        /// The DDK name of a status this crate knows (`"STATUS_OBJECT_NAME_NOT_FOUND"`), or
        /// `None` for any other value.
        pub const fn status_name(status: u32) -> Option<&'static str> {
            match status {
                $($name => Some(stringify!($name)),)*
                _ => None,
            }
        }

        /// Every status this crate names, in declaration order.
        pub const ALL_NAMED: &[u32] = &[$($name),*];
    };
}

statuses! {
    /// The request succeeded.
    STATUS_SUCCESS = 0x0000_0000;
    /// A wait timed out (success severity).
    STATUS_TIMEOUT = 0x0000_0102;
    /// The request will complete later (an IRP left pending: `PEND_NOTIFICATION`).
    STATUS_PENDING = 0x0000_0103;
    /// The output buffer held only part of the data (warning severity).
    STATUS_BUFFER_OVERFLOW = 0x8000_0005;
    /// Unspecified failure.
    STATUS_UNSUCCESSFUL = 0xC000_0001;
    /// The request is defined by the protocol but not implemented by this driver.
    STATUS_NOT_IMPLEMENTED = 0xC000_0002;
    /// A handle passed in the request is not valid in the caller's process.
    STATUS_INVALID_HANDLE = 0xC000_0008;
    /// A field of the request has a value the protocol does not allow.
    STATUS_INVALID_PARAMETER = 0xC000_000D;
    /// The IOCTL code is not one the driver understands.
    STATUS_INVALID_DEVICE_REQUEST = 0xC000_0010;
    /// Not enough memory.
    STATUS_NO_MEMORY = 0xC000_0017;
    /// A ring's section is too small for the capacity `REGISTER_RING` declared.
    STATUS_INVALID_VIEW_SIZE = 0xC000_001F;
    /// The caller may not do this (or the name is in another session's directory).
    STATUS_ACCESS_DENIED = 0xC000_0022;
    /// The output buffer is too small for the reply.
    STATUS_BUFFER_TOO_SMALL = 0xC000_0023;
    /// The named or referenced object is not an event.
    STATUS_OBJECT_TYPE_MISMATCH = 0xC000_0024;
    /// The name is malformed (empty, NUL inside, not UTF-16, bad leaf).
    STATUS_OBJECT_NAME_INVALID = 0xC000_0033;
    /// No object of that name exists.
    STATUS_OBJECT_NAME_NOT_FOUND = 0xC000_0034;
    /// An object of that name already exists.
    STATUS_OBJECT_NAME_COLLISION = 0xC000_0035;
    /// The name lies outside the namespaces the caller may use.
    STATUS_OBJECT_PATH_INVALID = 0xC000_0039;
    /// A directory on the way to the name does not exist.
    STATUS_OBJECT_PATH_NOT_FOUND = 0xC000_003A;
    /// Too many registrations, per handle or in all.
    STATUS_QUOTA_EXCEEDED = 0xC000_0044;
    /// The object is being deleted.
    STATUS_DELETE_PENDING = 0xC000_0056;
    /// The request's protocol version is not the driver's.
    STATUS_REVISION_MISMATCH = 0xC000_0059;
    /// The kernel ran out of pool memory.
    STATUS_INSUFFICIENT_RESOURCES = 0xC000_009A;
    /// The name is too long.
    STATUS_NAME_TOO_LONG = 0xC000_0106;
    /// The process is exiting.
    STATUS_PROCESS_IS_TERMINATING = 0xC000_010A;
    /// The request is not supported (here: `VERIFIER` sent to a driver that is not the
    /// verifier build).
    STATUS_NOT_SUPPORTED = 0xC000_00BB;
    /// The request was cancelled: a pending `PEND_NOTIFICATION` whose caller cancelled it,
    /// closed its handle or exited, or that was still queued when the driver unloaded.
    STATUS_CANCELLED = 0xC000_0120;
    /// The file's device was deleted: what Wine answers on a handle whose driver unloaded.
    STATUS_FILE_DELETED = 0xC000_0123;
    /// The device is not in a state to accept the request (for example, being unloaded).
    STATUS_INVALID_DEVICE_STATE = 0xC000_0184;
    /// The input buffer is shorter than the request's fixed part, or its length fields disagree
    /// with its size.
    STATUS_INVALID_BUFFER_SIZE = 0xC000_0206;
    /// The registration id is unknown, or was registered through another handle.
    STATUS_NOT_FOUND = 0xC000_0225;
    /// evshare's own (customer bit set, facility `0x0E5`): the calling process holds as many
    /// registrations as one process may.
    STATUS_EVSHARE_PROCESS_REGISTRATIONS = 0xE0E5_0001;
    /// evshare's own: the calling process has as many `PEND_NOTIFICATION` IRPs pending as one
    /// process may.
    STATUS_EVSHARE_PROCESS_PENDING = 0xE0E5_0002;
    /// evshare's own: the driver holds as many pending IRPs as it may, from all processes.
    STATUS_EVSHARE_PENDING_FULL = 0xE0E5_0003;
    /// evshare's own: the ring would take the calling process past its ring-bytes quota.
    STATUS_EVSHARE_PROCESS_RING_BYTES = 0xE0E5_0004;
    /// evshare's own: the period is shorter than the driver's minimum, or the calling process's
    /// timers would signal more often per second than its budget allows.
    STATUS_EVSHARE_TIMER_BUDGET = 0xE0E5_0005;
    /// evshare's own: a ring's section is not committed memory the driver can lock (a
    /// `SEC_RESERVE` section, or locking its pages failed).
    STATUS_EVSHARE_SECTION_NOT_COMMITTED = 0xE0E5_0006;
}

/// `NT_SUCCESS(status)`: true for the success and informational severities (top bit clear).
pub const fn is_success(status: u32) -> bool {
    status & 0x8000_0000 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_values_they_stand_for() {
        assert_eq!(
            status_name(0xC000_0034),
            Some("STATUS_OBJECT_NAME_NOT_FOUND")
        );
        assert_eq!(status_name(STATUS_SUCCESS), Some("STATUS_SUCCESS"));
        assert_eq!(status_name(0xC000_0008), Some("STATUS_INVALID_HANDLE"));
        assert_eq!(
            status_name(0xC000_0035),
            Some("STATUS_OBJECT_NAME_COLLISION")
        );
        assert_eq!(status_name(0xC000_0002), Some("STATUS_NOT_IMPLEMENTED"));
        assert_eq!(status_name(0xC000_0001), Some("STATUS_UNSUCCESSFUL"));
        assert_eq!(status_name(0xC000_0BAD), None);
    }

    #[test]
    fn every_named_status_is_distinct_and_named_once() {
        for (i, a) in ALL_NAMED.iter().enumerate() {
            assert!(status_name(*a).is_some_and(|n| n.starts_with("STATUS_")));
            for b in ALL_NAMED.get(i + 1..).unwrap_or(&[]) {
                assert_ne!(a, b, "{:?} and {:?}", status_name(*a), status_name(*b));
            }
        }
    }

    #[test]
    fn nt_success_follows_the_severity_bits() {
        assert!(is_success(STATUS_SUCCESS));
        assert!(is_success(STATUS_PENDING));
        assert!(!is_success(STATUS_BUFFER_OVERFLOW));
        assert!(!is_success(STATUS_ACCESS_DENIED));
    }
}

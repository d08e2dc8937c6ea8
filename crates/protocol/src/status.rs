//! The NTSTATUS values the driver completes requests with, named as in the DDK's `ntstatus.h`.
//!
//! The type is [`NtStatus`] (`evshare-ntstatus`, shared with the kernel layer and the client).
//! The constants here stay plain `u32`s, the value a status has on the wire and in
//! `DeviceIoControl`'s result, so the parsers compare them without a conversion; the driver
//! and the client wrap them as `NtStatus(STATUS_X)`. The standard ones are taken from
//! [`NtStatus`]'s constants, so each value is written once; evshare's own customer codes are
//! defined here. `docs/protocol.md` ("Statuses") says which condition gets which.

pub use evshare_ntstatus::NtStatus;

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
    STATUS_SUCCESS = NtStatus::SUCCESS.as_u32();
    /// A wait timed out (success severity).
    STATUS_TIMEOUT = NtStatus::TIMEOUT.as_u32();
    /// The request will complete later (an IRP left pending: `PEND_NOTIFICATION`).
    STATUS_PENDING = NtStatus::PENDING.as_u32();
    /// The output buffer held only part of the data (warning severity).
    STATUS_BUFFER_OVERFLOW = NtStatus::BUFFER_OVERFLOW.as_u32();
    /// Unspecified failure.
    STATUS_UNSUCCESSFUL = NtStatus::UNSUCCESSFUL.as_u32();
    /// The request is defined by the protocol but not implemented by this driver.
    STATUS_NOT_IMPLEMENTED = NtStatus::NOT_IMPLEMENTED.as_u32();
    /// A handle passed in the request is not valid in the caller's process.
    STATUS_INVALID_HANDLE = NtStatus::INVALID_HANDLE.as_u32();
    /// A field of the request has a value the protocol does not allow.
    STATUS_INVALID_PARAMETER = NtStatus::INVALID_PARAMETER.as_u32();
    /// The IOCTL code is not one the driver understands.
    STATUS_INVALID_DEVICE_REQUEST = NtStatus::INVALID_DEVICE_REQUEST.as_u32();
    /// Not enough memory.
    STATUS_NO_MEMORY = NtStatus::NO_MEMORY.as_u32();
    /// A ring's section is too small for the capacity `REGISTER_RING` declared.
    STATUS_INVALID_VIEW_SIZE = NtStatus::INVALID_VIEW_SIZE.as_u32();
    /// The caller may not do this (or the name is in another session's directory).
    STATUS_ACCESS_DENIED = NtStatus::ACCESS_DENIED.as_u32();
    /// The output buffer is too small for the reply.
    STATUS_BUFFER_TOO_SMALL = NtStatus::BUFFER_TOO_SMALL.as_u32();
    /// The named or referenced object is not an event.
    STATUS_OBJECT_TYPE_MISMATCH = NtStatus::OBJECT_TYPE_MISMATCH.as_u32();
    /// The name is malformed (empty, NUL inside, not UTF-16, bad leaf).
    STATUS_OBJECT_NAME_INVALID = NtStatus::OBJECT_NAME_INVALID.as_u32();
    /// No object of that name exists.
    STATUS_OBJECT_NAME_NOT_FOUND = NtStatus::OBJECT_NAME_NOT_FOUND.as_u32();
    /// An object of that name already exists.
    STATUS_OBJECT_NAME_COLLISION = NtStatus::OBJECT_NAME_COLLISION.as_u32();
    /// The name lies outside the namespaces the caller may use.
    STATUS_OBJECT_PATH_INVALID = NtStatus::OBJECT_PATH_INVALID.as_u32();
    /// A directory on the way to the name does not exist.
    STATUS_OBJECT_PATH_NOT_FOUND = NtStatus::OBJECT_PATH_NOT_FOUND.as_u32();
    /// Too many registrations, per handle or in all.
    STATUS_QUOTA_EXCEEDED = NtStatus::QUOTA_EXCEEDED.as_u32();
    /// The object is being deleted.
    STATUS_DELETE_PENDING = NtStatus::DELETE_PENDING.as_u32();
    /// The request's protocol version is not the driver's.
    STATUS_REVISION_MISMATCH = NtStatus::REVISION_MISMATCH.as_u32();
    /// The kernel ran out of pool memory.
    STATUS_INSUFFICIENT_RESOURCES = NtStatus::INSUFFICIENT_RESOURCES.as_u32();
    /// The name is too long.
    STATUS_NAME_TOO_LONG = NtStatus::NAME_TOO_LONG.as_u32();
    /// The process is exiting.
    STATUS_PROCESS_IS_TERMINATING = NtStatus::PROCESS_IS_TERMINATING.as_u32();
    /// The request is not supported (here: `VERIFIER` sent to a driver that is not the
    /// verifier build).
    STATUS_NOT_SUPPORTED = NtStatus::NOT_SUPPORTED.as_u32();
    /// The request was cancelled: a pending `PEND_NOTIFICATION` whose caller cancelled it,
    /// closed its handle or exited, or that was still queued when the driver unloaded.
    STATUS_CANCELLED = NtStatus::CANCELLED.as_u32();
    /// The file's device was deleted: what Wine answers on a handle whose driver unloaded.
    STATUS_FILE_DELETED = NtStatus::FILE_DELETED.as_u32();
    /// The device is not in a state to accept the request (for example, being unloaded).
    STATUS_INVALID_DEVICE_STATE = NtStatus::INVALID_DEVICE_STATE.as_u32();
    /// The input buffer is shorter than the request's fixed part, or its length fields disagree
    /// with its size.
    STATUS_INVALID_BUFFER_SIZE = NtStatus::INVALID_BUFFER_SIZE.as_u32();
    /// The registration id is unknown, or was registered through another handle.
    STATUS_NOT_FOUND = NtStatus::NOT_FOUND.as_u32();
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
    /// evshare's own: the host driver declared no channel of that number.
    STATUS_EVSHARE_NO_SUCH_CHANNEL = 0xE0E5_0007;
    /// evshare's own: the registration is subscribed to a channel already (one each).
    STATUS_EVSHARE_ALREADY_SUBSCRIBED = 0xE0E5_0008;
    /// evshare's own: the channel has as many subscribers as one channel may.
    STATUS_EVSHARE_CHANNEL_FULL = 0xE0E5_0009;
    /// evshare's own: the channel's payloads are longer than a ring record or a notification
    /// carries, so a ring or an inverted call cannot subscribe to it (an event registration
    /// can).
    STATUS_EVSHARE_CHANNEL_TOO_WIDE = 0xE0E5_000A;
    /// evshare's own: the calling process holds as many of the channel's subscriber slots as
    /// one process may.
    STATUS_EVSHARE_CHANNEL_SHARE = 0xE0E5_000B;
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
    fn standard_statuses_have_the_ddk_names_the_shared_type_gives_them() {
        for status in ALL_NAMED {
            let shared = NtStatus(*status);
            if shared.is_customer() {
                assert!(shared.name().is_none(), "{shared:?}");
                assert!(status_name(*status).is_some_and(|n| n.starts_with("STATUS_EVSHARE_")));
            } else {
                assert_eq!(shared.name(), status_name(*status), "{shared:?}");
            }
        }
    }

    #[test]
    fn nt_success_follows_the_severity_bits() {
        assert!(NtStatus(STATUS_SUCCESS).is_success());
        assert!(NtStatus(STATUS_PENDING).is_success());
        assert!(!NtStatus(STATUS_BUFFER_OVERFLOW).is_success());
        assert!(!NtStatus(STATUS_ACCESS_DENIED).is_success());
    }
}

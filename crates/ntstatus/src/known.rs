//! The standard statuses this crate names: the ones evshare's driver, kernel layer and client
//! meet. Each is an associated constant of [`NtStatus`] whose DDK name is `STATUS_` and the
//! constant's name; the values are those of the DDK's `ntstatus.h`.

use crate::NtStatus;

macro_rules! known {
    ($($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        impl NtStatus {
            $($(#[$doc])* pub const $name: NtStatus = NtStatus($value);)*
        }

        /// The DDK name of `status`, if it is one of the constants above.
        pub(crate) const fn name(status: NtStatus) -> Option<&'static str> {
            match status {
                $(NtStatus::$name => Some(concat!("STATUS_", stringify!($name))),)*
                _ => None,
            }
        }

        /// Every named status, in declaration order.
        #[cfg(test)]
        pub(crate) const ALL: &[NtStatus] = &[$(NtStatus::$name),*];
    };
}

known! {
    /// `STATUS_SUCCESS`.
    SUCCESS = 0x0000_0000;
    /// `STATUS_TIMEOUT`: a wait timed out (success severity).
    TIMEOUT = 0x0000_0102;
    /// `STATUS_PENDING`: the request will complete later.
    PENDING = 0x0000_0103;
    /// `STATUS_BUFFER_OVERFLOW`: the output buffer held only part of the data (a warning).
    BUFFER_OVERFLOW = 0x8000_0005;
    /// `STATUS_UNSUCCESSFUL`: unspecified failure.
    UNSUCCESSFUL = 0xC000_0001;
    /// `STATUS_NOT_IMPLEMENTED`.
    NOT_IMPLEMENTED = 0xC000_0002;
    /// `STATUS_INVALID_HANDLE`.
    INVALID_HANDLE = 0xC000_0008;
    /// `STATUS_INVALID_PARAMETER`.
    INVALID_PARAMETER = 0xC000_000D;
    /// `STATUS_INVALID_DEVICE_REQUEST`.
    INVALID_DEVICE_REQUEST = 0xC000_0010;
    /// `STATUS_MORE_PROCESSING_REQUIRED`: a completion routine keeps the IRP.
    MORE_PROCESSING_REQUIRED = 0xC000_0016;
    /// `STATUS_NO_MEMORY`.
    NO_MEMORY = 0xC000_0017;
    /// `STATUS_INVALID_VIEW_SIZE`.
    INVALID_VIEW_SIZE = 0xC000_001F;
    /// `STATUS_ACCESS_DENIED`.
    ACCESS_DENIED = 0xC000_0022;
    /// `STATUS_BUFFER_TOO_SMALL`.
    BUFFER_TOO_SMALL = 0xC000_0023;
    /// `STATUS_OBJECT_TYPE_MISMATCH`.
    OBJECT_TYPE_MISMATCH = 0xC000_0024;
    /// `STATUS_OBJECT_NAME_INVALID`.
    OBJECT_NAME_INVALID = 0xC000_0033;
    /// `STATUS_OBJECT_NAME_NOT_FOUND`.
    OBJECT_NAME_NOT_FOUND = 0xC000_0034;
    /// `STATUS_OBJECT_NAME_COLLISION`.
    OBJECT_NAME_COLLISION = 0xC000_0035;
    /// `STATUS_OBJECT_PATH_INVALID`.
    OBJECT_PATH_INVALID = 0xC000_0039;
    /// `STATUS_OBJECT_PATH_NOT_FOUND`.
    OBJECT_PATH_NOT_FOUND = 0xC000_003A;
    /// `STATUS_QUOTA_EXCEEDED`.
    QUOTA_EXCEEDED = 0xC000_0044;
    /// `STATUS_DELETE_PENDING`.
    DELETE_PENDING = 0xC000_0056;
    /// `STATUS_REVISION_MISMATCH`.
    REVISION_MISMATCH = 0xC000_0059;
    /// `STATUS_INSUFFICIENT_RESOURCES`.
    INSUFFICIENT_RESOURCES = 0xC000_009A;
    /// `STATUS_NOT_SUPPORTED`.
    NOT_SUPPORTED = 0xC000_00BB;
    /// `STATUS_INTERNAL_ERROR`.
    INTERNAL_ERROR = 0xC000_00E5;
    /// `STATUS_NAME_TOO_LONG`.
    NAME_TOO_LONG = 0xC000_0106;
    /// `STATUS_PROCESS_IS_TERMINATING`.
    PROCESS_IS_TERMINATING = 0xC000_010A;
    /// `STATUS_CANCELLED`.
    CANCELLED = 0xC000_0120;
    /// `STATUS_FILE_DELETED`.
    FILE_DELETED = 0xC000_0123;
    /// `STATUS_INVALID_DEVICE_STATE`.
    INVALID_DEVICE_STATE = 0xC000_0184;
    /// `STATUS_INVALID_BUFFER_SIZE`.
    INVALID_BUFFER_SIZE = 0xC000_0206;
    /// `STATUS_NOT_FOUND`.
    NOT_FOUND = 0xC000_0225;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_status_is_distinct_and_standard() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(name(*a).is_some_and(|n| n.starts_with("STATUS_")));
            assert!(!a.is_customer(), "{a:?}");
            for b in ALL.get(i + 1..).unwrap_or(&[]) {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn names_are_the_ddk_names() {
        assert_eq!(
            NtStatus(0xC000_0034).name(),
            Some("STATUS_OBJECT_NAME_NOT_FOUND")
        );
        assert_eq!(NtStatus(0).name(), Some("STATUS_SUCCESS"));
        assert_eq!(
            NtStatus(0xC000_009A).name(),
            Some("STATUS_INSUFFICIENT_RESOURCES")
        );
        assert_eq!(NtStatus(0xC000_0BAD).name(), None);
        assert_eq!(NtStatus(0xE0E5_0001).name(), None);
    }
}

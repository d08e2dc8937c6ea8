//! `NTSTATUS` as a type: kernel routines return `Result<T, NtStatus>`.

use core::fmt;

/// An `NTSTATUS` value. Only failure codes are carried in `Err`; success is `Ok`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NtStatus(i32);

impl NtStatus {
    /// `STATUS_SUCCESS`.
    pub const SUCCESS: NtStatus = NtStatus(0);
    /// `STATUS_UNSUCCESSFUL`.
    pub const UNSUCCESSFUL: NtStatus = NtStatus::from_u32(0xC000_0001);
    /// `STATUS_INVALID_HANDLE`.
    pub const INVALID_HANDLE: NtStatus = NtStatus::from_u32(0xC000_0008);
    /// `STATUS_ACCESS_DENIED`.
    pub const ACCESS_DENIED: NtStatus = NtStatus::from_u32(0xC000_0022);
    /// `STATUS_INVALID_PARAMETER`.
    pub const INVALID_PARAMETER: NtStatus = NtStatus::from_u32(0xC000_000D);
    /// `STATUS_INVALID_DEVICE_REQUEST`.
    pub const INVALID_DEVICE_REQUEST: NtStatus = NtStatus::from_u32(0xC000_0010);
    /// `STATUS_INSUFFICIENT_RESOURCES`.
    pub const INSUFFICIENT_RESOURCES: NtStatus = NtStatus::from_u32(0xC000_009A);
    /// `STATUS_NAME_TOO_LONG`.
    pub const NAME_TOO_LONG: NtStatus = NtStatus::from_u32(0xC000_0106);
    /// `STATUS_INTERNAL_ERROR`: what an IRP dropped without completion is completed with.
    pub const INTERNAL_ERROR: NtStatus = NtStatus::from_u32(0xC000_00E5);

    /// Wraps a raw status.
    pub const fn from_raw(raw: i32) -> Self {
        NtStatus(raw)
    }

    /// Wraps a status written as the DDK writes it (`0xC0000034`).
    pub const fn from_u32(raw: u32) -> Self {
        NtStatus(raw as i32)
    }

    /// The raw value.
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The raw value as the DDK writes it.
    pub const fn as_u32(self) -> u32 {
        self.0 as u32
    }

    /// `NT_SUCCESS`: success and informational codes.
    pub const fn is_success(self) -> bool {
        self.0 >= 0
    }

    /// `Ok(())` for success codes, `Err(self)` otherwise.
    pub const fn ok(self) -> Result<(), NtStatus> {
        if self.is_success() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Debug for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NtStatus({:#010x})", self.as_u32())
    }
}

impl fmt::Display for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.as_u32())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_and_failure_follow_nt_success() {
        assert!(NtStatus::SUCCESS.is_success());
        assert!(NtStatus::from_u32(0x0000_0103).is_success()); // STATUS_PENDING
        assert!(!NtStatus::from_u32(0xC000_0034).is_success());
        assert_eq!(
            NtStatus::from_u32(0xC000_0034).ok(),
            Err(NtStatus::from_u32(0xC000_0034))
        );
        assert_eq!(NtStatus::SUCCESS.ok(), Ok(()));
    }

    #[test]
    fn round_trips_the_ddk_spelling() {
        let s = NtStatus::from_u32(0xC000_0024);
        assert_eq!(s.as_u32(), 0xC000_0024);
        assert_eq!(s.raw(), 0xC000_0024_u32 as i32);
    }
}

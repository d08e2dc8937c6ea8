//! `NTSTATUS` as a type, shared by evshare's kernel layer (`evshare-km`), its wire protocol
//! (`evshare-protocol`) and its client (`evshare`), so a status is the same value with the same
//! meaning and the same spelling on both sides of a request.
//!
//! [`NtStatus`] wraps the raw 32-bit value. It knows the DDK name of the standard statuses
//! evshare meets ([`NtStatus::name`]) and prints as the DDK writes it: `STATUS_ACCESS_DENIED
//! (0xC0000022)`, or `NTSTATUS 0xE0E50001` for a value it has no name for (such as a driver's
//! own customer codes, which their owners name).
//!
//! The crate is `no_std`, has no dependencies and never panics: the kernel driver links it.

#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

#[cfg(test)]
extern crate std;

mod known;

use core::fmt;

/// An `NTSTATUS` value, as the DDK writes it (`0xC0000034`).
///
/// Every 32-bit value is a status (there is nothing to check), so the field is public and
/// `NtStatus(0xC000_0034)` is as good as [`NtStatus::from_u32`]. The kernel's `NTSTATUS` is a
/// signed `LONG`: [`from_raw`](Self::from_raw) and [`raw`](Self::raw) convert, bit for bit.
/// Kernel wrappers return `Result<T, NtStatus>` and carry only failures in `Err`
/// ([`ok`](Self::ok)).
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NtStatus(pub u32);

impl NtStatus {
    /// Wraps a status written as the DDK writes it (`0xC0000034`).
    pub const fn from_u32(value: u32) -> Self {
        NtStatus(value)
    }

    /// Wraps the kernel's signed `NTSTATUS` (a routine's return value).
    pub const fn from_raw(raw: i32) -> Self {
        NtStatus(raw as u32)
    }

    /// The value as the DDK writes it (`0xC0000034`).
    pub const fn as_u32(self) -> u32 {
        self.0
    }

    /// The kernel's signed `NTSTATUS` (what a dispatch routine returns).
    pub const fn raw(self) -> i32 {
        self.0 as i32
    }

    /// `NT_SUCCESS`: the success and informational severities (top bit clear).
    pub const fn is_success(self) -> bool {
        self.0 & 0x8000_0000 == 0
    }

    /// `NT_ERROR`: the error severity (both top bits set). Warnings such as
    /// `STATUS_BUFFER_OVERFLOW` are neither successes nor errors.
    pub const fn is_error(self) -> bool {
        self.0 >> 30 == 0b11
    }

    /// A customer code (bit 29 set): defined by a driver, not by Windows.
    pub const fn is_customer(self) -> bool {
        self.0 & 0x2000_0000 != 0
    }

    /// `Ok(())` for success codes, `Err(self)` otherwise.
    pub const fn ok(self) -> Result<(), NtStatus> {
        if self.is_success() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// The DDK name (`"STATUS_OBJECT_NAME_NOT_FOUND"`) of the statuses this crate names (the
    /// associated constants), `None` for any other value.
    pub const fn name(self) -> Option<&'static str> {
        known::name(self)
    }
}

impl From<NtStatus> for u32 {
    fn from(status: NtStatus) -> u32 {
        status.0
    }
}

impl From<u32> for NtStatus {
    fn from(value: u32) -> NtStatus {
        NtStatus(value)
    }
}

impl fmt::Display for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({:#010X})", self.0),
            None => write!(f, "NTSTATUS {:#010X}", self.0),
        }
    }
}

impl fmt::Debug for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "NtStatus({:#010X} {name})", self.0),
            None => write!(f, "NtStatus({:#010X})", self.0),
        }
    }
}

impl core::error::Error for NtStatus {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::string::ToString;

    #[test]
    fn severities_follow_the_top_bits() {
        assert!(NtStatus::SUCCESS.is_success());
        assert!(NtStatus::PENDING.is_success());
        assert!(!NtStatus::PENDING.is_error());
        assert!(!NtStatus::BUFFER_OVERFLOW.is_success());
        assert!(!NtStatus::BUFFER_OVERFLOW.is_error());
        assert!(!NtStatus::OBJECT_NAME_NOT_FOUND.is_success());
        assert!(NtStatus::OBJECT_NAME_NOT_FOUND.is_error());
        assert!(NtStatus(0xE0E5_0001).is_error());
        assert!(NtStatus(0xE0E5_0001).is_customer());
        assert!(!NtStatus::ACCESS_DENIED.is_customer());
    }

    #[test]
    fn ok_carries_only_failures() {
        assert_eq!(NtStatus::SUCCESS.ok(), Ok(()));
        assert_eq!(NtStatus::TIMEOUT.ok(), Ok(()));
        assert_eq!(
            NtStatus::OBJECT_NAME_NOT_FOUND.ok(),
            Err(NtStatus::OBJECT_NAME_NOT_FOUND)
        );
        assert_eq!(NtStatus(0x8000_0005).ok(), Err(NtStatus::BUFFER_OVERFLOW));
    }

    #[test]
    fn signed_and_unsigned_spellings_are_the_same_bits() {
        let status = NtStatus::from_u32(0xC000_0024);
        assert_eq!(status.as_u32(), 0xC000_0024);
        assert_eq!(status.raw(), 0xC000_0024_u32 as i32);
        assert_eq!(NtStatus::from_raw(status.raw()), status);
        assert_eq!(NtStatus::from_raw(-1073741790), NtStatus::ACCESS_DENIED);
        assert_eq!(u32::from(status), 0xC000_0024);
        assert_eq!(NtStatus::from(0xC000_0024), status);
    }

    #[test]
    fn prints_as_the_ddk_writes_it() {
        assert_eq!(
            NtStatus::OBJECT_NAME_NOT_FOUND.to_string(),
            "STATUS_OBJECT_NAME_NOT_FOUND (0xC0000034)"
        );
        assert_eq!(NtStatus::SUCCESS.to_string(), "STATUS_SUCCESS (0x00000000)");
        assert_eq!(NtStatus(0xC000_0BAD).to_string(), "NTSTATUS 0xC0000BAD");
        assert_eq!(
            format!("{:?}", NtStatus::ACCESS_DENIED),
            "NtStatus(0xC0000022 STATUS_ACCESS_DENIED)"
        );
        assert_eq!(
            format!("{:?}", NtStatus(0xE0E5_0001)),
            "NtStatus(0xE0E50001)"
        );
    }
}

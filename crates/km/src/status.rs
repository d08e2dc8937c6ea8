//! `NTSTATUS` as a type: kernel routines return `Result<T, NtStatus>`.
//!
//! The type is `evshare-ntstatus`'s, re-exported, so the driver completes a request with the
//! same [`NtStatus`] the protocol names and the client reports. That crate has no dependencies:
//! km stays usable by drivers that do not speak evshare's protocol.

pub use evshare_ntstatus::NtStatus;

//! Raw kernel bindings: the `#[repr(C)]` structures we read or write and the `ntoskrnl.exe`
//! imports. The imports are private to km, which wraps each (docs/ddi.md lists them); the
//! structures are public only as the opaque pointer types of C entry points (`crates/kernel-c`).
//!
//! We own these declarations on purpose (see `shared/PLATFORM.md`): `windows-sys` attributes many
//! kernel routines to `ntdll.dll`, and its `IO_STACK_LOCATION` parameters lack the x64
//! `POINTER_ALIGNMENT`. Every layout here is checked against the mingw-w64 DDK headers by
//! [`crate::layout::CHECKS`].

pub mod types;

#[cfg(target_os = "windows")]
pub(crate) mod imports;

pub use types::*;

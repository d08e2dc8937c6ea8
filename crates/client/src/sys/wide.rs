//! NUL-terminated UTF-16 strings for the `W` Win32 APIs.

use std::ffi::OsStr;
use std::os::windows::ffi::{OsStrExt, OsStringExt};

/// A NUL-terminated UTF-16 string with no interior NUL.
#[derive(Debug, Clone)]
pub(crate) struct WideCString(Vec<u16>);

/// A string handed to a Win32 API contained a NUL, which would silently cut it short.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InteriorNul;

impl WideCString {
    /// Encodes `s` (a `str`, `Path`, `OsStr`...) as UTF-16 and appends the terminator.
    pub(crate) fn new(s: impl AsRef<OsStr>) -> Result<Self, InteriorNul> {
        let mut units: Vec<u16> = s.as_ref().encode_wide().collect();
        if units.contains(&0) {
            return Err(InteriorNul);
        }
        units.push(0);
        Ok(Self(units))
    }

    /// Pointer to the first unit, valid while `self` lives.
    pub(crate) fn as_ptr(&self) -> *const u16 {
        self.0.as_ptr()
    }
}

/// Decodes a NUL-terminated or full UTF-16 buffer into an `OsString` (stops at the first NUL).
pub(crate) fn from_wide_until_nul(units: &[u16]) -> std::ffi::OsString {
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    std::ffi::OsString::from_wide(&units[..end])
}

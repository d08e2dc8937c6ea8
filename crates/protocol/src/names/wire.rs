//! Names as they travel: UTF-16LE bytes without a terminator.

use super::units::check_utf16_without_nul;
use super::{NameError, MAX_INPUT_UNITS};
use crate::wire::units_le;

/// Checks UTF-16LE wire bytes without copying them, and returns their length in units.
///
/// Problems are reported in this order: no bytes [`Empty`](NameError::Empty), an odd count
/// [`NotUtf16`](NameError::NotUtf16), over [`MAX_INPUT_UNITS`] units
/// [`TooLong`](NameError::TooLong), then the first unpaired surrogate
/// ([`NotUtf16`](NameError::NotUtf16)) or NUL ([`EmbeddedNul`](NameError::EmbeddedNul)).
pub fn check_wire_name(bytes: &[u8]) -> Result<usize, NameError> {
    if bytes.is_empty() {
        return Err(NameError::Empty);
    }
    if bytes.len() & 1 != 0 {
        return Err(NameError::NotUtf16);
    }
    let units = bytes.len() / 2;
    if units > MAX_INPUT_UNITS {
        return Err(NameError::TooLong { units });
    }
    check_utf16_without_nul(units_le(bytes))?;
    Ok(units)
}

/// Decode UTF-16LE wire bytes into `out`; returns the used prefix. Errors as for
/// [`check_wire_name`].
pub fn decode_wire_name<'a>(
    bytes: &[u8],
    out: &'a mut [u16; MAX_INPUT_UNITS],
) -> Result<&'a [u16], NameError> {
    let units = check_wire_name(bytes)?;
    for (slot, unit) in out.iter_mut().zip(units_le(bytes)) {
        *slot = unit;
    }
    out.get(..units).ok_or(NameError::TooLong { units })
}

//! The `resolved_bytes: u32, reserved: u32, resolved: [u16; 256]` tail shared by
//! `RegisterReply` and `RegistrationInfo`.

use crate::error::ProtocolError;
use crate::names::{NameError, ResolvedName, MAX_RESOLVED_UNITS};
use crate::wire::{units_le, Reader, Writer};

/// Size of the tail: `resolved_bytes`, `reserved` and the 256-unit array.
pub(super) const LEN: usize = 8 + 2 * MAX_RESOLVED_UNITS;

/// Writes the tail: the path, then zeros up to the array's end.
pub(super) fn write(fields: &mut Writer<'_>, resolved: &ResolvedName) -> Option<()> {
    let units = resolved.as_units();
    let bytes = units.len().checked_mul(2)?;
    fields.u32(u32::try_from(bytes).ok()?)?;
    fields.u32(0)?;
    fields.units(units)?;
    fields.zeros((2 * MAX_RESOLVED_UNITS).checked_sub(bytes)?)
}

/// Reads the tail. `resolved_bytes` must fit in the array and be even, `reserved` must be
/// zero, and the path must be one the driver could have resolved
/// ([`ResolvedName::try_from_units`]).
pub(super) fn read(
    fields: &mut Reader<'_>,
    missing: ProtocolError,
) -> Result<ResolvedName, ProtocolError> {
    let resolved_bytes = fields.u32().ok_or(missing)?;
    let reserved = fields.u32().ok_or(missing)?;
    let array = fields.bytes(2 * MAX_RESOLVED_UNITS).ok_or(missing)?;
    super::check_reserved(reserved)?;
    let declared = usize::try_from(resolved_bytes).unwrap_or(usize::MAX);
    let path_bytes = array.get(..declared).ok_or(ProtocolError::LengthMismatch {
        declared,
        got: array.len(),
    })?;
    if path_bytes.len() & 1 != 0 {
        return Err(NameError::NotUtf16.into());
    }
    let mut units = [0_u16; MAX_RESOLVED_UNITS];
    for (slot, unit) in units.iter_mut().zip(units_le(path_bytes)) {
        *slot = unit;
    }
    let path = units.get(..path_bytes.len() / 2).ok_or(missing)?;
    Ok(ResolvedName::try_from_units(path)?)
}

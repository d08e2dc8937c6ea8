//! The `resolved_bytes: u32, method: u32, resolved: [u16; 256]` tail shared by
//! `RegisterReply` and `RegistrationInfo`, and the rules tying a registration's method to its
//! name and handle.

use crate::error::ProtocolError;
use crate::method::Method;
use crate::names::{NameError, ResolvedName, MAX_RESOLVED_UNITS};
use crate::wire::{units_le, Reader, Writer};

/// Size of the tail: `resolved_bytes`, `method` and the 256-unit array.
pub(super) const LEN: usize = 8 + 2 * MAX_RESOLVED_UNITS;

/// Writes the tail: the path (none: `resolved_bytes` 0), then zeros up to the array's end.
pub(super) fn write(
    fields: &mut Writer<'_>,
    method: Method,
    resolved: Option<&ResolvedName>,
) -> Option<()> {
    let units = resolved.map_or(&[][..], ResolvedName::as_units);
    let bytes = units.len().checked_mul(2)?;
    fields.u32(u32::try_from(bytes).ok()?)?;
    fields.u32(method.to_wire())?;
    fields.units(units)?;
    fields.zeros((2 * MAX_RESOLVED_UNITS).checked_sub(bytes)?)
}

/// Reads the tail. `method` must be a known one, `resolved_bytes` must fit in the array and
/// be even; 0 means no name, anything else must be a path the driver could have resolved or
/// created ([`ResolvedName::try_from_units`]). Whether the method and the name agree is
/// [`check_method`]'s business.
pub(super) fn read(
    fields: &mut Reader<'_>,
    missing: ProtocolError,
) -> Result<(Method, Option<ResolvedName>), ProtocolError> {
    let resolved_bytes = fields.u32().ok_or(missing)?;
    let method = fields.u32().ok_or(missing)?;
    let array = fields.bytes(2 * MAX_RESOLVED_UNITS).ok_or(missing)?;
    let method = Method::from_wire(method)?;
    let declared = usize::try_from(resolved_bytes).unwrap_or(usize::MAX);
    let path_bytes = array.get(..declared).ok_or(ProtocolError::LengthMismatch {
        declared,
        got: array.len(),
    })?;
    if path_bytes.is_empty() {
        return Ok((method, None));
    }
    if path_bytes.len() & 1 != 0 {
        return Err(NameError::NotUtf16.into());
    }
    let mut units = [0_u16; MAX_RESOLVED_UNITS];
    for (slot, unit) in units.iter_mut().zip(units_le(path_bytes)) {
        *slot = unit;
    }
    let path = units.get(..path_bytes.len() / 2).ok_or(missing)?;
    Ok((method, Some(ResolvedName::try_from_units(path)?)))
}

/// The reply's name and handle must fit its method: a name exactly for the methods that have
/// one ([`Method::has_name`]), and for [`Method::DriverNamed`] one that
/// [`driver_created`](crate::names::driver_created) makes; a non-zero handle only for
/// [`Method::DriverHandle`] (`handle` is 0 for replies without a handle field).
pub(super) fn check_method(
    method: Method,
    resolved: Option<&ResolvedName>,
    handle: u64,
) -> Result<(), ProtocolError> {
    let name_fits = match (method, resolved) {
        (Method::DriverNamed, Some(resolved)) => resolved.created_leaf().is_some(),
        (_, resolved) => method.has_name() == resolved.is_some(),
    };
    let handle_fits = handle == 0 || method.returns_handle();
    if name_fits && handle_fits {
        Ok(())
    } else {
        Err(ProtocolError::MethodMismatch { method })
    }
}

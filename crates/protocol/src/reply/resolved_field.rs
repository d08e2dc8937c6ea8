//! The `resolved_bytes: u32, method: u32, resolved: [u16; 256]` fields shared by
//! `RegisterReply` and `RegistrationInfo`, and the rules tying a registration's method to its
//! name and handle.

use crate::error::ProtocolError;
use crate::method::Method;
use crate::names::{NameError, ResolvedName, MAX_RESOLVED_UNITS};

/// The raw `resolved_bytes`, `method` and `resolved` of a registration: the path (none:
/// `resolved_bytes` 0), then zeros up to the array's end. `None` for a path longer than the
/// array, which a [`ResolvedName`] cannot be.
pub(super) fn encode(
    method: Method,
    resolved: Option<&ResolvedName>,
) -> Option<(u32, u32, [u16; MAX_RESOLVED_UNITS])> {
    let units = resolved.map_or(&[][..], ResolvedName::as_units);
    let mut array = [0_u16; MAX_RESOLVED_UNITS];
    for (slot, unit) in array.iter_mut().zip(units) {
        *slot = *unit;
    }
    if units.len() > MAX_RESOLVED_UNITS {
        return None;
    }
    let bytes = u32::try_from(units.len().checked_mul(2)?).ok()?;
    Some((bytes, method.to_wire(), array))
}

/// The method and path of raw `resolved_bytes`, `method` and `resolved`. `method` must be a
/// known one, `resolved_bytes` must fit in the array and be even; 0 means no name, anything
/// else must be a path the driver could have resolved or created
/// ([`ResolvedName::try_from_units`]). Whether the method and the name agree is
/// [`check_method`]'s business.
pub(super) fn decode(
    resolved_bytes: u32,
    method: u32,
    resolved: &[u16; MAX_RESOLVED_UNITS],
) -> Result<(Method, Option<ResolvedName>), ProtocolError> {
    let method = Method::from_wire(method)?;
    let declared = usize::try_from(resolved_bytes).unwrap_or(usize::MAX);
    let too_long = ProtocolError::LengthMismatch {
        declared,
        got: 2 * MAX_RESOLVED_UNITS,
    };
    if declared > 2 * MAX_RESOLVED_UNITS {
        return Err(too_long);
    }
    if declared == 0 {
        return Ok((method, None));
    }
    if declared & 1 != 0 {
        return Err(NameError::NotUtf16.into());
    }
    let path = resolved.get(..declared / 2).ok_or(too_long)?;
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

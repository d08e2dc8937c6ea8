//! Names of events the driver creates: `<directory>\evshare-<leaf>`, from a leaf the app chose.

use super::units::{check_utf16_without_nul, BACKSLASH};
use super::{NameError, ResolvedName, MAX_CREATED_LEAF_UNITS};
use crate::created::Scope;
use crate::wire::units_le;

/// The path of the event `CREATE_NAMED_EVENT` creates for a caller in `caller_session`:
/// `\BaseNamedObjects\evshare-<leaf>` for [`Scope::Global`] (and for [`Scope::Session`] in
/// session 0, whose objects live in the global directory), else
/// `\Sessions\<caller_session>\BaseNamedObjects\evshare-<leaf>`.
///
/// The leaf follows the name rules for a leaf, with a shorter limit; the checks run in this
/// order, and the first failure is the answer:
/// 1. empty: [`Empty`](NameError::Empty);
/// 2. over [`MAX_CREATED_LEAF_UNITS`](super::MAX_CREATED_LEAF_UNITS) units:
///    [`CreatedLeafTooLong`](NameError::CreatedLeafTooLong);
/// 3. the first unpaired surrogate ([`NotUtf16`](NameError::NotUtf16)) or NUL
///    ([`EmbeddedNul`](NameError::EmbeddedNul));
/// 4. a `\`, or the leaf `.` or `..`: [`BadCreatedLeaf`](NameError::BadCreatedLeaf). (A leaf
///    is not a path: the app picks the directory with the scope, never with a `\`.)
///
/// The result's [`leaf`](ResolvedName::leaf) is the object's own name, `evshare-<leaf>`;
/// [`created_leaf`](ResolvedName::created_leaf) gives back the app's part.
pub fn driver_created(
    leaf: &[u16],
    scope: Scope,
    caller_session: u32,
) -> Result<ResolvedName, NameError> {
    check_created_leaf(leaf)?;
    // At most 38 units of directory, 8 of prefix and 64 of leaf: always fits in 256. Should it
    // not, refusing the leaf as too long is the safe answer.
    ResolvedName::created(scope.namespace(caller_session), leaf)
        .ok_or(NameError::CreatedLeafTooLong { units: leaf.len() })
}

/// Checks the leaf of a driver-created event (rules and order in [`driver_created`]).
pub(super) fn check_created_leaf(leaf: &[u16]) -> Result<(), NameError> {
    if leaf.is_empty() {
        return Err(NameError::Empty);
    }
    if leaf.len() > MAX_CREATED_LEAF_UNITS {
        return Err(NameError::CreatedLeafTooLong { units: leaf.len() });
    }
    check_utf16_without_nul(leaf.iter().copied())?;
    check_created_leaf_shape(leaf)
}

/// A leaf that passed the length and UTF-16 checks must not contain `\` and not be `.`/`..`.
fn check_created_leaf_shape(leaf: &[u16]) -> Result<(), NameError> {
    const DOT: u16 = b'.' as u16;
    if leaf.contains(&BACKSLASH) || leaf == [DOT] || leaf == [DOT, DOT] {
        return Err(NameError::BadCreatedLeaf);
    }
    Ok(())
}

/// Checks the UTF-16LE wire bytes of a driver-created event's leaf (`CREATE_NAMED_EVENT`)
/// without copying them, and returns their length in units.
///
/// Problems are reported in this order: no bytes [`Empty`](NameError::Empty), an odd count
/// [`NotUtf16`](NameError::NotUtf16), over
/// [`MAX_CREATED_LEAF_UNITS`](super::MAX_CREATED_LEAF_UNITS) units
/// [`CreatedLeafTooLong`](NameError::CreatedLeafTooLong), then as in [`driver_created`].
pub fn check_wire_leaf(bytes: &[u8]) -> Result<usize, NameError> {
    if bytes.is_empty() {
        return Err(NameError::Empty);
    }
    if bytes.len() & 1 != 0 {
        return Err(NameError::NotUtf16);
    }
    let units = bytes.len() / 2;
    if units > MAX_CREATED_LEAF_UNITS {
        return Err(NameError::CreatedLeafTooLong { units });
    }
    check_utf16_without_nul(units_le(bytes))?;
    let mut leaf = [0_u16; MAX_CREATED_LEAF_UNITS];
    check_created_leaf_shape(decode_into(bytes, &mut leaf, units)?)?;
    Ok(units)
}

/// Decode a driver-created event's UTF-16LE leaf into `out`; returns the used prefix. Errors
/// as for [`check_wire_leaf`].
pub fn decode_wire_leaf<'a>(
    bytes: &[u8],
    out: &'a mut [u16; MAX_CREATED_LEAF_UNITS],
) -> Result<&'a [u16], NameError> {
    let units = check_wire_leaf(bytes)?;
    decode_into(bytes, out, units)
}

/// The first `units` units of `bytes`, decoded into `out`.
fn decode_into<'a>(
    bytes: &[u8],
    out: &'a mut [u16; MAX_CREATED_LEAF_UNITS],
    units: usize,
) -> Result<&'a [u16], NameError> {
    for (slot, unit) in out.iter_mut().zip(units_le(bytes)) {
        *slot = unit;
    }
    out.get(..units)
        .ok_or(NameError::CreatedLeafTooLong { units })
}

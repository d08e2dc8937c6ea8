//! The client's side: turning a [`Request`] into an input buffer.

use super::{Request, VerifierOp, MAX_CREATED_LEAF_BYTES, MAX_NAME_BYTES, MAX_REQUEST_LEN};
use crate::error::ProtocolError;
use crate::names::{
    check_wire_leaf, check_wire_name, NameError, MAX_CREATED_LEAF_UNITS, MAX_INPUT_UNITS,
};
use crate::ring::{check_capacity, check_count, check_watermark};
use crate::wire::Writer;
use crate::PROTOCOL_VERSION;

/// Encode a request for the client; returns the IOCTL code and the bytes written into `out`.
///
/// Refuses what [`parse`](super::parse) would refuse (a mode, ring capacity, watermark or count
/// out of range, a malformed name or leaf), so an encoded request always parses back to
/// `request`. On error `out` holds garbage.
pub fn encode(
    request: &Request<'_>,
    out: &mut [u8; MAX_REQUEST_LEN],
) -> Result<(u32, usize), ProtocolError> {
    // `out` holds the largest request, so a write can only fail if the layouts above are
    // wrong; the error keeps that from being a panic.
    let full = ProtocolError::OutputTooSmall {
        needed: MAX_REQUEST_LEN.saturating_add(1),
        got: MAX_REQUEST_LEN,
    };
    let mut fields = Writer::new(out);
    fields.u32(PROTOCOL_VERSION).ok_or(full)?;
    fields.u32(0).ok_or(full)?;
    match *request {
        Request::QueryVersion => {}
        Request::RegisterByName { mode, name_bytes } => {
            let (kind, millis) = mode.validate()?.to_wire();
            check_wire_name(name_bytes)?;
            let name_len = u32::try_from(name_bytes.len()).map_err(|_| full)?;
            fields.u32(kind).ok_or(full)?;
            fields.u32(millis).ok_or(full)?;
            fields.u32(name_len).ok_or(full)?;
            fields.bytes(name_bytes).ok_or(full)?;
        }
        Request::SetSignalMode { id, mode } => {
            let (kind, millis) = mode.validate()?.to_wire();
            fields.u64(id).ok_or(full)?;
            fields.u32(kind).ok_or(full)?;
            fields.u32(millis).ok_or(full)?;
        }
        Request::Signal { id }
        | Request::Unregister { id }
        | Request::QueryRegistration { id }
        | Request::QueryRing { id } => {
            fields.u64(id).ok_or(full)?;
        }
        Request::QueryStats { pid } => {
            fields.u32(pid).ok_or(full)?;
            fields.u32(0).ok_or(full)?;
        }
        Request::RegisterByHandle { handle, mode } => {
            let (kind, millis) = mode.validate()?.to_wire();
            fields.u64(handle).ok_or(full)?;
            fields.u32(kind).ok_or(full)?;
            fields.u32(millis).ok_or(full)?;
        }
        Request::CreateEvent { kind, mode } => {
            let (mode_kind, millis) = mode.validate()?.to_wire();
            fields.u32(kind.to_wire()).ok_or(full)?;
            fields.u32(0).ok_or(full)?;
            fields.u32(mode_kind).ok_or(full)?;
            fields.u32(millis).ok_or(full)?;
        }
        Request::CreateNamedEvent {
            kind,
            scope,
            mode,
            leaf_bytes,
        } => {
            let (mode_kind, millis) = mode.validate()?.to_wire();
            check_wire_leaf(leaf_bytes)?;
            let leaf_len = u32::try_from(leaf_bytes.len()).map_err(|_| full)?;
            fields.u32(kind.to_wire()).ok_or(full)?;
            fields.u32(scope.to_wire()).ok_or(full)?;
            fields.u32(mode_kind).ok_or(full)?;
            fields.u32(millis).ok_or(full)?;
            fields.u32(leaf_len).ok_or(full)?;
            fields.bytes(leaf_bytes).ok_or(full)?;
        }
        Request::QueryHolders | Request::PendNotification => {}
        Request::RegisterRing {
            capacity,
            mode,
            watermark,
            section,
            data_ready,
            space_free,
        } => {
            let capacity = check_capacity(capacity)?;
            let (mode_kind, millis) = mode.validate()?.to_wire();
            let watermark = check_watermark(watermark, capacity)?;
            let names = [section, data_ready, space_free];
            for name in names {
                check_wire_name(name)?;
            }
            fields.u32(capacity).ok_or(full)?;
            fields.u32(mode_kind).ok_or(full)?;
            fields.u32(millis).ok_or(full)?;
            fields.u32(watermark).ok_or(full)?;
            for name in names {
                let name_len = u32::try_from(name.len()).map_err(|_| full)?;
                fields.u32(name_len).ok_or(full)?;
            }
            for name in names {
                fields.bytes(name).ok_or(full)?;
            }
        }
        Request::Produce { id, count } => {
            let count = check_count(count)?;
            fields.u64(id).ok_or(full)?;
            fields.u32(count).ok_or(full)?;
            fields.u32(0).ok_or(full)?;
        }
        Request::Notify { count } => {
            let count = check_count(count)?;
            fields.u32(count).ok_or(full)?;
            fields.u32(0).ok_or(full)?;
        }
        Request::Verifier { op } => {
            let (op, arg, seed) = match op {
                VerifierOp::Query => (0, 0, 0),
                VerifierOp::Faults { seed, one_in } => (1, one_in, seed),
                VerifierOp::Provoke { check } => (2, check, 0),
            };
            fields.u32(op).ok_or(full)?;
            fields.u32(arg).ok_or(full)?;
            fields.u64(seed).ok_or(full)?;
        }
    }
    Ok((request.ioctl().code(), fields.written()))
}

/// Helper for the client: UTF-16LE bytes of a &str into a buffer (returns the used length).
///
/// Refuses an empty name ([`Empty`](NameError::Empty)), one over
/// [`MAX_INPUT_UNITS`] UTF-16 units ([`TooLong`](NameError::TooLong)) and one with a NUL
/// ([`EmbeddedNul`](NameError::EmbeddedNul)), in that order. It does not apply the
/// namespace rules, which need the caller's session: the driver does.
pub fn name_to_wire(name: &str, out: &mut [u8; MAX_NAME_BYTES]) -> Result<usize, NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let units = name.encode_utf16().count();
    if units > MAX_INPUT_UNITS {
        return Err(NameError::TooLong { units });
    }
    if name.contains('\0') {
        return Err(NameError::EmbeddedNul);
    }
    let mut bytes = Writer::new(out);
    for unit in name.encode_utf16() {
        bytes
            .bytes(&unit.to_le_bytes())
            .ok_or(NameError::TooLong { units })?;
    }
    Ok(bytes.written())
}

/// Helper for the client: UTF-16LE bytes of a driver-created event's leaf (the `X` of
/// `evshare-X`) into a buffer (returns the used length).
///
/// Applies every rule [`parse`](super::parse) applies to `CREATE_NAMED_EVENT`'s leaf (see
/// [`names::driver_created`](crate::names::driver_created)): refuses an empty leaf
/// ([`Empty`](NameError::Empty)), one over [`MAX_CREATED_LEAF_UNITS`] UTF-16 units
/// ([`CreatedLeafTooLong`](NameError::CreatedLeafTooLong)), one with a NUL
/// ([`EmbeddedNul`](NameError::EmbeddedNul)), and one with a `\\` or that is `.` or `..`
/// ([`BadCreatedLeaf`](NameError::BadCreatedLeaf)), in that order.
pub fn leaf_to_wire(
    leaf: &str,
    out: &mut [u8; MAX_CREATED_LEAF_BYTES],
) -> Result<usize, NameError> {
    if leaf.is_empty() {
        return Err(NameError::Empty);
    }
    let units = leaf.encode_utf16().count();
    if units > MAX_CREATED_LEAF_UNITS {
        return Err(NameError::CreatedLeafTooLong { units });
    }
    let mut bytes = Writer::new(out);
    for unit in leaf.encode_utf16() {
        bytes
            .bytes(&unit.to_le_bytes())
            .ok_or(NameError::CreatedLeafTooLong { units })?;
    }
    let written = bytes.written();
    let wire = out
        .get(..written)
        .ok_or(NameError::CreatedLeafTooLong { units })?;
    check_wire_leaf(wire)?;
    Ok(written)
}

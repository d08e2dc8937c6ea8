//! The client's side: turning a [`Request`] into an input buffer.

use super::layout::{self, RequestHeader};
use super::{Request, VerifierOp, MAX_CREATED_LEAF_BYTES, MAX_NAME_BYTES, MAX_REQUEST_LEN};
use crate::error::ProtocolError;
use crate::names::{
    check_wire_leaf, check_wire_name, NameError, MAX_CREATED_LEAF_UNITS, MAX_INPUT_UNITS,
};
use crate::ring::{check_capacity, check_count, check_watermark};
use crate::wire::{Wire, Writer};

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
    match *request {
        Request::QueryVersion
        | Request::QueryHolders
        | Request::PendNotification
        | Request::QueryChannels => {
            RequestHeader::BLANK.write(&mut fields).ok_or(full)?;
        }
        Request::Subscribe { target, channel } => {
            let (target, id) = target.to_wire();
            layout::Subscribe {
                id,
                channel,
                target,
                ..layout::Subscribe::BLANK
            }
            .write(&mut fields)
            .ok_or(full)?;
        }
        Request::RegisterByName { mode, name_bytes } => {
            let mode = mode.validate()?.into();
            check_wire_name(name_bytes)?;
            layout::RegisterByName {
                mode,
                name_bytes: wire_len(name_bytes, full)?,
                ..layout::RegisterByName::BLANK
            }
            .write(&mut fields)
            .ok_or(full)?;
            fields.bytes(name_bytes).ok_or(full)?;
        }
        Request::SetSignalMode { id, mode } => {
            let mode = mode.validate()?.into();
            layout::SetSignalMode {
                id,
                mode,
                ..layout::SetSignalMode::BLANK
            }
            .write(&mut fields)
            .ok_or(full)?;
        }
        Request::Signal { id }
        | Request::Unregister { id }
        | Request::QueryRegistration { id }
        | Request::QueryRing { id } => {
            layout::RegistrationRequest {
                id,
                ..layout::RegistrationRequest::BLANK
            }
            .write(&mut fields)
            .ok_or(full)?;
        }
        Request::QueryStats { pid } => {
            layout::StatsRequest {
                pid,
                ..layout::StatsRequest::BLANK
            }
            .write(&mut fields)
            .ok_or(full)?;
        }
        Request::RegisterByHandle { handle, mode } => {
            let mode = mode.validate()?.into();
            layout::RegisterByHandle {
                handle,
                mode,
                ..layout::RegisterByHandle::BLANK
            }
            .write(&mut fields)
            .ok_or(full)?;
        }
        Request::CreateEvent { kind, mode } => {
            let mode = mode.validate()?.into();
            layout::CreateEvent {
                kind: kind.to_wire(),
                mode,
                ..layout::CreateEvent::BLANK
            }
            .write(&mut fields)
            .ok_or(full)?;
        }
        Request::CreateNamedEvent {
            kind,
            scope,
            mode,
            leaf_bytes,
        } => {
            let mode = mode.validate()?.into();
            check_wire_leaf(leaf_bytes)?;
            layout::CreateNamedEvent {
                kind: kind.to_wire(),
                scope: scope.to_wire(),
                mode,
                leaf_bytes: wire_len(leaf_bytes, full)?,
                ..layout::CreateNamedEvent::BLANK
            }
            .write(&mut fields)
            .ok_or(full)?;
            fields.bytes(leaf_bytes).ok_or(full)?;
        }
        Request::RegisterRing {
            capacity,
            mode,
            watermark,
            section,
            data_ready,
            space_free,
        } => {
            let capacity = check_capacity(capacity)?;
            let mode = mode.validate()?.into();
            let watermark = check_watermark(watermark, capacity)?;
            let names = [section, data_ready, space_free];
            for name in names {
                check_wire_name(name)?;
            }
            layout::RegisterRing {
                capacity,
                mode,
                watermark,
                section_bytes: wire_len(section, full)?,
                data_ready_bytes: wire_len(data_ready, full)?,
                space_free_bytes: wire_len(space_free, full)?,
                ..layout::RegisterRing::BLANK
            }
            .write(&mut fields)
            .ok_or(full)?;
            for name in names {
                fields.bytes(name).ok_or(full)?;
            }
        }
        Request::Produce { id, count } => {
            let count = check_count(count)?;
            layout::Produce {
                id,
                count,
                ..layout::Produce::BLANK
            }
            .write(&mut fields)
            .ok_or(full)?;
        }
        Request::Notify { count } => {
            let count = check_count(count)?;
            layout::Notify {
                count,
                ..layout::Notify::BLANK
            }
            .write(&mut fields)
            .ok_or(full)?;
        }
        Request::Verifier { op } => {
            let (op, arg, seed) = match op {
                VerifierOp::Query => (0, 0, 0),
                VerifierOp::Faults { seed, one_in } => (1, one_in, seed),
                VerifierOp::Provoke { check } => (2, check, 0),
            };
            layout::Verifier {
                op,
                arg,
                seed,
                ..layout::Verifier::BLANK
            }
            .write(&mut fields)
            .ok_or(full)?;
        }
    }
    Ok((request.ioctl().code(), fields.written()))
}

/// The length of a variable part, as its `u32` length field says it (`full` if it has no
/// such length, which no request that fits `MAX_REQUEST_LEN` can have).
fn wire_len(bytes: &[u8], full: ProtocolError) -> Result<u32, ProtocolError> {
    u32::try_from(bytes.len()).map_err(|_| full)
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

//! The driver's side: turning an input buffer into a [`Request`].

use super::{Request, VerifierOp};
use crate::created::{EventKind, Scope};
use crate::error::ProtocolError;
use crate::ioctl::Ioctl;
use crate::mode::SignalMode;
use crate::names::{check_wire_leaf, check_wire_name};
use crate::reply::VERIFIER_CHECK_NAMES;
use crate::ring::{check_capacity, check_count, check_watermark};
use crate::wire::Reader;
use crate::PROTOCOL_VERSION;

/// Parse the input buffer of IOCTL `code`: unknown code, short buffer, lying lengths, wrong
/// version, non-zero reserved fields, bad modes, event kinds and scopes, ring capacities,
/// watermarks and counts out of range, badly-formed names (empty, odd, too long, unpaired
/// surrogates, NUL) and leaves of driver-created events (those, and every leaf rule) are all
/// errors here.
///
/// The checks run in this order, and the first failure is the answer:
/// 1. the code ([`UnknownIoctl`](ProtocolError::UnknownIoctl));
/// 2. the header: fewer than 8 bytes is [`InputTooShort`](ProtocolError::InputTooShort), then
///    `version` ([`UnsupportedVersion`](ProtocolError::UnsupportedVersion)), checked before the
///    size so that a request of another version is named as such;
/// 3. the size: shorter than the fixed part is
///    [`InputTooShort`](ProtocolError::InputTooShort); any other size than the declared one
///    (the fixed size, `20 + name_bytes` for `REGISTER_BY_NAME`, `28 + leaf_bytes` for
///    `CREATE_NAMED_EVENT`, `36 + section_bytes + data_ready_bytes + space_free_bytes` for
///    `REGISTER_RING`) is
///    [`LengthMismatch`](ProtocolError::LengthMismatch). Trailing bytes are refused too, so a
///    request is never partly understood;
/// 4. `flags` and reserved fields ([`ReservedNotZero`](ProtocolError::ReservedNotZero));
/// 5. the event kind ([`BadEventKind`](ProtocolError::BadEventKind)) and scope
///    ([`BadScope`](ProtocolError::BadScope)) of the creating IOCTLs, a ring's capacity
///    ([`BadCapacity`](ProtocolError::BadCapacity)), the count of `PRODUCE` and `NOTIFY`
///    ([`BadCount`](ProtocolError::BadCount));
/// 6. the mode ([`BadSignalMode`](ProtocolError::BadSignalMode)), a ring's watermark
///    ([`BadWatermark`](ProtocolError::BadWatermark)), then the name's form
///    ([`Name`](ProtocolError::Name), see [`check_wire_name`]; a ring's three names in order:
///    section, data ready, space free) or the created event's leaf (see [`check_wire_leaf`]).
pub fn parse(code: u32, input: &[u8]) -> Result<Request<'_>, ProtocolError> {
    let ioctl = Ioctl::from_code(code).ok_or(ProtocolError::UnknownIoctl { code })?;
    let fixed_len = ioctl.request_fixed_len();
    let too_short = ProtocolError::InputTooShort {
        needed: fixed_len,
        got: input.len(),
    };
    let mut fields = Reader::new(input);
    let version = fields.u32().ok_or(too_short)?;
    let flags = fields.u32().ok_or(too_short)?;
    if version != PROTOCOL_VERSION {
        return Err(ProtocolError::UnsupportedVersion { got: version });
    }
    if input.len() < fixed_len {
        return Err(too_short);
    }
    // From here on every fixed-part field is present, so `ok_or(too_short)` never fires; it
    // only spares the driver a panic path.
    let request = match ioctl {
        Ioctl::QueryVersion => {
            expect_len(input, fixed_len)?;
            check_zero(flags)?;
            Request::QueryVersion
        }
        Ioctl::RegisterByName => {
            let kind = fields.u32().ok_or(too_short)?;
            let millis = fields.u32().ok_or(too_short)?;
            let name_len = fields.u32().ok_or(too_short)?;
            expect_len(input, declared_len(fixed_len, &[name_len]))?;
            check_zero(flags)?;
            let mode = SignalMode::from_wire(kind, millis)?;
            let name_bytes = fields.rest();
            check_wire_name(name_bytes)?;
            Request::RegisterByName { mode, name_bytes }
        }
        Ioctl::SetSignalMode => {
            expect_len(input, fixed_len)?;
            check_zero(flags)?;
            let id = fields.u64().ok_or(too_short)?;
            let kind = fields.u32().ok_or(too_short)?;
            let millis = fields.u32().ok_or(too_short)?;
            let mode = SignalMode::from_wire(kind, millis)?;
            Request::SetSignalMode { id, mode }
        }
        Ioctl::Signal | Ioctl::Unregister | Ioctl::QueryRegistration | Ioctl::QueryRing => {
            expect_len(input, fixed_len)?;
            check_zero(flags)?;
            let id = fields.u64().ok_or(too_short)?;
            match ioctl {
                Ioctl::Signal => Request::Signal { id },
                Ioctl::Unregister => Request::Unregister { id },
                Ioctl::QueryRing => Request::QueryRing { id },
                _ => Request::QueryRegistration { id },
            }
        }
        Ioctl::QueryStats => {
            expect_len(input, fixed_len)?;
            let pid = fields.u32().ok_or(too_short)?;
            let reserved = fields.u32().ok_or(too_short)?;
            check_zero(flags)?;
            check_zero(reserved)?;
            Request::QueryStats { pid }
        }
        Ioctl::RegisterByHandle => {
            expect_len(input, fixed_len)?;
            check_zero(flags)?;
            let handle = fields.u64().ok_or(too_short)?;
            let kind = fields.u32().ok_or(too_short)?;
            let millis = fields.u32().ok_or(too_short)?;
            let mode = SignalMode::from_wire(kind, millis)?;
            Request::RegisterByHandle { handle, mode }
        }
        Ioctl::CreateEvent => {
            expect_len(input, fixed_len)?;
            let kind = fields.u32().ok_or(too_short)?;
            let reserved = fields.u32().ok_or(too_short)?;
            let mode_kind = fields.u32().ok_or(too_short)?;
            let millis = fields.u32().ok_or(too_short)?;
            check_zero(flags)?;
            check_zero(reserved)?;
            let kind = EventKind::from_wire(kind)?;
            let mode = SignalMode::from_wire(mode_kind, millis)?;
            Request::CreateEvent { kind, mode }
        }
        Ioctl::CreateNamedEvent => {
            let kind = fields.u32().ok_or(too_short)?;
            let scope = fields.u32().ok_or(too_short)?;
            let mode_kind = fields.u32().ok_or(too_short)?;
            let millis = fields.u32().ok_or(too_short)?;
            let leaf_len = fields.u32().ok_or(too_short)?;
            expect_len(input, declared_len(fixed_len, &[leaf_len]))?;
            check_zero(flags)?;
            let kind = EventKind::from_wire(kind)?;
            let scope = Scope::from_wire(scope)?;
            let mode = SignalMode::from_wire(mode_kind, millis)?;
            let leaf_bytes = fields.rest();
            check_wire_leaf(leaf_bytes)?;
            Request::CreateNamedEvent {
                kind,
                scope,
                mode,
                leaf_bytes,
            }
        }
        Ioctl::QueryHolders | Ioctl::PendNotification => {
            expect_len(input, fixed_len)?;
            check_zero(flags)?;
            match ioctl {
                Ioctl::QueryHolders => Request::QueryHolders,
                _ => Request::PendNotification,
            }
        }
        Ioctl::RegisterRing => {
            let capacity = fields.u32().ok_or(too_short)?;
            let mode_kind = fields.u32().ok_or(too_short)?;
            let millis = fields.u32().ok_or(too_short)?;
            let watermark = fields.u32().ok_or(too_short)?;
            let section_len = fields.u32().ok_or(too_short)?;
            let data_ready_len = fields.u32().ok_or(too_short)?;
            let space_free_len = fields.u32().ok_or(too_short)?;
            expect_len(
                input,
                declared_len(fixed_len, &[section_len, data_ready_len, space_free_len]),
            )?;
            check_zero(flags)?;
            let capacity = check_capacity(capacity)?;
            let mode = SignalMode::from_wire(mode_kind, millis)?;
            let watermark = check_watermark(watermark, capacity)?;
            // The lengths add up to the buffer's, so each name is there.
            let section = fields.bytes(wire_len(section_len)).ok_or(too_short)?;
            let data_ready = fields.bytes(wire_len(data_ready_len)).ok_or(too_short)?;
            let space_free = fields.bytes(wire_len(space_free_len)).ok_or(too_short)?;
            check_wire_name(section)?;
            check_wire_name(data_ready)?;
            check_wire_name(space_free)?;
            Request::RegisterRing {
                capacity,
                mode,
                watermark,
                section,
                data_ready,
                space_free,
            }
        }
        Ioctl::Produce => {
            expect_len(input, fixed_len)?;
            let id = fields.u64().ok_or(too_short)?;
            let count = fields.u32().ok_or(too_short)?;
            let reserved = fields.u32().ok_or(too_short)?;
            check_zero(flags)?;
            check_zero(reserved)?;
            let count = check_count(count)?;
            Request::Produce { id, count }
        }
        Ioctl::Notify => {
            expect_len(input, fixed_len)?;
            let count = fields.u32().ok_or(too_short)?;
            let reserved = fields.u32().ok_or(too_short)?;
            check_zero(flags)?;
            check_zero(reserved)?;
            let count = check_count(count)?;
            Request::Notify { count }
        }
        Ioctl::Verifier => {
            expect_len(input, fixed_len)?;
            let op = fields.u32().ok_or(too_short)?;
            let arg = fields.u32().ok_or(too_short)?;
            let seed = fields.u64().ok_or(too_short)?;
            check_zero(flags)?;
            let op = match op {
                0 => {
                    check_zero(arg)?;
                    check_zero_u64(seed)?;
                    VerifierOp::Query
                }
                1 => VerifierOp::Faults { seed, one_in: arg },
                2 if (arg as usize) < VERIFIER_CHECK_NAMES.len() => {
                    check_zero_u64(seed)?;
                    VerifierOp::Provoke { check: arg }
                }
                _ => return Err(ProtocolError::BadVerifierOp { op, arg }),
            };
            Request::Verifier { op }
        }
    };
    Ok(request)
}

/// The size a variable-size request declares: its fixed part plus its `var_lens` bytes
/// (saturating: a length no buffer can have is never matched).
fn declared_len(fixed_len: usize, var_lens: &[u32]) -> usize {
    var_lens
        .iter()
        .try_fold(fixed_len, |sum, &var_len| {
            usize::try_from(var_len)
                .ok()
                .and_then(|var_len| sum.checked_add(var_len))
        })
        .unwrap_or(usize::MAX)
}

/// A wire length as a `usize` (saturating: a length no buffer can have is never there).
fn wire_len(len: u32) -> usize {
    usize::try_from(len).unwrap_or(usize::MAX)
}

/// The buffer must be exactly `declared` bytes.
fn expect_len(input: &[u8], declared: usize) -> Result<(), ProtocolError> {
    if input.len() == declared {
        Ok(())
    } else {
        Err(ProtocolError::LengthMismatch {
            declared,
            got: input.len(),
        })
    }
}

/// A reserved 64-bit field must be zero.
fn check_zero_u64(field: u64) -> Result<(), ProtocolError> {
    if field == 0 {
        Ok(())
    } else {
        Err(ProtocolError::ReservedNotZero)
    }
}

/// A reserved field or `flags` must be zero.
fn check_zero(field: u32) -> Result<(), ProtocolError> {
    if field == 0 {
        Ok(())
    } else {
        Err(ProtocolError::ReservedNotZero)
    }
}

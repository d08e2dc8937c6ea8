//! The driver's side: turning an input buffer into a [`Request`].

use super::layout::{self, RequestHeader};
use super::{Request, VerifierOp};
use crate::channel::SubscribeTarget;
use crate::created::{EventKind, Scope};
use crate::error::ProtocolError;
use crate::ioctl::Ioctl;
use crate::names::{check_wire_leaf, check_wire_name};
use crate::reply::VERIFIER_CHECK_NAMES;
use crate::ring::{check_capacity, check_count, check_watermark};
use crate::wire::{check_fixed, Reader, Wire};
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
///    (the fixed size; for `REGISTER_BY_NAME`, `CREATE_NAMED_EVENT` and `REGISTER_RING`, the
///    fixed size plus the lengths their fields declare) is
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
    let header = RequestHeader::read(&mut Reader::new(input)).ok_or(too_short)?;
    if header.version != PROTOCOL_VERSION {
        return Err(ProtocolError::UnsupportedVersion {
            got: header.version,
        });
    }
    if input.len() < fixed_len {
        return Err(too_short);
    }
    // From here on the fixed part is all there, so `fixed` never fails with `too_short`; it
    // only spares the driver a panic path.
    let request = match ioctl {
        Ioctl::QueryVersion
        | Ioctl::QueryHolders
        | Ioctl::PendNotification
        | Ioctl::QueryChannels => {
            let (raw, _) = fixed::<RequestHeader>(input, too_short)?;
            expect_len(input, RequestHeader::LEN)?;
            check_fixed(&raw)?;
            match ioctl {
                Ioctl::QueryVersion => Request::QueryVersion,
                Ioctl::QueryHolders => Request::QueryHolders,
                Ioctl::QueryChannels => Request::QueryChannels,
                _ => Request::PendNotification,
            }
        }
        Ioctl::Subscribe => {
            let (raw, _) = fixed::<layout::Subscribe>(input, too_short)?;
            expect_len(input, layout::Subscribe::LEN)?;
            check_fixed(&raw)?;
            Request::Subscribe {
                target: SubscribeTarget::from_wire(raw.target, raw.id)?,
                channel: raw.channel,
            }
        }
        Ioctl::RegisterByName => {
            let (raw, name_bytes) = fixed::<layout::RegisterByName>(input, too_short)?;
            expect_len(input, raw.declared_len())?;
            check_fixed(&raw)?;
            let mode = raw.mode.decode()?;
            check_wire_name(name_bytes)?;
            Request::RegisterByName { mode, name_bytes }
        }
        Ioctl::SetSignalMode => {
            let (raw, _) = fixed::<layout::SetSignalMode>(input, too_short)?;
            expect_len(input, layout::SetSignalMode::LEN)?;
            check_fixed(&raw)?;
            let mode = raw.mode.decode()?;
            Request::SetSignalMode { id: raw.id, mode }
        }
        Ioctl::Signal | Ioctl::Unregister | Ioctl::QueryRegistration | Ioctl::QueryRing => {
            let (raw, _) = fixed::<layout::RegistrationRequest>(input, too_short)?;
            expect_len(input, layout::RegistrationRequest::LEN)?;
            check_fixed(&raw)?;
            let id = raw.id;
            match ioctl {
                Ioctl::Signal => Request::Signal { id },
                Ioctl::Unregister => Request::Unregister { id },
                Ioctl::QueryRing => Request::QueryRing { id },
                _ => Request::QueryRegistration { id },
            }
        }
        Ioctl::QueryStats => {
            let (raw, _) = fixed::<layout::StatsRequest>(input, too_short)?;
            expect_len(input, layout::StatsRequest::LEN)?;
            check_fixed(&raw)?;
            Request::QueryStats { pid: raw.pid }
        }
        Ioctl::RegisterByHandle => {
            let (raw, _) = fixed::<layout::RegisterByHandle>(input, too_short)?;
            expect_len(input, layout::RegisterByHandle::LEN)?;
            check_fixed(&raw)?;
            let mode = raw.mode.decode()?;
            Request::RegisterByHandle {
                handle: raw.handle,
                mode,
            }
        }
        Ioctl::CreateEvent => {
            let (raw, _) = fixed::<layout::CreateEvent>(input, too_short)?;
            expect_len(input, layout::CreateEvent::LEN)?;
            check_fixed(&raw)?;
            let kind = EventKind::from_wire(raw.kind)?;
            let mode = raw.mode.decode()?;
            Request::CreateEvent { kind, mode }
        }
        Ioctl::CreateNamedEvent => {
            let (raw, leaf_bytes) = fixed::<layout::CreateNamedEvent>(input, too_short)?;
            expect_len(input, raw.declared_len())?;
            check_fixed(&raw)?;
            let kind = EventKind::from_wire(raw.kind)?;
            let scope = Scope::from_wire(raw.scope)?;
            let mode = raw.mode.decode()?;
            check_wire_leaf(leaf_bytes)?;
            Request::CreateNamedEvent {
                kind,
                scope,
                mode,
                leaf_bytes,
            }
        }
        Ioctl::RegisterRing => {
            let (raw, names) = fixed::<layout::RegisterRing>(input, too_short)?;
            expect_len(input, raw.declared_len())?;
            check_fixed(&raw)?;
            let capacity = check_capacity(raw.capacity)?;
            let mode = raw.mode.decode()?;
            let watermark = check_watermark(raw.watermark, capacity)?;
            // The lengths add up to the buffer's, so each name is there.
            let mut names = Reader::new(names);
            let section = names.bytes(wire_len(raw.section_bytes)).ok_or(too_short)?;
            let data_ready = names
                .bytes(wire_len(raw.data_ready_bytes))
                .ok_or(too_short)?;
            let space_free = names
                .bytes(wire_len(raw.space_free_bytes))
                .ok_or(too_short)?;
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
            let (raw, _) = fixed::<layout::Produce>(input, too_short)?;
            expect_len(input, layout::Produce::LEN)?;
            check_fixed(&raw)?;
            let count = check_count(raw.count)?;
            Request::Produce { id: raw.id, count }
        }
        Ioctl::Notify => {
            let (raw, _) = fixed::<layout::Notify>(input, too_short)?;
            expect_len(input, layout::Notify::LEN)?;
            check_fixed(&raw)?;
            let count = check_count(raw.count)?;
            Request::Notify { count }
        }
        Ioctl::Verifier => {
            let (raw, _) = fixed::<layout::Verifier>(input, too_short)?;
            expect_len(input, layout::Verifier::LEN)?;
            check_fixed(&raw)?;
            Request::Verifier {
                op: verifier_op(raw.op, raw.arg, raw.seed)?,
            }
        }
    };
    Ok(request)
}

/// Reads a request's fixed part `T` from the front of `input`; returns it and the bytes after
/// it (`too_short` if they are not all there).
fn fixed<T: Wire>(input: &[u8], too_short: ProtocolError) -> Result<(T, &[u8]), ProtocolError> {
    let mut fields = Reader::new(input);
    let raw = T::read(&mut fields).ok_or(too_short)?;
    Ok((raw, fields.rest()))
}

/// The operation a `VERIFIER` request's `op`, `arg` and `seed` ask for.
fn verifier_op(op: u32, arg: u32, seed: u64) -> Result<VerifierOp, ProtocolError> {
    match op {
        0 => {
            check_zero_u64(u64::from(arg))?;
            check_zero_u64(seed)?;
            Ok(VerifierOp::Query)
        }
        1 => Ok(VerifierOp::Faults { seed, one_in: arg }),
        2 if (arg as usize) < VERIFIER_CHECK_NAMES.len() => {
            check_zero_u64(seed)?;
            Ok(VerifierOp::Provoke { check: arg })
        }
        _ => Err(ProtocolError::BadVerifierOp { op, arg }),
    }
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

/// A field that must be zero for the operation asked.
fn check_zero_u64(field: u64) -> Result<(), ProtocolError> {
    if field == 0 {
        Ok(())
    } else {
        Err(ProtocolError::ReservedNotZero)
    }
}

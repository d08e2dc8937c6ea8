//! Requests: the layouts of docs/protocol.md ("Encoding"), what parse refuses, and round trips.

use evshare_protocol::request::{
    encode, leaf_to_wire, name_to_wire, parse, CREATE_NAMED_EVENT_FIXED_LEN,
    MAX_CREATED_LEAF_BYTES, MAX_NAME_BYTES, MAX_REQUEST_LEN, REGISTER_BY_NAME_FIXED_LEN,
    REGISTER_RING_FIXED_LEN,
};
use evshare_protocol::ring::{MAX_CAPACITY, MAX_COUNT, MIN_CAPACITY};
use evshare_protocol::status::*;
use evshare_protocol::{EventKind, Ioctl, NameError, ProtocolError, Request, Scope, SignalMode};

fn wire(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn encoded(request: &Request<'_>) -> (u32, Vec<u8>) {
    let mut out = [0_u8; MAX_REQUEST_LEN];
    let (code, len) = encode(request, &mut out).unwrap();
    (code, out[..len].to_vec())
}

/// Little-endian fields, concatenated.
fn le(fields: &[&[u8]]) -> Vec<u8> {
    fields.concat()
}

#[test]
fn requests_encode_to_the_documented_bytes() {
    let name = wire(r"Global\E");
    let leaf = wire("tick!");
    let section = wire(r"Local\s");
    let data_ready = wire("d");
    let space_free = wire("Global");
    let cases: Vec<(Request<'_>, Vec<u8>)> = vec![
        (
            Request::QueryVersion,
            le(&[&1u32.to_le_bytes(), &0u32.to_le_bytes()]),
        ),
        (
            Request::RegisterByName {
                mode: SignalMode::Periodic { period_ms: 250 },
                name_bytes: &name,
            },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &1u32.to_le_bytes(),
                &250u32.to_le_bytes(),
                &16u32.to_le_bytes(),
                &name,
            ]),
        ),
        (
            Request::SetSignalMode {
                id: 0x1122_3344_5566_7788,
                mode: SignalMode::OneShot { delay_ms: 9 },
            },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &0x1122_3344_5566_7788u64.to_le_bytes(),
                &2u32.to_le_bytes(),
                &9u32.to_le_bytes(),
            ]),
        ),
        (
            Request::Signal { id: 7 },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &7u64.to_le_bytes(),
            ]),
        ),
        (
            Request::Unregister { id: 8 },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &8u64.to_le_bytes(),
            ]),
        ),
        (
            Request::QueryStats { pid: 4242 },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &4242u32.to_le_bytes(),
                &0u32.to_le_bytes(),
            ]),
        ),
        (
            Request::QueryRegistration { id: u64::MAX },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &u64::MAX.to_le_bytes(),
            ]),
        ),
        (
            Request::RegisterByHandle {
                handle: 0x0000_0000_0000_02A4,
                mode: SignalMode::Periodic { period_ms: 10 },
            },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &0x2A4u64.to_le_bytes(),
                &1u32.to_le_bytes(),
                &10u32.to_le_bytes(),
            ]),
        ),
        (
            Request::CreateEvent {
                kind: EventKind::ManualReset,
                mode: SignalMode::OneShot { delay_ms: 1500 },
            },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &2u32.to_le_bytes(),
                &1500u32.to_le_bytes(),
            ]),
        ),
        (
            Request::CreateNamedEvent {
                kind: EventKind::AutoReset,
                scope: Scope::Global,
                mode: SignalMode::OnDemand,
                leaf_bytes: &leaf,
            },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &10u32.to_le_bytes(),
                &leaf,
            ]),
        ),
        (
            Request::QueryHolders,
            le(&[&1u32.to_le_bytes(), &0u32.to_le_bytes()]),
        ),
        (
            Request::RegisterRing {
                capacity: 1024,
                mode: SignalMode::Periodic { period_ms: 5 },
                watermark: 8,
                section: &section,
                data_ready: &data_ready,
                space_free: &space_free,
            },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &1024u32.to_le_bytes(),
                &1u32.to_le_bytes(),
                &5u32.to_le_bytes(),
                &8u32.to_le_bytes(),
                &14u32.to_le_bytes(),
                &2u32.to_le_bytes(),
                &12u32.to_le_bytes(),
                &section,
                &data_ready,
                &space_free,
            ]),
        ),
        (
            Request::Produce {
                id: 0x0102_0304_0506_0708,
                count: 1_000_000,
            },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &0x0102_0304_0506_0708u64.to_le_bytes(),
                &1_000_000u32.to_le_bytes(),
                &0u32.to_le_bytes(),
            ]),
        ),
        (
            Request::PendNotification,
            le(&[&1u32.to_le_bytes(), &0u32.to_le_bytes()]),
        ),
        (
            Request::Notify { count: 3 },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &3u32.to_le_bytes(),
                &0u32.to_le_bytes(),
            ]),
        ),
        (
            Request::QueryRing { id: 42 },
            le(&[
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &42u64.to_le_bytes(),
            ]),
        ),
    ];
    for (request, bytes) in cases {
        let (code, encoded) = encoded(&request);
        assert_eq!(code, request.ioctl().code());
        assert_eq!(encoded, bytes, "{request:?}");
        assert_eq!(parse(code, &bytes), Ok(request));
    }
    assert_eq!(encoded(&Request::QueryVersion).1.len(), 8);
    assert_eq!(encoded(&Request::Signal { id: 1 }).1.len(), 16);
    assert_eq!(encoded(&Request::QueryHolders).1.len(), 8);
    assert_eq!(encoded(&Request::PendNotification).1.len(), 8);
    assert_eq!(encoded(&Request::Notify { count: 1 }).1.len(), 16);
    assert_eq!(encoded(&Request::Produce { id: 1, count: 1 }).1.len(), 24);
    assert_eq!(encoded(&Request::QueryRing { id: 1 }).1.len(), 16);
}

#[test]
fn every_request_round_trips() {
    let longest = wire(&"n".repeat(240));
    let shortest = wire("n");
    let longest_leaf = wire(&"l".repeat(64));
    // 62 units and a surrogate pair: 64 units, the most a leaf may have.
    let longest_leaf_with_pair = wire(&format!("{}🎉", "l".repeat(62)));
    let dots = wire("...");
    let longest_ring = wire(&"r".repeat(240));
    let requests = [
        Request::QueryVersion,
        Request::RegisterByName {
            mode: SignalMode::OnDemand,
            name_bytes: &shortest,
        },
        Request::RegisterByName {
            mode: SignalMode::OneShot { delay_ms: 0 },
            name_bytes: &longest,
        },
        Request::SetSignalMode {
            id: 0,
            mode: SignalMode::Periodic {
                period_ms: 3_600_000,
            },
        },
        Request::Signal { id: 1 },
        Request::Unregister { id: 2 },
        Request::QueryStats { pid: 0 },
        Request::QueryRegistration { id: 3 },
        Request::RegisterByHandle {
            handle: 0,
            mode: SignalMode::OnDemand,
        },
        Request::RegisterByHandle {
            handle: u64::MAX,
            mode: SignalMode::Periodic { period_ms: 1 },
        },
        Request::CreateEvent {
            kind: EventKind::AutoReset,
            mode: SignalMode::OneShot {
                delay_ms: 3_600_000,
            },
        },
        Request::CreateEvent {
            kind: EventKind::ManualReset,
            mode: SignalMode::OnDemand,
        },
        Request::CreateNamedEvent {
            kind: EventKind::ManualReset,
            scope: Scope::Session,
            mode: SignalMode::OnDemand,
            leaf_bytes: &shortest,
        },
        Request::CreateNamedEvent {
            kind: EventKind::AutoReset,
            scope: Scope::Global,
            mode: SignalMode::Periodic { period_ms: 7 },
            leaf_bytes: &longest_leaf,
        },
        Request::CreateNamedEvent {
            kind: EventKind::AutoReset,
            scope: Scope::Session,
            mode: SignalMode::OnDemand,
            leaf_bytes: &longest_leaf_with_pair,
        },
        Request::CreateNamedEvent {
            kind: EventKind::AutoReset,
            scope: Scope::Global,
            mode: SignalMode::OnDemand,
            leaf_bytes: &dots,
        },
        Request::QueryHolders,
        Request::RegisterRing {
            capacity: MIN_CAPACITY,
            mode: SignalMode::OnDemand,
            watermark: 1,
            section: &shortest,
            data_ready: &shortest,
            space_free: &shortest,
        },
        Request::RegisterRing {
            capacity: MAX_CAPACITY,
            mode: SignalMode::Periodic { period_ms: 1 },
            watermark: MAX_CAPACITY,
            section: &longest_ring,
            data_ready: &longest_ring,
            space_free: &longest_ring,
        },
        Request::RegisterRing {
            capacity: 64,
            mode: SignalMode::OneShot { delay_ms: 10 },
            watermark: 63,
            section: &longest,
            data_ready: &shortest,
            space_free: &longest_leaf_with_pair,
        },
        Request::Produce { id: 0, count: 1 },
        Request::Produce {
            id: u64::MAX,
            count: MAX_COUNT,
        },
        Request::PendNotification,
        Request::Notify { count: 1 },
        Request::Notify { count: MAX_COUNT },
        Request::QueryRing { id: 9 },
    ];
    for request in requests {
        let (code, bytes) = encoded(&request);
        assert_eq!(Ioctl::from_code(code), Some(request.ioctl()));
        assert_eq!(parse(code, &bytes), Ok(request));
    }
    assert_eq!(
        encoded(&requests[2]).1.len(),
        REGISTER_BY_NAME_FIXED_LEN + MAX_NAME_BYTES
    );
    assert_eq!(encoded(&requests[2]).1.len(), 500);
    // Three names of 240 units: the longest request of all.
    assert_eq!(encoded(&requests[18]).1.len(), MAX_REQUEST_LEN);
    assert_eq!(
        MAX_REQUEST_LEN,
        REGISTER_RING_FIXED_LEN + 3 * MAX_NAME_BYTES
    );
    assert_eq!(MAX_REQUEST_LEN, 1476);
    let longest_create = encoded(&requests[14]).1;
    assert_eq!(
        longest_create.len(),
        CREATE_NAMED_EVENT_FIXED_LEN + MAX_CREATED_LEAF_BYTES
    );
    assert_eq!(longest_create.len(), 156);
}

/// A valid request of each IOCTL, to break in the tests below.
fn valid(ioctl: Ioctl) -> Vec<u8> {
    let name = wire("evt");
    let leaf = wire("leaf");
    let request = match ioctl {
        Ioctl::QueryVersion => Request::QueryVersion,
        Ioctl::RegisterByName => Request::RegisterByName {
            mode: SignalMode::OnDemand,
            name_bytes: &name,
        },
        Ioctl::SetSignalMode => Request::SetSignalMode {
            id: 5,
            mode: SignalMode::OnDemand,
        },
        Ioctl::Signal => Request::Signal { id: 5 },
        Ioctl::Unregister => Request::Unregister { id: 5 },
        Ioctl::QueryStats => Request::QueryStats { pid: 5 },
        Ioctl::QueryRegistration => Request::QueryRegistration { id: 5 },
        Ioctl::RegisterByHandle => Request::RegisterByHandle {
            handle: 0x44,
            mode: SignalMode::OnDemand,
        },
        Ioctl::CreateEvent => Request::CreateEvent {
            kind: EventKind::AutoReset,
            mode: SignalMode::OnDemand,
        },
        Ioctl::CreateNamedEvent => Request::CreateNamedEvent {
            kind: EventKind::ManualReset,
            scope: Scope::Global,
            mode: SignalMode::OnDemand,
            leaf_bytes: &leaf,
        },
        Ioctl::QueryHolders => Request::QueryHolders,
        Ioctl::RegisterRing => Request::RegisterRing {
            capacity: 256,
            mode: SignalMode::Periodic { period_ms: 10 },
            watermark: 16,
            section: &name,
            data_ready: &leaf,
            space_free: &name,
        },
        Ioctl::Produce => Request::Produce { id: 5, count: 10 },
        Ioctl::PendNotification => Request::PendNotification,
        Ioctl::Notify => Request::Notify { count: 10 },
        Ioctl::QueryRing => Request::QueryRing { id: 5 },
        Ioctl::Verifier => Request::Verifier {
            op: evshare_protocol::VerifierOp::Faults {
                seed: 0x5EED,
                one_in: 7,
            },
        },
        Ioctl::QueryChannels => Request::QueryChannels,
        Ioctl::Subscribe => Request::Subscribe {
            target: evshare_protocol::channel::SubscribeTarget::Registration(5),
            channel: 1,
        },
    };
    encoded(&request).1
}

fn with_u32(mut bytes: Vec<u8>, offset: usize, value: u32) -> Vec<u8> {
    bytes[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
    bytes
}

#[test]
fn malformed_requests_get_their_error_and_status() {
    use ProtocolError::*;
    let rbn = Ioctl::RegisterByName.code();
    let register = valid(Ioctl::RegisterByName); // 20 + 6 bytes
    let cases: Vec<(&str, u32, Vec<u8>, ProtocolError, u32)> = vec![
        (
            "unknown code",
            0x8E5E_A044,
            valid(Ioctl::Signal),
            UnknownIoctl { code: 0x8E5E_A044 },
            STATUS_INVALID_DEVICE_REQUEST,
        ),
        (
            "read access on a write IOCTL",
            Ioctl::Signal.code() ^ (3 << 14),
            valid(Ioctl::Signal),
            UnknownIoctl {
                code: Ioctl::Signal.code() ^ (3 << 14),
            },
            STATUS_INVALID_DEVICE_REQUEST,
        ),
        (
            "empty buffer",
            Ioctl::QueryVersion.code(),
            vec![],
            InputTooShort { needed: 8, got: 0 },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "half a header",
            Ioctl::Signal.code(),
            vec![1, 0, 0, 0],
            InputTooShort { needed: 16, got: 4 },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "header only",
            Ioctl::Signal.code(),
            valid(Ioctl::QueryVersion),
            InputTooShort { needed: 16, got: 8 },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "short register",
            rbn,
            register[..19].to_vec(),
            InputTooShort {
                needed: 20,
                got: 19,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "trailing byte",
            Ioctl::QueryVersion.code(),
            [valid(Ioctl::QueryVersion), vec![0]].concat(),
            LengthMismatch {
                declared: 8,
                got: 9,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "trailing bytes",
            Ioctl::QueryStats.code(),
            [valid(Ioctl::QueryStats), vec![0; 8]].concat(),
            LengthMismatch {
                declared: 16,
                got: 24,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "name_bytes says more",
            rbn,
            with_u32(register.clone(), 16, 8),
            LengthMismatch {
                declared: 28,
                got: 26,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "name_bytes says less",
            rbn,
            with_u32(register.clone(), 16, 4),
            LengthMismatch {
                declared: 24,
                got: 26,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "name_bytes huge",
            rbn,
            with_u32(register.clone(), 16, u32::MAX),
            LengthMismatch {
                declared: 20 + u32::MAX as usize,
                got: 26,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "version 0",
            Ioctl::QueryVersion.code(),
            with_u32(valid(Ioctl::QueryVersion), 0, 0),
            UnsupportedVersion { got: 0 },
            STATUS_REVISION_MISMATCH,
        ),
        (
            "version 2",
            rbn,
            with_u32(register.clone(), 0, 2),
            UnsupportedVersion { got: 2 },
            STATUS_REVISION_MISMATCH,
        ),
        // Version is checked before the size: a v2 request of another layout says "version".
        (
            "version 2, other size",
            Ioctl::Signal.code(),
            vec![2, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            UnsupportedVersion { got: 2 },
            STATUS_REVISION_MISMATCH,
        ),
        (
            "flags set",
            Ioctl::Signal.code(),
            with_u32(valid(Ioctl::Signal), 4, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "flags set on register",
            rbn,
            with_u32(register.clone(), 4, 0x8000_0000),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "stats reserved set",
            Ioctl::QueryStats.code(),
            with_u32(valid(Ioctl::QueryStats), 12, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "on demand with millis",
            rbn,
            with_u32(register.clone(), 12, 5),
            BadSignalMode { kind: 0, millis: 5 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "unknown kind",
            Ioctl::SetSignalMode.code(),
            with_u32(valid(Ioctl::SetSignalMode), 16, 3),
            BadSignalMode { kind: 3, millis: 0 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "periodic 0",
            Ioctl::SetSignalMode.code(),
            with_u32(valid(Ioctl::SetSignalMode), 16, 1),
            BadSignalMode { kind: 1, millis: 0 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "one-shot too late",
            Ioctl::SetSignalMode.code(),
            with_u32(with_u32(valid(Ioctl::SetSignalMode), 16, 2), 20, 3_600_001),
            BadSignalMode {
                kind: 2,
                millis: 3_600_001,
            },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "empty name",
            rbn,
            with_u32(register[..20].to_vec(), 16, 0),
            Name(NameError::Empty),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "odd name",
            rbn,
            with_u32(register[..25].to_vec(), 16, 5),
            Name(NameError::NotUtf16),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "unpaired surrogate",
            rbn,
            [with_u32(register[..20].to_vec(), 16, 2), vec![0x00, 0xD8]].concat(),
            Name(NameError::NotUtf16),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "NUL terminator",
            rbn,
            [with_u32(register.clone(), 16, 8), vec![0, 0]].concat(),
            Name(NameError::EmbeddedNul),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "name too long",
            rbn,
            [
                with_u32(register[..20].to_vec(), 16, 482),
                wire(&"x".repeat(241)),
            ]
            .concat(),
            Name(NameError::TooLong { units: 241 }),
            STATUS_NAME_TOO_LONG,
        ),
    ];
    for (what, code, bytes, error, status) in cases {
        assert_eq!(parse(code, &bytes), Err(error), "{what}");
        assert_eq!(error.status(), status, "{what}");
    }
}

/// `CreateNamedEvent`'s fixed part (manual-reset, global, on demand) with `leaf_bytes` set
/// to `declared`, then `leaf`.
fn create_named(declared: u32, leaf: &[u8]) -> Vec<u8> {
    let fixed = &valid(Ioctl::CreateNamedEvent)[..28];
    [with_u32(fixed.to_vec(), 24, declared), leaf.to_vec()].concat()
}

/// A leaf's exact wire bytes, with its own length declared.
fn create_named_leaf(leaf: &[u8]) -> Vec<u8> {
    create_named(leaf.len() as u32, leaf)
}

#[test]
fn malformed_handle_and_create_requests_get_their_error_and_status() {
    use ProtocolError::*;
    let by_handle = Ioctl::RegisterByHandle.code();
    let create = Ioctl::CreateEvent.code();
    let named = Ioctl::CreateNamedEvent.code();
    let holders = Ioctl::QueryHolders.code();
    let named_valid = valid(Ioctl::CreateNamedEvent); // 28 + 8 bytes
    let cases: Vec<(&str, u32, Vec<u8>, ProtocolError, u32)> = vec![
        (
            "by handle, short",
            by_handle,
            valid(Ioctl::RegisterByHandle)[..23].to_vec(),
            InputTooShort {
                needed: 24,
                got: 23,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "by handle, trailing byte",
            by_handle,
            [valid(Ioctl::RegisterByHandle), vec![0]].concat(),
            LengthMismatch {
                declared: 24,
                got: 25,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "by handle, version 2",
            by_handle,
            with_u32(valid(Ioctl::RegisterByHandle), 0, 2),
            UnsupportedVersion { got: 2 },
            STATUS_REVISION_MISMATCH,
        ),
        (
            "by handle, flags set",
            by_handle,
            with_u32(valid(Ioctl::RegisterByHandle), 4, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "by handle, bad mode",
            by_handle,
            with_u32(valid(Ioctl::RegisterByHandle), 16, 3),
            BadSignalMode { kind: 3, millis: 0 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "create, short",
            create,
            valid(Ioctl::CreateEvent)[..16].to_vec(),
            InputTooShort {
                needed: 24,
                got: 16,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "create, trailing bytes",
            create,
            [valid(Ioctl::CreateEvent), vec![0; 4]].concat(),
            LengthMismatch {
                declared: 24,
                got: 28,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "create, flags set",
            create,
            with_u32(valid(Ioctl::CreateEvent), 4, 2),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "create, reserved set",
            create,
            with_u32(valid(Ioctl::CreateEvent), 12, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        // Reserved fields come before the kind, the kind before the mode.
        (
            "create, reserved set and kind 2",
            create,
            with_u32(with_u32(valid(Ioctl::CreateEvent), 12, 1), 8, 2),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "create, kind 2",
            create,
            with_u32(valid(Ioctl::CreateEvent), 8, 2),
            BadEventKind { kind: 2 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "create, kind 2 and bad mode",
            create,
            with_u32(with_u32(valid(Ioctl::CreateEvent), 8, 2), 16, 9),
            BadEventKind { kind: 2 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "create, periodic 0",
            create,
            with_u32(valid(Ioctl::CreateEvent), 16, 1),
            BadSignalMode { kind: 1, millis: 0 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "named, short",
            named,
            named_valid[..27].to_vec(),
            InputTooShort {
                needed: 28,
                got: 27,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "named, leaf_bytes says more",
            named,
            with_u32(named_valid.clone(), 24, 10),
            LengthMismatch {
                declared: 38,
                got: 36,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "named, leaf_bytes says less",
            named,
            with_u32(named_valid.clone(), 24, 6),
            LengthMismatch {
                declared: 34,
                got: 36,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "named, leaf_bytes huge",
            named,
            with_u32(named_valid.clone(), 24, u32::MAX),
            LengthMismatch {
                declared: 28 + u32::MAX as usize,
                got: 36,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "named, version 0",
            named,
            with_u32(named_valid.clone(), 0, 0),
            UnsupportedVersion { got: 0 },
            STATUS_REVISION_MISMATCH,
        ),
        (
            "named, flags set",
            named,
            with_u32(named_valid.clone(), 4, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "named, kind 7",
            named,
            with_u32(named_valid.clone(), 8, 7),
            BadEventKind { kind: 7 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "named, kind and scope bad: kind first",
            named,
            with_u32(with_u32(named_valid.clone(), 8, 7), 12, 2),
            BadEventKind { kind: 7 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "named, scope 2",
            named,
            with_u32(named_valid.clone(), 12, 2),
            BadScope { scope: 2 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "named, scope and mode bad: scope first",
            named,
            with_u32(with_u32(named_valid.clone(), 12, u32::MAX), 16, 5),
            BadScope { scope: u32::MAX },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "named, on demand with millis",
            named,
            with_u32(named_valid.clone(), 20, 1),
            BadSignalMode { kind: 0, millis: 1 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "named, bad mode and bad leaf: mode first",
            named,
            with_u32(create_named_leaf(&wire("..")), 16, 4),
            BadSignalMode { kind: 4, millis: 0 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "named, empty leaf",
            named,
            create_named_leaf(&[]),
            Name(NameError::Empty),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "named, odd leaf",
            named,
            create_named_leaf(&[b'a', 0, b'b']),
            Name(NameError::NotUtf16),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "named, leaf of 65 units",
            named,
            create_named_leaf(&wire(&"x".repeat(65))),
            Name(NameError::CreatedLeafTooLong { units: 65 }),
            STATUS_NAME_TOO_LONG,
        ),
        // Length first: a leaf that is too long and has a NUL is too long.
        (
            "named, leaf of 200 units with a NUL",
            named,
            create_named_leaf(&wire(&format!("{}\0", "x".repeat(199)))),
            Name(NameError::CreatedLeafTooLong { units: 200 }),
            STATUS_NAME_TOO_LONG,
        ),
        (
            "named, unpaired surrogate",
            named,
            create_named_leaf(&[b'a', 0, 0x00, 0xDC]),
            Name(NameError::NotUtf16),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "named, NUL terminator",
            named,
            create_named_leaf(&wire("leaf\0")),
            Name(NameError::EmbeddedNul),
            STATUS_OBJECT_NAME_INVALID,
        ),
        // UTF-16 before the leaf's shape: a `\` after a NUL is a NUL.
        (
            "named, NUL then backslash",
            named,
            create_named_leaf(&wire("a\0\\b")),
            Name(NameError::EmbeddedNul),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "named, backslash",
            named,
            create_named_leaf(&wire(r"a\b")),
            Name(NameError::BadCreatedLeaf),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "named, a path for a leaf",
            named,
            create_named_leaf(&wire(r"\BaseNamedObjects\x")),
            Name(NameError::BadCreatedLeaf),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "named, Global prefix",
            named,
            create_named_leaf(&wire(r"Global\x")),
            Name(NameError::BadCreatedLeaf),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "named, dot",
            named,
            create_named_leaf(&wire(".")),
            Name(NameError::BadCreatedLeaf),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "named, dot dot",
            named,
            create_named_leaf(&wire("..")),
            Name(NameError::BadCreatedLeaf),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "holders, trailing byte",
            holders,
            [valid(Ioctl::QueryHolders), vec![0]].concat(),
            LengthMismatch {
                declared: 8,
                got: 9,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "holders, flags set",
            holders,
            with_u32(valid(Ioctl::QueryHolders), 4, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "holders with write access",
            holders ^ (3 << 14),
            valid(Ioctl::QueryHolders),
            UnknownIoctl {
                code: holders ^ (3 << 14),
            },
            STATUS_INVALID_DEVICE_REQUEST,
        ),
        (
            "create with read access",
            create ^ (3 << 14),
            valid(Ioctl::CreateEvent),
            UnknownIoctl {
                code: create ^ (3 << 14),
            },
            STATUS_INVALID_DEVICE_REQUEST,
        ),
    ];
    for (what, code, bytes, error, status) in cases {
        assert_eq!(parse(code, &bytes), Err(error), "{what}");
        assert_eq!(error.status(), status, "{what}");
    }
    // The cases start from valid requests.
    let leaf = wire("leaf");
    assert_eq!(
        parse(named, &named_valid),
        Ok(Request::CreateNamedEvent {
            kind: EventKind::ManualReset,
            scope: Scope::Global,
            mode: SignalMode::OnDemand,
            leaf_bytes: &leaf,
        })
    );
    assert_eq!(create_named(8, &leaf), named_valid);
}

#[test]
fn parse_does_not_resolve_names() {
    // Namespace rules need the caller's session; parse only checks the name's form.
    let name = wire(r"\Device\Whatever\..");
    let mut request = valid(Ioctl::RegisterByName)[..20].to_vec();
    request[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
    request.extend_from_slice(&name);
    assert_eq!(
        parse(Ioctl::RegisterByName.code(), &request),
        Ok(Request::RegisterByName {
            mode: SignalMode::OnDemand,
            name_bytes: &name
        })
    );
}

#[test]
fn encode_refuses_what_parse_would_refuse() {
    let mut out = [0_u8; MAX_REQUEST_LEN];
    let name = wire("ok");
    let long_leaf = wire(&"x".repeat(65));
    let slash = wire(r"a\b");
    let cases: Vec<(Request<'_>, ProtocolError)> = vec![
        (
            Request::RegisterByName {
                mode: SignalMode::Periodic { period_ms: 0 },
                name_bytes: &name,
            },
            ProtocolError::BadSignalMode { kind: 1, millis: 0 },
        ),
        (
            Request::SetSignalMode {
                id: 1,
                mode: SignalMode::OneShot { delay_ms: u32::MAX },
            },
            ProtocolError::BadSignalMode {
                kind: 2,
                millis: u32::MAX,
            },
        ),
        (
            Request::RegisterByName {
                mode: SignalMode::OnDemand,
                name_bytes: &[],
            },
            ProtocolError::Name(NameError::Empty),
        ),
        (
            Request::RegisterByName {
                mode: SignalMode::OnDemand,
                name_bytes: &[0x41],
            },
            ProtocolError::Name(NameError::NotUtf16),
        ),
        (
            Request::RegisterByName {
                mode: SignalMode::OnDemand,
                name_bytes: &[0; 482],
            },
            ProtocolError::Name(NameError::TooLong { units: 241 }),
        ),
        (
            Request::RegisterByHandle {
                handle: 4,
                mode: SignalMode::Periodic {
                    period_ms: 3_600_001,
                },
            },
            ProtocolError::BadSignalMode {
                kind: 1,
                millis: 3_600_001,
            },
        ),
        (
            Request::CreateEvent {
                kind: EventKind::AutoReset,
                mode: SignalMode::Periodic { period_ms: 0 },
            },
            ProtocolError::BadSignalMode { kind: 1, millis: 0 },
        ),
        (
            Request::CreateNamedEvent {
                kind: EventKind::AutoReset,
                scope: Scope::Session,
                mode: SignalMode::OneShot {
                    delay_ms: 3_600_001,
                },
                leaf_bytes: &name,
            },
            ProtocolError::BadSignalMode {
                kind: 2,
                millis: 3_600_001,
            },
        ),
        (
            Request::CreateNamedEvent {
                kind: EventKind::AutoReset,
                scope: Scope::Session,
                mode: SignalMode::OnDemand,
                leaf_bytes: &[],
            },
            ProtocolError::Name(NameError::Empty),
        ),
        (
            Request::CreateNamedEvent {
                kind: EventKind::AutoReset,
                scope: Scope::Session,
                mode: SignalMode::OnDemand,
                leaf_bytes: &long_leaf,
            },
            ProtocolError::Name(NameError::CreatedLeafTooLong { units: 65 }),
        ),
        (
            Request::CreateNamedEvent {
                kind: EventKind::ManualReset,
                scope: Scope::Global,
                mode: SignalMode::OnDemand,
                leaf_bytes: &slash,
            },
            ProtocolError::Name(NameError::BadCreatedLeaf),
        ),
        (
            Request::CreateNamedEvent {
                kind: EventKind::ManualReset,
                scope: Scope::Global,
                mode: SignalMode::OnDemand,
                leaf_bytes: &[0x00, 0xD8],
            },
            ProtocolError::Name(NameError::NotUtf16),
        ),
    ];
    for (request, error) in cases {
        assert_eq!(encode(&request, &mut out), Err(error), "{request:?}");
    }
}

#[test]
fn name_to_wire_writes_utf16le() {
    let mut out = [0_u8; MAX_NAME_BYTES];
    let len = name_to_wire(r"Global\é🎉", &mut out).unwrap();
    assert_eq!(&out[..len], wire(r"Global\é🎉").as_slice());
    assert_eq!(len, 2 * 10);

    let longest = "x".repeat(240);
    assert_eq!(name_to_wire(&longest, &mut out), Ok(MAX_NAME_BYTES));
    // 239 units plus a surrogate pair is 241 units.
    let too_long = format!("{}🎉", "x".repeat(239));
    assert_eq!(
        name_to_wire(&too_long, &mut out),
        Err(NameError::TooLong { units: 241 })
    );
    assert_eq!(name_to_wire("", &mut out), Err(NameError::Empty));
    assert_eq!(name_to_wire("a\0", &mut out), Err(NameError::EmbeddedNul));
}

#[test]
fn leaf_to_wire_writes_utf16le_and_applies_the_leaf_rules() {
    let mut out = [0_u8; MAX_CREATED_LEAF_BYTES];
    let len = leaf_to_wire("tick-é🎉", &mut out).unwrap();
    assert_eq!(&out[..len], wire("tick-é🎉").as_slice());
    assert_eq!(len, 2 * 8);

    let longest = "x".repeat(64);
    assert_eq!(leaf_to_wire(&longest, &mut out), Ok(MAX_CREATED_LEAF_BYTES));
    assert_eq!(MAX_CREATED_LEAF_BYTES, 128);
    // 63 units plus a surrogate pair is 65 units.
    let too_long = format!("{}🎉", "x".repeat(63));
    let cases = [
        ("", NameError::Empty),
        (
            too_long.as_str(),
            NameError::CreatedLeafTooLong { units: 65 },
        ),
        ("a\0", NameError::EmbeddedNul),
        (r"a\b", NameError::BadCreatedLeaf),
        (r"Global\x", NameError::BadCreatedLeaf),
        (".", NameError::BadCreatedLeaf),
        ("..", NameError::BadCreatedLeaf),
    ];
    for (leaf, error) in cases {
        assert_eq!(leaf_to_wire(leaf, &mut out), Err(error), "{leaf:?}");
    }
    // What it writes is what CREATE_NAMED_EVENT accepts.
    let len = leaf_to_wire("...", &mut out).unwrap();
    let request = Request::CreateNamedEvent {
        kind: EventKind::AutoReset,
        scope: Scope::Session,
        mode: SignalMode::OnDemand,
        leaf_bytes: &out[..len],
    };
    let (code, bytes) = encoded(&request);
    assert_eq!(parse(code, &bytes), Ok(request));
}

/// `RegisterRing`'s fixed part (capacity 256, periodic 10 ms, watermark 16) with the three
/// name lengths set to `declared`, then `names`.
fn register_ring(declared: [u32; 3], names: &[u8]) -> Vec<u8> {
    let fixed = valid(Ioctl::RegisterRing)[..36].to_vec();
    let fixed = with_u32(with_u32(fixed, 24, declared[0]), 28, declared[1]);
    [with_u32(fixed, 32, declared[2]), names.to_vec()].concat()
}

/// Three names' exact wire bytes, each with its own length declared.
fn register_ring_names(section: &[u8], data_ready: &[u8], space_free: &[u8]) -> Vec<u8> {
    register_ring(
        [section, data_ready, space_free].map(|name| name.len() as u32),
        &[section, data_ready, space_free].concat(),
    )
}

#[test]
fn malformed_ring_and_notification_requests_get_their_error_and_status() {
    use ProtocolError::*;
    let ring = Ioctl::RegisterRing.code();
    let produce = Ioctl::Produce.code();
    let pend = Ioctl::PendNotification.code();
    let notify = Ioctl::Notify.code();
    let query = Ioctl::QueryRing.code();
    let ring_valid = valid(Ioctl::RegisterRing); // 36 + 6 + 8 + 6 bytes
    let evt = wire("evt");
    let cases: Vec<(&str, u32, Vec<u8>, ProtocolError, u32)> = vec![
        (
            "ring, header only",
            ring,
            valid(Ioctl::QueryVersion),
            InputTooShort { needed: 36, got: 8 },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "ring, short",
            ring,
            ring_valid[..35].to_vec(),
            InputTooShort {
                needed: 36,
                got: 35,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "ring, trailing byte",
            ring,
            [ring_valid.clone(), vec![0]].concat(),
            LengthMismatch {
                declared: 56,
                got: 57,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "ring, section_bytes says more",
            ring,
            with_u32(ring_valid.clone(), 24, 8),
            LengthMismatch {
                declared: 58,
                got: 56,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "ring, space_free_bytes says less",
            ring,
            with_u32(ring_valid.clone(), 32, 4),
            LengthMismatch {
                declared: 54,
                got: 56,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        // The lengths may be shuffled between the names only if each name stays valid.
        (
            "ring, all three lengths huge",
            ring,
            register_ring([u32::MAX; 3], &[]),
            LengthMismatch {
                declared: 36 + 3 * u32::MAX as usize,
                got: 36,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "ring, lengths that wrap a u32 to the buffer's",
            ring,
            register_ring([u32::MAX, 7, 0], &[0; 6]),
            LengthMismatch {
                declared: 36 + u32::MAX as usize + 7,
                got: 42,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "ring, version 2",
            ring,
            with_u32(ring_valid.clone(), 0, 2),
            UnsupportedVersion { got: 2 },
            STATUS_REVISION_MISMATCH,
        ),
        (
            "ring, flags set",
            ring,
            with_u32(ring_valid.clone(), 4, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        // Flags before the capacity, the capacity before the mode, the mode before the
        // watermark, the watermark before the names.
        (
            "ring, flags set and capacity 0",
            ring,
            with_u32(with_u32(ring_valid.clone(), 4, 1), 8, 0),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "ring, capacity 0",
            ring,
            with_u32(ring_valid.clone(), 8, 0),
            BadCapacity { capacity: 0 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "ring, capacity 8",
            ring,
            with_u32(ring_valid.clone(), 8, 8),
            BadCapacity { capacity: 8 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "ring, capacity 1000 (not a power of two)",
            ring,
            with_u32(ring_valid.clone(), 8, 1000),
            BadCapacity { capacity: 1000 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "ring, capacity 2^21",
            ring,
            with_u32(ring_valid.clone(), 8, 1 << 21),
            BadCapacity { capacity: 1 << 21 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "ring, capacity 2^31",
            ring,
            with_u32(ring_valid.clone(), 8, 1 << 31),
            BadCapacity { capacity: 1 << 31 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "ring, bad capacity and bad mode: capacity first",
            ring,
            with_u32(with_u32(ring_valid.clone(), 8, 17), 12, 9),
            BadCapacity { capacity: 17 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "ring, periodic 0",
            ring,
            with_u32(ring_valid.clone(), 16, 0),
            BadSignalMode { kind: 1, millis: 0 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "ring, bad mode and watermark 0: mode first",
            ring,
            with_u32(with_u32(ring_valid.clone(), 12, 3), 20, 0),
            BadSignalMode {
                kind: 3,
                millis: 10,
            },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "ring, watermark 0",
            ring,
            with_u32(ring_valid.clone(), 20, 0),
            BadWatermark {
                watermark: 0,
                capacity: 256,
            },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "ring, watermark past the capacity",
            ring,
            with_u32(ring_valid.clone(), 20, 257),
            BadWatermark {
                watermark: 257,
                capacity: 256,
            },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "ring, watermark past the capacity and an empty name: watermark first",
            ring,
            with_u32(register_ring_names(&[], &evt, &evt), 20, 300),
            BadWatermark {
                watermark: 300,
                capacity: 256,
            },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "ring, empty section",
            ring,
            register_ring_names(&[], &evt, &evt),
            Name(NameError::Empty),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "ring, empty data ready",
            ring,
            register_ring_names(&evt, &[], &evt),
            Name(NameError::Empty),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "ring, empty space free",
            ring,
            register_ring_names(&evt, &evt, &[]),
            Name(NameError::Empty),
            STATUS_OBJECT_NAME_INVALID,
        ),
        // An odd length splits the names off their unit boundaries.
        (
            "ring, odd section",
            ring,
            register_ring([5, 7, 6], &[evt.clone(), evt.clone(), evt.clone()].concat()),
            Name(NameError::NotUtf16),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "ring, odd data ready",
            ring,
            register_ring([6, 5, 7], &[evt.clone(), evt.clone(), evt.clone()].concat()),
            Name(NameError::NotUtf16),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "ring, section of 241 units",
            ring,
            register_ring_names(&wire(&"x".repeat(241)), &evt, &evt),
            Name(NameError::TooLong { units: 241 }),
            STATUS_NAME_TOO_LONG,
        ),
        (
            "ring, space free of 241 units",
            ring,
            register_ring_names(&evt, &evt, &wire(&"x".repeat(241))),
            Name(NameError::TooLong { units: 241 }),
            STATUS_NAME_TOO_LONG,
        ),
        (
            "ring, NUL-terminated data ready",
            ring,
            register_ring_names(&evt, &wire("evt\0"), &evt),
            Name(NameError::EmbeddedNul),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "ring, unpaired surrogate in space free",
            ring,
            register_ring_names(&evt, &evt, &[b'a', 0, 0x00, 0xD8]),
            Name(NameError::NotUtf16),
            STATUS_OBJECT_NAME_INVALID,
        ),
        // Names are checked in order: the section's error wins over the others'.
        (
            "ring, NUL section and empty space free: section first",
            ring,
            register_ring_names(&[0, 0], &evt, &[]),
            Name(NameError::EmbeddedNul),
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            "ring with read access",
            ring ^ (3 << 14),
            ring_valid.clone(),
            UnknownIoctl {
                code: ring ^ (3 << 14),
            },
            STATUS_INVALID_DEVICE_REQUEST,
        ),
        (
            "produce, short",
            produce,
            valid(Ioctl::Produce)[..20].to_vec(),
            InputTooShort {
                needed: 24,
                got: 20,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "produce, trailing bytes",
            produce,
            [valid(Ioctl::Produce), vec![0; 8]].concat(),
            LengthMismatch {
                declared: 24,
                got: 32,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "produce, version 0",
            produce,
            with_u32(valid(Ioctl::Produce), 0, 0),
            UnsupportedVersion { got: 0 },
            STATUS_REVISION_MISMATCH,
        ),
        (
            "produce, flags set",
            produce,
            with_u32(valid(Ioctl::Produce), 4, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "produce, reserved set",
            produce,
            with_u32(valid(Ioctl::Produce), 20, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "produce, reserved set and count 0: reserved first",
            produce,
            with_u32(with_u32(valid(Ioctl::Produce), 20, 1), 16, 0),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "produce, count 0",
            produce,
            with_u32(valid(Ioctl::Produce), 16, 0),
            BadCount { count: 0 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "produce, count 1_000_001",
            produce,
            with_u32(valid(Ioctl::Produce), 16, 1_000_001),
            BadCount { count: 1_000_001 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "produce with read access",
            produce ^ (3 << 14),
            valid(Ioctl::Produce),
            UnknownIoctl {
                code: produce ^ (3 << 14),
            },
            STATUS_INVALID_DEVICE_REQUEST,
        ),
        (
            "pend, trailing bytes",
            pend,
            [valid(Ioctl::PendNotification), vec![0; 8]].concat(),
            LengthMismatch {
                declared: 8,
                got: 16,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "pend, half a header",
            pend,
            vec![1, 0, 0, 0, 0],
            InputTooShort { needed: 8, got: 5 },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "pend, flags set",
            pend,
            with_u32(valid(Ioctl::PendNotification), 4, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "pend with write access",
            pend ^ (3 << 14),
            valid(Ioctl::PendNotification),
            UnknownIoctl {
                code: pend ^ (3 << 14),
            },
            STATUS_INVALID_DEVICE_REQUEST,
        ),
        (
            "notify, short",
            notify,
            valid(Ioctl::Notify)[..12].to_vec(),
            InputTooShort {
                needed: 16,
                got: 12,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "notify, trailing byte",
            notify,
            [valid(Ioctl::Notify), vec![0]].concat(),
            LengthMismatch {
                declared: 16,
                got: 17,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "notify, version 2",
            notify,
            with_u32(valid(Ioctl::Notify), 0, 2),
            UnsupportedVersion { got: 2 },
            STATUS_REVISION_MISMATCH,
        ),
        (
            "notify, flags set",
            notify,
            with_u32(valid(Ioctl::Notify), 4, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "notify, reserved set",
            notify,
            with_u32(valid(Ioctl::Notify), 12, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "notify, count 0",
            notify,
            with_u32(valid(Ioctl::Notify), 8, 0),
            BadCount { count: 0 },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "notify, count u32::MAX",
            notify,
            with_u32(valid(Ioctl::Notify), 8, u32::MAX),
            BadCount { count: u32::MAX },
            STATUS_INVALID_PARAMETER,
        ),
        (
            "query ring, short",
            query,
            valid(Ioctl::QueryRing)[..15].to_vec(),
            InputTooShort {
                needed: 16,
                got: 15,
            },
            STATUS_INVALID_BUFFER_SIZE,
        ),
        (
            "query ring, flags set",
            query,
            with_u32(valid(Ioctl::QueryRing), 4, 1),
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
        ),
        (
            "query ring with write access",
            query ^ (3 << 14),
            valid(Ioctl::QueryRing),
            UnknownIoctl {
                code: query ^ (3 << 14),
            },
            STATUS_INVALID_DEVICE_REQUEST,
        ),
    ];
    for (what, code, bytes, error, status) in cases {
        assert_eq!(parse(code, &bytes), Err(error), "{what}");
        assert_eq!(error.status(), status, "{what}");
    }
    // The cases start from valid requests.
    let leaf = wire("leaf");
    assert_eq!(
        parse(ring, &ring_valid),
        Ok(Request::RegisterRing {
            capacity: 256,
            mode: SignalMode::Periodic { period_ms: 10 },
            watermark: 16,
            section: &evt,
            data_ready: &leaf,
            space_free: &evt,
        })
    );
    assert_eq!(register_ring_names(&evt, &leaf, &evt), ring_valid);
    assert_eq!(
        parse(produce, &valid(Ioctl::Produce)),
        Ok(Request::Produce { id: 5, count: 10 })
    );
    assert_eq!(
        parse(notify, &valid(Ioctl::Notify)),
        Ok(Request::Notify { count: 10 })
    );
}

#[test]
fn ring_names_are_split_by_their_lengths_and_not_resolved() {
    // Three different names of different lengths come back as the exact slices, in order;
    // parse checks their form only (a device path is the driver's to refuse).
    let section = wire(r"\Device\Whatever");
    let data_ready = wire("é🎉");
    let space_free = wire(&"s".repeat(240));
    let bytes = register_ring_names(&section, &data_ready, &space_free);
    assert_eq!(
        bytes.len(),
        REGISTER_RING_FIXED_LEN + section.len() + data_ready.len() + space_free.len()
    );
    let Ok(Request::RegisterRing {
        section: s,
        data_ready: d,
        space_free: f,
        ..
    }) = parse(Ioctl::RegisterRing.code(), &bytes)
    else {
        panic!("a valid ring does not parse");
    };
    assert_eq!((s, d, f), (&section[..], &data_ready[..], &space_free[..]));
    // The same bytes with the lengths moved between the names are other (valid) names.
    let moved = register_ring(
        [
            section.len() as u32 + 2,
            data_ready.len() as u32 - 2,
            space_free.len() as u32,
        ],
        &bytes[36..],
    );
    let Ok(Request::RegisterRing {
        section: s,
        data_ready: d,
        ..
    }) = parse(Ioctl::RegisterRing.code(), &moved)
    else {
        panic!("moved lengths do not parse");
    };
    assert_eq!(s, &[&section[..], &data_ready[..2]].concat()[..]);
    assert_eq!(d, &data_ready[2..]);
    // Moving two bytes into the middle of a surrogate pair breaks both names.
    let split_pair = register_ring(
        [
            section.len() as u32 + 4,
            data_ready.len() as u32 - 4,
            space_free.len() as u32,
        ],
        &bytes[36..],
    );
    assert_eq!(
        parse(Ioctl::RegisterRing.code(), &split_pair),
        Err(ProtocolError::Name(NameError::NotUtf16))
    );
}

#[test]
fn encode_refuses_ring_and_notification_requests_that_parse_would_refuse() {
    let mut out = [0_u8; MAX_REQUEST_LEN];
    let ok = wire("ok");
    let ring = |capacity, mode, watermark, names: [&'static [u8]; 3]| Request::RegisterRing {
        capacity,
        mode,
        watermark,
        section: names[0],
        data_ready: names[1],
        space_free: names[2],
    };
    let ok: &'static [u8] = ok.leak();
    let too_long: &'static [u8] = wire(&"x".repeat(241)).leak();
    let cases: Vec<(Request<'_>, ProtocolError)> = vec![
        (
            ring(0, SignalMode::OnDemand, 1, [ok; 3]),
            ProtocolError::BadCapacity { capacity: 0 },
        ),
        (
            ring(48, SignalMode::OnDemand, 1, [ok; 3]),
            ProtocolError::BadCapacity { capacity: 48 },
        ),
        (
            ring(MAX_CAPACITY * 2, SignalMode::OnDemand, 1, [ok; 3]),
            ProtocolError::BadCapacity {
                capacity: MAX_CAPACITY * 2,
            },
        ),
        (
            ring(16, SignalMode::Periodic { period_ms: 0 }, 1, [ok; 3]),
            ProtocolError::BadSignalMode { kind: 1, millis: 0 },
        ),
        (
            ring(16, SignalMode::OnDemand, 0, [ok; 3]),
            ProtocolError::BadWatermark {
                watermark: 0,
                capacity: 16,
            },
        ),
        (
            ring(16, SignalMode::OnDemand, 17, [ok; 3]),
            ProtocolError::BadWatermark {
                watermark: 17,
                capacity: 16,
            },
        ),
        (
            ring(16, SignalMode::OnDemand, 1, [&[], ok, ok]),
            ProtocolError::Name(NameError::Empty),
        ),
        (
            ring(16, SignalMode::OnDemand, 1, [ok, &[0x41], ok]),
            ProtocolError::Name(NameError::NotUtf16),
        ),
        (
            ring(16, SignalMode::OnDemand, 1, [ok, ok, too_long]),
            ProtocolError::Name(NameError::TooLong { units: 241 }),
        ),
        (
            ring(16, SignalMode::OnDemand, 1, [ok, ok, &[0, 0]]),
            ProtocolError::Name(NameError::EmbeddedNul),
        ),
        (
            Request::Produce { id: 1, count: 0 },
            ProtocolError::BadCount { count: 0 },
        ),
        (
            Request::Produce {
                id: 1,
                count: MAX_COUNT + 1,
            },
            ProtocolError::BadCount {
                count: MAX_COUNT + 1,
            },
        ),
        (
            Request::Notify { count: 0 },
            ProtocolError::BadCount { count: 0 },
        ),
        (
            Request::Notify { count: u32::MAX },
            ProtocolError::BadCount { count: u32::MAX },
        ),
    ];
    for (request, error) in cases {
        assert_eq!(encode(&request, &mut out), Err(error), "{request:?}");
        if !matches!(error, ProtocolError::Name(_)) {
            assert_eq!(error.status(), STATUS_INVALID_PARAMETER, "{error:?}");
        }
    }
}

#[test]
fn subscribe_names_a_registration_or_the_handles_inverted_call() {
    use evshare_protocol::channel::SubscribeTarget;
    let header = le(&[&1u32.to_le_bytes(), &0u32.to_le_bytes()]);
    let subscribe = |target: u32, id: u64| {
        [
            header.clone(),
            le(&[
                &id.to_le_bytes(),
                &3u32.to_le_bytes(),
                &target.to_le_bytes(),
            ]),
        ]
        .concat()
    };
    let cases = [
        (SubscribeTarget::Registration(7), subscribe(0, 7)),
        (SubscribeTarget::InvertedCall, subscribe(1, 0)),
    ];
    for (target, bytes) in cases {
        let request = Request::Subscribe { target, channel: 3 };
        assert_eq!(encoded(&request), (Ioctl::Subscribe.code(), bytes.clone()));
        assert_eq!(parse(Ioctl::Subscribe.code(), &bytes), Ok(request));
    }
    // The inverted call has no id; no other target exists.
    for (target, id) in [(1, 5), (2, 0), (u32::MAX, 1)] {
        let error = ProtocolError::BadSubscribeTarget { target, id };
        assert_eq!(
            parse(Ioctl::Subscribe.code(), &subscribe(target, id)),
            Err(error)
        );
        assert_eq!(error.status(), STATUS_INVALID_PARAMETER);
    }
}

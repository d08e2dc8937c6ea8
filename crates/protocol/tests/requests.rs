//! Requests: the layouts of docs/protocol.md ("Encoding"), what parse refuses, and round trips.

use evshare_protocol::request::{
    encode, leaf_to_wire, name_to_wire, parse, CREATE_NAMED_EVENT_FIXED_LEN,
    MAX_CREATED_LEAF_BYTES, MAX_NAME_BYTES, MAX_REQUEST_LEN,
};
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
}

#[test]
fn every_request_round_trips() {
    let longest = wire(&"n".repeat(240));
    let shortest = wire("n");
    let longest_leaf = wire(&"l".repeat(64));
    // 62 units and a surrogate pair: 64 units, the most a leaf may have.
    let longest_leaf_with_pair = wire(&format!("{}🎉", "l".repeat(62)));
    let dots = wire("...");
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
    ];
    for request in requests {
        let (code, bytes) = encoded(&request);
        assert_eq!(Ioctl::from_code(code), Some(request.ioctl()));
        assert_eq!(parse(code, &bytes), Ok(request));
    }
    assert_eq!(encoded(&requests[2]).1.len(), MAX_REQUEST_LEN);
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
            0x8E5E_A02C,
            valid(Ioctl::Signal),
            UnknownIoctl { code: 0x8E5E_A02C },
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

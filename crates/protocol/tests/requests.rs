//! Requests: the layouts of docs/protocol.md ("Encoding"), what parse refuses, and round trips.

use evshare_protocol::request::{encode, name_to_wire, parse, MAX_NAME_BYTES, MAX_REQUEST_LEN};
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
    ];
    for (request, bytes) in cases {
        let (code, encoded) = encoded(&request);
        assert_eq!(code, request.ioctl().code());
        assert_eq!(encoded, bytes, "{request:?}");
        assert_eq!(parse(code, &bytes), Ok(request));
    }
    assert_eq!(encoded(&Request::QueryVersion).1.len(), 8);
    assert_eq!(encoded(&Request::Signal { id: 1 }).1.len(), 16);
}

#[test]
fn every_request_round_trips() {
    let longest = wire(&"n".repeat(240));
    let shortest = wire("n");
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
    ];
    for request in requests {
        let (code, bytes) = encoded(&request);
        assert_eq!(Ioctl::from_code(code), Some(request.ioctl()));
        assert_eq!(parse(code, &bytes), Ok(request));
    }
    assert_eq!(encoded(&requests[2]).1.len(), MAX_REQUEST_LEN);
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

//! Replies: layouts, round trips, and what parse and encode refuse.

use evshare_protocol::names::resolve;
use evshare_protocol::stats::REJECT_REASONS;
use evshare_protocol::status::*;
use evshare_protocol::{
    HostKind, Method, NameError, ProtocolError, RegisterReply, RegistrationInfo, RejectReason,
    ResolvedName, SignalMode, StatsReply, VersionReply,
};

fn name(path: &str, session: u32) -> ResolvedName {
    resolve(&path.encode_utf16().collect::<Vec<_>>(), session).unwrap()
}

fn version() -> VersionReply {
    VersionReply {
        host: HostKind::Wine,
        driver_version: [0, 1, 2],
        max_registrations: 1024,
    }
}

fn register() -> RegisterReply {
    RegisterReply {
        session_id: 1,
        id: 0xDEAD_BEEF_0000_0001,
        method: Method::ByName,
        resolved: Some(name("evt", 1)),
        handle: 0,
    }
}

fn registration() -> RegistrationInfo {
    RegistrationInfo {
        owner_pid: 4321,
        id: 99,
        mode: SignalMode::Periodic { period_ms: 100 },
        signals_sent: 1 << 40,
        method: Method::ByName,
        resolved: Some(name(r"Global\événement", 3)),
    }
}

fn stats() -> StatsReply {
    let mut rejected = [0; REJECT_REASONS];
    for (i, count) in rejected.iter_mut().enumerate() {
        *count = (i as u64 + 1) * 1000;
    }
    StatsReply {
        host: HostKind::Windows,
        live_registrations: 3,
        live_for_pid: 2,
        open_handles: 5,
        registrations_total: 77,
        signals_sent: 123_456,
        rejected,
        live_by_method: [7, 0, 1, 2],
    }
}

/// Encodes with `encode`, checking it writes exactly `len` bytes into a larger buffer.
fn encoded(encode: impl Fn(&mut [u8]) -> Result<usize, ProtocolError>, len: usize) -> Vec<u8> {
    let mut out = vec![0xCC_u8; len + 10];
    assert_eq!(encode(&mut out), Ok(len));
    assert!(
        out[len..].iter().all(|&b| b == 0xCC),
        "wrote past the reply"
    );
    out.truncate(len);
    out
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap())
}

fn u64_at(bytes: &[u8], offset: usize) -> u64 {
    u64::from_le_bytes(bytes[offset..offset + 8].try_into().unwrap())
}

#[test]
fn sizes_are_the_documented_ones() {
    assert_eq!(VersionReply::LEN, 24);
    assert_eq!(RegisterReply::LEN, 544);
    assert_eq!(RegistrationInfo::LEN, 552);
    assert_eq!(StatsReply::LEN, 216);
}

#[test]
fn version_reply_layout_and_round_trip() {
    let bytes = encoded(|out| version().encode(out), VersionReply::LEN);
    let fields: Vec<u32> = (0..6).map(|i| u32_at(&bytes, 4 * i)).collect();
    assert_eq!(fields, [1, 2, 0, 1, 2, 1024]);
    assert_eq!(VersionReply::parse(&bytes), Ok(version()));
}

#[test]
fn register_reply_layout_and_round_trip() {
    let reply = register();
    let bytes = encoded(|out| reply.encode(out), RegisterReply::LEN);
    let path: Vec<u16> = r"\Sessions\1\BaseNamedObjects\evt".encode_utf16().collect();
    assert_eq!(u32_at(&bytes, 0), 1);
    assert_eq!(u32_at(&bytes, 4), 1);
    assert_eq!(u64_at(&bytes, 8), 0xDEAD_BEEF_0000_0001);
    assert_eq!(u32_at(&bytes, 16) as usize, 2 * path.len());
    assert_eq!(u32_at(&bytes, 20), 0);
    let units: Vec<u16> = bytes[24..536]
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    assert_eq!(&units[..path.len()], path.as_slice());
    assert!(units[path.len()..].iter().all(|&unit| unit == 0));
    assert_eq!(RegisterReply::parse(&bytes), Ok(reply));
}

#[test]
fn registration_info_layout_and_round_trip() {
    let reply = registration();
    let bytes = encoded(|out| reply.encode(out), RegistrationInfo::LEN);
    assert_eq!(u32_at(&bytes, 4), 4321);
    assert_eq!(u64_at(&bytes, 8), 99);
    assert_eq!((u32_at(&bytes, 16), u32_at(&bytes, 20)), (1, 100));
    assert_eq!(u64_at(&bytes, 24), 1 << 40);
    assert_eq!(
        u32_at(&bytes, 32),
        2 * r"\BaseNamedObjects\événement".encode_utf16().count() as u32
    );
    assert_eq!(u32_at(&bytes, 36), 0);
    assert_eq!(RegistrationInfo::parse(&bytes), Ok(reply));
    for mode in [SignalMode::OnDemand, SignalMode::OneShot { delay_ms: 0 }] {
        let reply = RegistrationInfo {
            mode,
            ..registration()
        };
        let bytes = encoded(|out| reply.encode(out), RegistrationInfo::LEN);
        assert_eq!(RegistrationInfo::parse(&bytes), Ok(reply));
    }
}

#[test]
fn stats_reply_layout_and_round_trip() {
    let reply = stats();
    let bytes = encoded(|out| reply.encode(out), StatsReply::LEN);
    let header: Vec<u32> = (0..6).map(|i| u32_at(&bytes, 4 * i)).collect();
    assert_eq!(header, [1, 1, 3, 2, 5, 0]);
    assert_eq!(u64_at(&bytes, 24), 77);
    assert_eq!(u64_at(&bytes, 32), 123_456);
    for reason in RejectReason::ALL {
        assert_eq!(
            u64_at(&bytes, 40 + 8 * reason.index()),
            reply.rejected_for(reason)
        );
    }
    assert_eq!(reply.rejected_for(RejectReason::Other), 16_000);
    assert_eq!(reply.rejected_for(RejectReason::HandleAccessDenied), 20_000);
    assert_eq!(StatsReply::parse(&bytes), Ok(reply));
}

/// A reply's `encode`, with the reply bound.
type Encode = dyn Fn(&mut [u8]) -> Result<usize, ProtocolError>;

#[test]
fn encode_refuses_a_small_output_buffer() {
    let mut out = vec![0_u8; 600];
    let cases: [(&str, usize, &Encode); 4] = [
        ("version", VersionReply::LEN, &|out| version().encode(out)),
        ("register", RegisterReply::LEN, &|out| {
            register().encode(out)
        }),
        ("registration", RegistrationInfo::LEN, &|out| {
            registration().encode(out)
        }),
        ("stats", StatsReply::LEN, &|out| stats().encode(out)),
    ];
    for (what, len, encode) in cases {
        for got in [0, 1, len - 1] {
            let error = ProtocolError::OutputTooSmall { needed: len, got };
            assert_eq!(encode(&mut out[..got]), Err(error), "{what}");
            assert_eq!(error.status(), STATUS_BUFFER_TOO_SMALL);
        }
        assert_eq!(encode(&mut out[..len]), Ok(len), "{what}");
    }
}

#[test]
fn encode_refuses_a_bad_mode() {
    let reply = RegistrationInfo {
        mode: SignalMode::Periodic { period_ms: 0 },
        ..registration()
    };
    let mut out = [0_u8; RegistrationInfo::LEN];
    assert_eq!(
        reply.encode(&mut out),
        Err(ProtocolError::BadSignalMode { kind: 1, millis: 0 })
    );
}

fn patched(mut bytes: Vec<u8>, offset: usize, value: &[u8]) -> Vec<u8> {
    bytes[offset..offset + value.len()].copy_from_slice(value);
    bytes
}

#[test]
fn parse_refuses_malformed_replies() {
    use ProtocolError::*;
    let version = encoded(|out| version().encode(out), VersionReply::LEN);
    let register = encoded(|out| register().encode(out), RegisterReply::LEN);
    let info = encoded(|out| registration().encode(out), RegistrationInfo::LEN);
    let stats = encoded(|out| stats().encode(out), StatsReply::LEN);
    let path_len = u32_at(&register, 16);

    type Parse = fn(&[u8]) -> Result<(), ProtocolError>;
    let version_parse: Parse = |b| VersionReply::parse(b).map(drop);
    let register_parse: Parse = |b| RegisterReply::parse(b).map(drop);
    let info_parse: Parse = |b| RegistrationInfo::parse(b).map(drop);
    let stats_parse: Parse = |b| StatsReply::parse(b).map(drop);

    let cases: Vec<(&str, Parse, Vec<u8>, ProtocolError)> = vec![
        (
            "empty",
            version_parse,
            vec![],
            InputTooShort { needed: 24, got: 0 },
        ),
        (
            "short",
            version_parse,
            version[..23].to_vec(),
            InputTooShort {
                needed: 24,
                got: 23,
            },
        ),
        (
            "long",
            version_parse,
            [version.clone(), vec![0]].concat(),
            LengthMismatch {
                declared: 24,
                got: 25,
            },
        ),
        (
            "version 2",
            version_parse,
            patched(version.clone(), 0, &2u32.to_le_bytes()),
            UnsupportedVersion { got: 2 },
        ),
        (
            "host 0",
            version_parse,
            patched(version.clone(), 4, &0u32.to_le_bytes()),
            UnknownHost { host: 0 },
        ),
        (
            "host 3",
            stats_parse,
            patched(stats.clone(), 4, &3u32.to_le_bytes()),
            UnknownHost { host: 3 },
        ),
        (
            "stats reserved",
            stats_parse,
            patched(stats.clone(), 20, &1u32.to_le_bytes()),
            ReservedNotZero,
        ),
        (
            "stats short",
            stats_parse,
            stats[..100].to_vec(),
            InputTooShort {
                needed: 216,
                got: 100,
            },
        ),
        (
            "register short",
            register_parse,
            register[..543].to_vec(),
            InputTooShort {
                needed: 544,
                got: 543,
            },
        ),
        (
            "register method 4",
            register_parse,
            patched(register.clone(), 20, &4u32.to_le_bytes()),
            UnknownMethod { method: 4 },
        ),
        (
            "resolved_bytes past the array",
            register_parse,
            patched(register.clone(), 16, &514u32.to_le_bytes()),
            LengthMismatch {
                declared: 514,
                got: 512,
            },
        ),
        (
            "resolved_bytes odd",
            register_parse,
            patched(register.clone(), 16, &(path_len - 1).to_le_bytes()),
            Name(NameError::NotUtf16),
        ),
        (
            "resolved_bytes 0 for a method with a name",
            register_parse,
            patched(register.clone(), 16, &0u32.to_le_bytes()),
            MethodMismatch {
                method: Method::ByName,
            },
        ),
        // Cutting `\Sessions\1\BaseNamedObjects\evt` to `\Sessions\1\BaseNamedObjects\`.
        (
            "resolved path without leaf",
            register_parse,
            patched(register.clone(), 16, &(path_len - 6).to_le_bytes()),
            Name(NameError::BadLeaf),
        ),
        (
            "resolved path not canonical",
            register_parse,
            patched(register.clone(), 26, &u16::from(b's').to_le_bytes()),
            Name(NameError::OutsideNamespace),
        ),
        (
            "info bad mode",
            info_parse,
            patched(info.clone(), 16, &7u32.to_le_bytes()),
            BadSignalMode {
                kind: 7,
                millis: 100,
            },
        ),
        (
            "info method 9",
            info_parse,
            patched(info.clone(), 36, &9u32.to_le_bytes()),
            UnknownMethod { method: 9 },
        ),
        (
            "info version 0",
            info_parse,
            patched(info.clone(), 0, &0u32.to_le_bytes()),
            UnsupportedVersion { got: 0 },
        ),
    ];
    for (what, parse, bytes, error) in cases {
        assert_eq!(parse(&bytes), Err(error), "{what}");
    }
}

#[test]
fn host_kinds_have_their_wire_values() {
    assert_eq!(HostKind::Windows.to_wire(), 1);
    assert_eq!(HostKind::Wine.to_wire(), 2);
    assert_eq!(HostKind::from_wire(1), Ok(HostKind::Windows));
    assert_eq!(HostKind::from_wire(2), Ok(HostKind::Wine));
    assert_eq!(
        HostKind::from_wire(0),
        Err(ProtocolError::UnknownHost { host: 0 })
    );
    assert_eq!(HostKind::Wine.to_string(), "Wine");
}

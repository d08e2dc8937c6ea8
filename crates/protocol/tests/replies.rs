//! Replies: layouts, round trips, and what parse and encode refuse.

use evshare_protocol::names::{driver_created, resolve};
use evshare_protocol::reply::{NotificationSource, MAX_HOLDERS, NOTIFICATION_PAYLOAD_LEN};
use evshare_protocol::stats::{KNOWN_REJECT_REASONS, REJECT_REASONS};
use evshare_protocol::status::*;
use evshare_protocol::{
    Holder, HoldersReply, HostKind, Method, NameError, Notification, NotifyReply, ProduceReply,
    ProtocolError, RegisterReply, RegistrationInfo, RejectReason, ResolvedName, RingInfo,
    RingReply, Scope, SignalMode, SignalReply, StatsReply, VersionReply,
};

fn name(path: &str, session: u32) -> ResolvedName {
    resolve(&path.encode_utf16().collect::<Vec<_>>(), session).unwrap()
}

fn created(leaf: &str, scope: Scope, session: u32) -> ResolvedName {
    driver_created(&leaf.encode_utf16().collect::<Vec<_>>(), scope, session).unwrap()
}

fn holders() -> HoldersReply {
    let mut reply = HoldersReply::EMPTY;
    for (pid, by_method) in [(4, [1, 0, 0, 2, 5]), (0x1234_5678, [0, 3, 4, 0, 0])] {
        reply.push(Holder { pid, by_method }).unwrap();
    }
    reply
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
    for (i, count) in rejected[..KNOWN_REJECT_REASONS].iter_mut().enumerate() {
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
        live_by_method: [7, 0, 1, 2, 3],
        live_rings: 3,
        pending_irps: 0x0102_0304,
        ring_produced: 1 << 33,
        ring_dropped: 17,
        ring_corrupt: 1,
        notifications: u64::MAX,
        verifier: evshare_protocol::VerifierFigures {
            enabled: true,
            faults_injected: 9,
            calls_checked: 1 << 35,
            violations: [1, 0, 2, 0, 3, 0, 0, 0],
        },
    }
}

fn signal() -> SignalReply {
    SignalReply {
        timestamp: 0x0011_2233_4455_6677,
    }
}

fn ring() -> RingReply {
    RingReply {
        session_id: 2,
        id: 0xABCD_0000_0000_0007,
        capacity: 4096,
        record_size: 64,
    }
}

fn produce() -> ProduceReply {
    ProduceReply {
        written: 1000,
        dropped: 24,
        wakeups: 3,
    }
}

fn ring_info() -> RingInfo {
    RingInfo {
        poisoned: true,
        id: 7,
        produced: 1 << 40,
        dropped: 2,
        corrupt: 1,
        wakeups: 99,
        space_free_seen: 5,
    }
}

fn notification() -> Notification {
    let mut payload = [0_u8; NOTIFICATION_PAYLOAD_LEN];
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte = i as u8 + 1;
    }
    Notification {
        seq: 12,
        timestamp: 0x8000_0000_0000_0001,
        payload,
        ..Notification::EMPTY
    }
}

fn notify() -> NotifyReply {
    NotifyReply {
        completed: 6,
        owed: 4,
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
    assert_eq!(StatsReply::LEN, 532);
    assert_eq!(HoldersReply::LEN, 776);
    assert_eq!(Holder::LEN, 24);
    assert_eq!(MAX_HOLDERS, 32);
    assert_eq!(SignalReply::LEN, 16);
    assert_eq!(RingReply::LEN, 24);
    assert_eq!(ProduceReply::LEN, 32);
    assert_eq!(RingInfo::LEN, 56);
    assert_eq!(Notification::LEN, 64);
    assert_eq!(NOTIFICATION_PAYLOAD_LEN, 40);
    assert_eq!(NotifyReply::LEN, 24);
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
    assert_eq!(u64_at(&bytes, 536), 0);
    assert_eq!(RegisterReply::parse(&bytes), Ok(reply));
}

/// The units of the `resolved` array of a `RegisterReply` or `RegistrationInfo` at `offset`.
fn resolved_units(bytes: &[u8], offset: usize) -> Vec<u16> {
    bytes[offset..offset + 512]
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect()
}

#[test]
fn register_reply_layout_for_every_method() {
    let by_name = name(r"Local\evt", 2);
    let named = created("tick", Scope::Session, 2);
    let cases: [(RegisterReply, &str); 4] = [
        (
            RegisterReply {
                session_id: 2,
                id: 10,
                method: Method::ByName,
                resolved: Some(by_name),
                handle: 0,
            },
            r"\Sessions\2\BaseNamedObjects\evt",
        ),
        (
            RegisterReply {
                session_id: 2,
                id: 11,
                method: Method::ByHandle,
                resolved: None,
                handle: 0,
            },
            "",
        ),
        (
            RegisterReply {
                session_id: 2,
                id: 12,
                method: Method::DriverHandle,
                resolved: None,
                handle: 0xFFFF_8000_0000_1234,
            },
            "",
        ),
        (
            RegisterReply {
                session_id: 2,
                id: 13,
                method: Method::DriverNamed,
                resolved: Some(named),
                handle: 0,
            },
            r"\Sessions\2\BaseNamedObjects\evshare-tick",
        ),
    ];
    for (reply, path) in cases {
        let what = reply.method;
        let bytes = encoded(|out| reply.encode(out), RegisterReply::LEN);
        let path: Vec<u16> = path.encode_utf16().collect();
        assert_eq!(u32_at(&bytes, 0), 1, "{what}");
        assert_eq!(u32_at(&bytes, 4), 2, "{what}");
        assert_eq!(u64_at(&bytes, 8), reply.id, "{what}");
        assert_eq!(u32_at(&bytes, 16) as usize, 2 * path.len(), "{what}");
        assert_eq!(u32_at(&bytes, 20), reply.method.to_wire(), "{what}");
        let units = resolved_units(&bytes, 24);
        assert_eq!(&units[..path.len()], path.as_slice(), "{what}");
        assert!(units[path.len()..].iter().all(|&unit| unit == 0), "{what}");
        assert_eq!(u64_at(&bytes, 536), reply.handle, "{what}");
        assert_eq!(RegisterReply::parse(&bytes), Ok(reply), "{what}");
    }
    // The methods' wire values.
    assert_eq!(Method::ALL.map(Method::to_wire), [0, 1, 2, 3, 4]);
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
fn registration_info_carries_the_method_and_no_name_for_unnamed_methods() {
    for method in Method::ALL {
        let resolved = match method {
            Method::ByName => Some(name(r"Global\x", 1)),
            Method::DriverNamed => Some(created("x", Scope::Global, 1)),
            Method::ByHandle | Method::DriverHandle | Method::Ring => None,
        };
        let reply = RegistrationInfo {
            method,
            resolved,
            ..registration()
        };
        let bytes = encoded(|out| reply.encode(out), RegistrationInfo::LEN);
        let path_units = resolved.map_or(0, |name| name.as_units().len());
        assert_eq!(u32_at(&bytes, 32) as usize, 2 * path_units, "{method}");
        assert_eq!(u32_at(&bytes, 36), method.to_wire(), "{method}");
        let units = resolved_units(&bytes, 40);
        assert!(
            units[path_units..].iter().all(|&unit| unit == 0),
            "{method}"
        );
        assert_eq!(RegistrationInfo::parse(&bytes), Ok(reply), "{method}");
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
    assert_eq!(u64_at(&bytes, 192), 20_000);
    assert_eq!(reply.rejected_for(RejectReason::BadRing), 21_000);
    assert_eq!(u64_at(&bytes, 200), 21_000);
    assert_eq!(reply.rejected_for(RejectReason::DriverStopping), 27_000);
    assert_eq!(u64_at(&bytes, 248), 27_000);
    assert_eq!(reply.rejected_for(RejectReason::NotVerifierBuild), 28_000);
    assert_eq!(u64_at(&bytes, 256), 28_000);
    // Counters 28..=32 are the channel refusals, at their places; 33..48 are reserved.
    for (reason, offset) in [
        (RejectReason::NoSuchChannel, 264),
        (RejectReason::AlreadySubscribed, 272),
        (RejectReason::ChannelFull, 280),
        (RejectReason::ChannelTooWide, 288),
        (RejectReason::ChannelShare, 296),
    ] {
        assert_eq!(u64_at(&bytes, offset), reply.rejected_for(reason));
    }
    let by_method: Vec<u32> = (0..5).map(|i| u32_at(&bytes, 424 + 4 * i)).collect();
    assert_eq!(by_method, [7, 0, 1, 2, 3]);
    for method in Method::ALL {
        assert_eq!(reply.live_by(method), by_method[method.index()]);
    }
    assert_eq!(reply.live_by(Method::Ring), 3);
    assert_eq!(u32_at(&bytes, 444), 3);
    assert_eq!(u32_at(&bytes, 448), 0x0102_0304);
    assert_eq!(u64_at(&bytes, 452), 1 << 33);
    assert_eq!(u64_at(&bytes, 460), 17);
    assert_eq!(u64_at(&bytes, 468), 1);
    assert_eq!(u64_at(&bytes, 476), u64::MAX);
    // The verifier's figures: enabled, faults, calls checked, 8 violation counters.
    assert_eq!(u32_at(&bytes, 484), 1);
    assert_eq!(u32_at(&bytes, 488), 9);
    assert_eq!(u64_at(&bytes, 492), 1 << 35);
    let violations: Vec<u32> = (0..8).map(|i| u32_at(&bytes, 500 + 4 * i)).collect();
    assert_eq!(violations, [1, 0, 2, 0, 3, 0, 0, 0]);
    assert_eq!(StatsReply::parse(&bytes), Ok(reply));
}

#[test]
fn holders_reply_layout_and_round_trip() {
    let reply = holders();
    let bytes = encoded(|out| reply.encode(out), HoldersReply::LEN);
    assert_eq!(u32_at(&bytes, 0), 1);
    assert_eq!(u32_at(&bytes, 4), 2);
    let entry =
        |i: usize| -> Vec<u32> { (0..6).map(|f| u32_at(&bytes, 8 + 24 * i + 4 * f)).collect() };
    assert_eq!(entry(0), [4, 1, 0, 0, 2, 5]);
    assert_eq!(entry(1), [0x1234_5678, 0, 3, 4, 0, 0]);
    assert!(
        bytes[56..].iter().all(|&b| b == 0),
        "unused entries are zero"
    );
    assert_eq!(HoldersReply::parse(&bytes), Ok(reply));

    let listed: Vec<(u32, u32)> = reply.iter().map(|h| (h.pid, h.live())).collect();
    assert_eq!(listed, [(4, 8), (0x1234_5678, 7)]);
    assert_eq!(reply.holders[0].live_by(Method::Ring), 5);
    assert_eq!((&reply).into_iter().count(), 2);
    assert_eq!(reply.used().len(), 2);
    assert_eq!(reply.holders[1].live_by(Method::DriverHandle), 4);

    let empty = encoded(|out| HoldersReply::EMPTY.encode(out), HoldersReply::LEN);
    assert_eq!(u32_at(&empty, 4), 0);
    assert!(empty[8..].iter().all(|&b| b == 0));
    assert_eq!(HoldersReply::parse(&empty), Ok(HoldersReply::default()));
    assert_eq!(HoldersReply::EMPTY.iter().count(), 0);
}

#[test]
fn holders_reply_fills_all_32_entries_and_no_more() {
    let mut reply = HoldersReply::EMPTY;
    for pid in 1..=32 {
        let holder = Holder {
            pid,
            by_method: [pid, 0, 0, u32::MAX, 0],
        };
        assert_eq!(reply.push(holder), Ok(()));
    }
    let extra = Holder {
        pid: 33,
        ..Holder::EMPTY
    };
    assert_eq!(reply.push(extra), Err(extra));
    assert_eq!(reply.count, 32);
    assert_eq!(
        reply.iter().map(|h| h.pid).collect::<Vec<_>>(),
        (1..=32).collect::<Vec<_>>()
    );
    assert_eq!(reply.holders[0].live(), u32::MAX, "saturates");
    let bytes = encoded(|out| reply.encode(out), HoldersReply::LEN);
    assert_eq!(u32_at(&bytes, 8 + 24 * 31), 32);
    assert_eq!(HoldersReply::parse(&bytes), Ok(reply));
}

/// A reply's `encode`, with the reply bound.
type Encode = dyn Fn(&mut [u8]) -> Result<usize, ProtocolError>;

#[test]
fn encode_refuses_a_small_output_buffer() {
    let cases: [(&str, usize, &Encode); 11] = [
        ("version", VersionReply::LEN, &|out| version().encode(out)),
        ("register", RegisterReply::LEN, &|out| {
            register().encode(out)
        }),
        ("registration", RegistrationInfo::LEN, &|out| {
            registration().encode(out)
        }),
        ("stats", StatsReply::LEN, &|out| stats().encode(out)),
        ("holders", HoldersReply::LEN, &|out| holders().encode(out)),
        ("signal", SignalReply::LEN, &|out| signal().encode(out)),
        ("ring", RingReply::LEN, &|out| ring().encode(out)),
        ("produce", ProduceReply::LEN, &|out| produce().encode(out)),
        ("ring info", RingInfo::LEN, &|out| ring_info().encode(out)),
        ("notification", Notification::LEN, &|out| {
            notification().encode(out)
        }),
        ("notify", NotifyReply::LEN, &|out| notify().encode(out)),
    ];
    let mut out = vec![0_u8; 800];
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
                needed: 532,
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
            "register method 5",
            register_parse,
            patched(register.clone(), 20, &5u32.to_le_bytes()),
            UnknownMethod { method: 5 },
        ),
        (
            "register method 4 (ring) with a name",
            register_parse,
            patched(register.clone(), 20, &4u32.to_le_bytes()),
            MethodMismatch {
                method: Method::Ring,
            },
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
        // The method is checked before the name it would explain.
        (
            "register method 5 and an odd resolved_bytes",
            register_parse,
            patched(
                patched(register.clone(), 20, &5u32.to_le_bytes()),
                16,
                &3u32.to_le_bytes(),
            ),
            UnknownMethod { method: 5 },
        ),
        (
            "register handle for a by-name registration",
            register_parse,
            patched(register.clone(), 536, &4u64.to_le_bytes()),
            MethodMismatch {
                method: Method::ByName,
            },
        ),
        (
            "stats short by the ring counters",
            stats_parse,
            stats[..252].to_vec(),
            InputTooShort {
                needed: 532,
                got: 252,
            },
        ),
        (
            "stats long by a u32",
            stats_parse,
            [stats.clone(), vec![0; 4]].concat(),
            LengthMismatch {
                declared: 532,
                got: 536,
            },
        ),
        (
            "stats verifier enabled 2",
            stats_parse,
            patched(stats.clone(), 484, &2u32.to_le_bytes()),
            ReservedNotZero,
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

#[test]
fn replies_whose_name_or_handle_do_not_fit_the_method_are_refused_both_ways() {
    let by_name = Some(name(r"Global\evt", 1));
    let named = Some(created("evt", Scope::Global, 1));
    // A by-name event may be called `evshare-x`; only a created one must be.
    let by_name_like_created = Some(name(r"Global\evshare-evt", 1));
    let fits: [(Method, Option<ResolvedName>, u64); 7] = [
        (Method::ByName, by_name, 0),
        (Method::ByName, by_name_like_created, 0),
        (Method::ByHandle, None, 0),
        (Method::DriverHandle, None, 0x4),
        (Method::DriverHandle, None, 0),
        (Method::DriverNamed, named, 0),
        (Method::Ring, None, 0),
    ];
    let misfits: [(Method, Option<ResolvedName>, u64); 12] = [
        (Method::ByName, None, 0),
        (Method::ByName, by_name, 0x4),
        (Method::ByHandle, by_name, 0),
        (Method::ByHandle, None, 0x4),
        (Method::DriverHandle, named, 0x4),
        (Method::DriverNamed, None, 0),
        (Method::DriverNamed, by_name, 0),
        (Method::DriverNamed, named, 0x4),
        (Method::DriverNamed, Some(name(r"Global\evshare-", 1)), 0),
        (Method::Ring, by_name, 0),
        (Method::Ring, named, 0),
        (Method::Ring, None, 0x4),
    ];
    let register = |method, resolved, handle| RegisterReply {
        session_id: 1,
        id: 1,
        method,
        resolved,
        handle,
    };
    let info = |method, resolved| RegistrationInfo {
        method,
        resolved,
        ..registration()
    };
    for (method, resolved, handle) in fits {
        let reply = register(method, resolved, handle);
        let bytes = encoded(|out| reply.encode(out), RegisterReply::LEN);
        assert_eq!(RegisterReply::parse(&bytes), Ok(reply), "{reply:?}");
    }
    for (method, resolved, handle) in misfits {
        let error = ProtocolError::MethodMismatch { method };
        assert_eq!(error.status(), STATUS_INVALID_PARAMETER);
        let mut out = [0_u8; RegisterReply::LEN];
        let reply = register(method, resolved, handle);
        assert_eq!(reply.encode(&mut out), Err(error), "{reply:?}");
        // The same bytes, written by hand, do not parse either.
        let bytes = register_bytes(method, resolved, handle);
        assert_eq!(RegisterReply::parse(&bytes), Err(error), "{reply:?}");
        if handle == 0 {
            let reply = info(method, resolved);
            let mut out = [0_u8; RegistrationInfo::LEN];
            assert_eq!(reply.encode(&mut out), Err(error), "{reply:?}");
        }
    }
}

/// A `RegisterReply` encoded field by field, without `encode`'s checks.
fn register_bytes(method: Method, resolved: Option<ResolvedName>, handle: u64) -> Vec<u8> {
    let units = resolved.map_or(vec![], |name| name.as_units().to_vec());
    let mut bytes = [1u32.to_le_bytes(), 1u32.to_le_bytes()].concat();
    bytes.extend(1u64.to_le_bytes());
    bytes.extend((2 * units.len() as u32).to_le_bytes());
    bytes.extend(method.to_wire().to_le_bytes());
    bytes.extend(units.iter().flat_map(|unit| unit.to_le_bytes()));
    bytes.resize(536, 0);
    bytes.extend(handle.to_le_bytes());
    bytes
}

#[test]
fn a_registration_info_whose_name_does_not_fit_its_method_does_not_parse() {
    let reply = registration(); // by name
    let bytes = encoded(|out| reply.encode(out), RegistrationInfo::LEN);
    for method in [
        Method::ByHandle,
        Method::DriverHandle,
        Method::DriverNamed,
        Method::Ring,
    ] {
        let bytes = patched(bytes.clone(), 36, &method.to_wire().to_le_bytes());
        assert_eq!(
            RegistrationInfo::parse(&bytes),
            Err(ProtocolError::MethodMismatch { method }),
            "{method}"
        );
    }
    let no_name = patched(bytes.clone(), 32, &0u32.to_le_bytes());
    assert_eq!(
        RegistrationInfo::parse(&no_name),
        Err(ProtocolError::MethodMismatch {
            method: Method::ByName
        })
    );
    let by_handle = patched(no_name, 36, &1u32.to_le_bytes());
    let parsed = RegistrationInfo::parse(&by_handle).unwrap();
    assert_eq!((parsed.method, parsed.resolved), (Method::ByHandle, None));
}

#[test]
fn holders_replies_with_a_bad_count_or_unused_entries_are_refused_both_ways() {
    use ProtocolError::*;
    let bytes = encoded(|out| holders().encode(out), HoldersReply::LEN);
    let cases: Vec<(&str, Vec<u8>, ProtocolError)> = vec![
        (
            "count 33",
            patched(bytes.clone(), 4, &33u32.to_le_bytes()),
            LengthMismatch {
                declared: 792,
                got: 768,
            },
        ),
        (
            "count u32::MAX",
            patched(bytes.clone(), 4, &u32::MAX.to_le_bytes()),
            LengthMismatch {
                declared: u32::MAX as usize * 24,
                got: 768,
            },
        ),
        // Entry 1 is used; with count 1 it is an unused entry that is not zero.
        (
            "count 1, entry 1 set",
            patched(bytes.clone(), 4, &1u32.to_le_bytes()),
            ReservedNotZero,
        ),
        (
            "pid in the last entry",
            patched(bytes.clone(), 8 + 24 * 31, &9u32.to_le_bytes()),
            ReservedNotZero,
        ),
        (
            "a count in the third entry",
            patched(bytes.clone(), 8 + 24 * 2 + 20, &1u32.to_le_bytes()),
            ReservedNotZero,
        ),
        (
            "version 2",
            patched(bytes.clone(), 0, &2u32.to_le_bytes()),
            UnsupportedVersion { got: 2 },
        ),
        (
            "short",
            bytes[..775].to_vec(),
            InputTooShort {
                needed: 776,
                got: 775,
            },
        ),
        (
            "long",
            [bytes.clone(), vec![0; 20]].concat(),
            LengthMismatch {
                declared: 776,
                got: 796,
            },
        ),
    ];
    for (what, bytes, error) in cases {
        assert_eq!(HoldersReply::parse(&bytes), Err(error), "{what}");
    }
    // A used entry may be all zero; only unused ones must be.
    let zero_used = patched(bytes.clone(), 4, &3u32.to_le_bytes());
    assert_eq!(HoldersReply::parse(&zero_used).map(|r| r.count), Ok(3));

    let mut out = [0_u8; HoldersReply::LEN];
    let mut reply = holders();
    reply.count = 33;
    assert_eq!(
        reply.encode(&mut out),
        Err(LengthMismatch {
            declared: 792,
            got: 768
        })
    );
    assert_eq!(reply.used().len(), 32);
    let mut reply = holders();
    reply.holders[5].by_method[4] = 1;
    assert_eq!(reply.encode(&mut out), Err(ReservedNotZero));
    let mut reply = holders();
    reply.count = 1;
    assert_eq!(reply.encode(&mut out), Err(ReservedNotZero));
}

#[test]
fn signal_reply_layout_and_round_trip() {
    let bytes = encoded(|out| signal().encode(out), SignalReply::LEN);
    assert_eq!((u32_at(&bytes, 0), u32_at(&bytes, 4)), (1, 0));
    assert_eq!(u64_at(&bytes, 8), 0x0011_2233_4455_6677);
    assert_eq!(SignalReply::parse(&bytes), Ok(signal()));
    let zero = encoded(|out| SignalReply::default().encode(out), SignalReply::LEN);
    assert_eq!(zero, [&1u32.to_le_bytes()[..], &[0; 12]].concat());
}

#[test]
fn ring_reply_layout_and_round_trip() {
    let bytes = encoded(|out| ring().encode(out), RingReply::LEN);
    assert_eq!((u32_at(&bytes, 0), u32_at(&bytes, 4)), (1, 2));
    assert_eq!(u64_at(&bytes, 8), 0xABCD_0000_0000_0007);
    assert_eq!((u32_at(&bytes, 16), u32_at(&bytes, 20)), (4096, 64));
    assert_eq!(RingReply::parse(&bytes), Ok(ring()));
    for capacity in [16, 1 << 20] {
        let reply = RingReply { capacity, ..ring() };
        let bytes = encoded(|out| reply.encode(out), RingReply::LEN);
        assert_eq!(RingReply::parse(&bytes), Ok(reply));
    }
}

#[test]
fn produce_reply_layout_and_round_trip() {
    let bytes = encoded(|out| produce().encode(out), ProduceReply::LEN);
    assert_eq!((u32_at(&bytes, 0), u32_at(&bytes, 4)), (1, 0));
    assert_eq!(
        (u64_at(&bytes, 8), u64_at(&bytes, 16), u64_at(&bytes, 24)),
        (1000, 24, 3)
    );
    assert_eq!(ProduceReply::parse(&bytes), Ok(produce()));
}

#[test]
fn ring_info_layout_and_round_trip() {
    let bytes = encoded(|out| ring_info().encode(out), RingInfo::LEN);
    assert_eq!((u32_at(&bytes, 0), u32_at(&bytes, 4)), (1, 1));
    let counters: Vec<u64> = (0..6).map(|i| u64_at(&bytes, 8 + 8 * i)).collect();
    assert_eq!(counters, [7, 1 << 40, 2, 1, 99, 5]);
    assert_eq!(RingInfo::parse(&bytes), Ok(ring_info()));
    let healthy = RingInfo {
        poisoned: false,
        ..ring_info()
    };
    let bytes = encoded(|out| healthy.encode(out), RingInfo::LEN);
    assert_eq!(u32_at(&bytes, 4), 0);
    assert_eq!(RingInfo::parse(&bytes), Ok(healthy));
    assert_eq!(RingInfo::FLAG_POISONED, 1);
}

#[test]
fn notification_layout_and_round_trip() {
    let bytes = encoded(|out| notification().encode(out), Notification::LEN);
    // version 1, source 0 (NOTIFY), len 40.
    assert_eq!((u32_at(&bytes, 0), u32_at(&bytes, 4)), (1, 40 << 16));
    assert_eq!(u64_at(&bytes, 8), 12);
    assert_eq!(u64_at(&bytes, 16), 0x8000_0000_0000_0001);
    assert_eq!(bytes[24..], (1..=40).collect::<Vec<u8>>()[..]);
    assert_eq!(Notification::parse(&bytes), Ok(notification()));
    assert_eq!(Notification::default(), Notification::EMPTY);
    let empty = encoded(|out| Notification::EMPTY.encode(out), Notification::LEN);
    assert_eq!(u32_at(&empty, 4), 40 << 16);
    assert!(empty[8..].iter().all(|&b| b == 0));

    // A channel's payload: source 1 + channel, its own length, the rest of the area zero.
    let channel = Notification::of_channel(2, 9, 77, b"hello").unwrap();
    assert_eq!(channel.source, NotificationSource::Channel(2));
    assert_eq!(channel.data(), b"hello");
    let bytes = encoded(|out| channel.encode(out), Notification::LEN);
    assert_eq!(u32_at(&bytes, 4), 3 | (5 << 16));
    assert_eq!((u64_at(&bytes, 8), u64_at(&bytes, 16)), (9, 77));
    assert_eq!(&bytes[24..29], b"hello");
    assert!(bytes[29..].iter().all(|&b| b == 0));
    assert_eq!(Notification::parse(&bytes), Ok(channel));
    let whole = Notification::of_channel(7, 0, 0, &[0xAB; NOTIFICATION_PAYLOAD_LEN]).unwrap();
    assert_eq!(whole.data().len(), NOTIFICATION_PAYLOAD_LEN);
    assert_eq!(
        Notification::of_channel(0, 0, 0, &[0; NOTIFICATION_PAYLOAD_LEN + 1]),
        Err(ProtocolError::BadNotification { source: 1, len: 41 })
    );
    // A channel the protocol cannot have is refused on the way out too.
    let beyond = Notification {
        source: NotificationSource::Channel(8),
        ..channel
    };
    assert_eq!(
        beyond.encode(&mut [0; Notification::LEN]),
        Err(ProtocolError::BadNotification { source: 9, len: 5 })
    );
}

#[test]
fn notify_reply_layout_and_round_trip() {
    let bytes = encoded(|out| notify().encode(out), NotifyReply::LEN);
    assert_eq!((u32_at(&bytes, 0), u32_at(&bytes, 4)), (1, 0));
    assert_eq!((u64_at(&bytes, 8), u64_at(&bytes, 16)), (6, 4));
    assert_eq!(NotifyReply::parse(&bytes), Ok(notify()));
}

#[test]
fn parse_refuses_malformed_ring_and_notification_replies() {
    use ProtocolError::*;
    let signal = encoded(|out| signal().encode(out), SignalReply::LEN);
    let ring = encoded(|out| ring().encode(out), RingReply::LEN);
    let produce = encoded(|out| produce().encode(out), ProduceReply::LEN);
    let info = encoded(|out| ring_info().encode(out), RingInfo::LEN);
    let notification = encoded(|out| notification().encode(out), Notification::LEN);
    let notify = encoded(|out| notify().encode(out), NotifyReply::LEN);

    type Parse = fn(&[u8]) -> Result<(), ProtocolError>;
    let signal_parse: Parse = |b| SignalReply::parse(b).map(drop);
    let ring_parse: Parse = |b| RingReply::parse(b).map(drop);
    let produce_parse: Parse = |b| ProduceReply::parse(b).map(drop);
    let info_parse: Parse = |b| RingInfo::parse(b).map(drop);
    let notification_parse: Parse = |b| Notification::parse(b).map(drop);
    let notify_parse: Parse = |b| NotifyReply::parse(b).map(drop);

    // Every one of them: short, long, another version, a reserved field (or flag) set.
    let replies: [(&str, Parse, &Vec<u8>); 6] = [
        ("signal", signal_parse, &signal),
        ("ring", ring_parse, &ring),
        ("produce", produce_parse, &produce),
        ("ring info", info_parse, &info),
        ("notification", notification_parse, &notification),
        ("notify", notify_parse, &notify),
    ];
    for (what, parse, bytes) in replies {
        let len = bytes.len();
        assert_eq!(
            parse(&bytes[..len - 1]),
            Err(InputTooShort {
                needed: len,
                got: len - 1
            }),
            "{what}"
        );
        assert_eq!(
            parse(&bytes[..3]),
            Err(InputTooShort {
                needed: len,
                got: 3
            }),
            "{what}"
        );
        assert_eq!(
            parse(&[bytes.clone(), vec![0]].concat()),
            Err(LengthMismatch {
                declared: len,
                got: len + 1
            }),
            "{what}"
        );
        assert_eq!(
            parse(&patched(bytes.clone(), 0, &2u32.to_le_bytes())),
            Err(UnsupportedVersion { got: 2 }),
            "{what}"
        );
        assert_eq!(parse(bytes), Ok(()), "{what}");
    }
    let cases: Vec<(&str, Parse, Vec<u8>, ProtocolError)> = vec![
        (
            "signal reserved",
            signal_parse,
            patched(signal.clone(), 4, &1u32.to_le_bytes()),
            ReservedNotZero,
        ),
        (
            "produce reserved",
            produce_parse,
            patched(produce.clone(), 4, &0x8000_0000u32.to_le_bytes()),
            ReservedNotZero,
        ),
        (
            "notification from channel 8 (only 0..8 exist)",
            notification_parse,
            patched(notification.clone(), 4, &(9u32 | 5 << 16).to_le_bytes()),
            BadNotification { source: 9, len: 5 },
        ),
        (
            "notification from NOTIFY not of 40 bytes",
            notification_parse,
            patched(notification.clone(), 4, &(12u32 << 16).to_le_bytes()),
            BadNotification { source: 0, len: 12 },
        ),
        (
            "channel notification longer than its area",
            notification_parse,
            patched(notification.clone(), 4, &(1u32 | 41 << 16).to_le_bytes()),
            BadNotification { source: 1, len: 41 },
        ),
        (
            "notify reserved",
            notify_parse,
            patched(notify.clone(), 4, &1u32.to_le_bytes()),
            ReservedNotZero,
        ),
        (
            "ring info unknown flag",
            info_parse,
            patched(info.clone(), 4, &2u32.to_le_bytes()),
            ReservedNotZero,
        ),
        (
            "ring info poisoned and an unknown flag",
            info_parse,
            patched(info.clone(), 4, &0x8000_0001u32.to_le_bytes()),
            ReservedNotZero,
        ),
        (
            "ring capacity 0",
            ring_parse,
            patched(ring.clone(), 16, &0u32.to_le_bytes()),
            BadCapacity { capacity: 0 },
        ),
        (
            "ring capacity 8",
            ring_parse,
            patched(ring.clone(), 16, &8u32.to_le_bytes()),
            BadCapacity { capacity: 8 },
        ),
        (
            "ring capacity not a power of two",
            ring_parse,
            patched(ring.clone(), 16, &4095u32.to_le_bytes()),
            BadCapacity { capacity: 4095 },
        ),
        (
            "ring capacity 2^21",
            ring_parse,
            patched(ring.clone(), 16, &(1u32 << 21).to_le_bytes()),
            BadCapacity { capacity: 1 << 21 },
        ),
    ];
    for (what, parse, bytes, error) in cases {
        assert_eq!(parse(&bytes), Err(error), "{what}");
        assert_eq!(error.status(), STATUS_INVALID_PARAMETER, "{what}");
    }
}

#[test]
fn encode_refuses_what_parse_refuses_in_the_new_replies() {
    let mut out = [0_u8; StatsReply::LEN];
    for capacity in [0, 15, 24, 1 << 21, u32::MAX] {
        let reply = RingReply { capacity, ..ring() };
        assert_eq!(
            reply.encode(&mut out),
            Err(ProtocolError::BadCapacity { capacity }),
            "{capacity}"
        );
    }
    #[allow(clippy::reversed_empty_ranges)] // empty while every counter has a reason
    for reserved in KNOWN_REJECT_REASONS..REJECT_REASONS {
        let mut reply = stats();
        reply.rejected[reserved] = 1;
        assert_eq!(
            reply.encode(&mut out),
            Err(ProtocolError::ReservedNotZero),
            "{reserved}"
        );
    }
    // Every known counter may be anything.
    let mut reply = stats();
    reply.rejected[..KNOWN_REJECT_REASONS].fill(u64::MAX);
    let bytes = encoded(|out| reply.encode(out), StatsReply::LEN);
    assert_eq!(StatsReply::parse(&bytes), Ok(reply));
}

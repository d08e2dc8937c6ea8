//! Properties over arbitrary input: parsing and resolving never panic, and what they accept is
//! what the protocol allows.

use evshare_protocol::names::check_wire_name;
use evshare_protocol::names::{
    check_wire_leaf, driver_created, resolve, NameError, Namespace, ResolvedName,
    MAX_CREATED_LEAF_UNITS, MAX_LEAF_UNITS,
};
use evshare_protocol::reply::{Holder, HoldersReply, MAX_HOLDERS};
use evshare_protocol::request::{encode, parse, MAX_REQUEST_LEN};
use evshare_protocol::ring::{MAX_CAPACITY, MAX_COUNT, MIN_CAPACITY};
use evshare_protocol::stats::{KNOWN_REJECT_REASONS, REJECT_REASONS};
use evshare_protocol::{
    EventKind, HostKind, Ioctl, Method, Notification, NotifyReply, ProduceReply, ProtocolError,
    RegisterReply, RegistrationInfo, Request, RingInfo, RingReply, Scope, SignalMode, SignalReply,
    StatsReply, VersionReply, PROTOCOL_VERSION,
};
use proptest::prelude::*;

fn any_code() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => proptest::sample::select(Ioctl::ALL.map(Ioctl::code).to_vec()),
        1 => any::<u32>(),
    ]
}

/// Buffers for `code`: random bytes, a version-1 header with a random body, and (most often)
/// a valid request with a few bytes changed, cut or added, so that parsing reaches every check.
fn any_code_and_input() -> impl Strategy<Value = (u32, Vec<u8>)> {
    let random = (any_code(), proptest::collection::vec(any::<u8>(), 0..1600));
    let header_then_body = (
        any_code(),
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(code, flags_zero, body)| {
            let mut bytes = PROTOCOL_VERSION.to_le_bytes().to_vec();
            bytes.extend_from_slice(&(u32::from(!flags_zero)).to_le_bytes());
            bytes.extend(body);
            (code, bytes)
        });
    let mutated = (
        any_valid_request(),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        -2..=2_isize,
    )
        .prop_map(|((code, mut bytes), changes, resize)| {
            for (at, value) in changes {
                let at = at.index(bytes.len());
                bytes[at] = value;
            }
            let len = bytes.len().saturating_add_signed(resize);
            bytes.resize(len, 0);
            (code, bytes)
        });
    prop_oneof![1 => random, 1 => header_then_body, 4 => mutated]
}

fn any_mode() -> impl Strategy<Value = SignalMode> {
    prop_oneof![
        Just(SignalMode::OnDemand),
        (1..=3_600_000_u32).prop_map(|period_ms| SignalMode::Periodic { period_ms }),
        (0..=3_600_000_u32).prop_map(|delay_ms| SignalMode::OneShot { delay_ms }),
    ]
}

/// A valid name's wire bytes: 1..=240 units of valid UTF-16 without NUL.
fn any_wire_name() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<char>().prop_filter("no NUL", |c| *c != '\0'), 1..=120)
        .prop_map(|chars| {
            let text: String = chars.into_iter().collect();
            text.encode_utf16().flat_map(u16::to_le_bytes).collect()
        })
}

/// A valid leaf of a driver-created event: 1..=64 units of valid UTF-16 without NUL or `\`,
/// not `.` or `..`.
fn any_leaf() -> impl Strategy<Value = Vec<u16>> {
    proptest::collection::vec(
        any::<char>().prop_filter("no NUL or backslash", |c| !matches!(*c, '\0' | '\\')),
        1..=32,
    )
    .prop_map(|chars| chars.into_iter().collect::<String>())
    .prop_filter("not . or ..", |leaf| leaf != "." && leaf != "..")
    .prop_map(|leaf| leaf.encode_utf16().collect())
}

fn any_kind() -> impl Strategy<Value = EventKind> {
    proptest::sample::select(EventKind::ALL.to_vec())
}

fn any_scope() -> impl Strategy<Value = Scope> {
    proptest::sample::select(Scope::ALL.to_vec())
}

/// A valid ring capacity and watermark: a power of two in 16..=2^20, and 1..=capacity.
fn any_capacity_and_watermark() -> impl Strategy<Value = (u32, u32)> {
    (4..=20_u32).prop_flat_map(|shift| {
        let capacity = 1_u32 << shift;
        (Just(capacity), 1..=capacity)
    })
}

/// A valid `PRODUCE` or `NOTIFY` count, often at the ends of the range.
fn any_count() -> impl Strategy<Value = u32> {
    prop_oneof![Just(1_u32), Just(MAX_COUNT), 1..=MAX_COUNT]
}

/// A valid request, encoded: (code, bytes).
fn any_valid_request() -> impl Strategy<Value = (u32, Vec<u8>)> {
    (
        (0..Ioctl::ALL.len(), any::<u64>(), any::<u32>(), any_mode()),
        (any_wire_name(), any_kind(), any_scope(), any_leaf()),
        (
            any_capacity_and_watermark(),
            any_count(),
            any_wire_name(),
            any_wire_name(),
        ),
    )
        .prop_map(
            |((which, id, pid, mode), (name, kind, scope, leaf), ring)| {
                let ((capacity, watermark), count, data_ready, space_free) = ring;
                let leaf: Vec<u8> = leaf.iter().flat_map(|unit| unit.to_le_bytes()).collect();
                let request = match Ioctl::ALL[which] {
                    Ioctl::QueryVersion => Request::QueryVersion,
                    Ioctl::RegisterByName => Request::RegisterByName {
                        mode,
                        name_bytes: &name,
                    },
                    Ioctl::SetSignalMode => Request::SetSignalMode { id, mode },
                    Ioctl::Signal => Request::Signal { id },
                    Ioctl::Unregister => Request::Unregister { id },
                    Ioctl::QueryStats => Request::QueryStats { pid },
                    Ioctl::QueryRegistration => Request::QueryRegistration { id },
                    Ioctl::RegisterByHandle => Request::RegisterByHandle { handle: id, mode },
                    Ioctl::CreateEvent => Request::CreateEvent { kind, mode },
                    Ioctl::CreateNamedEvent => Request::CreateNamedEvent {
                        kind,
                        scope,
                        mode,
                        leaf_bytes: &leaf,
                    },
                    Ioctl::QueryHolders => Request::QueryHolders,
                    Ioctl::RegisterRing => Request::RegisterRing {
                        capacity,
                        mode,
                        watermark,
                        section: &name,
                        data_ready: &data_ready,
                        space_free: &space_free,
                    },
                    Ioctl::Produce => Request::Produce { id, count },
                    Ioctl::PendNotification => Request::PendNotification,
                    Ioctl::Notify => Request::Notify { count },
                    Ioctl::QueryRing => Request::QueryRing { id },
                    Ioctl::Verifier => Request::Verifier {
                        op: match count % 3 {
                            0 => evshare_protocol::VerifierOp::Query,
                            1 => evshare_protocol::VerifierOp::Faults {
                                seed: id,
                                one_in: pid,
                            },
                            _ => evshare_protocol::VerifierOp::Provoke { check: pid % 6 },
                        },
                    },
                    Ioctl::QueryChannels => Request::QueryChannels,
                    Ioctl::Subscribe => Request::Subscribe {
                        target: evshare_protocol::channel::SubscribeTarget::Registration(id),
                        channel: pid,
                    },
                };
                let mut out = [0_u8; MAX_REQUEST_LEN];
                let (code, len) = encode(&request, &mut out).unwrap();
                (code, out[..len].to_vec())
            },
        )
}

/// Names built from pieces that exercise the rules: prefixes in odd cases, session numbers,
/// separators, dots, NUL and lone surrogates.
fn any_name() -> impl Strategy<Value = Vec<u16>> {
    let piece = prop_oneof![
        Just(r"\".to_string()),
        Just(r"Global\".to_string()),
        Just(r"gLOBAL\".to_string()),
        Just(r"Local\".to_string()),
        Just(r"\BaseNamedObjects\".to_string()),
        Just(r"\basenamedobjects\".to_string()),
        Just(r"\Sessions\".to_string()),
        Just(r"\SESSIONS\".to_string()),
        Just(".".to_string()),
        Just("..".to_string()),
        Just("0".to_string()),
        Just("00".to_string()),
        Just("4294967295".to_string()),
        Just("4294967296".to_string()),
        (0..5_u32).prop_map(|n| n.to_string()),
        "[a-zA-Z0-9 ]{1,8}".prop_map(|s| s),
        any::<char>().prop_map(String::from),
    ];
    let text = proptest::collection::vec(piece, 0..8)
        .prop_map(|pieces| pieces.concat().encode_utf16().collect::<Vec<u16>>());
    let raw = proptest::collection::vec(
        prop_oneof![
            Just(0_u16),
            Just(u16::from(b'\\')),
            0xD800..=0xDFFF_u16,
            any::<u16>(),
        ],
        0..260,
    );
    let long = (1..=MAX_LEAF_UNITS + 50).prop_map(|n| {
        let mut name: Vec<u16> = r"Global\".encode_utf16().collect();
        name.extend(std::iter::repeat_n(u16::from(b'x'), n));
        name
    });
    // `\Sessions\N\BaseNamedObjects\X` and near misses, with N often the caller's session.
    let session_path = (
        proptest::sample::select(vec![r"\Sessions\", r"\sessions\", r"\SESSIONS\"]),
        prop_oneof![
            3 => (0..3_u32).prop_map(|n| n.to_string()),
            1 => Just("01".to_string()),
            1 => any::<u32>().prop_map(|n| n.to_string()),
        ],
        proptest::sample::select(vec![
            r"\BaseNamedObjects\",
            r"\basenamedobjects\",
            r"\Global\",
        ]),
        prop_oneof![
            Just("..".to_string()),
            Just(String::new()),
            Just(r"a\b".to_string()),
            "[a-z]{1,4}",
        ],
    )
        .prop_map(|(sessions, n, directory, leaf)| {
            units(&format!("{sessions}{n}{directory}{leaf}"))
        });
    prop_oneof![4 => text, 2 => raw, 1 => long, 2 => session_path]
}

fn any_session() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0_u32), Just(1), Just(2), Just(u32::MAX), any::<u32>()]
}

fn units(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn parse_never_panics_and_what_it_accepts_encodes_back_to_the_same_bytes(
        (code, input) in any_code_and_input(),
    ) {
        if let Ok(request) = parse(code, &input) {
            let mut out = [0_u8; MAX_REQUEST_LEN];
            let (encoded_code, len) = encode(&request, &mut out).unwrap();
            prop_assert_eq!(encoded_code, code);
            // Fixed sizes and zero reserved fields are enforced, so the bytes are the same.
            prop_assert_eq!(&out[..len], input.as_slice());
            prop_assert_eq!(parse(code, &out[..len]), Ok(request));
        }
    }

    #[test]
    fn every_valid_request_parses_and_re_encodes((code, bytes) in any_valid_request()) {
        let request = parse(code, &bytes).unwrap();
        prop_assert_eq!(request.ioctl().code(), code);
        let mut out = [0_u8; MAX_REQUEST_LEN];
        let (again_code, len) = encode(&request, &mut out).unwrap();
        prop_assert_eq!(again_code, code);
        prop_assert_eq!(&out[..len], bytes.as_slice());
    }

    #[test]
    fn a_truncated_request_is_refused_as_a_size_error(
        (code, bytes) in any_valid_request(),
        cut in 1..=MAX_REQUEST_LEN,
    ) {
        let keep = bytes.len().saturating_sub(cut);
        let error = parse(code, &bytes[..keep]).unwrap_err();
        prop_assert!(
            matches!(error, ProtocolError::InputTooShort { .. } | ProtocolError::LengthMismatch { .. }),
            "{:?}", error
        );
    }

    #[test]
    fn another_version_is_refused_as_unsupported(
        (code, mut bytes) in any_valid_request(),
        version in any::<u32>().prop_filter("not 1", |v| *v != PROTOCOL_VERSION),
    ) {
        bytes[..4].copy_from_slice(&version.to_le_bytes());
        prop_assert_eq!(parse(code, &bytes), Err(ProtocolError::UnsupportedVersion { got: version }));
    }

    #[test]
    fn resolve_never_panics_and_only_yields_allowed_paths(
        name in any_name(),
        session in any_session(),
    ) {
        match resolve(&name, session) {
            Ok(resolved) => {
                let path = resolved.as_units();
                let global = units(r"\BaseNamedObjects\");
                let own = units(&format!(r"\Sessions\{session}\BaseNamedObjects\"));
                let prefix = if path.starts_with(&global) {
                    prop_assert_eq!(resolved.namespace(), Namespace::Global);
                    global
                } else {
                    prop_assert!(path.starts_with(&own), "{}", resolved);
                    prop_assert_ne!(session, 0);
                    prop_assert_eq!(resolved.namespace(), Namespace::Session(session));
                    own
                };
                let leaf = resolved.leaf();
                prop_assert_eq!(&path[prefix.len()..], leaf);
                prop_assert!(!leaf.contains(&u16::from(b'\\')));
                prop_assert!(!leaf.contains(&0));
                prop_assert!((1..=MAX_LEAF_UNITS).contains(&leaf.len()));
                prop_assert!(leaf != units(".").as_slice() && leaf != units("..").as_slice());
                // The leaf is the end of what the app asked for, unchanged.
                prop_assert!(name.ends_with(leaf));
                prop_assert!(char::decode_utf16(path.iter().copied()).all(|c| c.is_ok()));
                // A resolved path is canonical: it parses back from a reply, and resolves to
                // itself.
                prop_assert_eq!(ResolvedName::from_units(path), Some(resolved));
                prop_assert_eq!(resolve(path, session), Ok(resolved));
                // Its Win32 name opens the same object from the caller's session.
                let win32: Vec<u16> = resolved.win32_name(session).unwrap().collect();
                prop_assert_eq!(resolve(&win32, session), Ok(resolved));
            }
            Err(NameError::OtherSession { asked, caller }) => {
                prop_assert_eq!(caller, session);
                prop_assert_ne!(asked, session);
            }
            Err(_) => {}
        }
    }

    #[test]
    fn from_units_accepts_only_what_resolve_produces(name in any_name()) {
        if let Some(resolved) = ResolvedName::from_units(&name) {
            prop_assert_eq!(resolved.as_units(), name.as_slice());
            let session = match resolved.namespace() {
                Namespace::Global => 0,
                Namespace::Session(session) => session,
            };
            prop_assert_eq!(resolve(&name, session), Ok(resolved));
        }
    }

    #[test]
    fn wire_names_decode_like_std_does(bytes in proptest::collection::vec(any::<u8>(), 0..520)) {
        let mut out = [0_u16; evshare_protocol::names::MAX_INPUT_UNITS];
        let decoded = evshare_protocol::names::decode_wire_name(&bytes, &mut out);
        let expected_ok = !bytes.is_empty()
            && bytes.len() % 2 == 0
            && bytes.len() <= 480
            && String::from_utf16(&units_of(&bytes)).is_ok_and(|s| !s.contains('\0'));
        prop_assert_eq!(decoded.is_ok(), expected_ok, "{:?}", decoded);
        if let Ok(units) = decoded {
            let expected = units_of(&bytes);
            prop_assert_eq!(units, expected.as_slice());
        }
    }
}

/// Leaves built from pieces that exercise the leaf rules: `\\`, dots, NUL, lone surrogates,
/// lengths around the limit.
fn any_leaf_units() -> impl Strategy<Value = Vec<u16>> {
    let piece = prop_oneof![
        Just(vec![u16::from(b'\\')]),
        Just(vec![u16::from(b'.')]),
        Just(vec![0_u16]),
        (0xD800..=0xDFFF_u16).prop_map(|unit| vec![unit]),
        Just(vec![0xD83D, 0xDE00]),
        "[a-zA-Z0-9 -]{1,8}".prop_map(|s| units(&s)),
        any::<char>().prop_map(|c| units(&c.to_string())),
        (60..=70_usize).prop_map(|n| vec![u16::from(b'x'); n]),
    ];
    prop_oneof![
        3 => proptest::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat()),
        1 => proptest::collection::vec(any::<u16>(), 0..80),
        1 => proptest::sample::select(vec![units("."), units(".."), units("..."), vec![]]),
    ]
}

/// The leaf rules, from std: what `driver_created` and `CREATE_NAMED_EVENT` must accept.
fn leaf_is_allowed(leaf: &[u16]) -> bool {
    (1..=MAX_CREATED_LEAF_UNITS).contains(&leaf.len())
        && String::from_utf16(leaf)
            .is_ok_and(|leaf| !leaf.contains(['\0', '\\']) && leaf != "." && leaf != "..")
}

fn le_bytes(units: &[u16]) -> Vec<u8> {
    units.iter().flat_map(|unit| unit.to_le_bytes()).collect()
}

fn any_method() -> impl Strategy<Value = Method> {
    proptest::sample::select(Method::ALL.to_vec())
}

/// A valid `RegisterReply`: a name and a handle that fit the method.
fn any_register_reply() -> impl Strategy<Value = RegisterReply> {
    (
        any_method(),
        any_session(),
        any::<u64>(),
        any_leaf(),
        any_scope(),
        any::<u64>(),
    )
        .prop_map(|(method, session_id, id, leaf, scope, handle)| {
            let resolved = match method {
                Method::ByName => {
                    let name = [units(r"Global\"), leaf].concat();
                    Some(resolve(&name, session_id).unwrap())
                }
                Method::DriverNamed => Some(driver_created(&leaf, scope, session_id).unwrap()),
                Method::ByHandle | Method::DriverHandle | Method::Ring => None,
            };
            let handle = if method.returns_handle() { handle } else { 0 };
            RegisterReply {
                session_id,
                id,
                method,
                resolved,
                handle,
            }
        })
}

fn any_holders_reply() -> impl Strategy<Value = HoldersReply> {
    proptest::collection::vec((any::<u32>(), any::<[u32; 5]>()), 0..=MAX_HOLDERS).prop_map(
        |entries| {
            let mut reply = HoldersReply::EMPTY;
            for (pid, by_method) in entries {
                reply.push(Holder { pid, by_method }).unwrap();
            }
            reply
        },
    )
}

/// A valid `StatsReply`: any counters but the reserved rejection counters, which are zero.
fn any_stats_reply() -> impl Strategy<Value = StatsReply> {
    (
        any::<[u32; 5]>(),
        any::<[u64; REJECT_REASONS]>(),
        any::<[u32; 5]>(),
        any::<[u64; 6]>(),
        any::<bool>(),
        (any::<bool>(), any::<u32>(), any::<u64>(), any::<[u32; 8]>()),
    )
        .prop_map(
            |(small, mut rejected, live_by_method, large, wine, verifier)| {
                rejected[KNOWN_REJECT_REASONS..].fill(0);
                StatsReply {
                    host: if wine {
                        HostKind::Wine
                    } else {
                        HostKind::Windows
                    },
                    live_registrations: small[0],
                    live_for_pid: small[1],
                    open_handles: small[2],
                    registrations_total: large[0],
                    signals_sent: large[1],
                    rejected,
                    live_by_method,
                    live_rings: small[3],
                    pending_irps: small[4],
                    ring_produced: large[2],
                    ring_dropped: large[3],
                    ring_corrupt: large[4],
                    notifications: large[5],
                    verifier: evshare_protocol::VerifierFigures {
                        enabled: verifier.0,
                        faults_injected: verifier.1,
                        calls_checked: verifier.2,
                        violations: verifier.3,
                    },
                }
            },
        )
}

/// How many kinds of reply [`any_valid_reply`] makes.
const REPLY_KINDS: usize = 11;

/// Every reply, encoded: which reply it is (0..REPLY_KINDS) and its bytes.
fn any_valid_reply() -> impl Strategy<Value = (usize, Vec<u8>)> {
    (
        0..REPLY_KINDS,
        any_register_reply(),
        any_mode(),
        any::<[u64; 6]>(),
        any::<[u32; 4]>(),
        any_holders_reply(),
        any_stats_reply(),
        (
            any_capacity_and_watermark(),
            any::<bool>(),
            any::<[u8; 40]>(),
        ),
    )
        .prop_map(
            |(which, register, mode, large, small, holders, stats, ring)| {
                let ((capacity, _), poisoned, payload) = ring;
                let mut out = vec![0_u8; 800];
                let len = match which {
                    0 => VersionReply {
                        host: HostKind::Wine,
                        driver_version: small[..3].try_into().unwrap(),
                        max_registrations: small[3],
                    }
                    .encode(&mut out),
                    1 => register.encode(&mut out),
                    2 => RegistrationInfo {
                        owner_pid: register.session_id,
                        id: register.id,
                        mode,
                        signals_sent: large[0],
                        method: register.method,
                        resolved: register.resolved,
                    }
                    .encode(&mut out),
                    3 => stats.encode(&mut out),
                    4 => holders.encode(&mut out),
                    5 => SignalReply {
                        timestamp: large[0],
                    }
                    .encode(&mut out),
                    6 => RingReply {
                        session_id: small[0],
                        id: large[0],
                        capacity,
                        record_size: small[1],
                    }
                    .encode(&mut out),
                    7 => ProduceReply {
                        written: large[0],
                        dropped: large[1],
                        wakeups: large[2],
                    }
                    .encode(&mut out),
                    8 => RingInfo {
                        poisoned,
                        id: large[0],
                        produced: large[1],
                        dropped: large[2],
                        corrupt: large[3],
                        wakeups: large[4],
                        space_free_seen: large[5],
                    }
                    .encode(&mut out),
                    9 => Notification {
                        seq: large[0],
                        timestamp: large[1],
                        payload,
                        ..Notification::EMPTY
                    }
                    .encode(&mut out),
                    _ => NotifyReply {
                        completed: large[0],
                        owed: large[1],
                    }
                    .encode(&mut out),
                }
                .unwrap();
                out.truncate(len);
                (which, out)
            },
        )
}

/// A valid reply with a few bytes changed, cut or added, or random bytes.
fn any_reply_bytes() -> impl Strategy<Value = Vec<u8>> {
    let mutated = (
        any_valid_reply(),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        -2..=2_isize,
    )
        .prop_map(|((_, mut bytes), changes, resize)| {
            for (at, value) in changes {
                let at = at.index(bytes.len());
                bytes[at] = value;
            }
            let len = bytes.len().saturating_add_signed(resize);
            bytes.resize(len, 0);
            bytes
        });
    prop_oneof![
        4 => mutated,
        1 => proptest::collection::vec(any::<u8>(), 0..800),
    ]
}

/// `bytes` with the unused part of the `resolved` array at `array` zeroed: the one place a
/// reply may carry bytes that `parse` ignores and `encode` writes as zero.
fn zero_resolved_tail(mut bytes: Vec<u8>, resolved_bytes_at: usize) -> Vec<u8> {
    let resolved_bytes = u32::from_le_bytes(
        bytes[resolved_bytes_at..resolved_bytes_at + 4]
            .try_into()
            .unwrap(),
    ) as usize;
    let array = resolved_bytes_at + 8;
    bytes[array + resolved_bytes..array + 512].fill(0);
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn create_named_event_accepts_exactly_the_allowed_leaves(
        leaf in any_leaf_units(),
        (kind, scope, mode) in (any_kind(), any_scope(), any_mode()),
    ) {
        let leaf_bytes = le_bytes(&leaf);
        let mut input = PROTOCOL_VERSION.to_le_bytes().to_vec();
        for field in [0, kind.to_wire(), scope.to_wire(), mode.to_wire().0, mode.to_wire().1] {
            input.extend(field.to_le_bytes());
        }
        input.extend((leaf_bytes.len() as u32).to_le_bytes());
        input.extend(&leaf_bytes);
        let parsed = parse(Ioctl::CreateNamedEvent.code(), &input);
        prop_assert_eq!(parsed.is_ok(), leaf_is_allowed(&leaf), "{:?}", parsed);
        match parsed {
            Ok(request) => {
                prop_assert_eq!(
                    request,
                    Request::CreateNamedEvent { kind, scope, mode, leaf_bytes: &leaf_bytes }
                );
                let mut out = [0_u8; MAX_REQUEST_LEN];
                let (_, len) = encode(&request, &mut out).unwrap();
                prop_assert_eq!(&out[..len], input.as_slice());
            }
            // Only the leaf is wrong, so the error is about the leaf.
            Err(error) => {
                prop_assert!(matches!(error, ProtocolError::Name(_)), "{:?}", error);
                prop_assert_eq!(Err(error), check_wire_leaf(&leaf_bytes).map(drop).map_err(ProtocolError::Name));
                prop_assert_eq!(
                    driver_created(&leaf, scope, 1).map(drop).map_err(ProtocolError::Name),
                    Err(error)
                );
            }
        }
    }

    #[test]
    fn driver_created_never_panics_and_only_yields_evshare_names(
        leaf in any_leaf_units(),
        scope in any_scope(),
        session in any_session(),
    ) {
        match driver_created(&leaf, scope, session) {
            Ok(resolved) => {
                prop_assert!(leaf_is_allowed(&leaf));
                let directory = match scope.namespace(session) {
                    Namespace::Global => units(r"\BaseNamedObjects\"),
                    Namespace::Session(s) => units(&format!(r"\Sessions\{s}\BaseNamedObjects\")),
                };
                let expected = [directory, units("evshare-"), leaf.clone()].concat();
                prop_assert_eq!(resolved.as_units(), expected.as_slice());
                prop_assert_eq!(resolved.namespace(), scope.namespace(session));
                prop_assert_eq!(resolved.created_leaf(), Some(leaf.as_slice()));
                prop_assert_eq!(ResolvedName::from_units(resolved.as_units()), Some(resolved));
                let win32: Vec<u16> = resolved.win32_name(session).unwrap().collect();
                prop_assert_eq!(resolve(&win32, session), Ok(resolved));
                // A created name is a name `REGISTER_BY_NAME` accepts too.
                prop_assert_eq!(resolve(resolved.as_units(), session), Ok(resolved));
            }
            Err(error) => {
                prop_assert!(!leaf_is_allowed(&leaf), "{:?}", error);
                prop_assert!(matches!(
                    error,
                    NameError::Empty
                        | NameError::CreatedLeafTooLong { .. }
                        | NameError::NotUtf16
                        | NameError::EmbeddedNul
                        | NameError::BadCreatedLeaf
                ), "{:?}", error);
            }
        }
    }

    #[test]
    fn reply_parsers_never_panic_and_what_they_accept_encodes_back(bytes in any_reply_bytes()) {
        let mut out = vec![0_u8; 800];
        if let Ok(reply) = VersionReply::parse(&bytes) {
            let len = reply.encode(&mut out).unwrap();
            prop_assert_eq!(&out[..len], bytes.as_slice());
        }
        if let Ok(reply) = StatsReply::parse(&bytes) {
            prop_assert!(reply.rejected[KNOWN_REJECT_REASONS..].iter().all(|&count| count == 0));
            let len = reply.encode(&mut out).unwrap();
            prop_assert_eq!(&out[..len], bytes.as_slice());
        }
        if let Ok(reply) = SignalReply::parse(&bytes) {
            let len = reply.encode(&mut out).unwrap();
            prop_assert_eq!(&out[..len], bytes.as_slice());
        }
        if let Ok(reply) = RingReply::parse(&bytes) {
            prop_assert!(reply.capacity.is_power_of_two());
            prop_assert!((MIN_CAPACITY..=MAX_CAPACITY).contains(&reply.capacity));
            let len = reply.encode(&mut out).unwrap();
            prop_assert_eq!(&out[..len], bytes.as_slice());
        }
        if let Ok(reply) = ProduceReply::parse(&bytes) {
            let len = reply.encode(&mut out).unwrap();
            prop_assert_eq!(&out[..len], bytes.as_slice());
        }
        if let Ok(reply) = RingInfo::parse(&bytes) {
            let len = reply.encode(&mut out).unwrap();
            prop_assert_eq!(&out[..len], bytes.as_slice());
        }
        if let Ok(reply) = Notification::parse(&bytes) {
            let len = reply.encode(&mut out).unwrap();
            prop_assert_eq!(&out[..len], bytes.as_slice());
        }
        if let Ok(reply) = NotifyReply::parse(&bytes) {
            let len = reply.encode(&mut out).unwrap();
            prop_assert_eq!(&out[..len], bytes.as_slice());
        }
        if let Ok(reply) = HoldersReply::parse(&bytes) {
            prop_assert!(reply.iter().count() <= MAX_HOLDERS);
            let len = reply.encode(&mut out).unwrap();
            prop_assert_eq!(&out[..len], bytes.as_slice());
        }
        if let Ok(reply) = RegisterReply::parse(&bytes) {
            prop_assert_eq!(reply.resolved.is_some(), reply.method.has_name());
            prop_assert!(reply.handle == 0 || reply.method == Method::DriverHandle);
            let len = reply.encode(&mut out).unwrap();
            let expected = zero_resolved_tail(bytes.clone(), 16);
            prop_assert_eq!(&out[..len], expected.as_slice());
            prop_assert_eq!(RegisterReply::parse(&out[..len]), Ok(reply));
        }
        if let Ok(reply) = RegistrationInfo::parse(&bytes) {
            prop_assert_eq!(reply.resolved.is_some(), reply.method.has_name());
            let len = reply.encode(&mut out).unwrap();
            let expected = zero_resolved_tail(bytes.clone(), 32);
            prop_assert_eq!(&out[..len], expected.as_slice());
            prop_assert_eq!(RegistrationInfo::parse(&out[..len]), Ok(reply));
        }
    }

    #[test]
    fn every_valid_reply_parses_and_re_encodes((which, bytes) in any_valid_reply()) {
        let mut out = vec![0_u8; 800];
        let len = match which {
            0 => VersionReply::parse(&bytes).and_then(|r| r.encode(&mut out)),
            1 => RegisterReply::parse(&bytes).and_then(|r| r.encode(&mut out)),
            2 => RegistrationInfo::parse(&bytes).and_then(|r| r.encode(&mut out)),
            3 => StatsReply::parse(&bytes).and_then(|r| r.encode(&mut out)),
            4 => HoldersReply::parse(&bytes).and_then(|r| r.encode(&mut out)),
            5 => SignalReply::parse(&bytes).and_then(|r| r.encode(&mut out)),
            6 => RingReply::parse(&bytes).and_then(|r| r.encode(&mut out)),
            7 => ProduceReply::parse(&bytes).and_then(|r| r.encode(&mut out)),
            8 => RingInfo::parse(&bytes).and_then(|r| r.encode(&mut out)),
            9 => Notification::parse(&bytes).and_then(|r| r.encode(&mut out)),
            _ => NotifyReply::parse(&bytes).and_then(|r| r.encode(&mut out)),
        };
        prop_assert_eq!(len, Ok(bytes.len()));
        prop_assert_eq!(&out[..bytes.len()], bytes.as_slice());
    }
}

/// Ring capacities around the rules: valid ones, their neighbours, powers of two out of
/// range, anything.
fn any_ring_capacity() -> impl Strategy<Value = u32> {
    prop_oneof![
        2 => (4..=20_u32).prop_map(|shift| 1 << shift),
        1 => (0..=31_u32).prop_map(|shift| 1 << shift),
        1 => (4..=20_u32, prop_oneof![Just(-1_i64), Just(1)])
            .prop_map(|(shift, delta)| ((1_i64 << shift) + delta) as u32),
        1 => Just(0_u32),
        1 => any::<u32>(),
    ]
}

/// Watermarks around `capacity`'s rule: 0, 1, the capacity and its neighbour, inside, anything.
fn any_ring_watermark(capacity: u32) -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0_u32),
        Just(1),
        Just(capacity),
        Just(capacity.wrapping_add(1)),
        1..=capacity.max(1),
        any::<u32>(),
    ]
}

/// Ring names: valid ones most often, else short runs of bytes that break a rule.
fn any_ring_name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => any_wire_name(),
        1 => proptest::collection::vec(any::<u8>(), 0..12),
        1 => proptest::collection::vec(
            prop_oneof![Just(0_u16), 0xD800..=0xDFFF_u16, Just(u16::from(b'x'))],
            0..6,
        )
        .prop_map(|units| le_bytes(&units)),
        1 => (239..=242_usize).prop_map(|n| le_bytes(&vec![u16::from(b'x'); n])),
    ]
}

/// Counts around `1..=MAX_COUNT`.
fn any_wire_count() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0_u32),
        Just(1),
        Just(MAX_COUNT),
        Just(MAX_COUNT + 1),
        Just(u32::MAX),
        any::<u32>(),
        1..=MAX_COUNT,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn register_ring_accepts_exactly_the_allowed_fields_and_names(
        (capacity, watermark) in any_ring_capacity()
            .prop_flat_map(|capacity| (Just(capacity), any_ring_watermark(capacity))),
        mode in any_mode(),
        names in [any_ring_name(), any_ring_name(), any_ring_name()],
    ) {
        let mut input = PROTOCOL_VERSION.to_le_bytes().to_vec();
        let (kind, millis) = mode.to_wire();
        for field in [0, capacity, kind, millis, watermark] {
            input.extend(field.to_le_bytes());
        }
        for name in &names {
            input.extend((name.len() as u32).to_le_bytes());
        }
        for name in &names {
            input.extend(name);
        }
        let capacity_ok = capacity.is_power_of_two()
            && (MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity);
        let watermark_ok = (1..=capacity).contains(&watermark);
        let first_bad_name = names.iter().find_map(|name| check_wire_name(name).err());
        let expected = if !capacity_ok {
            Err(ProtocolError::BadCapacity { capacity })
        } else if !watermark_ok {
            Err(ProtocolError::BadWatermark { watermark, capacity })
        } else if let Some(error) = first_bad_name {
            Err(ProtocolError::Name(error))
        } else {
            Ok(Request::RegisterRing {
                capacity,
                mode,
                watermark,
                section: &names[0],
                data_ready: &names[1],
                space_free: &names[2],
            })
        };
        let parsed = parse(Ioctl::RegisterRing.code(), &input);
        prop_assert_eq!(parsed, expected);
        let mut out = [0_u8; MAX_REQUEST_LEN];
        match parsed {
            Ok(request) => {
                let (code, len) = encode(&request, &mut out).unwrap();
                prop_assert_eq!(code, Ioctl::RegisterRing.code());
                prop_assert_eq!(&out[..len], input.as_slice());
            }
            // What parse refuses, encode refuses with the same error.
            Err(error) => {
                let request = Request::RegisterRing {
                    capacity,
                    mode,
                    watermark,
                    section: &names[0],
                    data_ready: &names[1],
                    space_free: &names[2],
                };
                prop_assert_eq!(encode(&request, &mut out), Err(error));
                prop_assert_eq!(error.status() & 0xC000_0000, 0xC000_0000);
            }
        }
    }

    #[test]
    fn produce_and_notify_accept_exactly_the_counts_in_range(
        count in any_wire_count(),
        id in any::<u64>(),
    ) {
        let ok = (1..=MAX_COUNT).contains(&count);
        let bad = ProtocolError::BadCount { count };
        let mut produce = PROTOCOL_VERSION.to_le_bytes().to_vec();
        produce.extend(0_u32.to_le_bytes());
        produce.extend(id.to_le_bytes());
        produce.extend(count.to_le_bytes());
        produce.extend(0_u32.to_le_bytes());
        let mut notify = PROTOCOL_VERSION.to_le_bytes().to_vec();
        for field in [0, count, 0] {
            notify.extend(field.to_le_bytes());
        }
        let cases = [
            (Ioctl::Produce, produce, Request::Produce { id, count }),
            (Ioctl::Notify, notify, Request::Notify { count }),
        ];
        let mut out = [0_u8; MAX_REQUEST_LEN];
        for (ioctl, input, request) in cases {
            let expected = if ok { Ok(request) } else { Err(bad) };
            prop_assert_eq!(parse(ioctl.code(), &input), expected);
            let encoded = encode(&request, &mut out).map(|(_, len)| out[..len].to_vec());
            prop_assert_eq!(encoded, if ok { Ok(input) } else { Err(bad) });
        }
    }
}

fn units_of(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect()
}

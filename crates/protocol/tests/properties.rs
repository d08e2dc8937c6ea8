//! Properties over arbitrary input: parsing and resolving never panic, and what they accept is
//! what the protocol allows.

use evshare_protocol::names::{resolve, NameError, Namespace, ResolvedName, MAX_LEAF_UNITS};
use evshare_protocol::request::{encode, parse, MAX_REQUEST_LEN};
use evshare_protocol::{
    EventKind, Ioctl, ProtocolError, Request, Scope, SignalMode, PROTOCOL_VERSION,
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
    let random = (any_code(), proptest::collection::vec(any::<u8>(), 0..600));
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

/// A valid request, encoded: (code, bytes).
fn any_valid_request() -> impl Strategy<Value = (u32, Vec<u8>)> {
    (
        (0..Ioctl::ALL.len(), any::<u64>(), any::<u32>(), any_mode()),
        (any_wire_name(), any_kind(), any_scope(), any_leaf()),
    )
        .prop_map(|((which, id, pid, mode), (name, kind, scope, leaf))| {
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
            };
            let mut out = [0_u8; MAX_REQUEST_LEN];
            let (code, len) = encode(&request, &mut out).unwrap();
            (code, out[..len].to_vec())
        })
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

fn units_of(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect()
}

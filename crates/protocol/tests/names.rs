//! The name rules of docs/protocol.md ("Names"), case by case.

use evshare_protocol::names::{
    check_wire_leaf, check_wire_name, decode_wire_leaf, decode_wire_name, driver_created, resolve,
    NameError, Namespace, ResolvedName, CREATED_PREFIX, MAX_CREATED_LEAF_UNITS, MAX_INPUT_UNITS,
    MAX_LEAF_UNITS, MAX_RESOLVED_UNITS,
};
use evshare_protocol::status::*;
use evshare_protocol::Scope;

fn units(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn resolved_string(name: &str, session: u32) -> Result<String, NameError> {
    resolve(&units(name), session).map(|resolved| resolved.to_string())
}

#[test]
fn accepted_names_resolve_to_canonical_paths() {
    let leaf200 = "x".repeat(MAX_LEAF_UNITS);
    let cases: Vec<(String, u32, String, Namespace)> = vec![
        // Global\X, any case, any session.
        (
            r"Global\X".into(),
            3,
            r"\BaseNamedObjects\X".into(),
            Namespace::Global,
        ),
        (
            r"GLOBAL\evt".into(),
            0,
            r"\BaseNamedObjects\evt".into(),
            Namespace::Global,
        ),
        (
            r"gLoBaL\evt".into(),
            7,
            r"\BaseNamedObjects\evt".into(),
            Namespace::Global,
        ),
        // Local\X and bare X: the caller's session, or the global directory for session 0.
        (
            r"Local\X".into(),
            3,
            r"\Sessions\3\BaseNamedObjects\X".into(),
            Namespace::Session(3),
        ),
        (
            r"local\X".into(),
            0,
            r"\BaseNamedObjects\X".into(),
            Namespace::Global,
        ),
        (
            "X".into(),
            1,
            r"\Sessions\1\BaseNamedObjects\X".into(),
            Namespace::Session(1),
        ),
        (
            "X".into(),
            0,
            r"\BaseNamedObjects\X".into(),
            Namespace::Global,
        ),
        (
            "X".into(),
            u32::MAX,
            r"\Sessions\4294967295\BaseNamedObjects\X".into(),
            Namespace::Session(u32::MAX),
        ),
        // A bare name that merely starts like a prefix is a bare name.
        (
            "Global".into(),
            2,
            r"\Sessions\2\BaseNamedObjects\Global".into(),
            Namespace::Session(2),
        ),
        (
            "LocalX".into(),
            0,
            r"\BaseNamedObjects\LocalX".into(),
            Namespace::Global,
        ),
        // Full NT paths, in any case; the output uses the canonical spelling.
        (
            r"\BaseNamedObjects\X".into(),
            5,
            r"\BaseNamedObjects\X".into(),
            Namespace::Global,
        ),
        (
            r"\basenamedobjects\Mixed".into(),
            5,
            r"\BaseNamedObjects\Mixed".into(),
            Namespace::Global,
        ),
        (
            r"\Sessions\5\BaseNamedObjects\X".into(),
            5,
            r"\Sessions\5\BaseNamedObjects\X".into(),
            Namespace::Session(5),
        ),
        (
            r"\SESSIONS\12\baseNAMEDobjects\X".into(),
            12,
            r"\Sessions\12\BaseNamedObjects\X".into(),
            Namespace::Session(12),
        ),
        // Session 0's objects live in the global directory.
        (
            r"\Sessions\0\BaseNamedObjects\X".into(),
            0,
            r"\BaseNamedObjects\X".into(),
            Namespace::Global,
        ),
        // The leaf keeps its case, and may be any UTF-16 but `\` and NUL.
        (
            r"Global\MyEvent".into(),
            1,
            r"\BaseNamedObjects\MyEvent".into(),
            Namespace::Global,
        ),
        (
            "événement 🎉".into(),
            1,
            r"\Sessions\1\BaseNamedObjects\événement 🎉".into(),
            Namespace::Session(1),
        ),
        (
            "...".into(),
            0,
            r"\BaseNamedObjects\...".into(),
            Namespace::Global,
        ),
        (
            ".x".into(),
            0,
            r"\BaseNamedObjects\.x".into(),
            Namespace::Global,
        ),
        (
            "Global/X".into(),
            0,
            r"\BaseNamedObjects\Global/X".into(),
            Namespace::Global,
        ),
        // The longest leaf.
        (
            format!(r"Global\{leaf200}"),
            1,
            format!(r"\BaseNamedObjects\{leaf200}"),
            Namespace::Global,
        ),
        (
            leaf200.clone(),
            9,
            format!(r"\Sessions\9\BaseNamedObjects\{leaf200}"),
            Namespace::Session(9),
        ),
    ];
    for (input, session, expected, namespace) in cases {
        let resolved = resolve(&units(&input), session)
            .unwrap_or_else(|e| panic!("{input:?} in session {session}: {e:?}"));
        assert_eq!(
            resolved.to_string(),
            expected,
            "{input:?} in session {session}"
        );
        assert_eq!(resolved.as_units(), units(&expected).as_slice());
        assert_eq!(resolved.namespace(), namespace, "{input:?}");
        let leaf = expected.rsplit('\\').next().unwrap();
        assert_eq!(resolved.leaf(), units(leaf).as_slice(), "{input:?}");
    }
}

#[test]
fn refused_names_get_their_error_and_status() {
    use NameError::*;
    let long_leaf = "x".repeat(MAX_LEAF_UNITS + 1);
    let too_long = "x".repeat(MAX_INPUT_UNITS + 1);
    let cases: Vec<(String, u32, NameError, u32)> = vec![
        ("".into(), 1, Empty, STATUS_OBJECT_NAME_INVALID),
        // Empty leaf after a prefix: BadLeaf (the name itself is not empty).
        (r"Global\".into(), 1, BadLeaf, STATUS_OBJECT_NAME_INVALID),
        (r"Local\".into(), 1, BadLeaf, STATUS_OBJECT_NAME_INVALID),
        (
            r"\BaseNamedObjects\".into(),
            1,
            BadLeaf,
            STATUS_OBJECT_NAME_INVALID,
        ),
        (
            r"\Sessions\1\BaseNamedObjects\".into(),
            1,
            BadLeaf,
            STATUS_OBJECT_NAME_INVALID,
        ),
        (".".into(), 1, BadLeaf, STATUS_OBJECT_NAME_INVALID),
        ("..".into(), 1, BadLeaf, STATUS_OBJECT_NAME_INVALID),
        (r"Global\..".into(), 1, BadLeaf, STATUS_OBJECT_NAME_INVALID),
        (
            r"\BaseNamedObjects\.".into(),
            1,
            BadLeaf,
            STATUS_OBJECT_NAME_INVALID,
        ),
        (long_leaf.clone(), 1, BadLeaf, STATUS_OBJECT_NAME_INVALID),
        (
            format!(r"Global\{long_leaf}"),
            1,
            BadLeaf,
            STATUS_OBJECT_NAME_INVALID,
        ),
        ("a\0b".into(), 1, EmbeddedNul, STATUS_OBJECT_NAME_INVALID),
        ("ab\0".into(), 1, EmbeddedNul, STATUS_OBJECT_NAME_INVALID),
        ("\0".into(), 1, EmbeddedNul, STATUS_OBJECT_NAME_INVALID),
        (
            too_long.clone(),
            1,
            TooLong {
                units: MAX_INPUT_UNITS + 1,
            },
            STATUS_NAME_TOO_LONG,
        ),
        // Other directories, subdirectories, device paths, Win32 look-alikes.
        (
            r"Foo\Bar".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"Session\2\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"Global\a\b".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"Local\a\b".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"Global\Local\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\Device\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\??\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\\.\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (r"\".into(), 1, OutsideNamespace, STATUS_OBJECT_PATH_INVALID),
        (
            r"X\".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\BaseNamedObjects".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\BaseNamedObjects\a\b".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\BaseNamedObjects\Global\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\BaseNamedObjectsX\Y".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\\BaseNamedObjects\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\Sessions\1\BaseNamedObjects\a\b".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\Sessions\1\Windows\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\Sessions\1\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\Sessions\1".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\Sessions\BaseNamedObjects\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\Sessions\\BaseNamedObjects\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        // N: decimal, no leading zeros or sign, within u32.
        (
            r"\Sessions\01\BaseNamedObjects\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\Sessions\+1\BaseNamedObjects\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\Sessions\-1\BaseNamedObjects\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\Sessions\0x1\BaseNamedObjects\X".into(),
            1,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        (
            r"\Sessions\4294967296\BaseNamedObjects\X".into(),
            0,
            OutsideNamespace,
            STATUS_OBJECT_PATH_INVALID,
        ),
        // Another session's directory.
        (
            r"\Sessions\2\BaseNamedObjects\X".into(),
            1,
            OtherSession {
                asked: 2,
                caller: 1,
            },
            STATUS_ACCESS_DENIED,
        ),
        (
            r"\Sessions\1\BaseNamedObjects\X".into(),
            0,
            OtherSession {
                asked: 1,
                caller: 0,
            },
            STATUS_ACCESS_DENIED,
        ),
        (
            r"\Sessions\0\BaseNamedObjects\X".into(),
            4,
            OtherSession {
                asked: 0,
                caller: 4,
            },
            STATUS_ACCESS_DENIED,
        ),
        (
            r"\sessions\4294967295\BASENAMEDOBJECTS\X".into(),
            4,
            OtherSession {
                asked: u32::MAX,
                caller: 4,
            },
            STATUS_ACCESS_DENIED,
        ),
        // The session is checked before the leaf.
        (
            r"\Sessions\2\BaseNamedObjects\..".into(),
            1,
            OtherSession {
                asked: 2,
                caller: 1,
            },
            STATUS_ACCESS_DENIED,
        ),
    ];
    for (input, session, error, status) in cases {
        assert_eq!(
            resolve(&units(&input), session),
            Err(error),
            "{input:?} in session {session}"
        );
        assert_eq!(error.status(), status, "{input:?}");
    }
}

#[test]
fn whole_name_checks_come_before_the_namespace_rules() {
    // Too long even though it is also outside the namespaces.
    let long_path = format!(r"\Device\{}", "x".repeat(MAX_INPUT_UNITS));
    assert_eq!(
        resolved_string(&long_path, 1),
        Err(NameError::TooLong {
            units: MAX_INPUT_UNITS + 8
        })
    );
    // Exactly 240 units is allowed as a whole; this one then fails only on its leaf length.
    let at_limit = format!(r"Global\{}", "x".repeat(MAX_INPUT_UNITS - 7));
    assert_eq!(units(&at_limit).len(), MAX_INPUT_UNITS);
    assert_eq!(resolved_string(&at_limit, 1), Err(NameError::BadLeaf));
    // NUL anywhere beats the namespace check.
    assert_eq!(
        resolved_string("\\Device\\\0", 1),
        Err(NameError::EmbeddedNul)
    );
}

#[test]
fn unpaired_surrogates_are_not_utf16() {
    let cases: [&[u16]; 5] = [
        &[0xD800],
        &[0x41, 0xDC00],
        &[0xD83D, 0x41],
        &[0xDE00, 0xD83D],
        &[0x47, 0x6C, 0x6F, 0x62, 0x61, 0x6C, 0x5C, 0xDBFF],
    ];
    for name in cases {
        assert_eq!(resolve(name, 1), Err(NameError::NotUtf16), "{name:x?}");
    }
    // A proper pair is fine.
    assert!(resolve(&[0xD83D, 0xDE00], 1).is_ok());
    // The first problem wins: a NUL before a bad surrogate, and the other way round.
    assert_eq!(resolve(&[0x41, 0, 0xD800], 1), Err(NameError::EmbeddedNul));
    assert_eq!(resolve(&[0x41, 0xD800, 0], 1), Err(NameError::NotUtf16));
}

#[test]
fn longest_resolved_path_fits() {
    let leaf = "y".repeat(MAX_LEAF_UNITS);
    let resolved = resolve(&units(&leaf), u32::MAX).unwrap();
    assert_eq!(resolved.as_units().len(), 38 + MAX_LEAF_UNITS);
    assert!(resolved.as_units().len() <= MAX_RESOLVED_UNITS);
}

#[test]
fn from_units_accepts_exactly_the_canonical_paths() {
    let accepted = [
        r"\BaseNamedObjects\X",
        r"\Sessions\1\BaseNamedObjects\X",
        r"\Sessions\4294967295\BaseNamedObjects\evt",
    ];
    for path in accepted {
        let resolved = ResolvedName::from_units(&units(path)).unwrap();
        assert_eq!(resolved.to_string(), path);
    }
    let refused = [
        ("", NameError::Empty),
        ("X", NameError::OutsideNamespace),
        (r"Global\X", NameError::OutsideNamespace),
        (r"\basenamedobjects\X", NameError::OutsideNamespace),
        (
            r"\sessions\1\BaseNamedObjects\X",
            NameError::OutsideNamespace,
        ),
        (
            r"\Sessions\0\BaseNamedObjects\X",
            NameError::OutsideNamespace,
        ),
        (
            r"\Sessions\01\BaseNamedObjects\X",
            NameError::OutsideNamespace,
        ),
        (r"\Device\X", NameError::OutsideNamespace),
        (r"\BaseNamedObjects\..", NameError::BadLeaf),
        (r"\BaseNamedObjects\a\b", NameError::OutsideNamespace),
    ];
    for (path, error) in refused {
        assert_eq!(ResolvedName::from_units(&units(path)), None, "{path:?}");
        assert_eq!(
            ResolvedName::try_from_units(&units(path)),
            Err(error),
            "{path:?}"
        );
    }
}

#[test]
fn resolved_names_compare_print_and_hash_by_path() {
    let a = resolve(&units(r"Global\X"), 1).unwrap();
    let b = resolve(&units(r"\BASENAMEDOBJECTS\X"), 2).unwrap();
    let c = resolve(&units("X"), 1).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(format!("{a:?}"), r#""\\BaseNamedObjects\\X""#);
    assert_eq!(format!("{c}"), r"\Sessions\1\BaseNamedObjects\X");
    let quoted = resolve(&units("say \"hi\"\n"), 0).unwrap();
    assert_eq!(
        format!("{quoted:?}"),
        r#""\\BaseNamedObjects\\say \"hi\"\n""#
    );
    let set: std::collections::HashSet<ResolvedName> = [a, b, c].into_iter().collect();
    assert_eq!(set.len(), 2);
    let hash = |name: &ResolvedName| {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut hasher = DefaultHasher::new();
        name.hash(&mut hasher);
        hasher.finish()
    };
    assert_eq!(hash(&a), hash(&b));
    assert_ne!(hash(&a), hash(&c));
}

fn wire(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[test]
fn wire_names_decode_or_say_why_not() {
    let mut out = [0_u16; MAX_INPUT_UNITS];
    assert_eq!(
        decode_wire_name(&wire(r"Global\é"), &mut out),
        Ok(&units(r"Global\é")[..])
    );
    let longest = "z".repeat(MAX_INPUT_UNITS);
    assert_eq!(
        decode_wire_name(&wire(&longest), &mut out),
        Ok(&units(&longest)[..])
    );

    let too_long = wire(&"z".repeat(MAX_INPUT_UNITS + 1));
    let cases: Vec<(Vec<u8>, NameError)> = vec![
        (vec![], NameError::Empty),
        (vec![0x41], NameError::NotUtf16),
        (vec![0x41, 0x00, 0x42], NameError::NotUtf16),
        (vec![0x00, 0xD8], NameError::NotUtf16),
        (vec![0x41, 0x00, 0x00, 0xDC], NameError::NotUtf16),
        (vec![0x00, 0x00], NameError::EmbeddedNul),
        (vec![0x41, 0x00, 0x00, 0x00], NameError::EmbeddedNul),
        (
            too_long.clone(),
            NameError::TooLong {
                units: MAX_INPUT_UNITS + 1,
            },
        ),
        // An odd length is reported before the length limit.
        ([too_long, vec![0x41]].concat(), NameError::NotUtf16),
    ];
    for (bytes, error) in cases {
        assert_eq!(decode_wire_name(&bytes, &mut out), Err(error), "{bytes:x?}");
        assert_eq!(check_wire_name(&bytes), Err(error), "{bytes:x?}");
    }
}

#[test]
fn name_errors_say_what_is_wrong() {
    let cases = [
        (NameError::Empty, "empty"),
        (NameError::TooLong { units: 241 }, "241"),
        (NameError::NotUtf16, "UTF-16"),
        (NameError::EmbeddedNul, "NUL"),
        (NameError::BadLeaf, "1 to 200"),
        (NameError::OutsideNamespace, r"Global\X"),
        (
            NameError::OtherSession {
                asked: 2,
                caller: 1,
            },
            "session 2",
        ),
        (
            NameError::CreatedLeafTooLong { units: 65 },
            "65 UTF-16 units long; at most 64",
        ),
        (NameError::BadCreatedLeaf, "after `evshare-`"),
    ];
    for (error, expected) in cases {
        let text = error.to_string();
        assert!(text.contains(expected), "{error:?}: {text}");
    }
}

fn created_string(leaf: &str, scope: Scope, session: u32) -> Result<String, NameError> {
    driver_created(&units(leaf), scope, session).map(|resolved| resolved.to_string())
}

#[test]
fn driver_created_names_go_in_the_scope_s_directory_with_the_prefix() {
    let leaf64 = "x".repeat(MAX_CREATED_LEAF_UNITS);
    let cases: Vec<(&str, Scope, u32, String, Namespace)> = vec![
        (
            "tick",
            Scope::Global,
            3,
            r"\BaseNamedObjects\evshare-tick".into(),
            Namespace::Global,
        ),
        (
            "tick",
            Scope::Global,
            0,
            r"\BaseNamedObjects\evshare-tick".into(),
            Namespace::Global,
        ),
        (
            "tick",
            Scope::Session,
            3,
            r"\Sessions\3\BaseNamedObjects\evshare-tick".into(),
            Namespace::Session(3),
        ),
        // Session 0's objects live in the global directory.
        (
            "tick",
            Scope::Session,
            0,
            r"\BaseNamedObjects\evshare-tick".into(),
            Namespace::Global,
        ),
        (
            "T",
            Scope::Session,
            u32::MAX,
            r"\Sessions\4294967295\BaseNamedObjects\evshare-T".into(),
            Namespace::Session(u32::MAX),
        ),
        // The leaf keeps its case and may be any UTF-16 but `\` and NUL.
        (
            "Événement 🎉",
            Scope::Global,
            1,
            r"\BaseNamedObjects\evshare-Événement 🎉".into(),
            Namespace::Global,
        ),
        (
            "...",
            Scope::Global,
            1,
            r"\BaseNamedObjects\evshare-...".into(),
            Namespace::Global,
        ),
        // What looks like a prefix or a name is only a leaf.
        (
            "Global",
            Scope::Session,
            2,
            r"\Sessions\2\BaseNamedObjects\evshare-Global".into(),
            Namespace::Session(2),
        ),
        (
            "evshare-x",
            Scope::Global,
            2,
            r"\BaseNamedObjects\evshare-evshare-x".into(),
            Namespace::Global,
        ),
        (
            &leaf64,
            Scope::Session,
            u32::MAX,
            format!(r"\Sessions\4294967295\BaseNamedObjects\evshare-{leaf64}"),
            Namespace::Session(u32::MAX),
        ),
    ];
    for (leaf, scope, session, expected, namespace) in cases {
        let what = format!("{leaf:?} {scope} in session {session}");
        let resolved = driver_created(&units(leaf), scope, session).unwrap();
        assert_eq!(resolved.to_string(), expected, "{what}");
        assert_eq!(resolved.namespace(), namespace, "{what}");
        assert_eq!(
            resolved.leaf(),
            units(&format!("evshare-{leaf}")).as_slice(),
            "{what}"
        );
        assert_eq!(
            resolved.created_leaf(),
            Some(units(leaf).as_slice()),
            "{what}"
        );
        // The path is canonical: it comes back from a reply as itself.
        assert_eq!(
            ResolvedName::from_units(resolved.as_units()),
            Some(resolved),
            "{what}"
        );
    }
    assert_eq!(CREATED_PREFIX, "evshare-");
    let longest = driver_created(&units(&leaf64), Scope::Session, u32::MAX).unwrap();
    assert_eq!(longest.as_units().len(), 38 + 8 + MAX_CREATED_LEAF_UNITS);
}

#[test]
fn refused_created_leaves_get_their_error_and_status() {
    use NameError::*;
    let too_long = "x".repeat(MAX_CREATED_LEAF_UNITS + 1);
    // 63 units and a surrogate pair: 65.
    let too_long_pair = format!("{}🎉", "x".repeat(63));
    let cases: Vec<(String, NameError, u32)> = vec![
        ("".into(), Empty, STATUS_OBJECT_NAME_INVALID),
        (
            too_long,
            CreatedLeafTooLong { units: 65 },
            STATUS_NAME_TOO_LONG,
        ),
        (
            too_long_pair,
            CreatedLeafTooLong { units: 65 },
            STATUS_NAME_TOO_LONG,
        ),
        ("a\0".into(), EmbeddedNul, STATUS_OBJECT_NAME_INVALID),
        ("\0".into(), EmbeddedNul, STATUS_OBJECT_NAME_INVALID),
        (r"a\b".into(), BadCreatedLeaf, STATUS_OBJECT_NAME_INVALID),
        (r"\".into(), BadCreatedLeaf, STATUS_OBJECT_NAME_INVALID),
        (
            r"Global\x".into(),
            BadCreatedLeaf,
            STATUS_OBJECT_NAME_INVALID,
        ),
        (r"..\x".into(), BadCreatedLeaf, STATUS_OBJECT_NAME_INVALID),
        (".".into(), BadCreatedLeaf, STATUS_OBJECT_NAME_INVALID),
        ("..".into(), BadCreatedLeaf, STATUS_OBJECT_NAME_INVALID),
        // The first problem wins: a NUL before a `\`, the length before anything else.
        ("\0\\".into(), EmbeddedNul, STATUS_OBJECT_NAME_INVALID),
        (
            format!("\\{}", "x".repeat(70)),
            CreatedLeafTooLong { units: 71 },
            STATUS_NAME_TOO_LONG,
        ),
    ];
    for (leaf, error, status) in cases {
        for scope in Scope::ALL {
            assert_eq!(
                created_string(&leaf, scope, 1),
                Err(error),
                "{leaf:?} {scope}"
            );
        }
        assert_eq!(error.status(), status, "{leaf:?}");
    }
    let surrogates: [&[u16]; 4] = [
        &[0xD800],
        &[0x41, 0xDC00],
        &[0xD83D, 0x41],
        &[0xDE00, 0xD83D],
    ];
    for leaf in surrogates {
        assert_eq!(
            driver_created(leaf, Scope::Global, 1),
            Err(NotUtf16),
            "{leaf:x?}"
        );
    }
    assert_eq!(
        driver_created(&[0x41, 0, 0xD800], Scope::Global, 1),
        Err(EmbeddedNul)
    );
    assert_eq!(
        driver_created(&[0x41, 0xD800, 0], Scope::Global, 1),
        Err(NotUtf16)
    );
    assert!(driver_created(&[0xD83D, 0xDE00], Scope::Global, 1).is_ok());
}

#[test]
fn created_leaf_is_only_found_in_names_the_driver_could_have_created() {
    let cases: [(&str, u32, Option<&str>); 9] = [
        (r"Global\evshare-tick", 1, Some("tick")),
        ("evshare-tick", 4, Some("tick")),
        (r"Global\evshare-evshare-", 1, Some("evshare-")),
        (r"Global\tick", 1, None),
        // The prefix must be exact: no leaf after it, another case, or a leaf too long.
        (r"Global\evshare-", 1, None),
        (r"Global\EVSHARE-tick", 1, None),
        (r"Global\evshare", 1, None),
        (r"Global\evshare-..", 1, None),
        (r"Global\evshare-.", 1, None),
    ];
    for (name, session, expected) in cases {
        let resolved = resolve(&units(name), session).unwrap();
        let expected = expected.map(units);
        assert_eq!(resolved.created_leaf(), expected.as_deref(), "{name:?}");
    }
    let too_long = format!(r"Global\evshare-{}", "x".repeat(MAX_CREATED_LEAF_UNITS + 1));
    assert_eq!(resolve(&units(&too_long), 1).unwrap().created_leaf(), None);
}

fn win32(resolved: &ResolvedName, session: u32) -> Result<String, NameError> {
    resolved
        .win32_name(session)
        .map(|name| String::from_utf16(&name.collect::<Vec<_>>()).unwrap())
}

#[test]
fn win32_names_open_the_same_object_from_the_caller_s_session() {
    let global = driver_created(&units("tick"), Scope::Global, 2).unwrap();
    let own = driver_created(&units("tick"), Scope::Session, 2).unwrap();
    let session0 = driver_created(&units("tick"), Scope::Session, 0).unwrap();
    let by_name = resolve(&units(r"\Sessions\7\BaseNamedObjects\é 🎉"), 7).unwrap();
    let cases: [(&ResolvedName, u32, Result<String, NameError>); 8] = [
        (&global, 2, Ok(r"Global\evshare-tick".into())),
        // The global directory is `Global\` from any session, session 0 included.
        (&global, 0, Ok(r"Global\evshare-tick".into())),
        (&global, u32::MAX, Ok(r"Global\evshare-tick".into())),
        (&own, 2, Ok("evshare-tick".into())),
        (&session0, 0, Ok(r"Global\evshare-tick".into())),
        (&by_name, 7, Ok("é 🎉".into())),
        // Another session's directory has no Win32 name.
        (
            &own,
            3,
            Err(NameError::OtherSession {
                asked: 2,
                caller: 3,
            }),
        ),
        (
            &own,
            0,
            Err(NameError::OtherSession {
                asked: 2,
                caller: 0,
            }),
        ),
    ];
    for (resolved, session, expected) in cases {
        let name = win32(resolved, session);
        assert_eq!(name, expected, "{resolved} from session {session}");
        // The Win32 name resolves back to the same path in the caller's session.
        if let Ok(name) = name {
            assert_eq!(resolve(&units(&name), session), Ok(*resolved), "{name:?}");
        }
    }
    // The iterator can be walked twice.
    let name = global.win32_name(2).unwrap();
    assert_eq!(name.clone().count(), name.count());
}

#[test]
fn wire_leaves_decode_or_say_why_not() {
    let mut out = [0_u16; MAX_CREATED_LEAF_UNITS];
    assert_eq!(
        decode_wire_leaf(&wire("tické"), &mut out),
        Ok(&units("tické")[..])
    );
    let longest = "z".repeat(MAX_CREATED_LEAF_UNITS);
    assert_eq!(
        decode_wire_leaf(&wire(&longest), &mut out),
        Ok(&units(&longest)[..])
    );
    assert_eq!(check_wire_leaf(&wire(&longest)), Ok(MAX_CREATED_LEAF_UNITS));

    let too_long = wire(&"z".repeat(MAX_CREATED_LEAF_UNITS + 1));
    let cases: Vec<(Vec<u8>, NameError)> = vec![
        (vec![], NameError::Empty),
        (vec![0x41], NameError::NotUtf16),
        (vec![0x00, 0xD8], NameError::NotUtf16),
        (vec![0x41, 0x00, 0x00, 0xDC], NameError::NotUtf16),
        (vec![0x00, 0x00], NameError::EmbeddedNul),
        (wire(r"a\b"), NameError::BadCreatedLeaf),
        (wire("."), NameError::BadCreatedLeaf),
        (wire(".."), NameError::BadCreatedLeaf),
        (
            too_long.clone(),
            NameError::CreatedLeafTooLong { units: 65 },
        ),
        // An odd length is reported before the length limit.
        ([too_long, vec![0x41]].concat(), NameError::NotUtf16),
        // A name's limit is not a leaf's.
        (
            wire(&"z".repeat(MAX_INPUT_UNITS)),
            NameError::CreatedLeafTooLong {
                units: MAX_INPUT_UNITS,
            },
        ),
    ];
    for (bytes, error) in cases {
        assert_eq!(decode_wire_leaf(&bytes, &mut out), Err(error), "{bytes:x?}");
        assert_eq!(check_wire_leaf(&bytes), Err(error), "{bytes:x?}");
    }
}

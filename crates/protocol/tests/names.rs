//! The name rules of docs/protocol.md ("Names"), case by case.

use evshare_protocol::names::{
    check_wire_name, decode_wire_name, resolve, NameError, Namespace, ResolvedName,
    MAX_INPUT_UNITS, MAX_LEAF_UNITS, MAX_RESOLVED_UNITS,
};
use evshare_protocol::status::*;

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
    ];
    for (error, expected) in cases {
        let text = error.to_string();
        assert!(text.contains(expected), "{error:?}: {text}");
    }
}

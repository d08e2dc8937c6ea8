//! End to end, against the real driver: every kind of bad input of SPEC's "What each bad input
//! gets", sent raw, one table row each. Each row gets its exact NTSTATUS and bumps exactly one
//! rejection counter, its own; after the whole table the driver's state (live registrations,
//! by method, registrations made) is what it was before.
//!
//! (SPEC's "a second registration of the same slot" and "a ring whose header is corrupt or
//! whose size is not what was declared" belong to the ring of issue 5 and are not rows here.)

#![cfg(windows)]

mod common;

use std::collections::BTreeMap;

use common::objects;
use common::{driver, rejections_between, serial, unique};
use evshare::{current_session_id, Driver, Event, NamedMutex, NtStatus, RejectReason, ResetKind};
use evshare_protocol::ioctl::ctl_code;
use evshare_protocol::status::*;
use evshare_protocol::Ioctl;

/// `RequestHeader`.
fn header(version: u32, flags: u32) -> Vec<u8> {
    [version.to_le_bytes(), flags.to_le_bytes()].concat()
}

/// A correct header followed by `fields`.
fn request(fields: &[&[u8]]) -> Vec<u8> {
    let mut bytes = header(1, 0);
    for field in fields {
        bytes.extend_from_slice(field);
    }
    bytes
}

fn u32le(value: u32) -> [u8; 4] {
    value.to_le_bytes()
}

fn u64le(value: u64) -> [u8; 8] {
    value.to_le_bytes()
}

/// UTF-16LE bytes of `text`.
fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// UTF-16LE bytes of raw units (for unpaired surrogates).
fn units(units: &[u16]) -> Vec<u8> {
    units.iter().flat_map(|unit| unit.to_le_bytes()).collect()
}

const ON_DEMAND: [u8; 8] = [0; 8];

/// `RegisterByName` declaring `declared` name bytes and carrying `name`.
fn by_name_declaring(declared: u32, name: &[u8]) -> Vec<u8> {
    request(&[&ON_DEMAND, &u32le(declared), name])
}

fn by_name(name: &[u8]) -> Vec<u8> {
    by_name_declaring(name.len() as u32, name)
}

fn by_handle(handle: u64) -> Vec<u8> {
    request(&[&u64le(handle), &ON_DEMAND])
}

/// `CreateNamedEvent` (auto-reset, this session) declaring `declared` leaf bytes.
fn named_declaring(declared: u32, leaf: &[u8]) -> Vec<u8> {
    request(&[&u32le(0), &u32le(0), &ON_DEMAND, &u32le(declared), leaf])
}

fn named(leaf: &[u8]) -> Vec<u8> {
    named_declaring(leaf.len() as u32, leaf)
}

fn id_request(id: u64) -> Vec<u8> {
    request(&[&u64le(id)])
}

/// Which driver handle a row is sent through.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Through {
    /// An ordinary handle with no registrations.
    Main,
    /// A handle that already holds the 64 registrations a handle may hold.
    Full,
}

/// One bad request and what it must get.
struct Row {
    what: String,
    through: Through,
    code: u32,
    input: Vec<u8>,
    output_len: usize,
    status: u32,
    reason: RejectReason,
}

fn row(
    what: impl Into<String>,
    ioctl: Ioctl,
    input: Vec<u8>,
    status: u32,
    reason: RejectReason,
) -> Row {
    Row {
        what: what.into(),
        through: Through::Main,
        code: ioctl.code(),
        input,
        output_len: ioctl.reply_len(),
        status,
        reason,
    }
}

#[test]
fn every_bad_input_gets_its_status_and_leaves_the_driver_as_it_was() {
    let _serial = serial();
    let main = driver();
    let full = driver();
    let pid = std::process::id();
    let session = current_session_id().unwrap();

    // What the rows refer to.
    let live_name = unique("bad-live");
    let _live = Event::create_auto_reset(&live_name).unwrap();
    let mutex_name = unique("bad-mutex");
    let _mutex_by_name = NamedMutex::create(&mutex_name).unwrap();
    let denied_name = unique("bad-denied");
    let _denied =
        Event::create_with_security(&denied_name, ResetKind::Auto, "D:(A;;0x100000;;;WD)").unwrap();
    let target = Event::new(ResetKind::Manual).unwrap();
    let sync_only = target.duplicate(evshare::access::SYNCHRONIZE).unwrap();
    let mutex = objects::mutex();
    let file = objects::file("bad-input");
    let squat_leaf = format!("bad-squat-{pid}");
    let _squatter = Event::create_auto_reset(&format!("evshare-{squat_leaf}")).unwrap();
    // The full handle: 64 live registrations, one of whose ids the main handle will try.
    let mut full_ids = Vec::new();
    for _ in 0..64 {
        let registration = full
            .register_by_name(&live_name, evshare::SignalMode::OnDemand)
            .unwrap();
        full_ids.push(registration.id());
        std::mem::forget(registration);
    }

    use Ioctl::*;
    use RejectReason as R;
    let size = STATUS_INVALID_BUFFER_SIZE;
    let param = STATUS_INVALID_PARAMETER;
    let long_name = utf16(&"x".repeat(241));
    let mut rows = vec![
        // Short buffers and lengths that lie.
        row(
            "short buffer: QUERY_VERSION of 4 bytes",
            QueryVersion,
            vec![1, 0, 0, 0],
            size,
            R::BadBufferSize,
        ),
        row(
            "short buffer: SIGNAL with no input",
            Signal,
            vec![],
            size,
            R::BadBufferSize,
        ),
        row(
            "short buffer: REGISTER_BY_HANDLE of 23 bytes",
            RegisterByHandle,
            by_handle(4)[..23].to_vec(),
            size,
            R::BadBufferSize,
        ),
        row(
            "short buffer: REGISTER_BY_NAME without name_bytes",
            RegisterByName,
            request(&[&ON_DEMAND]),
            size,
            R::BadBufferSize,
        ),
        row(
            "length lies: a name declared 10 bytes, 8 sent",
            RegisterByName,
            by_name_declaring(10, &utf16("abcd")),
            size,
            R::BadBufferSize,
        ),
        row(
            "length lies: a name declared 8 bytes, 10 sent",
            RegisterByName,
            by_name_declaring(8, &utf16("abcde")),
            size,
            R::BadBufferSize,
        ),
        row(
            "length lies: a name declared u32::MAX bytes",
            RegisterByName,
            by_name_declaring(u32::MAX, &utf16("abcd")),
            size,
            R::BadBufferSize,
        ),
        row(
            "length lies: a leaf declared 6 bytes, 8 sent",
            CreateNamedEvent,
            named_declaring(6, &utf16("abcd")),
            size,
            R::BadBufferSize,
        ),
        row(
            "length lies: SET_SIGNAL_MODE with a trailing byte",
            SetSignalMode,
            [request(&[&u64le(1), &ON_DEMAND]), vec![0]].concat(),
            size,
            R::BadBufferSize,
        ),
        // Wrong IOCTL codes.
        Row {
            code: ctl_code(0x8E5E, 0x8FF, 0, 2),
            ..row(
                "wrong IOCTL: unknown function 0x8FF",
                QueryVersion,
                header(1, 0),
                STATUS_INVALID_DEVICE_REQUEST,
                R::UnknownIoctl,
            )
        },
        Row {
            code: ctl_code(0x8E5E, 0x7FF, 0, 1),
            ..row(
                "wrong IOCTL: function 0x7FF, below the range",
                QueryVersion,
                header(1, 0),
                STATUS_INVALID_DEVICE_REQUEST,
                R::UnknownIoctl,
            )
        },
        Row {
            code: ctl_code(0x8E5E, 0x801, 0, 0),
            ..row(
                "wrong IOCTL: REGISTER_BY_NAME without its access bits",
                RegisterByName,
                by_name(&utf16(&live_name)),
                STATUS_INVALID_DEVICE_REQUEST,
                R::UnknownIoctl,
            )
        },
        Row {
            code: ctl_code(0x8E5E, 0x800, 3, 1),
            ..row(
                "wrong IOCTL: QUERY_VERSION as METHOD_NEITHER",
                QueryVersion,
                header(1, 0),
                STATUS_INVALID_DEVICE_REQUEST,
                R::UnknownIoctl,
            )
        },
        Row {
            code: ctl_code(0x0022, 0x800, 0, 1),
            ..row(
                "wrong IOCTL: another device type",
                QueryVersion,
                header(1, 0),
                STATUS_INVALID_DEVICE_REQUEST,
                R::UnknownIoctl,
            )
        },
        // Versions, flags, reserved fields, modes, kinds, scopes.
        row(
            "unknown version 2",
            QueryVersion,
            header(2, 0),
            STATUS_REVISION_MISMATCH,
            R::BadVersion,
        ),
        row(
            "unknown version 0",
            RegisterByName,
            [header(0, 0), by_name(&utf16(&live_name))[8..].to_vec()].concat(),
            STATUS_REVISION_MISMATCH,
            R::BadVersion,
        ),
        row(
            "unknown version u32::MAX",
            Signal,
            [header(u32::MAX, 0), u64le(1).to_vec()].concat(),
            STATUS_REVISION_MISMATCH,
            R::BadVersion,
        ),
        row(
            "flags set",
            QueryVersion,
            header(1, 1),
            param,
            R::BadParameter,
        ),
        row(
            "stats reserved field set",
            QueryStats,
            request(&[&u32le(0), &u32le(1)]),
            param,
            R::BadParameter,
        ),
        row(
            "mode kind 3",
            RegisterByName,
            request(&[&u32le(3), &u32le(0), &u32le(2), &utf16("x")]),
            param,
            R::BadParameter,
        ),
        row(
            "periodic every 0 ms",
            RegisterByHandle,
            request(&[&u64le(objects::value_of(&target)), &u32le(1), &u32le(0)]),
            param,
            R::BadParameter,
        ),
        row(
            "on demand with a period",
            CreateEvent,
            request(&[&u32le(0), &u32le(0), &u32le(0), &u32le(5)]),
            param,
            R::BadParameter,
        ),
        row(
            "one-shot after more than an hour",
            CreateEvent,
            request(&[&u32le(0), &u32le(0), &u32le(2), &u32le(3_600_001)]),
            param,
            R::BadParameter,
        ),
        row(
            "event kind 2",
            CreateEvent,
            request(&[&u32le(2), &u32le(0), &ON_DEMAND]),
            param,
            R::BadParameter,
        ),
        row(
            "CREATE_EVENT reserved field set",
            CreateEvent,
            request(&[&u32le(0), &u32le(1), &ON_DEMAND]),
            param,
            R::BadParameter,
        ),
        row(
            "scope 2",
            CreateNamedEvent,
            request(&[&u32le(0), &u32le(2), &ON_DEMAND, &u32le(2), &utf16("x")]),
            param,
            R::BadParameter,
        ),
        // Handles.
        row(
            "bad handle 0x00DEAD00",
            RegisterByHandle,
            by_handle(0x00DE_AD00),
            STATUS_INVALID_HANDLE,
            R::InvalidHandle,
        ),
        row(
            "bad handle 0",
            RegisterByHandle,
            by_handle(0),
            STATUS_INVALID_HANDLE,
            R::InvalidHandle,
        ),
        row(
            "pseudo-handle of this process",
            RegisterByHandle,
            by_handle(u64::MAX),
            STATUS_INVALID_HANDLE,
            R::InvalidHandle,
        ),
        row(
            "handle of a mutex",
            RegisterByHandle,
            by_handle(objects::value_of(&mutex)),
            STATUS_OBJECT_TYPE_MISMATCH,
            R::NotAnEventHandle,
        ),
        row(
            "handle of a file",
            RegisterByHandle,
            by_handle(objects::value_of(&file)),
            STATUS_OBJECT_TYPE_MISMATCH,
            R::NotAnEventHandle,
        ),
        row(
            "event handle without EVENT_MODIFY_STATE",
            RegisterByHandle,
            by_handle(objects::value_of(&sync_only)),
            STATUS_ACCESS_DENIED,
            R::HandleAccessDenied,
        ),
        // Names.
        row(
            "empty name",
            RegisterByName,
            by_name(&[]),
            STATUS_OBJECT_NAME_INVALID,
            R::BadName,
        ),
        row(
            "name of 241 units",
            RegisterByName,
            by_name(&long_name),
            STATUS_NAME_TOO_LONG,
            R::NameTooLong,
        ),
        row(
            "name of an odd byte count",
            RegisterByName,
            by_name(&[b'x', 0, b'y']),
            STATUS_OBJECT_NAME_INVALID,
            R::BadName,
        ),
        row(
            "name with an unpaired surrogate",
            RegisterByName,
            by_name(&units(&[0x61, 0xD800, 0x62])),
            STATUS_OBJECT_NAME_INVALID,
            R::BadName,
        ),
        row(
            "name with a NUL inside",
            RegisterByName,
            by_name(&units(&[0x61, 0, 0x62])),
            STATUS_OBJECT_NAME_INVALID,
            R::BadName,
        ),
        row(
            "name with an empty leaf",
            RegisterByName,
            by_name(&utf16(r"Global\")),
            STATUS_OBJECT_NAME_INVALID,
            R::BadName,
        ),
        row(
            "name outside the namespaces",
            RegisterByName,
            by_name(&utf16(r"\Device\Null")),
            STATUS_OBJECT_PATH_INVALID,
            R::OutsideNamespace,
        ),
        row(
            "name in another session",
            RegisterByName,
            by_name(&utf16(&format!(
                r"\Sessions\{}\BaseNamedObjects\{live_name}",
                session + 1
            ))),
            STATUS_ACCESS_DENIED,
            R::OtherSession,
        ),
        row(
            "missing event",
            RegisterByName,
            by_name(&utf16(&unique("bad-missing"))),
            STATUS_OBJECT_NAME_NOT_FOUND,
            R::NameNotFound,
        ),
        row(
            "name of a mutex",
            RegisterByName,
            by_name(&utf16(&mutex_name)),
            STATUS_OBJECT_TYPE_MISMATCH,
            R::NotAnEvent,
        ),
        row(
            "event whose DACL denies setting it",
            RegisterByName,
            by_name(&utf16(&denied_name)),
            STATUS_ACCESS_DENIED,
            R::AccessDenied,
        ),
        // Leaves of driver-created named events.
        row(
            "empty leaf",
            CreateNamedEvent,
            named(&[]),
            STATUS_OBJECT_NAME_INVALID,
            R::BadName,
        ),
        row(
            "leaf of 65 units",
            CreateNamedEvent,
            named(&utf16(&"y".repeat(65))),
            STATUS_NAME_TOO_LONG,
            R::NameTooLong,
        ),
        row(
            "leaf with an unpaired surrogate",
            CreateNamedEvent,
            named(&units(&[0xDC00])),
            STATUS_OBJECT_NAME_INVALID,
            R::BadName,
        ),
        row(
            r"leaf with a `\`",
            CreateNamedEvent,
            named(&utf16(r"a\b")),
            STATUS_OBJECT_NAME_INVALID,
            R::BadName,
        ),
        row(
            "leaf `..`",
            CreateNamedEvent,
            named(&utf16("..")),
            STATUS_OBJECT_NAME_INVALID,
            R::BadName,
        ),
        row(
            "name taken by a squatter",
            CreateNamedEvent,
            named(&utf16(&squat_leaf)),
            STATUS_OBJECT_NAME_COLLISION,
            R::NameCollision,
        ),
        // Registration ids.
        row(
            "unknown id: SIGNAL",
            Signal,
            id_request(u64::MAX),
            STATUS_NOT_FOUND,
            R::NoSuchRegistration,
        ),
        row(
            "unknown id: UNREGISTER",
            Unregister,
            id_request(0),
            STATUS_NOT_FOUND,
            R::NoSuchRegistration,
        ),
        row(
            "unknown id: SET_SIGNAL_MODE",
            SetSignalMode,
            request(&[&u64le(u64::MAX - 1), &ON_DEMAND]),
            STATUS_NOT_FOUND,
            R::NoSuchRegistration,
        ),
        row(
            "unknown id: QUERY_REGISTRATION",
            QueryRegistration,
            id_request(1 << 62),
            STATUS_NOT_FOUND,
            R::NoSuchRegistration,
        ),
        row(
            "another handle's id: UNREGISTER",
            Unregister,
            id_request(full_ids[0]),
            STATUS_NOT_FOUND,
            R::NoSuchRegistration,
        ),
        row(
            "another handle's id: SIGNAL",
            Signal,
            id_request(full_ids[1]),
            STATUS_NOT_FOUND,
            R::NoSuchRegistration,
        ),
        // Output buffers.
        Row {
            output_len: 8,
            ..row(
                "reply buffer too small: QUERY_STATS",
                QueryStats,
                request(&[&u32le(0), &u32le(0)]),
                STATUS_BUFFER_TOO_SMALL,
                R::OutputTooSmall,
            )
        },
        Row {
            output_len: 0,
            ..row(
                "no reply buffer: REGISTER_BY_NAME",
                RegisterByName,
                by_name(&utf16(&live_name)),
                STATUS_BUFFER_TOO_SMALL,
                R::OutputTooSmall,
            )
        },
        // Too many registrations, on the handle that holds 64.
        Row {
            through: Through::Full,
            ..row(
                "too many: REGISTER_BY_NAME",
                RegisterByName,
                by_name(&utf16(&live_name)),
                STATUS_QUOTA_EXCEEDED,
                R::QuotaExceeded,
            )
        },
        Row {
            through: Through::Full,
            ..row(
                "too many: REGISTER_BY_HANDLE",
                RegisterByHandle,
                by_handle(objects::value_of(&target)),
                STATUS_QUOTA_EXCEEDED,
                R::QuotaExceeded,
            )
        },
        Row {
            through: Through::Full,
            ..row(
                "too many: CREATE_EVENT",
                CreateEvent,
                request(&[&u32le(0), &u32le(0), &ON_DEMAND]),
                STATUS_QUOTA_EXCEEDED,
                R::QuotaExceeded,
            )
        },
        Row {
            through: Through::Full,
            ..row(
                "too many: CREATE_NAMED_EVENT",
                CreateNamedEvent,
                named(&utf16(&format!("bad-full-{pid}"))),
                STATUS_QUOTA_EXCEEDED,
                R::QuotaExceeded,
            )
        },
    ];
    // A reply buffer too small for every IOCTL that has a reply.
    for ioctl in Ioctl::ALL
        .into_iter()
        .filter(|ioctl| ioctl.function() <= 0x80A && ioctl.reply_len() > 0)
    {
        let mut small = row(
            format!("reply buffer one byte short: {ioctl}"),
            ioctl,
            header(1, 0),
            STATUS_BUFFER_TOO_SMALL,
            R::OutputTooSmall,
        );
        small.output_len = ioctl.reply_len() - 1;
        rows.push(small);
    }

    let start = main.stats(Some(pid)).unwrap();
    let mut expected: BTreeMap<usize, u64> = BTreeMap::new();
    for row in &rows {
        let through: &Driver = if row.through == Through::Full {
            &full
        } else {
            &main
        };
        let before = main.stats(Some(pid)).unwrap();
        let mut output = vec![0u8; row.output_len];
        let got = through.raw_ioctl(row.code, &row.input, &mut output);
        assert_eq!(
            got.map(|_| ()),
            Err(NtStatus(row.status)),
            "{}: request {:02x?}",
            row.what,
            row.input
        );
        let after = main.stats(Some(pid)).unwrap();
        assert_eq!(
            rejections_between(&before, &after),
            [(row.reason, 1)],
            "{}: exactly one rejection, counted as {}",
            row.what,
            row.reason.label()
        );
        assert_eq!(
            after.live_registrations, before.live_registrations,
            "{}",
            row.what
        );
        assert_eq!(
            after.registrations_total, before.registrations_total,
            "{}",
            row.what
        );
        *expected.entry(row.reason.index()).or_default() += 1;
    }

    // After the whole table: the state is what it was, the counters moved by the table.
    let end = main.stats(Some(pid)).unwrap();
    assert_eq!(end.live_registrations, start.live_registrations);
    assert_eq!(end.live_for_pid, start.live_for_pid);
    assert_eq!(end.live_by_method, start.live_by_method);
    assert_eq!(end.registrations_total, start.registrations_total);
    let moved: BTreeMap<usize, u64> = rejections_between(&start, &end)
        .into_iter()
        .map(|(reason, count)| (reason.index(), count))
        .collect();
    assert_eq!(moved, expected);
    assert!(
        !target.is_signaled().unwrap(),
        "a refused request signalled an event"
    );
    println!(
        "{} bad requests, each refused with its status and counted once",
        rows.len()
    );

    // The driver still works for both handles.
    main.version().unwrap();
    let registration = main
        .register_by_name(&live_name, evshare::SignalMode::OnDemand)
        .unwrap();
    registration.signal().unwrap();
    drop(full);
    assert_eq!(main.stats(Some(pid)).unwrap().live_for_pid, 1);
}

//! Every error variant: its NTSTATUS (docs/protocol.md, "Statuses"), its rejection counter, and
//! a message that names the cause.

use evshare_protocol::status::*;
use evshare_protocol::{Method, NameError, ProtocolError, RejectReason};

#[test]
fn every_protocol_error_has_its_status_reason_and_message() {
    use ProtocolError::*;
    let cases: Vec<(ProtocolError, u32, RejectReason, &str)> = vec![
        (
            UnknownIoctl { code: 0x8E5E_A040 },
            STATUS_INVALID_DEVICE_REQUEST,
            RejectReason::UnknownIoctl,
            "0x8E5EA040",
        ),
        (
            InputTooShort { needed: 16, got: 3 },
            STATUS_INVALID_BUFFER_SIZE,
            RejectReason::BadBufferSize,
            "3 bytes",
        ),
        (
            LengthMismatch {
                declared: 30,
                got: 26,
            },
            STATUS_INVALID_BUFFER_SIZE,
            RejectReason::BadBufferSize,
            "declare 30",
        ),
        (
            OutputTooSmall {
                needed: 536,
                got: 8,
            },
            STATUS_BUFFER_TOO_SMALL,
            RejectReason::OutputTooSmall,
            "needs 536",
        ),
        (
            UnsupportedVersion { got: 2 },
            STATUS_REVISION_MISMATCH,
            RejectReason::BadVersion,
            "version 2",
        ),
        (
            ReservedNotZero,
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "reserved",
        ),
        (
            BadSignalMode { kind: 0, millis: 4 },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "on-demand signal mode needs millis 0, got 4",
        ),
        (
            BadSignalMode { kind: 1, millis: 0 },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "a period of 1..=3600000 ms, got 0",
        ),
        (
            BadSignalMode {
                kind: 2,
                millis: 3_600_001,
            },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "a delay of 0..=3600000 ms, got 3600001",
        ),
        (
            BadSignalMode { kind: 9, millis: 0 },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "kind 9",
        ),
        (
            UnknownHost { host: 7 },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "host kind 7",
        ),
        (
            BadEventKind { kind: 2 },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "unknown event kind 2 (0 = auto-reset, 1 = manual-reset)",
        ),
        (
            BadScope { scope: 5 },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "unknown scope 5 (0 = the caller's session, 1 = global)",
        ),
        (
            UnknownMethod { method: 5 },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "registration method 5",
        ),
        (
            BadCapacity { capacity: 1000 },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "a power of two in 16..=1048576 records, got 1000",
        ),
        (
            BadWatermark {
                watermark: 17,
                capacity: 16,
            },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "watermark must be in 1..=16 (its capacity), got 17",
        ),
        (
            BadCount { count: 0 },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "count must be in 1..=1000000, got 0",
        ),
        (
            BadVerifierOp { op: 2, arg: 6 },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "provoke a check below 6), got op 2 with arg 6",
        ),
        (
            MethodMismatch {
                method: Method::DriverNamed,
            },
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
            "(driver-created named)",
        ),
        (
            Name(NameError::Empty),
            STATUS_OBJECT_NAME_INVALID,
            RejectReason::BadName,
            "empty",
        ),
        (
            Name(NameError::NotUtf16),
            STATUS_OBJECT_NAME_INVALID,
            RejectReason::BadName,
            "UTF-16",
        ),
        (
            Name(NameError::EmbeddedNul),
            STATUS_OBJECT_NAME_INVALID,
            RejectReason::BadName,
            "NUL",
        ),
        (
            Name(NameError::BadLeaf),
            STATUS_OBJECT_NAME_INVALID,
            RejectReason::BadName,
            "`..`",
        ),
        (
            Name(NameError::TooLong { units: 300 }),
            STATUS_NAME_TOO_LONG,
            RejectReason::NameTooLong,
            "300",
        ),
        (
            Name(NameError::CreatedLeafTooLong { units: 70 }),
            STATUS_NAME_TOO_LONG,
            RejectReason::NameTooLong,
            "70 UTF-16 units",
        ),
        (
            Name(NameError::BadCreatedLeaf),
            STATUS_OBJECT_NAME_INVALID,
            RejectReason::BadName,
            "driver-created",
        ),
        (
            Name(NameError::OutsideNamespace),
            STATUS_OBJECT_PATH_INVALID,
            RejectReason::OutsideNamespace,
            "outside",
        ),
        (
            Name(NameError::OtherSession {
                asked: 3,
                caller: 1,
            }),
            STATUS_ACCESS_DENIED,
            RejectReason::OtherSession,
            "session 3",
        ),
    ];
    for (error, status, reason, text) in cases {
        assert_eq!(error.status(), status, "{error:?}");
        assert_eq!(
            status_name(error.status()).map(|n| n.starts_with("STATUS_")),
            Some(true)
        );
        assert_eq!(error.reject_reason(), reason, "{error:?}");
        let message = error.to_string();
        assert!(message.contains(text), "{error:?}: {message}");
        if let Name(name) = error {
            assert_eq!(name.status(), status);
            assert_eq!(name.reject_reason(), reason);
            assert_eq!(ProtocolError::from(name), error);
            assert!(message.contains(&name.to_string()), "{message}");
        }
    }
}

#[test]
fn reasons_from_errors_agree_with_reasons_from_their_status() {
    // The driver counts protocol errors by `reject_reason` and kernel failures by
    // `from_status`; for everything but "other session" (which shares STATUS_ACCESS_DENIED
    // with a real access denial) the two must agree.
    let errors = [
        ProtocolError::UnknownIoctl { code: 0 },
        ProtocolError::InputTooShort { needed: 8, got: 0 },
        ProtocolError::LengthMismatch {
            declared: 8,
            got: 9,
        },
        ProtocolError::OutputTooSmall { needed: 24, got: 0 },
        ProtocolError::UnsupportedVersion { got: 0 },
        ProtocolError::ReservedNotZero,
        ProtocolError::BadSignalMode { kind: 3, millis: 0 },
        ProtocolError::Name(NameError::Empty),
        ProtocolError::Name(NameError::TooLong { units: 241 }),
        ProtocolError::Name(NameError::OutsideNamespace),
        ProtocolError::BadEventKind { kind: 2 },
        ProtocolError::BadScope { scope: 2 },
        ProtocolError::UnknownMethod { method: 5 },
        ProtocolError::MethodMismatch {
            method: Method::ByHandle,
        },
        ProtocolError::MethodMismatch {
            method: Method::Ring,
        },
        ProtocolError::BadCapacity { capacity: 0 },
        ProtocolError::BadWatermark {
            watermark: 0,
            capacity: 16,
        },
        ProtocolError::BadCount { count: 0 },
        ProtocolError::BadVerifierOp { op: 3, arg: 0 },
        ProtocolError::Name(NameError::CreatedLeafTooLong { units: 65 }),
        ProtocolError::Name(NameError::BadCreatedLeaf),
    ];
    for error in errors {
        assert_eq!(
            RejectReason::from_status(error.status()),
            error.reject_reason(),
            "{error:?}"
        );
    }
    let other_session = ProtocolError::Name(NameError::OtherSession {
        asked: 2,
        caller: 1,
    });
    assert_eq!(
        RejectReason::from_status(other_session.status()),
        RejectReason::AccessDenied
    );
    // The handle-specific reasons share their status with a kernel failure on a named
    // object; the driver picks them itself.
    assert_eq!(
        RejectReason::from_status(STATUS_ACCESS_DENIED),
        RejectReason::AccessDenied
    );
    assert_eq!(
        RejectReason::from_status(STATUS_OBJECT_TYPE_MISMATCH),
        RejectReason::NotAnEvent
    );
    assert_eq!(
        RejectReason::from_status(STATUS_INVALID_HANDLE),
        RejectReason::InvalidHandle
    );
    assert_eq!(
        RejectReason::from_status(STATUS_OBJECT_NAME_COLLISION),
        RejectReason::NameCollision
    );
    // A section too small for its ring has a status of its own; a ring header that is not
    // what was declared is STATUS_INVALID_PARAMETER, counted as BadRing by the driver.
    assert_eq!(
        RejectReason::from_status(STATUS_INVALID_VIEW_SIZE),
        RejectReason::BadRing
    );
    assert_eq!(
        RejectReason::from_status(STATUS_INVALID_PARAMETER),
        RejectReason::BadParameter
    );
    // A cancelled or pending notification IRP is not a refusal of its own.
    assert_eq!(
        RejectReason::from_status(STATUS_CANCELLED),
        RejectReason::Other
    );
}

#[test]
fn the_ring_statuses_have_their_documented_values() {
    let cases = [
        (
            STATUS_INVALID_VIEW_SIZE,
            0xC000_001F,
            "STATUS_INVALID_VIEW_SIZE",
        ),
        (STATUS_CANCELLED, 0xC000_0120, "STATUS_CANCELLED"),
        (STATUS_PENDING, 0x0000_0103, "STATUS_PENDING"),
    ];
    for (status, value, name) in cases {
        assert_eq!(status, value, "{name}");
        assert_eq!(status_name(value), Some(name));
        assert!(ALL_NAMED.contains(&status), "{name}");
    }
    assert!(NtStatus(STATUS_PENDING).is_success());
    assert!(!NtStatus(STATUS_CANCELLED).is_success());
    assert!(!NtStatus(STATUS_INVALID_VIEW_SIZE).is_success());
}

#[test]
fn the_new_reject_reasons_have_their_documented_indexes_and_labels() {
    use evshare_protocol::stats::{KNOWN_REJECT_REASONS, REJECT_REASONS};
    let cases = [
        (RejectReason::NameCollision, 16, "name collision"),
        (RejectReason::InvalidHandle, 17, "invalid handle"),
        (RejectReason::NotAnEventHandle, 18, "handle not an event"),
        (RejectReason::HandleAccessDenied, 19, "handle access denied"),
        (RejectReason::BadRing, 20, "bad ring"),
        (
            RejectReason::ProcessRegistrations,
            21,
            "process registration quota",
        ),
        (RejectReason::ProcessPending, 22, "process pending quota"),
        (RejectReason::PendingFull, 23, "pending irps full"),
        (
            RejectReason::ProcessRingBytes,
            24,
            "process ring-bytes quota",
        ),
        (RejectReason::TimerBudget, 25, "timer budget"),
        (RejectReason::DriverStopping, 26, "driver stopping"),
        (RejectReason::NotVerifierBuild, 27, "not the verifier build"),
        (RejectReason::NoSuchChannel, 28, "no such channel"),
        (RejectReason::AlreadySubscribed, 29, "already subscribed"),
        (RejectReason::ChannelFull, 30, "channel full"),
        (RejectReason::ChannelTooWide, 31, "channel too wide"),
        (RejectReason::ChannelShare, 32, "process channel share"),
    ];
    for (reason, index, label) in cases {
        assert_eq!(reason.index(), index);
        assert_eq!(RejectReason::ALL[index], reason);
        assert_eq!(reason.label(), label);
        assert_eq!(reason.to_string(), label);
    }
    // The reply grew to 48 counters when the 33rd reason came; 15 are reserved.
    assert_eq!(REJECT_REASONS, 48);
    assert_eq!(KNOWN_REJECT_REASONS, 33);
    assert_eq!(RejectReason::ALL.len(), KNOWN_REJECT_REASONS);
    assert_eq!(RejectReason::from_index(33), None);
}

#[test]
fn small_types_display_for_people() {
    use evshare_protocol::{EventKind, Ioctl, Namespace, Scope, SignalMode};
    assert_eq!(Ioctl::RegisterByName.to_string(), "REGISTER_BY_NAME");
    assert_eq!(SignalMode::OnDemand.to_string(), "on demand");
    assert_eq!(
        SignalMode::Periodic { period_ms: 20 }.to_string(),
        "every 20 ms"
    );
    assert_eq!(
        SignalMode::OneShot { delay_ms: 5 }.to_string(),
        "once after 5 ms"
    );
    assert_eq!(RejectReason::NameNotFound.to_string(), "name not found");
    assert_eq!(Namespace::Global.to_string(), "global");
    assert_eq!(Namespace::Session(3).to_string(), "session 3");
    assert_eq!(Ioctl::CreateNamedEvent.to_string(), "CREATE_NAMED_EVENT");
    assert_eq!(Ioctl::PendNotification.to_string(), "PEND_NOTIFICATION");
    assert_eq!(Method::Ring.ioctl(), Ioctl::RegisterRing);
    assert!(!Method::Ring.has_name());
    assert!(!Method::Ring.returns_handle());
    assert_eq!(
        Method::ALL.map(|method| method.to_string()),
        [
            "by name",
            "by handle",
            "driver-created",
            "driver-created named",
            "ring"
        ]
    );
    for method in Method::ALL {
        assert_eq!(method.to_string(), method.label());
    }
    assert_eq!(EventKind::AutoReset.to_string(), "auto-reset");
    assert_eq!(EventKind::ManualReset.to_string(), "manual-reset");
    assert_eq!(Scope::Session.to_string(), "session");
    assert_eq!(Scope::Global.to_string(), "global");
}

//! Turns the NTSTATUS of a failed request into an [`Error`] that says, in the request's terms,
//! what went wrong and what to do (`docs/protocol.md`, "Statuses").
//!
//! Pure: whatever needs the OS (does `Global\X` exist? is `X` a mutex?) comes in through a
//! probe closure, so the mapping is unit-tested on any host.

use evshare_protocol::names::{NameError, Namespace, ResolvedName};
use evshare_protocol::status::*;
use evshare_protocol::Ioctl;

use crate::error::{Error, NtStatus, ObjectKind};
use crate::hints;

/// What a Win32 name holds, as far as a probe can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Probed {
    /// No object of that name.
    Missing,
    /// An event.
    Event,
    /// Another kind of object.
    Other(ObjectKind),
}

/// The request a failed `REGISTER_BY_NAME` came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameRequest<'a> {
    /// The name as the caller gave it.
    pub name: &'a str,
    /// The caller's session.
    pub session: u32,
    /// What the name resolves to for this session, or why it does not resolve.
    pub resolved: Result<&'a ResolvedName, NameError>,
}

/// Maps the status of a failed `REGISTER_BY_NAME` (from the driver, or from the local check
/// that runs first). `probe` says what a Win32 name (`Global\X`, `Local\X`) holds; it is asked
/// only for not-found and type-mismatch statuses.
pub(crate) fn register_error(
    status: u32,
    request: &NameRequest<'_>,
    max_registrations: Option<u32>,
    probe: &dyn Fn(&str) -> Probed,
) -> Error {
    let nt = NtStatus(status);
    let name = request.name.replace('\0', "\\0");
    let resolved = request.resolved.ok();
    let nt_path = || resolved.map_or_else(|| name.clone(), ToString::to_string);
    match status {
        STATUS_OBJECT_NAME_NOT_FOUND | STATUS_OBJECT_PATH_NOT_FOUND => Error::NameNotFound {
            nt_path: nt_path(),
            namespace: resolved.map_or(Namespace::local_to(request.session), |r| r.namespace()),
            suggestion: resolved.and_then(|r| suggestion(r, request.session, probe)),
            name,
            status: nt,
        },
        STATUS_OBJECT_TYPE_MISMATCH => Error::NotAnEvent {
            nt_path: nt_path(),
            kind: match resolved.map(|r| probe(&hints::win32_name(r))) {
                Some(Probed::Other(kind)) => kind,
                _ => ObjectKind::Other,
            },
            name,
            status: nt,
        },
        STATUS_OBJECT_PATH_INVALID => Error::OutsideNamespace {
            name,
            session: request.session,
            status: nt,
        },
        // A name in another session's directory is refused with access denied; a name that
        // resolves for this session and is still denied is refused by the event's own
        // security descriptor (the driver opens it with the caller's access). A read-only
        // device handle is told apart before this mapping runs (`Driver` knows its access).
        STATUS_ACCESS_DENIED => match request.resolved {
            Err(NameError::OtherSession { .. }) => Error::OtherSession {
                name,
                session: request.session,
                status: nt,
            },
            Ok(resolved) => Error::EventAccessDenied {
                name,
                nt_path: resolved.to_string(),
                status: nt,
            },
            Err(_) => Error::AccessDenied {
                operation: Ioctl::RegisterByName,
                status: nt,
            },
        },
        STATUS_OBJECT_NAME_INVALID => Error::InvalidName {
            reason: match request.resolved {
                Err(refusal) => refusal.to_string(),
                Ok(_) => "the driver found it malformed".to_owned(),
            },
            name,
            status: nt,
        },
        STATUS_NAME_TOO_LONG => Error::NameTooLong {
            units: request.name.encode_utf16().count(),
            name,
            status: nt,
        },
        STATUS_QUOTA_EXCEEDED => Error::QuotaExceeded {
            limit: max_registrations,
            status: nt,
        },
        _ => request_error(status, Ioctl::RegisterByName, None),
    }
}

/// The event with the same leaf in the other directory, as the caller would name it, if an
/// event is there: `Global\X` for a session name, the bare `X` for a global one.
fn suggestion(
    resolved: &ResolvedName,
    session: u32,
    probe: &dyn Fn(&str) -> Probed,
) -> Option<String> {
    let other = hints::counterpart(resolved, session)?;
    if probe(&hints::win32_name(&other)) != Probed::Event {
        return None;
    }
    Some(match other.namespace() {
        Namespace::Global => hints::win32_name(&other),
        Namespace::Session(_) => hints::leaf(&other),
    })
}

/// What this process knows about a handle the driver refused; asked only after a refusal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HandleFacts {
    /// The object's type name (`Mutant`, `File`, ...).
    pub type_name: Option<String>,
    /// The access the handle grants.
    pub granted: Option<u32>,
}

/// Maps the status of a failed `REGISTER_BY_HANDLE` for handle `value`; `facts` says what the
/// handle is, for the messages that need it.
pub(crate) fn handle_error(status: u32, value: u64, facts: &dyn Fn() -> HandleFacts) -> Error {
    let nt = NtStatus(status);
    match status {
        STATUS_INVALID_HANDLE => Error::InvalidHandle { value, status: nt },
        STATUS_OBJECT_TYPE_MISMATCH => Error::HandleNotAnEvent {
            value,
            type_name: facts().type_name,
            status: nt,
        },
        STATUS_ACCESS_DENIED => Error::HandleLacksModifyAccess {
            value,
            granted: facts().granted,
            status: nt,
        },
        _ => request_error(status, Ioctl::RegisterByHandle, None),
    }
}

/// The request a failed `CREATE_NAMED_EVENT` came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LeafRequest<'a> {
    /// The leaf as the caller gave it.
    pub leaf: &'a str,
    /// The caller's session.
    pub session: u32,
    /// The path the driver creates for it, or why the leaf is refused.
    pub created: Result<&'a ResolvedName, NameError>,
}

/// Maps the status of a failed `CREATE_NAMED_EVENT` (from the driver, or from the local check
/// of the leaf that runs first).
pub(crate) fn named_error(status: u32, request: &LeafRequest<'_>) -> Error {
    let nt = NtStatus(status);
    let leaf = request.leaf.replace('\0', "\\0");
    match (status, request.created) {
        (STATUS_OBJECT_NAME_COLLISION, Ok(created)) => Error::NameCollision {
            name: hints::win32_name_for(created, request.session),
            nt_path: created.to_string(),
            status: nt,
        },
        (STATUS_OBJECT_NAME_INVALID | STATUS_NAME_TOO_LONG, created) => Error::InvalidLeaf {
            reason: match created {
                Err(refusal) => refusal.to_string(),
                Ok(_) => "the driver found it malformed".to_owned(),
            },
            leaf,
            status: nt,
        },
        _ => request_error(status, Ioctl::CreateNamedEvent, None),
    }
}

/// Maps the status of any other failed request; `id` is the registration it was about.
pub(crate) fn request_error(status: u32, operation: Ioctl, id: Option<u64>) -> Error {
    let nt = NtStatus(status);
    match status {
        STATUS_REVISION_MISMATCH => Error::VersionMismatch {
            driver: None,
            client: evshare_protocol::PROTOCOL_VERSION,
        },
        STATUS_NOT_FOUND => Error::UnknownRegistration {
            id: id.unwrap_or_default(),
            operation,
            status: nt,
        },
        STATUS_ACCESS_DENIED => Error::AccessDenied {
            operation,
            status: nt,
        },
        STATUS_QUOTA_EXCEEDED => Error::QuotaExceeded {
            limit: None,
            status: nt,
        },
        STATUS_INSUFFICIENT_RESOURCES | STATUS_NO_MEMORY => Error::OutOfResources {
            operation,
            status: nt,
        },
        STATUS_EVSHARE_PROCESS_REGISTRATIONS => Error::ProcessRegistrationQuota {
            operation,
            limit: evshare_protocol::quota::MAX_PER_PROCESS,
            status: nt,
        },
        STATUS_EVSHARE_PROCESS_RING_BYTES => Error::ProcessRingBytesQuota {
            operation,
            limit_bytes: evshare_protocol::quota::MAX_RING_BYTES_PER_PROCESS,
            status: nt,
        },
        STATUS_EVSHARE_TIMER_BUDGET => Error::TimerBudget {
            operation,
            budget: evshare_protocol::quota::MAX_SIGNALS_PER_SECOND_PER_PROCESS,
            status: nt,
        },
        STATUS_EVSHARE_PROCESS_PENDING => Error::ProcessPendingQuota {
            operation,
            limit: evshare_protocol::quota::MAX_PENDING_PER_PROCESS,
            status: nt,
        },
        STATUS_EVSHARE_PENDING_FULL => Error::PendingPoolFull {
            operation,
            limit: evshare_protocol::quota::MAX_PENDING,
            status: nt,
        },
        STATUS_NOT_SUPPORTED => Error::NotVerifierBuild {
            operation,
            status: nt,
        },
        STATUS_DELETE_PENDING | STATUS_FILE_DELETED => Error::DriverStopped {
            what: if status == STATUS_DELETE_PENDING {
                format!("it refused {operation} because it is being unloaded")
            } else {
                format!("its device was deleted under this handle ({operation})")
            },
            status: Some(nt),
        },
        _ => Error::DriverRejected {
            operation,
            status: nt,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hints::resolve_str;

    fn map(status: u32, name: &str, probe: &dyn Fn(&str) -> Probed) -> Error {
        let resolved = resolve_str(name, 1);
        let request = NameRequest {
            name,
            session: 1,
            resolved: resolved.as_ref().map_err(|e| *e),
        };
        register_error(status, &request, Some(64), probe)
    }

    fn only(existing: &'static str, what: Probed) -> impl Fn(&str) -> Probed {
        move |name: &str| {
            if name == existing {
                what
            } else {
                Probed::Missing
            }
        }
    }

    #[test]
    fn not_found_suggests_global_only_when_that_event_exists() {
        let error = map(STATUS_OBJECT_NAME_NOT_FOUND, "X", &|_| Probed::Missing);
        match &error {
            Error::NameNotFound {
                suggestion,
                namespace,
                nt_path,
                ..
            } => {
                assert_eq!(*suggestion, None);
                assert_eq!(*namespace, Namespace::Session(1));
                assert_eq!(nt_path, r"\Sessions\1\BaseNamedObjects\X");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            error.to_string().contains(r"register `Global\X`"),
            "{error}"
        );

        let error = map(
            STATUS_OBJECT_NAME_NOT_FOUND,
            "X",
            &only(r"Global\X", Probed::Event),
        );
        assert!(
            error.to_string().contains(r"did you mean `Global\X`?"),
            "{error}"
        );

        // A mutex named Global\X is no better a suggestion than nothing.
        let mutex = Probed::Other(ObjectKind::Mutex);
        let error = map(STATUS_OBJECT_NAME_NOT_FOUND, "X", &only(r"Global\X", mutex));
        assert!(!error.to_string().contains("did you mean"), "{error}");
    }

    #[test]
    fn global_not_found_suggests_the_session_event() {
        let error = map(
            STATUS_OBJECT_NAME_NOT_FOUND,
            r"Global\X",
            &only(r"Local\X", Probed::Event),
        );
        assert!(
            error
                .to_string()
                .contains("did you mean `X` (without `Global\\`)?"),
            "{error}"
        );
        assert_eq!(error.status(), Some(NtStatus(STATUS_OBJECT_NAME_NOT_FOUND)));
        let error = map(
            STATUS_OBJECT_NAME_NOT_FOUND,
            r"\BaseNamedObjects\X",
            &|_| Probed::Missing,
        );
        assert!(error
            .to_string()
            .contains("create it first with the `Global\\` prefix"));
    }

    #[test]
    fn type_mismatch_asks_the_probe_for_the_kind() {
        let mutex = Probed::Other(ObjectKind::Mutex);
        let error = map(STATUS_OBJECT_TYPE_MISMATCH, "M", &only(r"Local\M", mutex));
        assert!(
            matches!(
                error,
                Error::NotAnEvent {
                    kind: ObjectKind::Mutex,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn access_denied_is_another_session_only_for_another_sessions_name() {
        let never = |_: &str| -> Probed { panic!("no probe expected") };
        let error = map(
            STATUS_ACCESS_DENIED,
            r"\Sessions\2\BaseNamedObjects\X",
            &never,
        );
        assert!(
            matches!(error, Error::OtherSession { session: 1, .. }),
            "{error:?}"
        );
        // A name of this session that is still denied: the event's own DACL refused.
        let error = map(STATUS_ACCESS_DENIED, "X", &never);
        assert!(
            matches!(&error, Error::EventAccessDenied { nt_path, .. }
                if nt_path == r"\Sessions\1\BaseNamedObjects\X"),
            "{error:?}"
        );
        assert!(error
            .to_string()
            .contains("grant your user EVENT_MODIFY_STATE"));
    }

    #[test]
    fn handle_statuses_name_the_handle_and_the_fix() {
        let facts = || HandleFacts {
            type_name: Some("Mutant".to_owned()),
            granted: Some(0x0010_0000),
        };
        let error = handle_error(STATUS_INVALID_HANDLE, 0x1234, &facts);
        assert!(
            matches!(error, Error::InvalidHandle { value: 0x1234, .. }),
            "{error:?}"
        );
        assert!(error
            .to_string()
            .starts_with("handle 0x1234 is not an open handle"));
        let error = handle_error(STATUS_OBJECT_TYPE_MISMATCH, 8, &facts);
        assert!(
            error
                .to_string()
                .starts_with("handle 0x8 refers to a `Mutant` object, not an event"),
            "{error}"
        );
        let error = handle_error(STATUS_ACCESS_DENIED, 8, &facts);
        let text = error.to_string();
        assert!(
            text.contains("lacks EVENT_MODIFY_STATE (it grants SYNCHRONIZE)"),
            "{text}"
        );
        assert!(
            text.contains("open it with EVENT_MODIFY_STATE (EVENT_ALL_ACCESS)"),
            "{text}"
        );
        assert_eq!(error.status(), Some(NtStatus(STATUS_ACCESS_DENIED)));
        let unknown = || HandleFacts::default();
        let error = handle_error(STATUS_OBJECT_TYPE_MISMATCH, 8, &unknown);
        assert!(
            error.to_string().contains("an object of another type"),
            "{error}"
        );
        let error = handle_error(STATUS_QUOTA_EXCEEDED, 8, &unknown);
        assert!(matches!(error, Error::QuotaExceeded { .. }), "{error:?}");
    }

    #[test]
    fn created_name_statuses_name_the_event_and_the_fix() {
        let units: Vec<u16> = "app".encode_utf16().collect();
        let created =
            evshare_protocol::names::driver_created(&units, evshare_protocol::Scope::Global, 1)
                .unwrap();
        let request = LeafRequest {
            leaf: "app",
            session: 1,
            created: Ok(&created),
        };
        let error = named_error(STATUS_OBJECT_NAME_COLLISION, &request);
        assert_eq!(
            error.to_string(),
            "someone already created `Global\\evshare-app` (\\BaseNamedObjects\\evshare-app), \
             and the driver never adopts an existing object as its own; pick another name, or \
             unregister the registration that created it"
        );
        let session =
            evshare_protocol::names::driver_created(&units, evshare_protocol::Scope::Session, 1)
                .unwrap();
        let request = LeafRequest {
            created: Ok(&session),
            ..request
        };
        let error = named_error(STATUS_OBJECT_NAME_COLLISION, &request);
        assert!(error
            .to_string()
            .starts_with("someone already created `evshare-app` (\\Sessions\\1\\"));
        let refused = LeafRequest {
            leaf: "a\\b",
            session: 1,
            created: Err(NameError::BadCreatedLeaf),
        };
        let error = named_error(STATUS_OBJECT_NAME_INVALID, &refused);
        assert!(matches!(error, Error::InvalidLeaf { .. }), "{error:?}");
        assert!(error.to_string().contains("1 to 64 characters"), "{error}");
    }

    #[test]
    fn local_refusals_keep_their_reason() {
        let never = |_: &str| -> Probed { panic!("no probe expected") };
        let error = map(STATUS_OBJECT_NAME_INVALID, "Global\\..", &never);
        assert!(matches!(error, Error::InvalidName { .. }), "{error:?}");
        assert!(error.to_string().contains("not `.` or `..`"), "{error}");
    }

    #[test]
    fn quota_statuses_name_the_quota_and_the_fix() {
        let error = request_error(
            STATUS_EVSHARE_PROCESS_REGISTRATIONS,
            Ioctl::RegisterByName,
            None,
        );
        assert!(
            matches!(error, Error::ProcessRegistrationQuota { limit: 128, .. }),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(
            text.starts_with("the driver refused REGISTER_BY_NAME: this process already holds 128"),
            "{text}"
        );
        assert!(
            text.contains("unregister events you no longer need"),
            "{text}"
        );

        let error = request_error(STATUS_EVSHARE_PROCESS_RING_BYTES, Ioctl::RegisterRing, None);
        assert!(
            matches!(error, Error::ProcessRingBytesQuota { .. }),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(text.contains("past 128 MiB"), "{text}");
        assert!(text.contains("use a smaller capacity"), "{text}");

        let error = request_error(STATUS_EVSHARE_TIMER_BUDGET, Ioctl::SetSignalMode, Some(3));
        assert!(
            matches!(error, Error::TimerBudget { budget: 2000, .. }),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(
            text.starts_with("the driver refused SET_SIGNAL_MODE"),
            "{text}"
        );
        assert!(text.contains("more than 2000 signals per second"), "{text}");
        assert!(text.contains("use longer periods"), "{text}");
        assert_eq!(error.status(), Some(NtStatus(STATUS_EVSHARE_TIMER_BUDGET)));

        let error = request_error(
            STATUS_EVSHARE_PROCESS_PENDING,
            Ioctl::PendNotification,
            None,
        );
        assert!(
            matches!(error, Error::ProcessPendingQuota { limit: 64, .. }),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(text.contains("already keeps 64 requests pending"), "{text}");
        assert!(text.contains("smaller depth"), "{text}");
        let error = request_error(STATUS_EVSHARE_PENDING_FULL, Ioctl::PendNotification, None);
        assert!(
            matches!(error, Error::PendingPoolFull { limit: 256, .. }),
            "{error:?}"
        );
        assert!(error
            .to_string()
            .contains("256 requests pending from all processes"));
        assert_eq!(error.status(), Some(NtStatus(STATUS_EVSHARE_PENDING_FULL)));

        // A registration by name or by handle maps them the same way.
        let error = map(STATUS_EVSHARE_TIMER_BUDGET, "X", &|_| Probed::Missing);
        assert!(matches!(error, Error::TimerBudget { .. }), "{error:?}");
        let error = handle_error(
            STATUS_EVSHARE_PROCESS_REGISTRATIONS,
            8,
            &HandleFacts::default,
        );
        assert!(
            matches!(error, Error::ProcessRegistrationQuota { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_stopping_or_vanished_driver_is_driver_stopped() {
        let error = request_error(STATUS_DELETE_PENDING, Ioctl::QueryVersion, None);
        assert!(
            matches!(
                &error,
                Error::DriverStopped {
                    status: Some(NtStatus(STATUS_DELETE_PENDING)),
                    ..
                }
            ),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(
            text.starts_with(
                "the evshare driver stopped (it refused QUERY_VERSION because it is being unloaded)"
            ),
            "{text}"
        );
        assert!(
            text.contains("open a new `Driver` and register again"),
            "{text}"
        );
        assert!(error.is_driver_unavailable());
        let error = request_error(STATUS_FILE_DELETED, Ioctl::Signal, Some(1));
        assert!(
            error
                .to_string()
                .contains("its device was deleted under this handle (SIGNAL)"),
            "{error}"
        );
        assert_eq!(error.status(), Some(NtStatus(STATUS_FILE_DELETED)));
    }

    #[test]
    fn every_documented_status_has_a_specific_error() {
        type IsExpected = fn(&Error) -> bool;
        let cases: [(u32, IsExpected); 7] = [
            (STATUS_OBJECT_PATH_INVALID, |e| {
                matches!(e, Error::OutsideNamespace { .. })
            }),
            (STATUS_OBJECT_NAME_INVALID, |e| {
                matches!(e, Error::InvalidName { .. })
            }),
            (STATUS_NAME_TOO_LONG, |e| {
                matches!(e, Error::NameTooLong { .. })
            }),
            (STATUS_QUOTA_EXCEEDED, |e| {
                matches!(
                    e,
                    Error::QuotaExceeded {
                        limit: Some(64),
                        ..
                    }
                )
            }),
            (STATUS_REVISION_MISMATCH, |e| {
                matches!(e, Error::VersionMismatch { .. })
            }),
            (STATUS_INSUFFICIENT_RESOURCES, |e| {
                matches!(e, Error::OutOfResources { .. })
            }),
            (STATUS_INVALID_PARAMETER, |e| {
                matches!(e, Error::DriverRejected { .. })
            }),
        ];
        for (status, is_expected) in cases {
            let error = map(status, "X", &|_| Probed::Missing);
            assert!(is_expected(&error), "{status:#x}: {error:?}");
            assert_eq!(
                error.status().map(NtStatus::as_u32),
                Some(status),
                "{status:#x}"
            );
        }
        let error = request_error(STATUS_NOT_FOUND, Ioctl::Signal, Some(7));
        assert!(
            matches!(error, Error::UnknownRegistration { id: 7, .. }),
            "{error:?}"
        );
        assert!(error
            .to_string()
            .starts_with("registration 7 is unknown to the driver (SIGNAL)"));
    }
}

//! End to end, against the real driver: the driver must not be a confused deputy. It runs with
//! the kernel's rights, so whatever an app names — another session's directory, a path outside
//! `BaseNamedObjects`, a `..` or a symbolic link out of it, an event whose descriptor denies
//! the app, more registrations than its share, a state change through a read-only handle, a
//! handle value from another process — must be refused exactly as the app itself would be, with
//! its status, and leave nothing registered.

#![cfg(windows)]

mod common;

use common::{chain, driver, rejections_between, serial, unique, ChildTest, PATIENCE};
use evshare::{
    current_session_id, Driver, Error, Event, EventKind, NtStatus, RejectReason, ResetKind, Scope,
    Share, SignalMode, WaitOutcome,
};
use evshare_protocol::names::resolve;
use evshare_protocol::request::{encode, MAX_REQUEST_LEN};
use evshare_protocol::status::*;
use evshare_protocol::{Ioctl, Request, StatsReply};

const ON_DEMAND: SignalMode = SignalMode::OnDemand;

/// Sends `name` to the driver unchecked and asserts the refusal: `status`, one `reason`
/// counted, nothing registered.
fn refused_by_name(driver: &Driver, name: &str, status: u32, reason: RejectReason) {
    let pid = std::process::id();
    let before = driver.stats(Some(pid)).unwrap();
    match driver.register_by_name_unchecked(name, ON_DEMAND) {
        Ok(registration) => panic!("`{name}` was registered: {}", registration.target()),
        Err(error) => assert_eq!(
            error.status(),
            Some(NtStatus(status)),
            "`{name}`: {}",
            chain(&error)
        ),
    }
    let after = driver.stats(Some(pid)).unwrap();
    assert_eq!(
        rejections_between(&before, &after),
        [(reason, 1)],
        "`{name}`"
    );
    assert_eq!(after.live_for_pid, 0, "`{name}`");
    assert_eq!(
        after.registrations_total, before.registrations_total,
        "`{name}`"
    );
}

#[test]
fn names_outside_the_callers_namespaces_are_refused_even_when_the_object_exists() {
    let _serial = serial();
    let driver = driver();
    let session = current_session_id().unwrap();
    assert_ne!(session, 0, "Wine runs apps in session 1");
    let leaf = unique("deputy");
    // Real events behind every trick below, so a refusal is never just "not found".
    let _local = Event::create_auto_reset(&leaf).unwrap();
    let _global = Event::create_auto_reset(&format!(r"Global\{leaf}")).unwrap();
    let other = session + 1;
    let path_invalid = (STATUS_OBJECT_PATH_INVALID, RejectReason::OutsideNamespace);
    let name_invalid = (STATUS_OBJECT_NAME_INVALID, RejectReason::BadName);
    let other_session = (STATUS_ACCESS_DENIED, RejectReason::OtherSession);
    let cases = [
        // Another session's directory, spelled every way.
        (
            format!(r"\Sessions\{other}\BaseNamedObjects\{leaf}"),
            other_session,
        ),
        (
            format!(r"\sessions\{other}\basenamedobjects\{leaf}"),
            other_session,
        ),
        (
            format!(r"\Sessions\0\BaseNamedObjects\{leaf}"),
            other_session,
        ),
        (
            format!(r"\Sessions\4294967295\BaseNamedObjects\{leaf}"),
            other_session,
        ),
        (
            format!(r"\Sessions\{session}{session}\BaseNamedObjects\{leaf}"),
            other_session,
        ),
        (
            format!(r"\Sessions\-1\BaseNamedObjects\{leaf}"),
            path_invalid,
        ),
        (format!(r"\Sessions\\BaseNamedObjects\{leaf}"), path_invalid),
        (format!(r"\Sessions\{session}\{leaf}"), path_invalid),
        // Outside BaseNamedObjects altogether.
        (r"\Device\evshare".to_owned(), path_invalid),
        (r"\Device\Null".to_owned(), path_invalid),
        (format!(r"\??\{leaf}"), path_invalid),
        (format!(r"\GLOBAL??\{leaf}"), path_invalid),
        (
            r"\KernelObjects\LowMemoryCondition".to_owned(),
            path_invalid,
        ),
        (format!(r"\Sessions\{session}\Windows\{leaf}"), path_invalid),
        (
            format!(r"\BaseNamedObjects\Restricted\{leaf}"),
            path_invalid,
        ),
        (format!(r"\\BaseNamedObjects\{leaf}"), path_invalid),
        (format!(r"BaseNamedObjects\{leaf}"), path_invalid),
        (format!(r"Session\{session}\{leaf}"), path_invalid),
        (format!(r"Session\{other}\{leaf}"), path_invalid),
        // `..` out of the directory.
        (format!(r"\BaseNamedObjects\..\{leaf}"), path_invalid),
        (r"\BaseNamedObjects\..\Device\Null".to_owned(), path_invalid),
        (
            format!(r"\Sessions\{session}\BaseNamedObjects\..\..\..\BaseNamedObjects\{leaf}"),
            path_invalid,
        ),
        (format!(r"Global\..\{leaf}"), path_invalid),
        (r"Local\..\..\Device\Null".to_owned(), path_invalid),
        (format!(r"..\{leaf}"), path_invalid),
        ("..".to_owned(), name_invalid),
        (r"Global\..".to_owned(), name_invalid),
        (r"Local\.".to_owned(), name_invalid),
        (r"\BaseNamedObjects\..".to_owned(), name_invalid),
        // Symbolic links inside the directories: `Global`, `Local` and `Session` are links in
        // every BaseNamedObjects; following one would leave the caller's namespace.
        (
            format!(r"\Sessions\{session}\BaseNamedObjects\Global\{leaf}"),
            path_invalid,
        ),
        (
            format!(r"\Sessions\{session}\BaseNamedObjects\Local\{leaf}"),
            path_invalid,
        ),
        (
            format!(r"\Sessions\{session}\BaseNamedObjects\Session\{other}\{leaf}"),
            path_invalid,
        ),
        (format!(r"\BaseNamedObjects\Global\{leaf}"), path_invalid),
        (format!(r"\BaseNamedObjects\Local\{leaf}"), path_invalid),
        (
            format!(r"\BaseNamedObjects\Session\{session}\{leaf}"),
            path_invalid,
        ),
        (format!(r"Local\Global\{leaf}"), path_invalid),
        (format!(r"Global\Local\{leaf}"), path_invalid),
        (format!(r"Global\Session\{other}\{leaf}"), path_invalid),
        (format!(r"Local\Session\{other}\{leaf}"), path_invalid),
    ];
    for (name, (status, reason)) in &cases {
        // The protocol's own resolver agrees (the client refuses the same names locally).
        let units: Vec<u16> = name.encode_utf16().collect();
        let local = resolve(&units, session).map(|r| r.to_string());
        assert_eq!(
            local.as_ref().map_err(|e| e.status()),
            Err(*status),
            "`{name}`: the protocol resolves it to {local:?}"
        );
        refused_by_name(&driver, name, *status, *reason);
    }
    // And the same events by their proper names work: the refusals were about the names.
    for name in [leaf.clone(), format!(r"Global\{leaf}")] {
        driver.register_by_name(&name, ON_DEMAND).unwrap();
    }
}

#[test]
fn an_event_whose_descriptor_denies_the_caller_is_refused() {
    let _serial = serial();
    let driver = driver();
    // Everyone may wait; nobody may set it: the driver must not set it for us.
    let sync_only = unique("dacl-sync-only");
    let event =
        Event::create_with_security(&sync_only, ResetKind::Manual, "D:(A;;0x100000;;;WD)").unwrap();
    // An explicit deny of EVENT_MODIFY_STATE before a grant of everything.
    let denied = unique("dacl-deny");
    let _denied = Event::create_with_security(
        &denied,
        ResetKind::Manual,
        "D:(D;;0x2;;;WD)(A;;0x1F0003;;;WD)",
    )
    .unwrap();
    for name in [&sync_only, &denied] {
        let pid = std::process::id();
        let before = driver.stats(Some(pid)).unwrap();
        let error = driver.register_by_name(name, ON_DEMAND).unwrap_err();
        assert!(
            matches!(error, Error::EventAccessDenied { .. }),
            "{name}: {}",
            chain(&error)
        );
        assert_eq!(error.status(), Some(NtStatus(STATUS_ACCESS_DENIED)));
        let after = driver.stats(Some(pid)).unwrap();
        assert_eq!(
            rejections_between(&before, &after),
            [(RejectReason::AccessDenied, 1)],
            "{name}"
        );
        assert_eq!(after.live_for_pid, 0);
        let report = evshare::diagnose::name(name).unwrap();
        assert_eq!(report.may_set, Some(false), "doctor agrees about {name}");
    }
    assert!(!event.is_signaled().unwrap());

    // The creator's own handle has full access, so by handle the app may share it: the
    // descriptor governs opening by name, not handles the app already holds.
    let registration = driver
        .register(Share::by_handle(&event), ON_DEMAND)
        .unwrap();
    registration.signal().unwrap();
    assert_eq!(event.wait(PATIENCE).unwrap(), WaitOutcome::Signaled);

    // Control: a descriptor that grants EVENT_MODIFY_STATE is accepted by name.
    let granted = unique("dacl-granted");
    let _granted =
        Event::create_with_security(&granted, ResetKind::Auto, "D:(A;;0x100002;;;WD)").unwrap();
    driver.register_by_name(&granted, ON_DEMAND).unwrap();
}

/// Registers `count` registrations of `name` on `driver` and forgets them (they live until
/// the handle closes).
fn fill(driver: &Driver, name: &str, count: u32) {
    for n in 0..count {
        let registration = driver
            .register_by_name(name, ON_DEMAND)
            .unwrap_or_else(|e| panic!("registration {n}: {}", chain(&e)));
        std::mem::forget(registration);
    }
}

/// Asserts that every method is refused with `STATUS_QUOTA_EXCEEDED` on `driver`, counted,
/// and registers nothing.
fn every_method_over_quota(driver: &Driver, observer: &Driver, name: &str, what: &str) {
    let mine = Event::new(ResetKind::Auto).unwrap();
    let leaf = format!("quota-{}", std::process::id());
    for share in common::every_share(name, &mine, &leaf) {
        let method = share.method();
        let before = observer.stats(None).unwrap();
        let error = driver.register(share, ON_DEMAND).unwrap_err();
        assert!(
            matches!(error, Error::QuotaExceeded { .. }),
            "{what}, {method}: {}",
            chain(&error)
        );
        assert_eq!(error.status(), Some(NtStatus(STATUS_QUOTA_EXCEEDED)));
        let after = observer.stats(None).unwrap();
        assert_eq!(
            rejections_between(&before, &after),
            [(RejectReason::QuotaExceeded, 1)],
            "{what}, {method}"
        );
        assert_eq!(after.live_registrations, before.live_registrations);
        assert_eq!(after.registrations_total, before.registrations_total);
    }
    // A refused driver-named request did not leave its name behind either.
    assert!(
        Event::open_with_access(&format!("evshare-{leaf}"), evshare::access::SYNCHRONIZE).is_err()
    );
}

#[test]
fn registrations_past_the_per_handle_cap_are_refused() {
    let _serial = serial();
    let observer = driver();
    let pid = std::process::id();
    let name = unique("quota");
    let _event = Event::create_auto_reset(&name).unwrap();
    const PER_HANDLE: u32 = 64;

    let full = driver();
    fill(&full, &name, PER_HANDLE);
    assert_eq!(observer.stats(Some(pid)).unwrap().live_for_pid, PER_HANDLE);
    every_method_over_quota(&full, &observer, &name, "a full handle");

    // The cap is per handle: another handle of the same process still registers.
    let other = driver();
    other.register_by_name(&name, ON_DEMAND).unwrap();

    // Closing the full handle releases all of its registrations.
    drop(full);
    assert_eq!(observer.stats(Some(pid)).unwrap().live_for_pid, 0);
}

// The driver's total cap is tested in `e2e_quotas`: no single process may fill it any more.

/// Sends a well-formed `request` raw, with room for its reply.
fn send(driver: &Driver, request: &Request<'_>) -> Result<usize, NtStatus> {
    let mut input = [0u8; MAX_REQUEST_LEN];
    let (code, len) = encode(request, &mut input).unwrap();
    let ioctl = Ioctl::from_code(code).unwrap();
    let mut output = vec![0u8; ioctl.reply_len()];
    driver.raw_ioctl(code, &input[..len], &mut output)
}

#[test]
fn a_read_only_handle_cannot_change_the_drivers_state() {
    let _serial = serial();
    let writer = driver();
    let reader = Driver::open_read_only().unwrap();
    assert!(!reader.is_writable());
    let name = unique("read-only");
    let event = Event::create_auto_reset(&name).unwrap();
    let name_bytes: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let handle = common::objects::value_of(&event);
    let leaf: Vec<u8> = "read-only"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    // A registration the reader will try to touch (ids are per handle, but the I/O manager
    // refuses before the driver even looks).
    let registration = writer.register_by_name(&name, ON_DEMAND).unwrap();
    let id = registration.id();
    let requests = [
        Request::RegisterByName {
            mode: ON_DEMAND,
            name_bytes: &name_bytes,
        },
        Request::SetSignalMode {
            id,
            mode: SignalMode::Periodic { period_ms: 1 },
        },
        Request::Signal { id },
        Request::Unregister { id },
        Request::RegisterByHandle {
            handle,
            mode: ON_DEMAND,
        },
        Request::CreateEvent {
            kind: EventKind::AutoReset,
            mode: ON_DEMAND,
        },
        Request::CreateNamedEvent {
            kind: EventKind::AutoReset,
            scope: Scope::Session,
            mode: ON_DEMAND,
            leaf_bytes: &leaf,
        },
    ];
    let before: StatsReply = reader.stats(None).unwrap();
    for request in &requests {
        let ioctl = request.ioctl();
        assert!(ioctl.changes_state(), "{ioctl}");
        assert_eq!(
            send(&reader, request),
            Err(NtStatus(STATUS_ACCESS_DENIED)),
            "{ioctl} through a read-only handle"
        );
    }
    let after = reader.stats(None).unwrap();
    // Refused by the I/O manager, before the driver: no counter moved, nothing changed.
    assert_eq!(rejections_between(&before, &after), []);
    assert_eq!(after.live_registrations, before.live_registrations);
    assert_eq!(after.registrations_total, before.registrations_total);
    assert_eq!(after.signals_sent, before.signals_sent);
    assert!(
        !event.is_signaled().unwrap(),
        "the read-only handle signalled"
    );
    assert_eq!(registration.info().unwrap().mode, ON_DEMAND);

    // The typed API says which handle to use; queries work.
    let error = reader
        .register(Share::ByName(&name), ON_DEMAND)
        .unwrap_err();
    assert!(
        matches!(error, Error::AccessDenied { .. }),
        "{}",
        chain(&error)
    );
    assert!(error
        .to_string()
        .contains("open the driver with `Driver::open`"));
    reader.version().unwrap();
    reader.holders().unwrap();
    registration.unregister().unwrap();
}

/// The child side of [`a_handle_value_from_another_process_names_nothing_of_its`], which runs
/// it: creates an event, prints its handle value, and reports whether it was ever signalled.
#[test]
#[ignore = "the child side of a_handle_value_from_another_process_names_nothing_of_its, which runs it"]
fn child_holding_an_event() {
    common::child_argument(
        "EVSHARE_E2E_CHILD",
        "a_handle_value_from_another_process_names_nothing_of_its",
    );
    let event = Event::new(ResetKind::Manual).unwrap();
    common::report_and_wait("HANDLE", common::objects::value_of(&event));
    let signalled = event.is_signaled().unwrap();
    println!("SIGNALLED {signalled}");
}

#[test]
fn a_handle_value_from_another_process_names_nothing_of_its() {
    let _serial = serial();
    let driver = driver();
    let mut child = ChildTest::spawn("child_holding_an_event", &[("EVSHARE_E2E_CHILD", "1")]);
    let value: u64 = child.expect_line("HANDLE").parse().unwrap();
    // The driver resolves the value in *our* handle table. Whatever it finds there (nothing,
    // or one of our own objects), it must never reach the child's event.
    let mut input = [0u8; MAX_REQUEST_LEN];
    let (code, len) = encode(
        &Request::RegisterByHandle {
            handle: value,
            mode: ON_DEMAND,
        },
        &mut input,
    )
    .unwrap();
    let mut output = [0u8; evshare_protocol::RegisterReply::LEN];
    match driver.raw_ioctl(code, &input[..len], &mut output) {
        Ok(written) => {
            // One of our own events happens to have that value: signal it, then let go.
            let reply = evshare_protocol::RegisterReply::parse(&output[..written]).unwrap();
            let mut signal = vec![0u8; Ioctl::Signal.reply_len()];
            let (code, len) = encode(&Request::Signal { id: reply.id }, &mut input).unwrap();
            driver.raw_ioctl(code, &input[..len], &mut signal).unwrap();
            let (code, len) = encode(&Request::Unregister { id: reply.id }, &mut input).unwrap();
            driver.raw_ioctl(code, &input[..len], &mut []).unwrap();
        }
        Err(status) => assert!(
            [
                STATUS_INVALID_HANDLE,
                STATUS_OBJECT_TYPE_MISMATCH,
                STATUS_ACCESS_DENIED
            ]
            .contains(&status.as_u32()),
            "{status}"
        ),
    }
    child.send_go();
    assert_eq!(child.expect_line("SIGNALLED"), "false");
    child.wait_success();
}

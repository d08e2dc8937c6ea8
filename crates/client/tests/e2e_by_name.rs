//! End to end, against the real driver under Wine (or Windows): registering events by name.
//!
//! Run by the harness with the driver installed and started and `EVSHARE_E2E=1`:
//! `cargo test --target x86_64-pc-windows-gnu -p evshare -- --test-threads=1`.
//! Every check counts events; waits have generous timeouts only so a broken driver cannot hang
//! the run.

#![cfg(windows)]

mod common;

use std::time::Duration;

use common::{chain, driver, serial, unique, PATIENCE, PERIOD_MS};
use evshare::{
    current_session_id, Driver, Error, Event, NamedMutex, NtStatus, ObjectKind, RejectReason,
    SignalMode, WaitOutcome,
};
use evshare_protocol::status::*;
use evshare_protocol::Ioctl;

const PERIODIC: SignalMode = SignalMode::Periodic {
    period_ms: PERIOD_MS,
};

/// Creates `create_as`, registers it as `register_as`, and checks the driver opened
/// `expected_path` and delivers at least five periodic signals, all counted by the driver.
fn periodic_round_trip(driver: &Driver, create_as: &str, register_as: &str, expected_path: &str) {
    let event = Event::create_auto_reset(create_as).expect("create the event");
    let registration = driver
        .register_by_name(register_as, PERIODIC)
        .unwrap_or_else(|e| panic!("register `{register_as}`: {}", chain(&e)));
    assert_eq!(registration.resolved_name().as_deref(), Some(expected_path));
    assert_eq!(registration.session_id(), current_session_id().unwrap());

    let mut received = 0u64;
    while received < 5 {
        let outcome = event.wait(PATIENCE).unwrap();
        assert_eq!(
            outcome,
            WaitOutcome::Signaled,
            "signal {} never came",
            received + 1
        );
        received += 1;
    }
    let info = registration.info().expect("query the registration");
    assert_eq!(info.id, registration.id());
    assert_eq!(info.owner_pid, std::process::id());
    assert_eq!(info.mode, PERIODIC);
    assert_eq!(
        info.resolved.map(|path| path.to_string()).as_deref(),
        Some(expected_path)
    );
    assert!(
        info.signals_sent >= received,
        "the driver counted {} signals, the app received {received}",
        info.signals_sent
    );
    registration.unregister().expect("unregister");
}

#[test]
fn global_name_resolves_to_base_named_objects_and_signals() {
    let _serial = serial();
    let driver = driver();
    let leaf = unique("global");
    let name = format!("Global\\{leaf}");
    periodic_round_trip(&driver, &name, &name, &format!(r"\BaseNamedObjects\{leaf}"));
}

#[test]
fn bare_name_resolves_to_the_callers_session_and_signals() {
    let _serial = serial();
    let driver = driver();
    let session = current_session_id().unwrap();
    let name = unique("bare");
    let expected = if session == 0 {
        format!(r"\BaseNamedObjects\{name}")
    } else {
        format!(r"\Sessions\{session}\BaseNamedObjects\{name}")
    };
    periodic_round_trip(&driver, &name, &name, &expected);
}

#[test]
fn nt_path_of_own_session_is_accepted_and_signals() {
    let _serial = serial();
    let driver = driver();
    let session = current_session_id().unwrap();
    assert_ne!(
        session, 0,
        "Wine runs apps in session 1; this test assumes a user session"
    );
    let name = unique("ntpath");
    let path = format!(r"\Sessions\{session}\BaseNamedObjects\{name}");
    periodic_round_trip(&driver, &name, &path, &path);
}

#[test]
fn misspelled_name_is_not_found_instead_of_silently_created() {
    let _serial = serial();
    let driver = driver();
    let name = unique("real");
    let _event = Event::create_auto_reset(&name).unwrap();
    let typo = format!("{name}-typo");
    let before = driver.stats(None).unwrap();

    let error = driver.register_by_name(&typo, PERIODIC).unwrap_err();
    match &error {
        Error::NameNotFound {
            name, suggestion, ..
        } => {
            assert_eq!(name, &typo);
            assert_eq!(suggestion, &None, "no Global\\ event of that name exists");
        }
        other => panic!("expected NameNotFound, got {}", chain(other)),
    }
    assert_eq!(error.status(), Some(NtStatus(STATUS_OBJECT_NAME_NOT_FOUND)));
    let text = error.to_string();
    assert!(
        text.contains(&format!("no event named `{typo}` in session")),
        "{text}"
    );

    // The driver saw the request and counted the refusal; nothing was registered.
    let after = driver.stats(Some(std::process::id())).unwrap();
    assert_eq!(
        after.rejected_for(RejectReason::NameNotFound),
        before.rejected_for(RejectReason::NameNotFound) + 1
    );
    assert_eq!(after.live_for_pid, 0);
    assert!(
        Event::open(&typo).is_err(),
        "registering must never create the event"
    );
}

#[test]
fn not_found_suggests_the_other_namespace_only_when_an_event_is_there() {
    let _serial = serial();
    let driver = driver();
    let leaf = unique("only-global");
    let _global = Event::create_auto_reset(&format!("Global\\{leaf}")).unwrap();
    let error = driver.register_by_name(&leaf, PERIODIC).unwrap_err();
    match &error {
        Error::NameNotFound { suggestion, .. } => {
            assert_eq!(
                suggestion.as_deref(),
                Some(format!("Global\\{leaf}").as_str())
            )
        }
        other => panic!("expected NameNotFound, got {}", chain(other)),
    }
    assert!(error
        .to_string()
        .contains(&format!("did you mean `Global\\{leaf}`?")));

    let leaf = unique("only-session");
    let _local = Event::create_auto_reset(&leaf).unwrap();
    let error = driver
        .register_by_name(&format!("Global\\{leaf}"), PERIODIC)
        .unwrap_err();
    match &error {
        Error::NameNotFound { suggestion, .. } => {
            assert_eq!(suggestion.as_deref(), Some(leaf.as_str()))
        }
        other => panic!("expected NameNotFound, got {}", chain(other)),
    }

    let nowhere = unique("nowhere");
    let error = driver.register_by_name(&nowhere, PERIODIC).unwrap_err();
    assert!(!error.to_string().contains("did you mean"), "{error}");
}

#[test]
fn mutex_name_is_refused_as_not_an_event() {
    let _serial = serial();
    let driver = driver();
    let name = unique("mutex");
    let _mutex = NamedMutex::create(&name).unwrap();
    let error = driver.register_by_name(&name, PERIODIC).unwrap_err();
    assert!(
        matches!(
            error,
            Error::NotAnEvent {
                kind: ObjectKind::Mutex,
                ..
            }
        ),
        "{}",
        chain(&error)
    );
    assert_eq!(error.status(), Some(NtStatus(STATUS_OBJECT_TYPE_MISMATCH)));
    assert!(error.to_string().contains("is a mutex, not an event"));
}

#[test]
fn names_outside_the_allowed_namespaces_are_refused_here_and_by_the_driver() {
    let _serial = serial();
    let driver = driver();
    let session = current_session_id().unwrap();
    let event = unique("elsewhere");
    let _event = Event::create_auto_reset(&event).unwrap();
    let cases = [
        (
            format!(r"\Device\{event}"),
            STATUS_OBJECT_PATH_INVALID,
            RejectReason::OutsideNamespace,
        ),
        (
            format!(r"\??\{event}"),
            STATUS_OBJECT_PATH_INVALID,
            RejectReason::OutsideNamespace,
        ),
        (
            format!(r"Session\{session}\{event}"),
            STATUS_OBJECT_PATH_INVALID,
            RejectReason::OutsideNamespace,
        ),
        (
            format!(r"\BaseNamedObjects\sub\{event}"),
            STATUS_OBJECT_PATH_INVALID,
            RejectReason::OutsideNamespace,
        ),
        (
            "..".to_owned(),
            STATUS_OBJECT_NAME_INVALID,
            RejectReason::BadName,
        ),
        (
            r"Global\..".to_owned(),
            STATUS_OBJECT_NAME_INVALID,
            RejectReason::BadName,
        ),
        (
            format!(r"\Sessions\{}\BaseNamedObjects\{event}", session + 1),
            STATUS_ACCESS_DENIED,
            RejectReason::OtherSession,
        ),
    ];
    for (name, status, reason) in cases {
        // Refused here, before any round trip: nothing reaches the driver.
        let before = driver.stats(None).unwrap();
        let local = driver.register_by_name(&name, PERIODIC).unwrap_err();
        assert_eq!(
            local.status(),
            Some(NtStatus(status)),
            "{name}: {}",
            chain(&local)
        );
        let after_local = driver.stats(None).unwrap();
        assert_eq!(
            after_local.rejected, before.rejected,
            "{name}: sent to the driver"
        );

        // Sent anyway, the driver refuses it with the same status and counts it.
        let remote = driver
            .register_by_name_unchecked(&name, PERIODIC)
            .unwrap_err();
        assert_eq!(
            remote.status(),
            Some(NtStatus(status)),
            "{name}: {}",
            chain(&remote)
        );
        assert_eq!(
            std::mem::discriminant(&remote),
            std::mem::discriminant(&local),
            "{name}: {remote:?} vs {local:?}"
        );
        let after = driver.stats(Some(std::process::id())).unwrap();
        assert_eq!(
            after.rejected_for(reason),
            after_local.rejected_for(reason) + 1,
            "{name}: the driver did not count a {} rejection",
            reason.label()
        );
        assert_eq!(after.live_for_pid, 0, "{name} was registered");
    }
}

#[test]
fn on_demand_every_signal_is_received_and_nothing_more() {
    let _serial = serial();
    let driver = driver();
    let name = unique("on-demand");
    let event = Event::create_auto_reset(&name).unwrap();
    let registration = driver
        .register_by_name(&name, SignalMode::OnDemand)
        .unwrap();
    const SIGNALS: u64 = 25;
    for n in 1..=SIGNALS {
        registration.signal().unwrap();
        // One wait per signal: an auto-reset event coalesces signals nobody waited for.
        assert_eq!(
            event.wait(PATIENCE).unwrap(),
            WaitOutcome::Signaled,
            "signal {n}"
        );
    }
    assert!(!event.is_signaled().unwrap(), "a signal nobody asked for");
    assert_eq!(registration.info().unwrap().signals_sent, SIGNALS);
    assert_eq!(registration.info().unwrap().mode, SignalMode::OnDemand);
}

#[test]
fn set_mode_switches_between_on_demand_and_periodic() {
    let _serial = serial();
    let driver = driver();
    let name = unique("modes");
    let event = Event::create_auto_reset(&name).unwrap();
    let mut registration = driver
        .register_by_name(&name, SignalMode::OnDemand)
        .unwrap();
    assert_eq!(registration.info().unwrap().signals_sent, 0);

    registration.set_mode(PERIODIC).unwrap();
    for n in 1..=3 {
        assert_eq!(
            event.wait(PATIENCE).unwrap(),
            WaitOutcome::Signaled,
            "periodic {n}"
        );
    }
    assert_eq!(registration.info().unwrap().mode, PERIODIC);

    registration.set_mode(SignalMode::OnDemand).unwrap();
    let sent = registration.info().unwrap().signals_sent;
    event.reset().unwrap();
    // Ten periods of silence: the timer is off.
    let quiet = Duration::from_millis(u64::from(PERIOD_MS) * 10);
    assert_eq!(event.wait(quiet).unwrap(), WaitOutcome::TimedOut);
    assert_eq!(registration.info().unwrap().signals_sent, sent);

    registration
        .set_mode(SignalMode::OneShot { delay_ms: 0 })
        .unwrap();
    assert_eq!(
        event.wait(PATIENCE).unwrap(),
        WaitOutcome::Signaled,
        "one-shot"
    );
    assert_eq!(registration.info().unwrap().signals_sent, sent + 1);

    let error = registration
        .set_mode(SignalMode::Periodic { period_ms: 0 })
        .unwrap_err();
    assert!(
        matches!(error, Error::InvalidMode { .. }),
        "{}",
        chain(&error)
    );
}

#[test]
fn unregister_stops_the_signals_and_forgets_the_id() {
    let _serial = serial();
    let driver = driver();
    let pid = std::process::id();
    let name = unique("unregister");
    let event = Event::create_manual_reset(&name).unwrap();
    let registration = driver.register_by_name(&name, PERIODIC).unwrap();
    let id = registration.id();
    assert_eq!(event.wait(PATIENCE).unwrap(), WaitOutcome::Signaled);
    assert_eq!(driver.stats(Some(pid)).unwrap().live_for_pid, 1);

    registration.unregister().unwrap();
    let error = driver.query_registration(id).unwrap_err();
    assert!(
        matches!(error, Error::UnknownRegistration { id: unknown, .. } if unknown == id),
        "{}",
        chain(&error)
    );
    assert_eq!(error.status(), Some(NtStatus(STATUS_NOT_FOUND)));
    let before = driver.stats(Some(pid)).unwrap();
    assert_eq!(before.live_for_pid, 0);

    // A manual-reset event stays set until reset: reset it, and over ten periods nothing
    // sets it again, and the driver's signal counter does not move.
    event.reset().unwrap();
    let quiet = Duration::from_millis(u64::from(PERIOD_MS) * 10);
    assert_eq!(event.wait(quiet).unwrap(), WaitOutcome::TimedOut);
    let after = driver.stats(Some(pid)).unwrap();
    if before.live_registrations == 0 {
        assert_eq!(after.signals_sent, before.signals_sent);
    }
}

#[test]
fn dropping_a_registration_unregisters_it() {
    let _serial = serial();
    let driver = driver();
    let name = unique("drop");
    let _event = Event::create_auto_reset(&name).unwrap();
    let registration = driver.register_by_name(&name, PERIODIC).unwrap();
    let id = registration.id();
    drop(registration);
    assert!(matches!(
        driver.query_registration(id),
        Err(Error::UnknownRegistration { .. })
    ));
    assert_eq!(
        driver.stats(Some(std::process::id())).unwrap().live_for_pid,
        0
    );
}

#[test]
fn registrations_belong_to_their_handle() {
    let _serial = serial();
    let first = driver();
    let second = driver();
    let name = unique("handles");
    let _event = Event::create_auto_reset(&name).unwrap();
    let registration = first.register_by_name(&name, PERIODIC).unwrap();

    // Another handle of the same process cannot see or touch it.
    let error = second.query_registration(registration.id()).unwrap_err();
    assert_eq!(
        error.status(),
        Some(NtStatus(STATUS_NOT_FOUND)),
        "{}",
        chain(&error)
    );
    let error = first.query_registration(u64::MAX).unwrap_err();
    assert!(matches!(error, Error::UnknownRegistration { .. }));

    // Closing a handle drops what it registered, even without UNREGISTER.
    let on_second = second.register_by_name(&name, PERIODIC).unwrap();
    std::mem::forget(on_second);
    let pid = std::process::id();
    assert_eq!(first.stats(Some(pid)).unwrap().live_for_pid, 2);
    drop(second);
    assert_eq!(first.stats(Some(pid)).unwrap().live_for_pid, 1);
    registration.unregister().unwrap();
    assert_eq!(first.stats(Some(pid)).unwrap().live_for_pid, 0);
}

/// The child side of [`an_exiting_client_leaves_no_registration_behind`], which runs it:
/// registers the event named by `EVSHARE_E2E_CHILD`, says so, waits for the parent, and exits
/// without unregistering or closing anything. Ignored in normal runs, and fails when run
/// without its parent.
#[test]
#[ignore = "the child side of an_exiting_client_leaves_no_registration_behind, which runs it"]
fn child_process_entry() {
    let name = common::child_argument(
        "EVSHARE_E2E_CHILD",
        "an_exiting_client_leaves_no_registration_behind",
    );
    let driver = driver();
    let registration = driver.register_by_name(&name, PERIODIC).unwrap();
    common::report_and_wait("REGISTERED", registration.id());
    // No unregister, no drop, no close: the process just ends.
    std::process::exit(0);
}

#[test]
fn an_exiting_client_leaves_no_registration_behind() {
    let _serial = serial();
    let driver = driver();
    let name = unique("child");
    let event = Event::create_auto_reset(&name).unwrap();

    let mut child =
        common::ChildTest::spawn("child_process_entry", &[("EVSHARE_E2E_CHILD", &name)]);
    let child_pid = child.child.id();
    child.expect_line("REGISTERED");

    // Alive and registered: the driver counts it, and signals arrive.
    assert_eq!(driver.stats(Some(child_pid)).unwrap().live_for_pid, 1);
    assert_eq!(event.wait(PATIENCE).unwrap(), WaitOutcome::Signaled);
    child.finish();

    // The driver tears the registration down when the dead process's handle closes. That
    // may land a moment after the exit: ask a bounded number of times.
    common::eventually("the dead child's registration is gone", || {
        (driver.stats(Some(child_pid)).unwrap().live_for_pid == 0).then_some(())
    });
    event.reset().unwrap();
    let quiet = Duration::from_millis(u64::from(PERIOD_MS) * 10);
    assert_eq!(event.wait(quiet).unwrap(), WaitOutcome::TimedOut);
}

/// A request header: version, flags.
fn header(version: u32, flags: u32) -> Vec<u8> {
    [version.to_le_bytes(), flags.to_le_bytes()].concat()
}

#[test]
fn every_bad_request_bumps_its_rejection_counter() {
    let _serial = serial();
    let driver = driver();
    let session = current_session_id().unwrap();
    let mutex_name = unique("reject-mutex");
    let _mutex = NamedMutex::create(&mutex_name).unwrap();
    let version = Ioctl::QueryVersion.code();
    let register = Ioctl::RegisterByName.code();
    let signal = Ioctl::Signal.code();
    let long_name: Vec<u8> = "x"
        .repeat(241)
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let register_raw = |name_bytes: &[u8]| -> Vec<u8> {
        let mut bytes = header(1, 0);
        bytes.extend_from_slice(&1u32.to_le_bytes()); // periodic
        bytes.extend_from_slice(&PERIOD_MS.to_le_bytes());
        bytes.extend_from_slice(&(name_bytes.len() as u32).to_le_bytes());
        bytes.extend_from_slice(name_bytes);
        bytes
    };

    type Send<'a> = Box<dyn Fn(&Driver) -> Result<(), NtStatus> + 'a>;
    let raw = |code: u32, input: Vec<u8>, output_len: usize| -> Send<'_> {
        Box::new(move |driver: &Driver| {
            let mut output = vec![0u8; output_len];
            driver.raw_ioctl(code, &input, &mut output).map(|_| ())
        })
    };
    let by_name = |name: String| -> Send<'_> {
        Box::new(move |driver: &Driver| {
            driver
                .register_by_name_unchecked(&name, PERIODIC)
                .map(|_| ())
                .map_err(|error| error.status().expect("a driver status"))
        })
    };
    let cases: Vec<(&str, Send<'_>, u32, RejectReason)> = vec![
        (
            "short buffer",
            raw(version, vec![1, 0, 0, 0], 64),
            STATUS_INVALID_BUFFER_SIZE,
            RejectReason::BadBufferSize,
        ),
        (
            "unknown IOCTL",
            raw(
                evshare_protocol::ioctl::ctl_code(0x8E5E, 0xFFF, 0, 1),
                header(1, 0),
                64,
            ),
            STATUS_INVALID_DEVICE_REQUEST,
            RejectReason::UnknownIoctl,
        ),
        (
            "version 2",
            raw(version, header(2, 0), 64),
            STATUS_REVISION_MISMATCH,
            RejectReason::BadVersion,
        ),
        (
            "flags set",
            raw(version, header(1, 1), 64),
            STATUS_INVALID_PARAMETER,
            RejectReason::BadParameter,
        ),
        (
            "reply buffer too small",
            raw(version, header(1, 0), 8),
            STATUS_BUFFER_TOO_SMALL,
            RejectReason::OutputTooSmall,
        ),
        (
            "odd name bytes",
            raw(register, register_raw(&[b'x', 0, b'y']), 600),
            STATUS_OBJECT_NAME_INVALID,
            RejectReason::BadName,
        ),
        (
            "name too long",
            raw(register, register_raw(&long_name), 600),
            STATUS_NAME_TOO_LONG,
            RejectReason::NameTooLong,
        ),
        (
            "unknown registration",
            raw(
                signal,
                [header(1, 0), u64::MAX.to_le_bytes().to_vec()].concat(),
                // Room for the SignalReply: with less the driver answers BUFFER_TOO_SMALL
                // before it looks the id up.
                Ioctl::Signal.reply_len(),
            ),
            STATUS_NOT_FOUND,
            RejectReason::NoSuchRegistration,
        ),
        (
            "missing event",
            by_name(unique("reject-missing")),
            STATUS_OBJECT_NAME_NOT_FOUND,
            RejectReason::NameNotFound,
        ),
        (
            "a mutex",
            by_name(mutex_name.clone()),
            STATUS_OBJECT_TYPE_MISMATCH,
            RejectReason::NotAnEvent,
        ),
        (
            "a device path",
            by_name(r"\Device\Null".to_owned()),
            STATUS_OBJECT_PATH_INVALID,
            RejectReason::OutsideNamespace,
        ),
        (
            "another session",
            by_name(format!(r"\Sessions\{}\BaseNamedObjects\x", session + 1)),
            STATUS_ACCESS_DENIED,
            RejectReason::OtherSession,
        ),
        (
            "a bad leaf",
            by_name(r"Global\.".to_owned()),
            STATUS_OBJECT_NAME_INVALID,
            RejectReason::BadName,
        ),
    ];
    for (what, send, status, reason) in cases {
        let before = driver.stats(None).unwrap();
        assert_eq!(send(&driver), Err(NtStatus(status)), "{what}");
        let after = driver.stats(None).unwrap();
        assert_eq!(
            after.rejected_for(reason),
            before.rejected_for(reason) + 1,
            "{what}: the {} counter",
            reason.label()
        );
        let (total_before, total_after): (u64, u64) =
            (before.rejected.iter().sum(), after.rejected.iter().sum());
        assert_eq!(
            total_after,
            total_before + 1,
            "{what}: exactly one rejection counted"
        );
    }
    // The driver is still answering normally after all that.
    driver.version().unwrap();
}

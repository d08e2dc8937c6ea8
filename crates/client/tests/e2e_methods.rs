//! End to end, against the real driver: the four ways to share an event (by name, by handle,
//! driver-created, driver-created named), each used the same way, and each with the refusals
//! that make it safe.
//!
//! Run by the harness with the driver installed and started and `EVSHARE_E2E=1`.

#![cfg(windows)]

mod common;

use common::objects;
use common::{chain, driver, rejections_between, serial, unique, ChildTest, PATIENCE};
use evshare::access::{EVENT_ALL_ACCESS, EVENT_MODIFY_STATE, READ_CONTROL, SYNCHRONIZE};
use evshare::security::sids;
use evshare::{
    current_user_sid, AceKind, Driver, Error, Event, EventKind, Method, NtStatus, RejectReason,
    ResetKind, Scope, Share, SignalMode, WaitOutcome,
};
use evshare_protocol::request::{encode, MAX_REQUEST_LEN};
use evshare_protocol::status::*;
use evshare_protocol::{RegisterReply, Request};

const ON_DEMAND: SignalMode = SignalMode::OnDemand;
const ERROR_ACCESS_DENIED: i32 = 5;

/// The OS error code behind an error, if it has one.
fn os_code(error: &Error) -> Option<i32> {
    let mut next: Option<&dyn std::error::Error> = Some(error);
    while let Some(cause) = next {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return io.raw_os_error();
        }
        next = cause.source();
    }
    None
}

/// Signals `n` times on demand and waits for each on the registration itself: every signal
/// arrives, and no other.
fn receives_each_signal(registration: &evshare::Registration<'_>, n: u64) {
    let before = registration.info().unwrap().signals_sent;
    for i in 1..=n {
        registration.signal().unwrap();
        assert_eq!(
            registration.wait(PATIENCE).unwrap(),
            WaitOutcome::Signaled,
            "{}: signal {i} of {n}",
            registration.method()
        );
    }
    assert!(
        !registration.event().is_signaled().unwrap(),
        "{}: a signal nobody asked for",
        registration.method()
    );
    assert_eq!(registration.info().unwrap().signals_sent, before + n);
}

#[test]
fn every_method_is_registered_waited_on_and_unregistered_the_same_way() {
    let _serial = serial();
    let driver = driver();
    let pid = std::process::id();
    let name = unique("same-way");
    let _named = Event::create_auto_reset(&name).unwrap();
    let mine = Event::new(ResetKind::Auto).unwrap();
    let leaf = format!("same-way-{pid}");
    let shares = common::every_share(&name, &mine, &leaf);
    for share in shares {
        let method = share.method();
        let before = driver.stats(Some(pid)).unwrap();
        let registration = driver
            .register(share, ON_DEMAND)
            .unwrap_or_else(|e| panic!("{method}: {}", chain(&e)));
        assert_eq!(registration.method(), method);
        assert_eq!(registration.info().unwrap().method, method);
        assert_eq!(registration.info().unwrap().owner_pid, pid);
        assert_eq!(
            registration.resolved().is_some(),
            method.has_name(),
            "{method}"
        );

        let during = driver.stats(Some(pid)).unwrap();
        assert_eq!(
            during.live_by(method),
            before.live_by(method) + 1,
            "{method}"
        );
        assert_eq!(during.live_for_pid, before.live_for_pid + 1, "{method}");
        let holders = driver.holders().unwrap();
        let me = holders
            .iter()
            .find(|holder| holder.pid == pid)
            .unwrap_or_else(|| panic!("{method}: this process is not among the holders"));
        assert_eq!(me.live_by(method), 1, "{method}: {me:?}");

        receives_each_signal(&registration, 5);
        registration.unregister().unwrap();
        let after = driver.stats(Some(pid)).unwrap();
        assert_eq!(after.live_by(method), before.live_by(method), "{method}");
        assert_eq!(after.live_for_pid, before.live_for_pid, "{method}");
    }
}

#[test]
fn every_method_delivers_periodic_signals() {
    let _serial = serial();
    let driver = driver();
    let name = unique("periodic");
    let _named = Event::create_auto_reset(&name).unwrap();
    let mine = Event::new(ResetKind::Auto).unwrap();
    let leaf = format!("periodic-{}", std::process::id());
    let periodic = SignalMode::Periodic {
        period_ms: common::PERIOD_MS,
    };
    for share in [
        Share::ByName(&name),
        Share::by_handle(&mine),
        Share::DriverCreated {
            kind: EventKind::AutoReset,
        },
        Share::DriverNamed {
            leaf: &leaf,
            scope: Scope::Global,
            kind: EventKind::AutoReset,
        },
    ] {
        let method = share.method();
        let registration = driver.register(share, periodic).unwrap();
        for n in 1..=3 {
            assert_eq!(
                registration.wait(PATIENCE).unwrap(),
                WaitOutcome::Signaled,
                "{method}: periodic signal {n}"
            );
        }
        // The timer's DPC counts a signal just after it sets the event, so the count may lag
        // the wake-up by a moment; it must catch up.
        common::eventually(&format!("{method}: the driver counts 3 signals"), || {
            (registration.info().unwrap().signals_sent >= 3).then_some(())
        });
    }
}

// ---- by handle -------------------------------------------------------------------------------

#[test]
fn by_handle_signals_arrive_on_the_apps_own_handle() {
    let _serial = serial();
    let driver = driver();
    let event = Event::new(ResetKind::Auto).unwrap();
    let registration = driver
        .register(Share::by_handle(&event), ON_DEMAND)
        .unwrap();
    assert_eq!(registration.method(), Method::ByHandle);
    assert_eq!(registration.resolved(), None);
    assert!(
        registration
            .target()
            .contains(&format!("{:#x}", objects::value_of(&event))),
        "{}",
        registration.target()
    );
    for n in 1..=5 {
        registration.signal().unwrap();
        assert_eq!(
            event.wait(PATIENCE).unwrap(),
            WaitOutcome::Signaled,
            "signal {n} on the app's handle"
        );
    }
    // The registration waits on its own SYNCHRONIZE duplicate of the same event.
    assert_eq!(registration.event().granted_access().unwrap(), SYNCHRONIZE);
    registration.signal().unwrap();
    assert_eq!(registration.wait(PATIENCE).unwrap(), WaitOutcome::Signaled);
}

#[test]
fn by_handle_signals_still_arrive_after_the_app_closes_its_handle() {
    let _serial = serial();
    let driver = driver();
    let event = Event::new(ResetKind::Auto).unwrap();
    let waiter = event.duplicate(SYNCHRONIZE).unwrap();
    let registration = driver
        .register(Share::by_handle(&event), ON_DEMAND)
        .unwrap();
    drop(event);
    for n in 1..=5 {
        registration.signal().unwrap();
        assert_eq!(
            waiter.wait(PATIENCE).unwrap(),
            WaitOutcome::Signaled,
            "signal {n} after the app closed the handle it registered"
        );
    }
    assert_eq!(registration.info().unwrap().signals_sent, 5);
    // The waiter can only wait: the driver alone sets the event now.
    assert!(matches!(waiter.set(), Err(Error::NoModifyAccess { .. })));
}

/// Sends `REGISTER_BY_HANDLE` for any handle value (the typed API only takes open handles).
fn register_raw_handle(driver: &Driver, value: u64) -> Result<RegisterReply, NtStatus> {
    let mut input = [0u8; MAX_REQUEST_LEN];
    let request = Request::RegisterByHandle {
        handle: value,
        mode: ON_DEMAND,
    };
    let (code, len) = encode(&request, &mut input).unwrap();
    let mut output = [0u8; RegisterReply::LEN];
    let written = driver.raw_ioctl(code, &input[..len], &mut output)?;
    Ok(RegisterReply::parse(&output[..written]).expect("a well-formed reply"))
}

#[test]
fn by_handle_refusals_have_their_status_and_signal_nothing() {
    let _serial = serial();
    let driver = driver();
    let pid = std::process::id();
    // Manual-reset bystanders: any stray signal would stay visible until the end.
    let bystanders: Vec<Event> = (0..4)
        .map(|_| Event::new(ResetKind::Manual).unwrap())
        .collect();
    let target = Event::new(ResetKind::Auto).unwrap();
    let sync_only = target.duplicate(SYNCHRONIZE).unwrap();
    let query_only = target.duplicate(SYNCHRONIZE | READ_CONTROL).unwrap();
    let mutex = objects::mutex();
    let semaphore = objects::semaphore();

    // Typed: each refusal maps to its own error, naming the handle and the fix.
    let before = driver.stats(Some(pid)).unwrap();
    let error = driver
        .register(Share::by_handle(&mutex), ON_DEMAND)
        .unwrap_err();
    assert!(
        matches!(&error, Error::HandleNotAnEvent { type_name: Some(t), .. } if t == "Mutant"),
        "{}",
        chain(&error)
    );
    assert_eq!(error.status(), Some(NtStatus(STATUS_OBJECT_TYPE_MISMATCH)));
    let error = driver
        .register(Share::by_handle(&sync_only), ON_DEMAND)
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::HandleLacksModifyAccess {
                granted: Some(SYNCHRONIZE),
                ..
            }
        ),
        "{}",
        chain(&error)
    );
    assert!(error
        .to_string()
        .contains("open it with EVENT_MODIFY_STATE (EVENT_ALL_ACCESS)"));
    let after = driver.stats(Some(pid)).unwrap();
    assert_eq!(
        rejections_between(&before, &after),
        [
            (RejectReason::NotAnEventHandle, 1),
            (RejectReason::HandleAccessDenied, 1)
        ]
    );

    // Raw: every kind of wrong handle, with its exact status and counter.
    let mut cases: Vec<(String, u64, u32, RejectReason)> = vec![
        (
            "a mutex".into(),
            objects::value_of(&mutex),
            STATUS_OBJECT_TYPE_MISMATCH,
            RejectReason::NotAnEventHandle,
        ),
        (
            "a semaphore".into(),
            objects::value_of(&semaphore),
            STATUS_OBJECT_TYPE_MISMATCH,
            RejectReason::NotAnEventHandle,
        ),
        (
            "SYNCHRONIZE only".into(),
            objects::value_of(&sync_only),
            STATUS_ACCESS_DENIED,
            RejectReason::HandleAccessDenied,
        ),
        (
            "SYNCHRONIZE | READ_CONTROL".into(),
            objects::value_of(&query_only),
            STATUS_ACCESS_DENIED,
            RejectReason::HandleAccessDenied,
        ),
    ];
    for value in objects::GARBAGE_HANDLES {
        cases.push((
            format!("garbage {value:#x}"),
            value,
            STATUS_INVALID_HANDLE,
            RejectReason::InvalidHandle,
        ));
    }
    // A real event handle of ours with bits set above the 32 that handle values use: it must
    // not be taken for the event (Windows refuses such a value; a 32-bit truncation would not).
    for bit in [32, 40, 62] {
        let value = objects::value_of(&target) | 1 << bit;
        cases.push((
            format!("high bit {bit} over an event handle: {value:#x}"),
            value,
            STATUS_INVALID_HANDLE,
            RejectReason::InvalidHandle,
        ));
    }
    for value in objects::PSEUDO_HANDLES {
        cases.push((
            format!("pseudo-handle {value:#x}"),
            value,
            STATUS_INVALID_HANDLE,
            RejectReason::InvalidHandle,
        ));
    }
    for (what, value, status, reason) in cases {
        let before = driver.stats(Some(pid)).unwrap();
        match register_raw_handle(&driver, value) {
            Ok(reply) => panic!("{what}: registered as #{}", reply.id),
            Err(got) => assert_eq!(got, NtStatus(status), "{what}"),
        }
        let after = driver.stats(Some(pid)).unwrap();
        assert_eq!(rejections_between(&before, &after), [(reason, 1)], "{what}");
        assert_eq!(after.live_for_pid, 0, "{what}");
        assert_eq!(
            after.registrations_total, before.registrations_total,
            "{what}"
        );
    }

    // Nothing was signalled along the way.
    for (i, bystander) in bystanders.iter().enumerate() {
        assert!(
            !bystander.is_signaled().unwrap(),
            "bystander {i} was signalled"
        );
    }
    assert!(
        !target.is_signaled().unwrap(),
        "the refused event was signalled"
    );
}

// ---- driver-created --------------------------------------------------------------------------

#[test]
fn driver_created_event_receives_signals_and_can_only_be_waited_on() {
    let _serial = serial();
    let driver = driver();
    let registration = driver
        .register(
            Share::DriverCreated {
                kind: EventKind::AutoReset,
            },
            ON_DEMAND,
        )
        .unwrap();
    assert_eq!(registration.method(), Method::DriverHandle);
    let event = registration.event();
    assert_eq!(event.granted_access().unwrap(), SYNCHRONIZE);
    receives_each_signal(&registration, 10);

    // The app can neither fake a signal nor swallow one.
    for (what, result) in [("SetEvent", event.set()), ("ResetEvent", event.reset())] {
        let error = result.expect_err(what);
        assert!(
            matches!(error, Error::NoModifyAccess { .. }),
            "{what}: {}",
            chain(&error)
        );
        assert_eq!(os_code(&error), Some(ERROR_ACCESS_DENIED), "{what}");
    }
    // Nor give itself a stronger handle: the event's DACL does not allow it.
    for access in [
        EVENT_MODIFY_STATE,
        EVENT_ALL_ACCESS,
        SYNCHRONIZE | EVENT_MODIFY_STATE,
    ] {
        let error = event.duplicate(access).unwrap_err();
        assert_eq!(
            os_code(&error),
            Some(ERROR_ACCESS_DENIED),
            "{access:#x}: {}",
            chain(&error)
        );
    }
    // Waiting through another handle is fine.
    let second = event.duplicate(SYNCHRONIZE).unwrap();
    registration.signal().unwrap();
    assert_eq!(second.wait(PATIENCE).unwrap(), WaitOutcome::Signaled);
}

#[test]
fn driver_created_manual_reset_event_stays_signalled() {
    let _serial = serial();
    let driver = driver();
    let registration = driver
        .register(
            Share::DriverCreated {
                kind: EventKind::ManualReset,
            },
            ON_DEMAND,
        )
        .unwrap();
    assert_eq!(
        registration.wait(std::time::Duration::ZERO).unwrap(),
        WaitOutcome::TimedOut
    );
    registration.signal().unwrap();
    for _ in 0..3 {
        assert_eq!(registration.wait(PATIENCE).unwrap(), WaitOutcome::Signaled);
    }
}

/// The child side of [`driver_created_events_of_a_dead_process_are_released`], which runs
/// it: asks the driver for an event, says so, waits for the parent, and exits without
/// unregistering or closing anything.
#[test]
#[ignore = "the child side of driver_created_events_of_a_dead_process_are_released, which runs it"]
fn child_creating_an_event() {
    common::child_argument(
        "EVSHARE_E2E_CHILD",
        "driver_created_events_of_a_dead_process_are_released",
    );
    let driver = driver();
    let registration = driver
        .register(
            Share::DriverCreated {
                kind: EventKind::AutoReset,
            },
            SignalMode::Periodic { period_ms: 10 },
        )
        .unwrap();
    assert_eq!(registration.wait(PATIENCE).unwrap(), WaitOutcome::Signaled);
    common::report_and_wait("CREATED", registration.id());
    std::process::exit(0);
}

#[test]
fn driver_created_events_of_a_dead_process_are_released() {
    let _serial = serial();
    let driver = driver();
    let before = driver.stats(None).unwrap();
    let mut child = ChildTest::spawn("child_creating_an_event", &[("EVSHARE_E2E_CHILD", "1")]);
    let child_pid = child.child.id();
    child.expect_line("CREATED");

    let during = driver.stats(Some(child_pid)).unwrap();
    assert_eq!(during.live_for_pid, 1);
    assert_eq!(
        during.live_by(Method::DriverHandle),
        before.live_by(Method::DriverHandle) + 1
    );
    let holders = driver.holders().unwrap();
    let holder = holders
        .iter()
        .find(|holder| holder.pid == child_pid)
        .expect("the child among the holders");
    assert_eq!(holder.live_by(Method::DriverHandle), 1);
    assert_eq!(holder.live(), 1);

    child.finish();
    common::eventually("the dead child's registration is released", || {
        let stats = driver.stats(Some(child_pid)).unwrap();
        (stats.live_for_pid == 0).then_some(stats)
    });
    let after = driver.stats(None).unwrap();
    assert_eq!(
        after.live_by(Method::DriverHandle),
        before.live_by(Method::DriverHandle)
    );
    assert!(!driver
        .holders()
        .unwrap()
        .iter()
        .any(|holder| holder.pid == child_pid));
}

// ---- driver-created named --------------------------------------------------------------------

fn named(leaf: &str, scope: Scope) -> Share<'_> {
    Share::DriverNamed {
        leaf,
        scope,
        kind: EventKind::AutoReset,
    }
}

#[test]
fn driver_named_event_is_opened_by_its_name_and_receives_signals() {
    let _serial = serial();
    let driver = driver();
    let session = driver.session_id();
    for scope in [Scope::Session, Scope::Global] {
        let leaf = format!("named-{}-{scope}", std::process::id());
        let registration = driver.register(named(&leaf, scope), ON_DEMAND).unwrap();
        let (expected_name, expected_path) = match scope {
            Scope::Session => (
                format!("evshare-{leaf}"),
                format!(r"\Sessions\{session}\BaseNamedObjects\evshare-{leaf}"),
            ),
            Scope::Global => (
                format!(r"Global\evshare-{leaf}"),
                format!(r"\BaseNamedObjects\evshare-{leaf}"),
            ),
        };
        assert_eq!(registration.name(), Some(expected_name.as_str()));
        assert_eq!(registration.resolved_name(), Some(expected_path));

        // Another handle, opened by the name the driver gave back, with what the DACL allows.
        let opened = Event::open_with_access(&expected_name, SYNCHRONIZE | READ_CONTROL).unwrap();
        for n in 1..=5 {
            registration.signal().unwrap();
            assert_eq!(
                opened.wait(PATIENCE).unwrap(),
                WaitOutcome::Signaled,
                "{scope}: signal {n} by name"
            );
        }
        // What the DACL does not allow fails.
        for access in [EVENT_MODIFY_STATE, SYNCHRONIZE | EVENT_MODIFY_STATE] {
            let error = Event::open_with_access(&expected_name, access).unwrap_err();
            assert_eq!(
                os_code(&error),
                Some(ERROR_ACCESS_DENIED),
                "{scope}: {access:#x}"
            );
        }
        assert_eq!(
            os_code(&Event::open(&expected_name).unwrap_err()),
            Some(ERROR_ACCESS_DENIED)
        );
        registration.unregister().unwrap();
        // The name lives as long as the registration (and handles to it).
        drop(opened);
        assert!(
            Event::open_with_access(&expected_name, SYNCHRONIZE).is_err(),
            "{scope}"
        );
    }
}

#[test]
fn driver_named_event_dacl_names_exactly_this_user() {
    let _serial = serial();
    let driver = driver();
    let leaf = format!("dacl-{}", std::process::id());
    let registration = driver
        .register(named(&leaf, Scope::Session), ON_DEMAND)
        .unwrap();
    let user = current_user_sid().unwrap();
    assert!(user.starts_with("S-1-5-"), "{user}");
    let security = registration.event().security().unwrap();
    let aces = security.dacl.as_ref().expect("a DACL, not a NULL one");
    assert_eq!(aces.len(), 1, "exactly one ACE: {security}");
    let ace = &aces[0];
    assert_eq!(ace.kind, AceKind::Allowed, "{security}");
    assert_eq!(ace.sid, user, "{security}");
    assert_eq!(ace.mask, SYNCHRONIZE | READ_CONTROL, "{security}");
    assert_eq!(
        security.owner.as_deref(),
        Some(sids::LOCAL_SYSTEM),
        "{security}"
    );
    assert_eq!(security.granted_to(&user), SYNCHRONIZE | READ_CONTROL);
    assert_eq!(security.granted_to(sids::EVERYONE), 0);
}

#[test]
fn driver_named_event_refuses_a_squatter_and_a_second_creation() {
    let _serial = serial();
    let driver = driver();
    let pid = std::process::id();

    // Someone created the name first: the driver does not adopt their object.
    let leaf = format!("squat-{pid}");
    let squatter = Event::create_auto_reset(&format!("evshare-{leaf}")).unwrap();
    let before = driver.stats(Some(pid)).unwrap();
    let error = driver
        .register(named(&leaf, Scope::Session), ON_DEMAND)
        .unwrap_err();
    assert!(
        matches!(error, Error::NameCollision { .. }),
        "{}",
        chain(&error)
    );
    assert_eq!(error.status(), Some(NtStatus(STATUS_OBJECT_NAME_COLLISION)));
    assert!(
        error
            .to_string()
            .starts_with(&format!("someone already created `evshare-{leaf}`")),
        "{error}"
    );
    let after = driver.stats(Some(pid)).unwrap();
    assert_eq!(
        rejections_between(&before, &after),
        [(RejectReason::NameCollision, 1)]
    );
    assert_eq!(after.live_for_pid, 0);
    assert!(!squatter.is_signaled().unwrap());
    // The same squatter in the global directory.
    let global_squatter = Event::create_auto_reset(&format!(r"Global\evshare-{leaf}")).unwrap();
    let error = driver
        .register(named(&leaf, Scope::Global), ON_DEMAND)
        .unwrap_err();
    assert!(
        matches!(error, Error::NameCollision { .. }),
        "{}",
        chain(&error)
    );
    drop((squatter, global_squatter));
    // A squatter of another type collides just the same (never a type mismatch that would
    // tell the squatter apart from a taken name).
    let leaf = format!("squat-mutex-{pid}");
    let _mutex = evshare::NamedMutex::create(&format!("evshare-{leaf}")).unwrap();
    let error = driver
        .register(named(&leaf, Scope::Session), ON_DEMAND)
        .unwrap_err();
    assert!(
        matches!(error, Error::NameCollision { .. }),
        "{}",
        chain(&error)
    );

    // The same leaf twice: the second creation collides with the first.
    let leaf = format!("twice-{pid}");
    let first = driver
        .register(named(&leaf, Scope::Session), ON_DEMAND)
        .unwrap();
    let before = driver.stats(Some(pid)).unwrap();
    let error = driver
        .register(named(&leaf, Scope::Session), ON_DEMAND)
        .unwrap_err();
    assert!(
        matches!(error, Error::NameCollision { .. }),
        "{}",
        chain(&error)
    );
    let after = driver.stats(Some(pid)).unwrap();
    assert_eq!(
        rejections_between(&before, &after),
        [(RejectReason::NameCollision, 1)]
    );
    assert_eq!(after.live_for_pid, 1);
    // Another handle of the same process collides just the same.
    let other = common::driver();
    let error = other
        .register(named(&leaf, Scope::Session), ON_DEMAND)
        .unwrap_err();
    assert!(
        matches!(error, Error::NameCollision { .. }),
        "{}",
        chain(&error)
    );

    // Once the first is gone, the name is free again.
    first.unregister().unwrap();
    let again = driver
        .register(named(&leaf, Scope::Session), ON_DEMAND)
        .unwrap();
    receives_each_signal(&again, 2);
}

#[test]
fn driver_named_leaves_are_checked_here_before_the_driver_sees_them() {
    let _serial = serial();
    let driver = driver();
    let long = "x".repeat(65);
    for (leaf, status) in [
        ("", STATUS_OBJECT_NAME_INVALID),
        ("a\\b", STATUS_OBJECT_NAME_INVALID),
        (".", STATUS_OBJECT_NAME_INVALID),
        ("..", STATUS_OBJECT_NAME_INVALID),
        ("nul\0inside", STATUS_OBJECT_NAME_INVALID),
        (long.as_str(), STATUS_NAME_TOO_LONG),
    ] {
        let before = driver.stats(None).unwrap();
        let error = driver
            .register(named(leaf, Scope::Session), ON_DEMAND)
            .unwrap_err();
        assert!(
            matches!(error, Error::InvalidLeaf { .. }),
            "{leaf:?}: {}",
            chain(&error)
        );
        assert_eq!(error.status(), Some(NtStatus(status)), "{leaf:?}");
        let after = driver.stats(None).unwrap();
        assert_eq!(
            after.rejected, before.rejected,
            "{leaf:?} reached the driver"
        );
    }
    // 64 units is the limit, and fine.
    let suffix = format!("-{}", std::process::id());
    let leaf = format!("{}{suffix}", "y".repeat(64 - suffix.len()));
    driver
        .register(named(&leaf, Scope::Session), ON_DEMAND)
        .unwrap();
}

#[test]
fn the_handle_of_a_created_event_is_closed_with_its_registration() {
    let _serial = serial();
    let driver = driver();
    let handles_before = objects::open_handle_count();
    assert!(
        handles_before > 0,
        "the handle count cannot see this process's handles"
    );
    for round in 0..20 {
        let registration = driver
            .register(
                Share::DriverCreated {
                    kind: EventKind::AutoReset,
                },
                ON_DEMAND,
            )
            .unwrap();
        let value = objects::value_of(registration.event());
        assert!(objects::is_open(value), "round {round}");
        drop(registration);
        assert!(
            !objects::is_open(value),
            "round {round}: {value:#x} is still open"
        );
    }
    assert_eq!(
        objects::open_handle_count(),
        handles_before,
        "handles leaked"
    );
}

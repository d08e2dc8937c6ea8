//! End to end, against the real driver: loading and unloading it through the `service`
//! module, over and over. Needs the driver installed (the harness does it, `EVSHARE_E2E=1`);
//! leaves it running, as it found it.

#![cfg(windows)]

mod common;

use common::{chain, require_e2e, serial};
use evshare::service::{self, ServiceState, StartOutcome, StopOutcome};
use evshare::{Driver, Error};

/// Asserts that opening the driver now fails with "installed but not running".
fn assert_not_running(round: u32) {
    match Driver::open() {
        Ok(_) => panic!("round {round}: the driver still answers after stop"),
        Err(error @ Error::DriverNotRunning { .. }) => {
            assert!(
                error.to_string().contains("run `evshare start`"),
                "round {round}: {error}"
            );
        }
        Err(other) => panic!(
            "round {round}: expected the driver-not-running error, got: {}",
            chain(&other)
        ),
    }
}

/// Asserts that the driver opens and answers `QUERY_VERSION`.
fn assert_answers(round: u32) {
    let driver = Driver::open()
        .unwrap_or_else(|error| panic!("round {round}: cannot open: {}", chain(&error)));
    let version = driver
        .version()
        .unwrap_or_else(|error| panic!("round {round}: no version: {}", chain(&error)));
    assert!(version.max_registrations > 0, "round {round}: {version:?}");
}

#[test]
fn stop_and_start_twenty_times() {
    let _serial = serial();
    require_e2e();
    service::start().unwrap_or_else(|error| panic!("initial start: {}", chain(&error)));
    assert_answers(0);

    for round in 1..=20 {
        let stopped =
            service::stop().unwrap_or_else(|error| panic!("round {round}: {}", chain(&error)));
        assert_eq!(stopped, StopOutcome::Stopped, "round {round}");
        assert_eq!(
            service::status().unwrap().state,
            ServiceState::Stopped,
            "round {round}"
        );
        assert_not_running(round);

        let started =
            service::start().unwrap_or_else(|error| panic!("round {round}: {}", chain(&error)));
        assert_eq!(started, StartOutcome::Started, "round {round}");
        assert_eq!(
            service::status().unwrap().state,
            ServiceState::Running,
            "round {round}"
        );
        assert_answers(round);
    }
}

#[test]
fn start_and_stop_are_idempotent() {
    let _serial = serial();
    require_e2e();
    service::start().unwrap();
    assert_eq!(service::start().unwrap(), StartOutcome::AlreadyRunning);

    assert_eq!(service::stop().unwrap(), StopOutcome::Stopped);
    assert_eq!(service::stop().unwrap(), StopOutcome::AlreadyStopped);
    assert_not_running(0);

    assert_eq!(service::start().unwrap(), StartOutcome::Started);
    assert_answers(0);
    let status = service::status().unwrap();
    assert_eq!(status.state, ServiceState::Running);
    let binary = status
        .binary_path
        .expect("an installed service has a binary path");
    assert!(
        binary
            .to_ascii_lowercase()
            .ends_with(r"drivers\evshare.sys"),
        "{binary}"
    );
}

#[test]
fn registrations_do_not_survive_a_restart() {
    let _serial = serial();
    require_e2e();
    service::start().unwrap();
    let name = common::unique("restart");
    let _event = evshare::Event::create_auto_reset(&name).unwrap();
    {
        let driver = Driver::open().unwrap();
        let registration = driver
            .register_by_name(&name, evshare::SignalMode::Periodic { period_ms: 20 })
            .unwrap();
        registration.unregister().unwrap();
    }
    assert_eq!(service::stop().unwrap(), StopOutcome::Stopped);
    assert_eq!(service::start().unwrap(), StartOutcome::Started);
    let stats = Driver::open().unwrap().stats(None).unwrap();
    assert_eq!(stats.live_registrations, 0);
    assert_eq!(
        stats.registrations_total, 0,
        "counters start over with each load"
    );
}

#[test]
fn stopping_the_driver_completes_every_pending_request() {
    let _serial = serial();
    require_e2e();
    service::start().unwrap();
    let driver = Driver::open().unwrap();
    let inbox = driver.notifications(4).unwrap();
    // The requests are issued asynchronously: wait until the driver holds all four.
    let mut pending = 0;
    for _ in 0..500 {
        pending = driver.stats(None).unwrap().pending_irps;
        if pending == 4 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(pending, 4, "the driver should hold the four requests");
    assert_eq!(inbox.in_flight(), 4);
    drop(driver);
    // DriverUnload completes every parked IRP (STATUS_CANCELLED): none is left hanging.
    assert_eq!(service::stop().unwrap(), StopOutcome::Stopped);
    // Closing the handle only collects what already happened.
    let settled = inbox.close().unwrap();
    assert_eq!(settled.cancelled, 4, "{settled:?}");
    assert_eq!(settled.delivered + settled.failed, 0, "{settled:?}");
    assert_eq!(service::start().unwrap(), StartOutcome::Started);
    assert_eq!(Driver::open().unwrap().stats(None).unwrap().pending_irps, 0);
}

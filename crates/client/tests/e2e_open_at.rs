//! End to end, against the real driver: `Driver::open_at` opens the driver at the Win32 path
//! the caller gives (a driver that embeds evshare has a device of its own), the handles the
//! `Driver` opens later open the same path, and a path with no device behind it fails with an
//! error that names it. Needs the driver installed and running (`EVSHARE_E2E=1`).

#![cfg(windows)]

mod common;

use std::io::ErrorKind;

use common::{chain, eventually, require_e2e, serial, PATIENCE};
use evshare::{Driver, Error, EventKind, Share, SignalMode, WaitOutcome, DEFAULT_DEVICE_PATH};

/// `ERROR_FILE_NOT_FOUND`: what `CreateFileW` says of a `\\.\NAME` that no driver created.
const ERROR_FILE_NOT_FOUND: i32 = 2;

/// The driver's device by its NT name, through `GLOBALROOT` (Windows and Wine both resolve it):
/// a path to the evshare device that is not the default one, as a host's device would be.
const BY_NT_NAME: &str = r"\\.\GLOBALROOT\Device\evshare";

fn open_at(path: &str) -> Driver {
    require_e2e();
    Driver::open_at(path).unwrap_or_else(|error| panic!("open_at({path}): {}", chain(&error)))
}

#[test]
fn open_at_evshare_s_own_path_serves_requests() {
    let _serial = serial();
    assert_eq!(DEFAULT_DEVICE_PATH, r"\\.\evshare");
    for path in [r"\\.\evshare", BY_NT_NAME] {
        serves_requests(path);
    }
    // `open` is `open_at` of the default path.
    assert_eq!(Driver::open().unwrap().path(), DEFAULT_DEVICE_PATH);
}

/// The driver opened at `path` answers, and registers, signals and unregisters through it.
fn serves_requests(path: &str) {
    let driver = open_at(path);
    assert_eq!(driver.path(), path);
    assert!(driver.is_writable());
    assert!(driver.version().unwrap().max_registrations > 0);

    // A request that changes the driver's state, through this handle: a registration the
    // driver counts, signalled on demand and seen.
    let before = driver.stats(None).unwrap().live_registrations;
    let registration = driver
        .register(
            Share::DriverCreated {
                kind: EventKind::AutoReset,
            },
            SignalMode::OnDemand,
        )
        .unwrap_or_else(|error| panic!("register: {}", chain(&error)));
    assert_eq!(
        driver.stats(None).unwrap().live_registrations,
        before + 1,
        "{path}: the registration went to the driver at the path"
    );
    registration.signal().unwrap();
    assert_eq!(registration.wait(PATIENCE).unwrap(), WaitOutcome::Signaled);
    registration.unregister().unwrap();
    assert_eq!(driver.stats(None).unwrap().live_registrations, before);

    // The read-only form opens the same path and only looks.
    let looker = Driver::open_read_only_at(path).unwrap();
    assert_eq!(looker.path(), path);
    assert!(!looker.is_writable());
    assert!(looker.stats(None).is_ok());
}

#[test]
fn open_at_a_path_without_a_device_names_the_path() {
    let _serial = serial();
    require_e2e();
    let path = format!(r"\\.\evshare-e2e-no-such-device-{}", std::process::id());
    for (what, opened) in [
        ("open_at", Driver::open_at(&path)),
        ("open_read_only_at", Driver::open_read_only_at(&path)),
    ] {
        match opened {
            Ok(_) => panic!("{what}: {path} opened, but no driver created it"),
            Err(error) => {
                let text = error.to_string();
                assert!(
                    text.starts_with(&format!("cannot open the device `{path}`")),
                    "{what}: {}",
                    chain(&error)
                );
                // Not the evshare service's diagnosis: that service is not this device's.
                assert!(!text.contains("evshare start"), "{what}: {text}");
                assert!(error.is_driver_unavailable(), "{what}");
                match error {
                    Error::CannotOpenDevice {
                        path: named,
                        source,
                    } => {
                        assert_eq!(named, path, "{what}");
                        assert_eq!(
                            source.raw_os_error(),
                            Some(ERROR_FILE_NOT_FOUND),
                            "{what}: the OS error: {source}"
                        );
                    }
                    other => panic!("{what}: not CannotOpenDevice: {}", chain(&other)),
                }
            }
        }
    }

    // A NUL inside names no device; refused before any call, naming the path as given.
    match Driver::open_at("\\\\.\\evshare\0x") {
        Err(Error::CannotOpenDevice { path, source }) => {
            assert_eq!(path, "\\\\.\\evshare\0x");
            assert_eq!(source.kind(), ErrorKind::InvalidInput);
        }
        Err(other) => panic!("a path with a NUL: {}", chain(&other)),
        Ok(_) => panic!("a path with a NUL opened"),
    }
}

#[test]
fn notifications_of_a_driver_opened_at_a_path_come_from_that_path() {
    let _serial = serial();
    for path in [r"\\.\evshare", BY_NT_NAME] {
        notifications_arrive(path);
    }
}

/// A `Driver` opened at `path` keeps notification requests in flight and receives them.
fn notifications_arrive(path: &str) {
    let driver = open_at(path);
    let idle = driver.stats(None).unwrap();
    let mut inbox = driver
        .notifications(2)
        .unwrap_or_else(|error| panic!("{path}: notifications: {}", chain(&error)));
    // Its own handle (one more open), with its two requests parked in the same driver.
    eventually("the inbox's two requests are parked", || {
        let stats = driver.stats(None).unwrap();
        (stats.pending_irps == idle.pending_irps + 2).then_some(stats)
    });
    assert_eq!(
        driver.stats(None).unwrap().open_handles,
        idle.open_handles + 1
    );
    inbox.notify(3).unwrap();
    for seq in 0..3 {
        let notification = inbox
            .next(PATIENCE)
            .unwrap_or_else(|error| panic!("notification {seq}: {}", chain(&error)))
            .unwrap_or_else(|| panic!("notification {seq} never came"));
        assert_eq!(notification.seq, seq, "{path}");
    }
    let settled = inbox.close().unwrap();
    assert_eq!(
        (settled.cancelled, settled.delivered, settled.failed),
        (2, 0, 0),
        "{path}: the two re-issued requests end cancelled by the close"
    );
    eventually("the inbox's handle is closed", || {
        let stats = driver.stats(None).unwrap();
        (stats.pending_irps == idle.pending_irps && stats.open_handles == idle.open_handles)
            .then_some(())
    });
}

//! Shared by the end-to-end tests: they need the real driver, installed and started (the
//! harness does it and sets `EVSHARE_E2E=1`). Without it they fail loudly, never skip.

#![allow(dead_code)] // each test binary uses its own subset

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use evshare::Driver;

/// A wait long enough that only a broken driver reaches it; tests count, they never time.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// The period of the periodic registrations in the tests.
pub const PERIOD_MS: u32 = 20;

static SERIAL: Mutex<()> = Mutex::new(());

/// Serialises the tests of one binary, so counter deltas (rejected requests, live
/// registrations) are exact even without `--test-threads=1`.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Fails unless the harness said the driver is there (`EVSHARE_E2E=1`).
pub fn require_e2e() {
    if std::env::var("EVSHARE_E2E").as_deref() != Ok("1") {
        panic!(
            "end-to-end test without the driver: these tests need evshare.sys installed and \
             running and EVSHARE_E2E=1 (the xtask harness sets both up; by hand: \
             `evshare install`, `evshare start`, then `EVSHARE_E2E=1 cargo test --target \
             x86_64-pc-windows-gnu -p evshare -- --test-threads=1`)"
        );
    }
}

/// Opens the driver, or fails with the library's full explanation.
pub fn driver() -> Driver {
    require_e2e();
    Driver::open().unwrap_or_else(|error| panic!("cannot open the driver: {}", chain(&error)))
}

/// An event name no other test (or test process) uses.
pub fn unique(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("evshare-e2e-{}-{n}-{tag}", std::process::id())
}

/// The error's message and its `source()` chain on one line.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str(" <- ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

//! End to end, against the real driver: stopping it while apps use it (issue 8, items 4 and 7).
//!
//! Clients blocked in every kind of wait (a registered event of each method, a ring consumer,
//! a pended `PEND_NOTIFICATION`) each return their defined error once the driver stops; requests
//! on old handles are refused from the moment unload begins; requests racing the stop leave
//! nothing behind (no registration, no pended IRP, no crash of `winedevice.exe`). Each test
//! starts the driver again at the end, as the harness expects.

#![cfg(windows)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use common::{chain, driver, health, require_e2e, serial, unique, PATIENCE};
use evshare::service::{self, StartOutcome, StopOutcome};
use evshare::{
    Driver, Error, Event, Received, ResetKind, RingOptions, SignalMode, STOP_CHECK_SLICE,
};
use evshare_protocol::status::STATUS_DELETE_PENDING;

/// Longer than any test runs: a wait that reaches it did not notice the stop.
const FOREVER: Duration = Duration::from_secs(120);

/// Starts the driver again when dropped, whatever happened: the following tests need it.
struct RestartAfter;

impl Drop for RestartAfter {
    fn drop(&mut self) {
        if let Err(error) = service::start() {
            eprintln!("could not start the driver again: {}", chain(&error));
        }
    }
}

/// Stops the driver, which must have been running.
fn stop() {
    let stopped = service::stop().unwrap_or_else(|e| panic!("stop: {}", chain(&e)));
    assert_eq!(stopped, StopOutcome::Stopped);
}

/// Starts the driver and checks it starts from nothing.
fn start_clean() -> Driver {
    assert_eq!(
        service::start().unwrap_or_else(|e| panic!("start: {}", chain(&e))),
        StartOutcome::Started
    );
    let fresh = driver();
    let stats = fresh.stats(None).unwrap();
    assert_eq!(stats.live_registrations, 0);
    assert_eq!(stats.pending_irps, 0);
    assert_eq!(stats.live_rings, 0);
    assert!(
        stats.rejected.iter().all(|&n| n == 0),
        "counters start over: {:?}",
        stats.rejected
    );
    fresh
}

/// What one blocked client ended with, and how long after the stop began.
struct Woken {
    what: String,
    outcome: Result<String, String>,
    after_stop: Duration,
}

#[test]
fn every_blocked_client_learns_that_the_driver_stopped() {
    let _serial = serial();
    require_e2e();
    service::start().unwrap();
    let _restart = RestartAfter;
    let baseline = health::snapshot();
    let client = driver();
    let name = unique("stop-wait");
    let _named = Event::create_auto_reset(&name).unwrap();
    let mine = Event::new(ResetKind::Auto).unwrap();
    let leaf = format!("stop-wait-{}", std::process::id());
    // On demand: nothing signals them, so their waiters block until the driver stops.
    let registrations: Vec<_> = common::every_share(&name, &mine, &leaf)
        .into_iter()
        .map(|share| client.register(share, SignalMode::OnDemand).unwrap())
        .collect();
    let mut ring = client.register_ring(&RingOptions::new(64)).unwrap();
    let mut inbox = client.notifications(2).unwrap();

    let waiters = registrations.len() + 2;
    let ready = Barrier::new(waiters + 1);
    let stop_began = std::sync::OnceLock::<Instant>::new();
    let since_stop = || {
        stop_began
            .get()
            .map_or(Duration::ZERO, |began| began.elapsed())
    };
    let woken: Vec<Woken> = std::thread::scope(|scope| {
        let mut threads = Vec::new();
        for registration in &registrations {
            let (ready, since_stop) = (&ready, &since_stop);
            threads.push(scope.spawn(move || {
                ready.wait();
                let outcome = registration.wait(FOREVER);
                Woken {
                    what: format!("wait on a {} registration", registration.method()),
                    outcome: match outcome {
                        Err(error @ Error::DriverStopped { .. }) => Ok(chain(&error)),
                        other => Err(format!("{other:?}")),
                    },
                    after_stop: since_stop(),
                }
            }));
        }
        let (ready_ring, since_stop_ring) = (&ready, &since_stop);
        let ring = &mut ring;
        threads.push(scope.spawn(move || {
            ready_ring.wait();
            let outcome = ring.recv(FOREVER);
            Woken {
                what: "ring consumer waiting for a record".to_owned(),
                outcome: match outcome {
                    Ok(Some(Received::Closed)) => Ok("the ring is closed".to_owned()),
                    other => Err(format!("{other:?}")),
                },
                after_stop: since_stop_ring(),
            }
        }));
        let (ready_pend, since_stop_pend) = (&ready, &since_stop);
        let inbox = &mut inbox;
        threads.push(scope.spawn(move || {
            ready_pend.wait();
            let outcome = inbox.next(FOREVER);
            Woken {
                what: "pended PEND_NOTIFICATION".to_owned(),
                outcome: match outcome {
                    Err(error @ Error::DriverStopped { .. }) => Ok(chain(&error)),
                    other => Err(format!("{other:?}")),
                },
                after_stop: since_stop_pend(),
            }
        }));
        ready.wait();
        // Let every waiter block (a waiter that starts late must get the same answer).
        std::thread::sleep(Duration::from_millis(300));
        stop_began.set(Instant::now()).unwrap();
        stop();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });

    let mut failures = Vec::new();
    for woken in &woken {
        println!(
            "{}: returned {:.0} ms after the stop began: {}",
            woken.what,
            woken.after_stop.as_secs_f64() * 1000.0,
            match &woken.outcome {
                Ok(text) | Err(text) => text,
            }
        );
        if woken.outcome.is_err() || woken.after_stop >= PATIENCE {
            failures.push(woken.what.clone());
        }
    }
    assert!(
        failures.is_empty(),
        "these waits did not end with their defined error within {PATIENCE:?} (each must \
         within {STOP_CHECK_SLICE:?} of the unload): {failures:?}"
    );
    // An old handle is refused (or finds the device gone), with the driver-stopped error.
    let error = client.version().unwrap_err();
    assert!(
        matches!(error, Error::DriverStopped { .. }),
        "QUERY_VERSION on an old handle after the stop: {}",
        chain(&error)
    );
    drop(inbox);
    drop(ring);
    drop(registrations);
    drop(client);

    start_clean();
    let after = health::snapshot();
    println!("winedevice before: {baseline}; after the restart: {after}");
}

/// What the racing threads saw.
#[derive(Default)]
struct Tally {
    served: AtomicU64,
    /// Refused by the driver's rundown while it unloaded (`STATUS_DELETE_PENDING`).
    refused_unloading: AtomicU64,
    /// Refused by Wine once the device was gone (`STATUS_FILE_DELETED`).
    refused_gone: AtomicU64,
    /// Opens that failed because the device was gone (the opening thread's refusal).
    opens_failed: AtomicU64,
    served_after_refusal: AtomicU64,
}

#[test]
fn requests_racing_the_stop_are_refused_and_leave_nothing_behind() {
    let _serial = serial();
    require_e2e();
    service::start().unwrap();
    let _restart = RestartAfter;
    let name = unique("stop-race");
    let _named = Event::create_auto_reset(&name).unwrap();
    let tally = Tally::default();
    let stopped = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for thread in 0..5 {
            let (tally, stopped, name) = (&tally, &stopped, &name);
            scope.spawn(move || {
                let client = driver();
                let mut inbox = client.notifications(1).ok();
                let mut refused = false;
                // Until the driver stopped and this thread saw a refusal: register (kept:
                // forgotten, so only unload can release them), ask the version, pend, or open
                // a new handle (an IRP_MJ_CREATE the stop may refuse: on Windows km then frees
                // the handle's state at once, under Wine the CLOSE that follows does, and the
                // `windows-branches` build runs the Windows side under Wine too).
                while !(refused && stopped.load(Ordering::SeqCst)) {
                    let outcome = match thread % 4 {
                        0 => client
                            .register_by_name(name, SignalMode::Periodic { period_ms: 20 })
                            .map(std::mem::forget),
                        1 => client.version().map(drop),
                        2 => match inbox.as_mut() {
                            Some(inbox) => inbox.notify(1).map(drop),
                            None => client.version().map(drop),
                        },
                        _ => Driver::open().and_then(|fresh| fresh.version().map(drop)),
                    };
                    match outcome {
                        Ok(()) if refused => {
                            tally.served_after_refusal.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(()) => {
                            tally.served.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(Error::DriverStopped { status, .. }) => {
                            refused = true;
                            let counter =
                                if status.map(|s| s.as_u32()) == Some(STATUS_DELETE_PENDING) {
                                    &tally.refused_unloading
                                } else {
                                    &tally.refused_gone
                                };
                            counter.fetch_add(1, Ordering::SeqCst);
                        }
                        // Only an open can find the device gone; it is that thread's refusal.
                        Err(Error::DriverNotRunning { .. } | Error::DeviceUnavailable { .. })
                            if thread % 4 == 3 =>
                        {
                            refused = true;
                            tally.opens_failed.fetch_add(1, Ordering::SeqCst);
                        }
                        // A thread's own quota (128 registrations) or budget: not the point.
                        Err(Error::ProcessRegistrationQuota { .. } | Error::TimerBudget { .. }) => {
                        }
                        Err(other) => panic!("thread {thread}: {}", chain(&other)),
                    }
                }
                drop(inbox.take());
            });
        }
        std::thread::sleep(Duration::from_millis(200));
        stop();
        stopped.store(true, Ordering::SeqCst);
    });
    let served = tally.served.load(Ordering::SeqCst);
    let unloading = tally.refused_unloading.load(Ordering::SeqCst);
    let gone = tally.refused_gone.load(Ordering::SeqCst);
    let opens_failed = tally.opens_failed.load(Ordering::SeqCst);
    println!(
        "racing the stop: {served} requests served before it; refused after: {unloading} by the \
         driver while it unloaded (STATUS_DELETE_PENDING), {gone} by Wine once the device was \
         gone (STATUS_FILE_DELETED), {opens_failed} opens of the vanished device"
    );
    assert!(served > 0 && unloading + gone + opens_failed > 0);
    assert_eq!(
        tally.served_after_refusal.load(Ordering::SeqCst),
        0,
        "a request was served after another on the same handle was refused for the stop"
    );
    // Nothing made in the window survives: the driver comes back empty, and its host lives.
    start_clean();
    health::snapshot();
}

//! The verifier build (`evshare_km::verifier`), end to end.
//!
//! `cargo xtask test` runs the whole e2e suite twice: against the shipped driver, then against
//! the verifier build, whose unload summary must report zero violations. In between:
//!
//! - `verifier_request_is_the_verifier_builds_only` runs in both: the shipped driver refuses
//!   `VERIFIER` (counted once as `NotVerifierBuild`); the verifier build answers it, and its
//!   figures in `QUERY_STATS` are the same.
//! - `fault_injection_fails_requests_with_a_defined_status_and_leaves_nothing` (ignored; the
//!   harness runs it against the verifier build, before the clean-unload check): kernel calls
//!   fail at points chosen from a seed; every request that fails says
//!   `STATUS_INSUFFICIENT_RESOURCES`, nothing stays registered, and the driver serves again once
//!   injection stops. The unload summary then shows nothing leaked.
//! - `each_check_fires_when_provoked` (ignored; the harness runs it on a fresh verifier build
//!   after the clean-unload check): each check is provoked once, and the runtime checks count
//!   exactly one violation each; the unload checks fire at unload, which the harness reads.

#![cfg(windows)]

mod common;

use std::time::Duration;

use common::{chain, driver, serial, unique};
use evshare::{
    Driver, Error, Event, NtStatus, RejectReason, ResetKind, RingOptions, SignalMode,
    VerifierFigures, VerifierOp, VERIFIER_CHECK_NAMES,
};

const STATUS_INSUFFICIENT_RESOURCES: u32 = 0xC000_009A;
const STATUS_NOT_SUPPORTED: u32 = 0xC000_00BB;

/// The verifier build's figures, or `None` against the shipped driver (checked to be a proper
/// refusal, counted once).
fn verifier_figures(driver: &Driver) -> Option<VerifierFigures> {
    let before = driver.stats(None).unwrap();
    match driver.verifier(VerifierOp::Query) {
        Ok(figures) => {
            assert!(figures.enabled, "a verifier reply says it is not enabled");
            assert!(
                before.verifier.enabled,
                "QUERY_STATS says it is not enabled"
            );
            Some(figures)
        }
        Err(error) => {
            assert!(
                matches!(error, Error::NotVerifierBuild { .. }),
                "VERIFIER refused with an unexpected error: {}",
                chain(&error)
            );
            assert_eq!(error.status(), Some(NtStatus(STATUS_NOT_SUPPORTED)));
            let after = driver.stats(None).unwrap();
            assert_eq!(
                after.rejected_for(RejectReason::NotVerifierBuild)
                    - before.rejected_for(RejectReason::NotVerifierBuild),
                1,
                "the refusal moves its counter once"
            );
            let total = |s: &evshare::StatsReply| s.rejected.iter().sum::<u64>();
            assert_eq!(total(&after) - total(&before), 1, "and no other counter");
            assert_eq!(after.verifier, VerifierFigures::default());
            None
        }
    }
}

/// Fails loudly unless the installed driver is the verifier build.
fn require_verifier_build(driver: &Driver) -> VerifierFigures {
    verifier_figures(driver).unwrap_or_else(|| {
        panic!(
            "this test needs the verifier build installed (`cargo xtask test` installs it for \
             its second e2e run; by hand: build evshare-driver with `--features verifier` and \
             `evshare install --sys` it)"
        )
    })
}

#[test]
fn verifier_request_is_the_verifier_builds_only() {
    let _serial = serial();
    let driver = driver();
    match verifier_figures(&driver) {
        None => println!("the shipped driver refused VERIFIER as NotVerifierBuild, counted once"),
        Some(figures) => {
            // A query changes nothing, and the stats carry the same figures.
            let stats = driver.stats(None).unwrap();
            assert_eq!(stats.verifier.violations, figures.violations);
            assert_eq!(
                figures.total_violations(),
                0,
                "violations so far: {figures:?}"
            );
            assert!(figures.calls_checked > 0, "the verifier checked no call");
            println!(
                "verifier build: {} kernel calls checked so far, {} violations",
                figures.calls_checked,
                figures.total_violations()
            );
        }
    }
}

/// What one round of the fault-injection workload saw.
#[derive(Default)]
struct Tally {
    succeeded: u64,
    failed: u64,
}

impl Tally {
    /// Counts `result`; a failure must be the defined one for an injected fault.
    fn count<T>(&mut self, what: &str, result: evshare::Result<T>) -> Option<T> {
        match result {
            Ok(value) => {
                self.succeeded += 1;
                Some(value)
            }
            Err(error) => {
                assert!(
                    matches!(error, Error::OutOfResources { .. })
                        && error.status() == Some(NtStatus(STATUS_INSUFFICIENT_RESOURCES)),
                    "{what} failed under fault injection with something other than \
                     STATUS_INSUFFICIENT_RESOURCES: {}",
                    chain(&error)
                );
                self.failed += 1;
                None
            }
        }
    }
}

/// Every kind of request once, on a fresh handle (its CREATE allocates too).
fn workload(round: usize, tally: &mut Tally) {
    let driver = Driver::open().expect("opening the device cannot fail: Wine queues CREATE");
    let name = unique(&format!("fault-{round}"));
    let _named = Event::create_auto_reset(&name).unwrap();
    let mine = Event::new(ResetKind::Auto).unwrap();
    let leaf = format!("fault-{}-{round}", std::process::id());
    for share in common::every_share(&name, &mine, &leaf) {
        let method = share.method();
        if let Some(registration) = tally.count(
            &format!("{method}"),
            driver.register(share, SignalMode::OnDemand),
        ) {
            tally.count("SIGNAL", registration.signal());
        }
    }
    if let Some(ring) = tally.count("REGISTER_RING", driver.register_ring(&RingOptions::new(64))) {
        tally.count("PRODUCE", ring.produce(4));
    }
    if let Some(mut inbox) = tally.count("notifications", driver.notifications(2)) {
        if tally.count("NOTIFY", inbox.notify(1)).is_some() {
            tally.count("a notification", inbox.next(common::PATIENCE));
        }
    }
}

#[test]
#[ignore = "run by `cargo xtask test` against the verifier build"]
fn fault_injection_fails_requests_with_a_defined_status_and_leaves_nothing() {
    let _serial = serial();
    let driver = driver();
    let before = require_verifier_build(&driver);
    let stats_before = driver.stats(None).unwrap();
    let seed = std::env::var("EVSHARE_FAULT_SEED")
        .ok()
        .and_then(|text| u64::from_str_radix(text.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0x5EED_FA17);
    const ONE_IN: u32 = 5;
    const ROUNDS: usize = 40;
    println!(
        "fault injection: seed {seed:#x} (EVSHARE_FAULT_SEED replays it), one call in {ONE_IN}"
    );
    driver
        .verifier(VerifierOp::Faults {
            seed,
            one_in: ONE_IN,
        })
        .unwrap();
    let mut tally = Tally::default();
    for round in 0..ROUNDS {
        workload(round, &mut tally);
    }
    let injected = driver
        .verifier(VerifierOp::Faults { seed: 0, one_in: 0 })
        .unwrap();
    let faults = injected.faults_injected - before.faults_injected;
    println!(
        "fault injection: {faults} kernel calls failed on purpose over {ROUNDS} rounds; \
         {} requests failed (each STATUS_INSUFFICIENT_RESOURCES), {} succeeded",
        tally.failed, tally.succeeded
    );
    assert!(faults > 0, "no fault was injected: the test proved nothing");
    assert!(
        tally.failed > 0,
        "no request failed: the injected faults were all absorbed"
    );
    assert!(
        tally.failed <= u64::from(faults),
        "{} requests failed but only {faults} faults were injected",
        tally.failed
    );
    // Everything the rounds made is gone with their handles, and the driver serves again.
    common::eventually("the driver held nothing after the rounds", || {
        let stats = driver.stats(None).unwrap();
        (stats.live_registrations == stats_before.live_registrations
            && stats.pending_irps == stats_before.pending_irps)
            .then_some(())
    });
    let mut tally = Tally::default();
    workload(ROUNDS, &mut tally);
    assert_eq!(tally.failed, 0, "requests failed after injection stopped");
    let after = driver.verifier(VerifierOp::Query).unwrap();
    assert_eq!(
        after.faults_injected, injected.faults_injected,
        "faults were injected after injection stopped"
    );
    assert_eq!(
        after.total_violations(),
        before.total_violations(),
        "fault injection led to verifier violations: {after:?}"
    );
}

#[test]
#[ignore = "run by `cargo xtask test` on a fresh verifier build: it leaves violations behind"]
fn each_check_fires_when_provoked() {
    let _serial = serial();
    let driver = driver();
    let mut before = require_verifier_build(&driver);
    assert_eq!(
        before.total_violations(),
        0,
        "a fresh verifier build has violations"
    );
    let runtime = ["irql", "irp-completion", "lock-order"];
    for (check, name) in VERIFIER_CHECK_NAMES.iter().enumerate() {
        if *name == "irp-at-unload" {
            continue;
        }
        driver
            .verifier(VerifierOp::Provoke {
                check: check as u32,
            })
            .unwrap_or_else(|error| panic!("provoking {name}: {}", chain(&error)));
        let now = driver.verifier(VerifierOp::Query).unwrap();
        let fired = now.violations[check] - before.violations[check];
        if runtime.contains(name) {
            assert_eq!(fired, 1, "{name} fired {fired} times when provoked once");
        } else {
            assert_eq!(fired, 0, "{name} is checked at unload, not before");
        }
        // Every other check stayed quiet.
        for (other, other_name) in VERIFIER_CHECK_NAMES.iter().enumerate() {
            if other != check {
                assert_eq!(
                    now.violations[other], before.violations[other],
                    "provoking {name} moved {other_name}"
                );
            }
        }
        println!("provoked {name}: {fired} violation(s) now");
        before = now;
    }
    // irp-at-unload: the request stays pending for ever; send it on a handle of its own and
    // close the handle without waiting (the unload summary reports the IRP).
    let handle = common::raw::open_device(true);
    let request = evshare::VerifierOp::Provoke {
        check: VERIFIER_CHECK_NAMES
            .iter()
            .position(|name| *name == "irp-at-unload")
            .unwrap() as u32,
    };
    let pending =
        common::raw::start_overlapped(handle, &evshare_protocol::Request::Verifier { op: request });
    assert_eq!(pending, Ok(()), "the provocation should stay pending");
    std::thread::sleep(Duration::from_millis(200));
    common::raw::close(handle);
    println!("provoked irp-at-unload: the request was left pending and its handle closed");
}

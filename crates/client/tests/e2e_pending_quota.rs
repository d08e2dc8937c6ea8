//! The per-process quota of pending `PEND_NOTIFICATION` requests (issue 8, items 3, 5 and 6):
//! one process may hold 64, over all its handles; the next is refused with
//! `STATUS_EVSHARE_PROCESS_PENDING`, moves exactly one counter (`ProcessPending`), and leaves
//! the driver as it was: the requests already parked still deliver.

#![cfg(windows)]

mod common;

use common::{
    chain, child_argument, driver, eventually, rejections_between, report_and_wait, serial,
    ChildTest, PATIENCE,
};
use evshare::{Driver, RejectReason};
use evshare_protocol::quota;
use evshare_protocol::status::{STATUS_EVSHARE_PENDING_FULL, STATUS_EVSHARE_PROCESS_PENDING};

/// What one process may hold.
const PER_PROCESS: usize = quota::MAX_PENDING_PER_PROCESS as usize;
/// What the driver holds from all processes.
const IN_ALL: usize = quota::MAX_PENDING as usize;

fn pending_irps_become(driver: &Driver, expected: u32, what: &str) {
    eventually(&format!("{what}: {expected} requests pending"), || {
        (driver.stats(None).unwrap().pending_irps == expected).then_some(())
    });
}

#[test]
fn one_process_cannot_park_more_than_its_quota() {
    let _serial = serial();
    let driver = driver();
    pending_irps_become(&driver, 0, "at the start");
    // The quota spread over two handles: it is the process's, not the handle's.
    let mut first = driver.notifications(PER_PROCESS / 2).unwrap();
    let second = driver.notifications(PER_PROCESS / 2).unwrap();
    pending_irps_become(&driver, PER_PROCESS as u32, "at the quota");
    let before = driver.stats(None).unwrap();

    let error = match driver.notifications(1) {
        Ok(_) => panic!("a 65th pending request of one process was accepted"),
        Err(error) => error,
    };
    assert_eq!(
        error.status().map(|status| status.0),
        Some(STATUS_EVSHARE_PROCESS_PENDING),
        "{}",
        chain(&error)
    );
    assert!(
        matches!(error, evshare::Error::ProcessPendingQuota { .. }),
        "the error names the quota: {error:?}"
    );
    let after = driver.stats(None).unwrap();
    assert_eq!(
        rejections_between(&before, &after),
        [(RejectReason::ProcessPending, 1)],
        "the refusal moves exactly one counter"
    );
    assert_eq!(
        after.pending_irps, PER_PROCESS as u32,
        "nothing else changed"
    );
    println!(
        "pending quota: {PER_PROCESS} parked by one process over two handles; the next refused \
         with {STATUS_EVSHARE_PROCESS_PENDING:#x} and counted once as {:?}",
        RejectReason::ProcessPending
    );

    // The parked ones still deliver; freeing one makes room again.
    first.notify(1).unwrap();
    let notification = first
        .next(PATIENCE)
        .unwrap()
        .expect("a parked request delivers");
    assert_eq!(notification.seq, 0);
    drop(second);
    drop(first);
    pending_irps_become(&driver, 0, "after both handles closed");
    let again = driver.notifications(1).unwrap();
    pending_irps_become(&driver, 1, "below the quota again");
    drop(again);
    pending_irps_become(&driver, 0, "at the end");
}

#[test]
fn the_driver_wide_pool_refuses_the_next_process_once_full() {
    let _serial = serial();
    let driver = driver();
    pending_irps_become(&driver, 0, "at the start");
    // Four processes at their quota fill the driver's pool.
    let mut children: Vec<ChildTest> = (0..IN_ALL / PER_PROCESS)
        .map(|_| {
            let mut child = ChildTest::spawn(
                "child_parks_its_quota",
                &[
                    ("EVSHARE_E2E", "1"),
                    ("EVSHARE_CHILD_PARKS", &PER_PROCESS.to_string()),
                ],
            );
            child.expect_line("parked");
            child
        })
        .collect();
    pending_irps_become(&driver, IN_ALL as u32, "with the pool full");
    let before = driver.stats(None).unwrap();
    let error = match driver.notifications(1) {
        Ok(_) => panic!("a request beyond the driver's {IN_ALL} pending ones was accepted"),
        Err(error) => error,
    };
    assert_eq!(
        error.status().map(|status| status.0),
        Some(STATUS_EVSHARE_PENDING_FULL),
        "{}",
        chain(&error)
    );
    assert!(
        matches!(error, evshare::Error::PendingPoolFull { .. }),
        "the error names the pool: {error:?}"
    );
    let after = driver.stats(None).unwrap();
    assert_eq!(
        rejections_between(&before, &after),
        [(RejectReason::PendingFull, 1)],
        "the refusal moves exactly one counter"
    );
    assert_eq!(after.pending_irps, IN_ALL as u32, "nothing else changed");
    println!(
        "pending pool: {IN_ALL} parked by {} processes; a fifth process refused with \
         {STATUS_EVSHARE_PENDING_FULL:#x}, counted once as {:?}",
        children.len(),
        RejectReason::PendingFull
    );
    for child in children.drain(..) {
        child.finish();
    }
    pending_irps_become(&driver, 0, "after the children exited");
    let again = driver.notifications(1).unwrap();
    pending_irps_become(&driver, 1, "with room again");
    drop(again);
    pending_irps_become(&driver, 0, "at the end");
}

#[test]
#[ignore = "the child side of the_driver_wide_pool_refuses_the_next_process_once_full"]
fn child_parks_its_quota() {
    let count: usize = child_argument(
        "EVSHARE_CHILD_PARKS",
        "the_driver_wide_pool_refuses_the_next_process_once_full",
    )
    .parse()
    .expect("a count");
    let driver = driver();
    let inbox = driver.notifications(count).unwrap();
    report_and_wait("parked", count);
    drop(inbox);
}

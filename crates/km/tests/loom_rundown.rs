//! Loom models of unload versus dispatch (issue 8, item 4): `km::remove_lock::Rundown` over a
//! model of `IO_REMOVE_LOCK` with Wine 8.0's order of operations (check `Removed`, then count:
//! the weaker of Wine's and Windows'), every interleaving of a request, a close and unload.
//!
//! Properties: no admitted request runs once unload's teardown has begun, so a registration
//! made by a request is either torn down by unload or never made; a close may run during the
//! teardown, and a close unload counted never runs after unload returned. The last model shows the kernel lock alone, with
//! Wine's order, lets a request in after unload stopped waiting: the reason for the rundown's
//! own flag.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p evshare-km --release --test loom_rundown`
//! (`cargo xtask test` does, in its loom step).
#![cfg(loom)]

use evshare_km::remove_lock::{ModelRemoveLock, RawRemoveLock, Rundown};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

/// What the driver's teardown must find complete.
struct Driver {
    rundown: Rundown<ModelRemoveLock>,
    /// Registrations made by admitted requests and not yet torn down.
    live: AtomicUsize,
    /// Unload's teardown has begun (pended IRPs cancelled, registrations retired).
    tearing_down: AtomicBool,
    /// `DriverUnload` returned: under Wine the image is freed next.
    unloaded: AtomicBool,
    /// Requests refused with `STATUS_DELETE_PENDING`.
    refused: AtomicUsize,
}

impl Driver {
    fn new() -> Arc<Driver> {
        let driver = Driver {
            rundown: Rundown::new(ModelRemoveLock::new(), ModelRemoveLock::new()),
            live: AtomicUsize::new(0),
            tearing_down: AtomicBool::new(false),
            unloaded: AtomicBool::new(false),
            refused: AtomicUsize::new(0),
        };
        driver.rundown.init(&passive());
        Arc::new(driver)
    }

    /// A request that registers something (`REGISTER_*`, `PEND_NOTIFICATION`).
    fn request(&self) {
        match self.rundown.enter() {
            Ok(_admitted) => {
                assert!(
                    !self.tearing_down.load(SeqCst),
                    "a request was admitted while unload tore down"
                );
                self.live.fetch_add(1, SeqCst);
            }
            Err(_) => {
                self.refused.fetch_add(1, SeqCst);
            }
        }
    }

    /// `IRP_MJ_CLOSE`: never refused, and it releases what its handle holds.
    fn close(&self) {
        let closing = self.rundown.enter_close();
        if closing.is_counted() {
            assert!(
                !self.unloaded.load(SeqCst),
                "a close ran after DriverUnload returned"
            );
        }
    }

    /// `DriverUnload`, in the driver's order.
    fn unload(&self) {
        let at = passive();
        self.rundown.stop_requests(&at);
        self.tearing_down.store(true, SeqCst);
        // retire_all(None), cancel_all(None): everything admitted is gone.
        self.live.store(0, SeqCst);
        self.rundown.stop_closes(&at);
        self.unloaded.store(true, SeqCst);
    }
}

#[test]
fn unload_waits_for_admitted_requests_and_refuses_later_ones() {
    loom::model(|| {
        let driver = Driver::new();
        let requester = {
            let driver = driver.clone();
            thread::spawn(move || driver.request())
        };
        driver.unload();
        requester.join().unwrap();
        assert_eq!(
            driver.live.load(SeqCst),
            0,
            "a registration made during unload survived it"
        );
        // After unload, every request is refused.
        driver.request();
        assert!(driver.refused.load(SeqCst) >= 1);
    });
}

#[test]
fn a_close_during_unload_runs_and_finishes_before_unload_returns() {
    loom::model(|| {
        let driver = Driver::new();
        let closer = {
            let driver = driver.clone();
            thread::spawn(move || driver.close())
        };
        driver.unload();
        closer.join().unwrap();
        assert!(driver.unloaded.load(SeqCst));
    });
}

#[test]
fn two_requests_racing_unload_leave_nothing_behind() {
    // Three threads with spin-waits: bound the preemptions so the model ends in seconds.
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(3);
    model.check(|| {
        let driver = Driver::new();
        let requesters: Vec<_> = (0..2)
            .map(|_| {
                let driver = driver.clone();
                thread::spawn(move || driver.request())
            })
            .collect();
        driver.unload();
        for requester in requesters {
            requester.join().unwrap();
        }
        assert_eq!(driver.live.load(SeqCst), 0);
    });
}

/// The kernel lock alone, with Wine's order: a request reads `Removed` as false, unload removes
/// the lock and finds no holder, then the request counts itself in and runs during teardown.
/// Loom finds that interleaving, so this model fails (which the test expects).
#[test]
#[should_panic(expected = "admitted while unload tore down")]
fn wines_remove_lock_alone_admits_a_request_during_teardown() {
    loom::model(|| {
        let lock = Arc::new(ModelRemoveLock::new());
        let tearing_down = Arc::new(AtomicBool::new(false));
        let requester = {
            let lock = lock.clone();
            let tearing_down = tearing_down.clone();
            thread::spawn(move || {
                if lock.acquire() {
                    assert!(
                        !tearing_down.load(SeqCst),
                        "a request was admitted while unload tore down"
                    );
                    lock.release();
                }
            })
        };
        if lock.acquire() {
            lock.release_and_wait();
        }
        tearing_down.store(true, SeqCst);
        requester.join().unwrap();
    });
}

/// The model's threads stand for `DriverEntry` and unload, which run at `PASSIVE_LEVEL`.
fn passive() -> evshare_km::irql::Passive {
    // SAFETY: a host thread holding no spin lock is what `PASSIVE_LEVEL` means here.
    unsafe { evshare_km::irql::Passive::assume() }
}

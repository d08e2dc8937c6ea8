//! Loom model of "timer DPC vs unregister" (issue 8): km's real [`TimerState`] (the
//! bookkeeping `km::timer::Timer` runs in the driver) over a mock kernel timer with Windows'
//! semantics: `KeCancelTimer` does not wait for a DPC already queued or running, only
//! `KeFlushQueuedDpcs` does, and DPCs run concurrently with dispatch routines.
//!
//! The owner's memory is never really freed here: a logical reference count says when the
//! driver *would* free it, and every DPC checks it never touches an owner in that state, and
//! never signals after `shutdown` (what `Registration::retire` calls) returned.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p evshare-km --release --test loom_timer`
//! (`cargo xtask test` does, in its loom step).
#![cfg(loom)]

use evshare_km::timer_state::{KernelTimer, TimerState};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;

/// The kernel's view of one timer: in the timer table or not, periodic or not, and how many
/// of its DPCs are queued or running.
#[derive(Default)]
struct Kernel {
    armed: bool,
    periodic: bool,
    in_flight: usize,
}

/// A `KTIMER` + `KDPC` with Windows' semantics (or, with `flush_waits: false`, a kernel whose
/// flush does not wait: the model must then fail).
struct MockTimer {
    kernel: Mutex<Kernel>,
    flush_waits: bool,
}

impl KernelTimer for MockTimer {
    fn set(&self, _due_ms: u32, period_ms: u32) {
        let mut kernel = self.kernel.lock().unwrap();
        kernel.armed = true;
        kernel.periodic = period_ms > 0;
    }

    fn cancel(&self) -> bool {
        let mut kernel = self.kernel.lock().unwrap();
        std::mem::replace(&mut kernel.armed, false)
    }

    fn flush(&self) {
        if !self.flush_waits {
            return;
        }
        while self.kernel.lock().unwrap().in_flight != 0 {
            thread::yield_now();
        }
    }
}

impl MockTimer {
    /// The timer expires: its DPC is queued (a one-shot leaves the timer table).
    fn expire(&self) -> bool {
        let mut kernel = self.kernel.lock().unwrap();
        if !kernel.armed {
            return false;
        }
        if !kernel.periodic {
            kernel.armed = false;
        }
        kernel.in_flight += 1;
        true
    }

    fn dpc_done(&self) {
        self.kernel.lock().unwrap().in_flight -= 1;
    }
}

/// A registration: its timer state, and what the model watches.
struct Owner {
    state: TimerState<MockTimer, OwnerRef>,
    /// Logical references (registry, in-flight requests, the armed timer).
    refs: AtomicUsize,
    /// The driver would have freed the registration.
    freed: AtomicBool,
    /// `shutdown` returned.
    retired: AtomicBool,
    signals: AtomicUsize,
}

/// A counted reference (a `PoolArc<Registration>` in the driver).
struct OwnerRef(Arc<Owner>);

impl OwnerRef {
    fn clone_ref(&self) -> OwnerRef {
        self.0.refs.fetch_add(1, Ordering::Relaxed);
        OwnerRef(self.0.clone())
    }
}

impl Drop for OwnerRef {
    fn drop(&mut self) {
        if self.0.refs.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.freed.store(true, Ordering::Release);
        }
    }
}

/// A new registration with one reference (the registry's), and the memory for the DPC.
fn registration(flush_waits: bool) -> (OwnerRef, Arc<Owner>) {
    let owner = Arc::new(Owner {
        state: TimerState::new(MockTimer {
            kernel: Mutex::new(Kernel::default()),
            flush_waits,
        }),
        refs: AtomicUsize::new(1),
        freed: AtomicBool::new(false),
        retired: AtomicBool::new(false),
        signals: AtomicUsize::new(0),
    });
    (OwnerRef(owner.clone()), owner)
}

/// What the kernel does when the timer expires up to `expiries` times: run the DPC, which
/// touches the owner through its raw context (here, `memory`).
fn kernel_dpcs(memory: Arc<Owner>, expiries: usize) {
    for _ in 0..expiries {
        if !memory.state.kernel().expire() {
            continue;
        }
        assert!(
            !memory.freed.load(Ordering::Acquire),
            "a DPC ran on a registration the driver had freed"
        );
        if memory.state.dpc_may_run() {
            assert!(
                !memory.retired.load(Ordering::Acquire),
                "a DPC signalled after retire returned"
            );
            memory.signals.fetch_add(1, Ordering::Relaxed);
        }
        memory.state.kernel().dpc_done();
    }
}

/// UNREGISTER: the registry's reference leaves the registry, is retired, and dropped.
fn unregister(registry: OwnerRef) {
    registry.0.state.shutdown();
    registry.0.retired.store(true, Ordering::Release);
    drop(registry);
}

fn arm(owner: &OwnerRef, period_ms: u32) -> bool {
    let keep = owner.clone_ref();
    owner.0.state.arm(period_ms, period_ms, move || keep)
}

/// After every thread finished: retired, the timer holds nothing, and the registration was
/// freed (no leak once it was retired).
fn check_end(memory: &Owner) {
    assert!(!memory.state.holds_owner(), "the timer kept its reference");
    assert!(
        memory.freed.load(Ordering::Acquire),
        "the registration leaked"
    );
    assert_eq!(memory.refs.load(Ordering::Relaxed), 0);
}

/// A periodic registration whose DPC fires while UNREGISTER retires and drops it.
#[test]
fn a_periodic_dpc_never_outlives_unregister() {
    loom::model(|| {
        let (registry, memory) = registration(true);
        assert!(arm(&registry, 1));
        let dpcs = {
            let memory = memory.clone();
            thread::spawn(move || kernel_dpcs(memory, 2))
        };
        unregister(registry);
        dpcs.join().unwrap();
        check_end(&memory);
    });
}

/// A one-shot, re-armed by a SET_MODE that races with UNREGISTER (two dispatch routines on
/// Windows), while the DPC fires: the late arm is refused or cancelled, never left armed
/// without a reference.
#[test]
fn set_mode_racing_unregister_never_leaves_a_dpc_behind() {
    loom::model(|| {
        let (registry, memory) = registration(true);
        assert!(arm(&registry, 0));
        // The in-flight SET_MODE's own reference (REGISTRY.find).
        let request = registry.clone_ref();
        let dpcs = {
            let memory = memory.clone();
            thread::spawn(move || kernel_dpcs(memory, 2))
        };
        let set_mode = thread::spawn(move || {
            arm(&request, 0);
            drop(request);
        });
        unregister(registry);
        set_mode.join().unwrap();
        dpcs.join().unwrap();
        check_end(&memory);
    });
}

/// The model can fail: with a kernel whose flush does not wait for a queued DPC (what relying
/// on Wine's `KeCancelTimer` alone would mean on Windows), some interleaving runs a DPC on a
/// freed registration (or signals after retire returned).
#[test]
#[should_panic(expected = "a DPC")]
fn without_the_flush_a_dpc_runs_on_a_freed_registration() {
    loom::model(|| {
        let (registry, memory) = registration(false);
        assert!(arm(&registry, 1));
        let dpcs = {
            let memory = memory.clone();
            thread::spawn(move || kernel_dpcs(memory, 1))
        };
        unregister(registry);
        dpcs.join().unwrap();
    });
}

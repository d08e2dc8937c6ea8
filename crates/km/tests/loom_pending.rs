//! Loom models of the pending-IRP queue (`evshare_km::pending`), run on the host with
//! `RUSTFLAGS="--cfg loom"` (`cargo xtask test` does, in its `loom` step). The queue's code is
//! the driver's own; only the IRP is a mock behind the `Request` seam: an atomic cancel-routine
//! slot and cancel flag, used the way `IoSetCancelRoutine` and `IoCancelIrp` use the real ones.
//! Windows dispatches on many CPUs at once, which Wine never shows; loom explores the
//! interleavings instead.
//!
//! - Two parks at the limit (the pool's, then a process's quota): exactly one is refused, and
//!   every request marked pending is stored. The old park (check under one lock hold, insert
//!   under another) is kept as `Fault::CheckThenInsert`; the model must catch it, and a test
//!   says it does.
//! - Cancel vs take (a NOTIFY completing) vs close (take for the handle), two at a time (three
//!   spinning threads are beyond loom's budget), and park vs cancel: every request is
//!   completed exactly once.
#![cfg(loom)]

use evshare_km::pending::{Fault, Parked, PendingQueue, Refusal};
use evshare_km::pending_mock::{cancel, irp, model, Mock, Owned};
use evshare_km::sync::model::Ordering;
use loom::thread;

fn queue<const N: usize>(fault: Fault) -> &'static PendingQueue<Mock, N> {
    Box::leak(Box::new(PendingQueue::with_fault(fault)))
}

/// Parks as the driver's dispatch does: a refusal is completed at once (by the caller), a
/// request cancelled before it was queued is completed by whoever `park` says.
fn park<const N: usize>(
    queue: &'static PendingQueue<Mock, N>,
    irp: Mock,
    process: u32,
    per_process: usize,
) -> Result<(), Refusal> {
    match queue.park(Owned(irp), process, per_process) {
        Ok(Parked::Queued) | Ok(Parked::CancelRoutineOwns) => Ok(()),
        Ok(Parked::Cancelled(owned)) => {
            owned.complete();
            Ok(())
        }
        Err((owned, refusal)) => {
            owned.complete();
            Err(refusal)
        }
    }
}

/// Two parks race for the last place under `limit` (the pool's, or `process`'s quota, set up
/// by `setup`): exactly one is refused, with `expected`, and it was not marked pending; the
/// other is stored; and every request marked pending can be taken back out.
fn two_parks_at_the_limit<const N: usize>(fault: Fault, per_process: usize, expected: Refusal) {
    model(3, move || {
        let queue = queue::<N>(fault);
        let first = irp(1);
        assert_eq!(park(queue, first, 7, per_process), Ok(()));
        let racers = [irp(2), irp(3)];
        let handles: Vec<_> = racers
            .iter()
            .map(|&racer| thread::spawn(move || park(queue, racer, 7, per_process)))
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let refused: Vec<_> = results.iter().filter_map(|r| r.err()).collect();
        assert_eq!(refused, [expected], "exactly one park is refused");
        // Every request marked pending is in the queue; a refused one is neither.
        let mut stored = 0;
        while let Some(owned) = queue.take_next() {
            assert!(owned.0 .0.pending.load(Ordering::SeqCst));
            owned.complete();
            stored += 1;
        }
        let marked = [first, racers[0], racers[1]]
            .iter()
            .filter(|irp| irp.0.pending.load(Ordering::SeqCst))
            .count();
        assert_eq!(
            marked, stored,
            "a request was marked pending but stored in no slot: it would hang until cancelled"
        );
        for irp in [first, racers[0], racers[1]] {
            assert_eq!(irp.0.completions.load(Ordering::SeqCst), 1);
        }
    });
}

#[test]
fn two_parks_at_the_pool_limit_one_is_refused_none_is_lost() {
    two_parks_at_the_limit::<2>(Fault::None, 64, Refusal::PoolFull);
}

#[test]
fn two_parks_at_the_process_quota_one_is_refused_none_is_lost() {
    two_parks_at_the_limit::<8>(Fault::None, 2, Refusal::ProcessQuota);
}

/// The old park logic fails the model: loom finds the interleaving where both parks pass the
/// check and the second finds no slot.
#[test]
fn the_old_check_then_insert_park_fails_the_model() {
    let caught = std::panic::catch_unwind(|| {
        two_parks_at_the_limit::<2>(Fault::CheckThenInsert, 64, Refusal::PoolFull);
    });
    let payload = caught.expect_err("the model accepted the old check-then-insert park");
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    assert!(
        message.contains("exactly one park is refused") || message.contains("marked pending"),
        "the model failed, but not for the race it models: {message}"
    );
}

/// A cancel (`IoCancelIrp`) races a NOTIFY (take the oldest) followed by a close (take all of
/// the handle), over two parked requests: each is completed exactly once, and none is left.
#[test]
fn cancel_vs_take_then_close_complete_each_request_once() {
    model(3, || {
        let queue = queue::<4>(Fault::None);
        let (a, b) = (irp(1), irp(1));
        assert_eq!(park(queue, a, 7, 64), Ok(()));
        assert_eq!(park(queue, b, 7, 64), Ok(()));
        let canceller = thread::spawn(move || cancel::<4>(a));
        if let Some(owned) = queue.take_next() {
            owned.complete();
        }
        while let Some(owned) = queue.take_for(1) {
            owned.complete();
        }
        canceller.join().unwrap();
        assert!(queue.is_empty());
        for irp in [a, b] {
            assert_eq!(
                irp.0.completions.load(Ordering::SeqCst),
                1,
                "completed once"
            );
        }
    });
}

/// A NOTIFY (take the oldest) races a close (take all of the handle) and a cancel of the
/// second request that comes after the close began: each is completed exactly once.
#[test]
fn take_vs_close_then_cancel_complete_each_request_once() {
    model(3, || {
        let queue = queue::<4>(Fault::None);
        let (a, b) = (irp(1), irp(1));
        assert_eq!(park(queue, a, 7, 64), Ok(()));
        assert_eq!(park(queue, b, 7, 64), Ok(()));
        let notifier = thread::spawn(move || {
            if let Some(owned) = queue.take_next() {
                owned.complete();
            }
        });
        if let Some(owned) = queue.take_for(1) {
            owned.complete();
        }
        cancel::<4>(b);
        while let Some(owned) = queue.take_for(1) {
            owned.complete();
        }
        notifier.join().unwrap();
        assert!(queue.is_empty());
        for irp in [a, b] {
            assert_eq!(
                irp.0.completions.load(Ordering::SeqCst),
                1,
                "completed once"
            );
        }
    });
}

/// A park races a cancel of the same request (Windows: `CancelIoEx` while the dispatch routine
/// runs), and a close: completed exactly once, never left queued after a cancel.
#[test]
fn park_racing_its_cancel_completes_it_once() {
    model(3, || {
        let queue = queue::<4>(Fault::None);
        let a = irp(1);
        let canceller = thread::spawn(move || cancel::<4>(a));
        assert_eq!(park(queue, a, 7, 64), Ok(()));
        canceller.join().unwrap();
        // The close finds it only if the cancel came too early to see it armed... and then
        // the park saw the flag: so it is never there.
        assert!(
            queue.take_for(1).is_none(),
            "a cancelled request stayed queued"
        );
        assert_eq!(a.0.completions.load(Ordering::SeqCst), 1, "completed once");
    });
}

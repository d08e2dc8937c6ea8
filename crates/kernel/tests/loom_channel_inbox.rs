//! Loom models of a handle's inverted call as a channel subscriber (`channel_inbox`), run on the
//! host with `RUSTFLAGS="--cfg loom"` (`cargo xtask test` does, in its loom steps). The inbox's
//! code and km's pending queue are the driver's own; only the IRP is a mock behind the queue's
//! `Request` seam. Windows publishes from a DPC on any CPU while `PEND_NOTIFICATION` and cancels
//! run on others; Wine shows one DPC thread beside one dispatch thread, and only the
//! interleavings timing happens to give. Loom explores them all:
//!
//! - a publication racing a `PEND_NOTIFICATION`: the payload completes the request exactly once,
//!   and nothing is left parked or owed. A `PEND_NOTIFICATION` that looks at the backlog and
//!   parks under two lock holds (not one) strands the payload while the request waits: the
//!   model must catch it, and a test says it does;
//! - two publications racing one `PEND_NOTIFICATION`: the request gets the first, the second
//!   is owed, in every order;
//! - a publication racing a cancel of the parked request: the request is completed exactly
//!   once, and the payload is in it or owed, never lost.
#![cfg(loom)]

use evshare_kernel::channel_inbox::ChannelInbox;
use evshare_km::irql::DispatchLevel;
use evshare_km::pending::{Parked, PendingQueue};
use evshare_km::pending_mock::{cancel, irp, model, Mock, Owned};
use evshare_km::sync::model::Ordering;
use evshare_protocol::reply::Notification;
use loom::thread;

/// The handle every request of the models comes through.
const HANDLE: u32 = 1;
/// The process that opened it.
const PID: u32 = 7;
/// The queue's size in the models.
const SLOTS: usize = 4;

/// Completes `owned` with `notification`, as `notification::complete` does: it carries 1 + the
/// payload's byte.
fn complete_with(owned: Owned, notification: &Notification) {
    let byte = notification
        .data()
        .first()
        .copied()
        .expect("a one-byte payload");
    owned.complete_carrying(1 + usize::from(byte));
}

/// The models' IRQL token.
fn at() -> DispatchLevel {
    // SAFETY: the host has no IRQL; the models only need a token to take spin locks with.
    unsafe { DispatchLevel::assume() }
}

type Queue = &'static PendingQueue<Mock, SLOTS>;
type Inbox = &'static ChannelInbox<u32>;

fn setup() -> (Queue, Inbox) {
    (
        Box::leak(Box::new(PendingQueue::new())),
        Box::leak(Box::new(ChannelInbox::new(HANDLE, PID))),
    )
}

/// Parks a request in `queue` as the dispatch routine does.
fn park(queue: Queue, owned: Owned) {
    match queue.park(owned, PID, SLOTS) {
        Ok(Parked::Queued) | Ok(Parked::CancelRoutineOwns) => {}
        Ok(Parked::Cancelled(owned)) => owned.complete(),
        Err(_) => panic!("the models stay within the queue's limits"),
    }
}

/// `PEND_NOTIFICATION` as `inverted::pend` does it: what is owed, or park, under one hold of
/// the backlog's lock.
fn pend(inbox: Inbox, queue: Queue, irp: Mock) {
    // `Err(())`: parked.
    if let Ok((owned, owed)) = inbox.take_or_park(&mut at(), Owned(irp), |owned| park(queue, owned))
    {
        complete_with(owned, &owed);
    }
}

/// The weakened `PEND_NOTIFICATION`: looks at the backlog under one hold, parks after it.
fn pend_in_two_holds(inbox: Inbox, queue: Queue, irp: Mock) {
    let owed = inbox.backlog(&mut at()).pop();
    match owed {
        Some(owed) => complete_with(Owned(irp), &owed),
        None => park(queue, Owned(irp)),
    }
}

/// Publishes the one-byte payload `byte` on channel 0 to `inbox`, as `Channels::publish` does.
fn publish(inbox: Inbox, queue: Queue, byte: u8) {
    let delivered = inbox.deliver(&mut at(), 0, &[byte], 0, queue, complete_with);
    assert!(delivered, "the backlog has room in the models");
}

/// The payloads still owed, oldest first.
fn owed(inbox: Inbox) -> Vec<u8> {
    let mut at = at();
    let mut backlog = inbox.backlog(&mut at);
    std::iter::from_fn(|| backlog.pop())
        .map(|notification| notification.data()[0])
        .collect()
}

/// A publication races a `PEND_NOTIFICATION` made by `pend`.
fn publication_vs_pend(pend: fn(Inbox, Queue, Mock)) {
    model(3, move || {
        let (queue, inbox) = setup();
        let request = irp(HANDLE);
        let app = thread::spawn(move || pend(inbox, queue, request));
        publish(inbox, queue, 9);
        app.join().unwrap();
        let stranded = request.0.completions.load(Ordering::SeqCst) == 0;
        assert!(
            !stranded,
            "the payload was owed while the request waited parked: stranded"
        );
        assert_eq!(request.0.completions.load(Ordering::SeqCst), 1);
        assert_eq!(request.0.carried.load(Ordering::SeqCst), 1 + 9);
        assert!(queue.is_empty() && owed(inbox).is_empty());
    });
}

#[test]
fn a_publication_racing_a_pend_completes_it_once() {
    publication_vs_pend(pend);
}

/// The weakened pend fails the model: loom finds the publication that comes between its look
/// at the backlog and its park.
#[test]
fn a_pend_that_parks_after_releasing_the_backlog_fails_the_model() {
    let caught = std::panic::catch_unwind(|| publication_vs_pend(pend_in_two_holds));
    let payload = caught.expect_err("the model accepted the two-hold pend");
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    assert!(
        message.contains("stranded"),
        "the model failed, but not for the race it models: {message}"
    );
}

#[test]
fn two_publications_racing_a_pend_keep_their_order() {
    model(3, || {
        let (queue, inbox) = setup();
        let request = irp(HANDLE);
        let app = thread::spawn(move || pend(inbox, queue, request));
        publish(inbox, queue, 1);
        publish(inbox, queue, 2);
        app.join().unwrap();
        assert_eq!(request.0.completions.load(Ordering::SeqCst), 1);
        assert_eq!(
            request.0.carried.load(Ordering::SeqCst),
            1 + 1,
            "the request carries the first payload"
        );
        assert_eq!(owed(inbox), [2], "the second is owed");
        assert!(queue.is_empty());
    });
}

#[test]
fn a_publication_racing_a_cancel_is_delivered_or_owed_never_lost() {
    model(3, || {
        let (queue, inbox) = setup();
        let request = irp(HANDLE);
        pend(inbox, queue, request);
        assert!(!queue.is_empty(), "parked: nothing was owed");
        let canceller = thread::spawn(move || cancel::<SLOTS>(request));
        publish(inbox, queue, 5);
        canceller.join().unwrap();
        assert_eq!(request.0.completions.load(Ordering::SeqCst), 1);
        let delivered = request.0.carried.load(Ordering::SeqCst) == 1 + 5;
        let owed = owed(inbox);
        if delivered {
            assert!(owed.is_empty(), "delivered and owed");
        } else {
            assert_eq!(owed, [5], "cancelled and the payload lost");
        }
        assert!(queue.is_empty());
    });
}

//! Wine's late cancel (issue 8, item 1), lined up on purpose against evshare.sys.
//!
//! Under Wine every request to the driver goes through one queue, dispatched on one thread. A
//! cancel is queued with the raw address of the IRP it is for, and nothing withdraws it when the
//! driver completes that IRP first, which frees it. This test lines the queue up as
//!
//! ```text
//! PRODUCE… (running, keeps the dispatch thread busy) | NOTIFY(1) | PEND(Y) | CANCEL(X)
//! ```
//!
//! `NOTIFY` completes the pended X; `PEND` allocates Y, which lands in X's freed memory when
//! nothing keeps it; the stale `CANCEL(X)` then runs `IoCancelIrp` on Y. A driver that frees X
//! on completion sees Y cancelled though nobody asked (or winedevice.exe faults inside
//! `IoCancelIrp`); evshare keeps a completed parked IRP alive until a fence request queued
//! behind it has been dispatched, so the stale cancel finds X, with no cancel routine, and
//! does nothing. `tools/repro/cancel-uaf` shows the same line-up hitting a minimal C driver.
//!
//! A round counts only if the line-up happened: `CancelIoEx` found X still pending at the
//! server (so its cancel was queued) and X then completed with a notification (so `NOTIFY` got
//! it first). The test fails if no round lined up, so it cannot pass by not racing.

#![cfg(windows)]

mod common;

use std::ffi::c_void;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{driver, serial};
use evshare::RingOptions;
use evshare_protocol::Request;
use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, ERROR_IO_PENDING, ERROR_OPERATION_ABORTED, HANDLE, WAIT_OBJECT_0,
};
use windows_sys::Win32::System::Threading::{CreateEventW, WaitForSingleObject};
use windows_sys::Win32::System::IO::{
    CancelIoEx, DeviceIoControl, GetOverlappedResult, OVERLAPPED,
};

/// Rounds that must line up; the test goes on until they have (each takes about half a
/// second), up to [`MAX_ROUNDS`].
const LINED_UP_WANTED: usize = 5;
/// Rounds tried at most.
const MAX_ROUNDS: usize = 60;
/// How long the `PRODUCE` requests queued ahead must keep the dispatch thread busy: several
/// times the three gaps it takes to queue the requests that matter behind them. How many
/// requests that takes is measured once per run (a `PRODUCE` takes however long this machine
/// needs), so the line-up does not depend on the machine's speed.
const BUSY_FOR: Duration = Duration::from_millis(150);
/// The most `PRODUCE` requests queued ahead.
const MAX_BUSY_REQUESTS: usize = 48;
/// Gap between queueing two requests from two threads, so they enter the queue in order.
const GAP: Duration = Duration::from_millis(15);

/// A handle to the device opened for overlapped I/O, closed on drop.
struct Device(HANDLE);

// SAFETY: a file handle may be used from any thread.
unsafe impl Send for Device {}
// SAFETY: as above; every use is a kernel call that synchronises itself.
unsafe impl Sync for Device {}

impl Device {
    fn open() -> Device {
        Device(common::raw::open_device(true))
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // SAFETY: we own the handle.
        unsafe { CloseHandle(self.0) };
    }
}

/// One overlapped request in flight: its OVERLAPPED, event and buffers stay put (boxed) until
/// it has completed.
struct InFlight {
    overlapped: Box<OVERLAPPED>,
    input: Box<[u8]>,
    output: Box<[u8; 64]>,
}

// SAFETY: the boxed buffers are only touched by the kernel and, after completion, by the owner.
unsafe impl Send for InFlight {}

impl InFlight {
    /// Sends `request` on `device`; returns once the driver's dispatch routine has returned
    /// (under Wine an overlapped DeviceIoControl blocks until then), with whether it is still
    /// pending.
    fn send(device: &Device, request: &Request<'_>) -> (InFlight, bool) {
        let (code, input) = common::raw::encoded(request);
        let mut flight = InFlight {
            // SAFETY: OVERLAPPED is plain data; all zeroes is its initial state.
            overlapped: Box::new(unsafe { std::mem::zeroed() }),
            input: input.into_boxed_slice(),
            output: Box::new([0u8; 64]),
        };
        // SAFETY: no security attributes, no name.
        flight.overlapped.hEvent =
            unsafe { CreateEventW(std::ptr::null(), 1, 0, std::ptr::null()) };
        assert!(!flight.overlapped.hEvent.is_null(), "CreateEventW");
        let mut got = 0u32;
        // SAFETY: the buffers and OVERLAPPED are boxed and outlive the request (`finish` waits
        // for it, and `Drop` of the test's values happens after that).
        let ok = unsafe {
            DeviceIoControl(
                device.0,
                code,
                flight.input.as_ptr().cast::<c_void>(),
                flight.input.len() as u32,
                flight.output.as_mut_ptr().cast::<c_void>(),
                flight.output.len() as u32,
                &mut got,
                &mut *flight.overlapped,
            )
        };
        // SAFETY: no arguments.
        let pending = ok == 0 && unsafe { GetLastError() } == ERROR_IO_PENDING;
        assert!(
            ok != 0 || pending,
            "DeviceIoControl({request:?}) failed at once"
        );
        (flight, pending)
    }

    /// Whether it completed within `patience`, and if so its Win32 error (0 = success).
    fn outcome(&mut self, device: &Device, patience: Duration) -> Option<u32> {
        // SAFETY: a valid event handle.
        let waited =
            unsafe { WaitForSingleObject(self.overlapped.hEvent, patience.as_millis() as u32) };
        if waited != WAIT_OBJECT_0 {
            return None;
        }
        let mut got = 0u32;
        // SAFETY: the request completed; the OVERLAPPED is ours.
        let ok = unsafe { GetOverlappedResult(device.0, &*self.overlapped, &mut got, 0) };
        if ok != 0 {
            return Some(0);
        }
        // SAFETY: no arguments.
        Some(unsafe { GetLastError() })
    }

    /// Asks for this request to be cancelled; whether the server still had it pending.
    fn cancel(&self, device: &Device) -> bool {
        // SAFETY: the OVERLAPPED identifies a request sent on this handle.
        unsafe { CancelIoEx(device.0, &*self.overlapped) != 0 }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        // SAFETY: the event is ours.
        unsafe { CloseHandle(self.overlapped.hEvent) };
    }
}

/// What one round saw.
#[derive(Debug, PartialEq, Eq)]
enum Round {
    /// The line-up did not happen (X was not completed by NOTIFY after its cancel was queued).
    NoRace,
    /// X's stale cancel landed on Y.
    StaleCancelHitY,
    /// The stale cancel did nothing: Y stayed pending and was notified afterwards.
    Harmless,
}

fn round(ring_driver: &evshare::Driver, ring_id: u64, busy_requests: usize) -> Round {
    let device = Device::open();
    let (mut x, x_pending) = InFlight::send(&device, &Request::PendNotification);
    assert!(x_pending, "PEND_NOTIFICATION X should be parked");
    // Threads that issued I/O stay alive until it completed: Wine delivers an overlapped
    // request's result through its issuing thread.
    let (look_tx, look_rx) = mpsc::channel::<()>();
    let (early_tx, early_rx) = mpsc::channel::<Option<u32>>();
    let (notified_tx, notified_rx) = mpsc::channel::<()>();
    thread::scope(|scope| {
        // Keep the dispatch thread busy.
        for _ in 0..busy_requests {
            scope.spawn(|| {
                let (code, input) = common::raw::encoded(&Request::Produce {
                    id: ring_id,
                    count: 1_000_000,
                });
                let _ = ring_driver.raw_ioctl(code, &input, &mut [0u8; 64]);
            });
        }
        thread::sleep(GAP);
        let notify = scope.spawn(|| {
            let (mut notify, _) = InFlight::send(&device, &Request::Notify { count: 1 });
            notify.outcome(&device, common::PATIENCE)
        });
        thread::sleep(GAP);
        let device = &device;
        let pend_y = scope.spawn(move || {
            let (mut y, y_pending) = InFlight::send(device, &Request::PendNotification);
            if look_rx.recv().is_err() || !y_pending {
                return y_pending;
            }
            let early = y.outcome(device, Duration::from_millis(300));
            let _ = early_tx.send(early);
            if early.is_none() && notified_rx.recv().is_ok() {
                assert_eq!(
                    y.outcome(device, common::PATIENCE),
                    Some(0),
                    "Y, still pending, was not completed by the NOTIFY that followed"
                );
            }
            y_pending
        });
        thread::sleep(GAP);
        let cancel_queued = x.cancel(device);
        assert_eq!(
            notify.join().expect("NOTIFY thread"),
            Some(0),
            "NOTIFY failed"
        );
        let x_result = x.outcome(device, common::PATIENCE);
        let _ = look_tx.send(());
        let early = early_rx.recv().ok().flatten();
        if early.is_none() {
            // Release Y the normal way: it must still be there to be notified.
            let (mut release, _) = InFlight::send(device, &Request::Notify { count: 1 });
            assert_eq!(release.outcome(device, common::PATIENCE), Some(0));
            let _ = notified_tx.send(());
        }
        let y_pending = pend_y.join().expect("PEND Y thread");
        if !(cancel_queued && x_result == Some(0) && y_pending) {
            return Round::NoRace;
        }
        match early {
            Some(error) if error == ERROR_OPERATION_ABORTED => Round::StaleCancelHitY,
            Some(error) => panic!("Y completed with {error} before anyone notified it"),
            None => Round::Harmless,
        }
    })
}

/// How many `PRODUCE` requests keep the dispatch thread busy for [`BUSY_FOR`]: the slowest
/// of three timed ones sets the pace (a setup measurement, not an assertion).
fn busy_requests(driver: &evshare::Driver, ring_id: u64) -> usize {
    let (code, input) = common::raw::encoded(&Request::Produce {
        id: ring_id,
        count: 1_000_000,
    });
    let slowest = (0..3)
        .map(|_| {
            let started = std::time::Instant::now();
            let _ = driver.raw_ioctl(code, &input, &mut [0u8; 64]);
            started.elapsed()
        })
        .max()
        .unwrap_or(BUSY_FOR)
        .max(Duration::from_micros(100));
    let needed = BUSY_FOR.as_micros() / slowest.as_micros().max(1) + 1;
    usize::try_from(needed)
        .unwrap_or(MAX_BUSY_REQUESTS)
        .clamp(2, MAX_BUSY_REQUESTS)
}

#[test]
fn a_cancel_queued_before_completion_never_lands_on_another_irp() {
    let _serial = serial();
    let ring_driver = driver();
    let ring = ring_driver
        .register_ring(&RingOptions::new(1024))
        .expect("a ring to keep the dispatch thread busy");
    let ring_id = ring.id();
    let before = ring_driver.stats(None).expect("stats");
    let busy_requests = busy_requests(&ring_driver, ring_id);
    let mut seen = Vec::new();
    let mut lined_up = 0;
    while lined_up < LINED_UP_WANTED && seen.len() < MAX_ROUNDS {
        let outcome = round(&ring_driver, ring_id, busy_requests);
        lined_up += usize::from(outcome != Round::NoRace);
        seen.push(outcome);
    }
    let rounds = seen.len();
    let hits = seen
        .iter()
        .filter(|r| **r == Round::StaleCancelHitY)
        .count();
    println!(
        "late cancel: {rounds} rounds ({busy_requests} PRODUCEs ahead), {lined_up} lined up (cancel of X queued, then X completed \
         by NOTIFY), stale cancel landed on Y in {hits}"
    );
    assert!(
        lined_up > 0,
        "no round lined the requests up ({seen:?}): the test proved nothing"
    );
    assert_eq!(
        hits, 0,
        "a cancel meant for a completed IRP cancelled another one: {seen:?}"
    );
    drop(ring);
    let after = ring_driver.stats(None).expect("stats");
    assert_eq!(after.pending_irps, 0, "IRPs left pending");
    assert_eq!(
        after.live_registrations,
        before.live_registrations - 1,
        "the ring was released"
    );
}

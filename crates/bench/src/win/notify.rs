//! Notification latencies: the event round-trip floor between two user threads, the driver's
//! event (driver signal → app wake) and the inverted call (driver completion → app wake).
//!
//! Every method is paced the same way: before each sample the signalling thread waits until
//! the waiting thread has announced it is about to wait, then idles for the same gap, so the
//! waiter is asleep in its wait every time (one wake-up per sample, from the same idle state).
//! The first samples are a warm-up and are not kept.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use evshare::{Driver, Event, SignalMode};
use evshare_protocol::reply::{Notification, NotifyReply, SignalReply};
use evshare_protocol::request::{encode, MAX_REQUEST_LEN};
use evshare_protocol::{Ioctl, Request};
use std::os::windows::io::AsHandle;

use super::histogram::Latencies;
use super::progress::Progress;
use super::sys::{now, wait_handle, Clock, OverlappedDevice, Win32Event};

/// How the latency runs are paced.
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    /// Samples kept.
    pub samples: u64,
    /// Samples taken first and thrown away.
    pub warmup: u64,
    /// Idle time before each sample.
    pub gap: Duration,
    /// The longest any single wait may take before the run fails.
    pub timeout: Duration,
}

impl Pacing {
    fn total(&self) -> u64 {
        self.warmup + self.samples
    }
}

/// What the round-trip floor measured: the round trip, and its first half.
pub struct RoundTrip {
    /// `SetEvent(ping)` … `WaitForSingleObject(pong)` returns, on the first thread.
    pub round_trip: Latencies,
    /// The first thread's timestamp just before `SetEvent(ping)` → the second thread's after
    /// its wait returns.
    pub one_way: Latencies,
}

/// The floor: an auto-reset event round trip between two threads of this process.
pub fn event_round_trip(
    clock: &Clock,
    pacing: &Pacing,
    progress: &mut Progress,
) -> Result<RoundTrip> {
    let ping = Win32Event::auto_reset()?;
    let pong = Win32Event::auto_reset()?;
    let sent_at = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let total = pacing.total();
    thread::scope(|scope| {
        let echo = scope.spawn(|| -> Result<Vec<u64>> {
            let mut one_way = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
            loop {
                ping.wait_or_fail(pacing.timeout, "round trip: the echo thread's ping")?;
                let woke = now();
                if stop.load(Ordering::Acquire) {
                    return Ok(one_way);
                }
                one_way.push(woke.saturating_sub(sent_at.load(Ordering::Acquire)));
                pong.set()?;
            }
        });
        let measured = (|| -> Result<Latencies> {
            let mut round_trip = Latencies::new()?;
            for i in 0..total {
                thread::sleep(pacing.gap);
                let start = now();
                sent_at.store(start, Ordering::Release);
                ping.set()?;
                pong.wait_or_fail(pacing.timeout, "round trip: the pong")?;
                let end = now();
                if i >= pacing.warmup {
                    round_trip.record(clock.nanos(end.saturating_sub(start)));
                }
                progress.samples(i + 1, total);
            }
            Ok(round_trip)
        })();
        stop.store(true, Ordering::Release);
        let _ = ping.set();
        let one_way_ticks = echo
            .join()
            .map_err(|_| anyhow!("the echo thread panicked"))??;
        let round_trip = measured?;
        let mut one_way = Latencies::new()?;
        for ticks in skip_warmup(&one_way_ticks, pacing) {
            one_way.record(clock.nanos(*ticks));
        }
        Ok(RoundTrip {
            round_trip,
            one_way,
        })
    })
}

fn skip_warmup<'a, T>(samples: &'a [T], pacing: &Pacing) -> impl Iterator<Item = &'a T> {
    samples
        .iter()
        .skip(usize::try_from(pacing.warmup).unwrap_or(usize::MAX))
}

/// Spins (yielding) until `flag` reaches `value`.
fn wait_until(flag: &AtomicU64, value: u64, timeout: Duration, what: &str) -> Result<()> {
    let start = Instant::now();
    while flag.load(Ordering::Acquire) < value {
        if start.elapsed() > timeout {
            bail!("{what}: the waiting thread never got ready");
        }
        thread::yield_now();
    }
    Ok(())
}

/// `SIGNAL` on registration `id`; returns the driver's timestamp from just before it set the
/// event. Raw rather than `Registration::signal`, which drops the reply and so that timestamp.
fn signal(driver: &Driver, id: u64) -> Result<u64> {
    let mut request = [0_u8; MAX_REQUEST_LEN];
    let (code, len) = encode(&Request::Signal { id }, &mut request)
        .map_err(|err| anyhow!("encoding SIGNAL: {err}"))?;
    let mut reply = [0_u8; SignalReply::LEN];
    let input = request.get(..len).context("encoded SIGNAL")?;
    let written = driver
        .raw_ioctl(code, input, &mut reply)
        .map_err(|status| anyhow!("SIGNAL failed: {status}"))?;
    let reply = SignalReply::parse(reply.get(..written).unwrap_or_default())
        .map_err(|err| anyhow!("SIGNAL's reply: {err}"))?;
    Ok(reply.timestamp)
}

/// Pairs the driver's timestamps with the app's: `t1 - t0` for every kept sample. A `t1`
/// earlier than its `t0` means the two clocks are not one: the run fails.
fn pair(clock: &Clock, pacing: &Pacing, t0: &[u64], t1: &[u64], what: &str) -> Result<Latencies> {
    if t0.len() != t1.len() {
        bail!("{what}: {} signals but {} wake-ups", t0.len(), t1.len());
    }
    let mut latencies = Latencies::new()?;
    let warmup = usize::try_from(pacing.warmup).unwrap_or(usize::MAX);
    for (sent, woke) in t0.iter().zip(t1).skip(warmup) {
        let Some(ticks) = woke.checked_sub(*sent) else {
            bail!(
                "{what}: the app woke at {woke} but the driver stamped {sent}: the driver's \
                 performance counter is not the app's clock"
            );
        };
        latencies.record(clock.nanos(ticks));
    }
    Ok(latencies)
}

/// Event: a thread waits on an auto-reset event registered by name, on demand; another thread
/// sends `SIGNAL`, whose reply carries the driver's timestamp from just before it set the
/// event. Latency: the waiter's timestamp after its wait returns − that timestamp.
pub fn driver_event(
    driver: &Driver,
    clock: &Clock,
    pacing: &Pacing,
    progress: &mut Progress,
) -> Result<Latencies> {
    let name = format!("evshare-bench-event-{}", std::process::id());
    let event = Event::create_auto_reset(&name).map_err(|err| anyhow!("{err}"))?;
    let registration = driver
        .register_by_name(&name, SignalMode::OnDemand)
        .map_err(|err| anyhow!("{err}"))?;
    let id = registration.id();
    let ready = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let total = pacing.total();
    let latencies = thread::scope(|scope| {
        let waiter = scope.spawn(|| -> Result<Vec<u64>> {
            let mut woke = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
            for i in 0..total {
                ready.store(i + 1, Ordering::Release);
                if !wait_handle(event.as_handle(), pacing.timeout)? {
                    bail!(
                        "event one-way: no signal within {} s",
                        pacing.timeout.as_secs()
                    );
                }
                let t1 = now();
                if stop.load(Ordering::Acquire) {
                    break;
                }
                woke.push(t1);
            }
            Ok(woke)
        });
        let sent = (|| -> Result<Vec<u64>> {
            let mut sent = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
            for i in 0..total {
                wait_until(&ready, i + 1, pacing.timeout, "event one-way")?;
                thread::sleep(pacing.gap);
                sent.push(signal(driver, id)?);
                progress.samples(i + 1, total);
            }
            Ok(sent)
        })();
        if sent.is_err() {
            stop.store(true, Ordering::Release);
            let _ = event.set();
        }
        let woke = waiter
            .join()
            .map_err(|_| anyhow!("the waiting thread panicked"))??;
        pair(clock, pacing, &sent?, &woke, "event one-way")
    })?;
    registration.unregister().map_err(|err| anyhow!("{err}"))?;
    Ok(latencies)
}

/// What the inverted call saw besides its latencies.
pub struct Inverted {
    /// Driver completion → app wake.
    pub latencies: Latencies,
    /// `PEND_NOTIFICATION`s that completed at once (a notification was owed): 0 when the
    /// pacing works.
    pub completed_at_once: u64,
}

fn encoded(request: &Request<'_>) -> Result<(u32, Vec<u8>)> {
    let mut buffer = [0_u8; MAX_REQUEST_LEN];
    let (code, len) =
        encode(request, &mut buffer).map_err(|err| anyhow!("encoding {:?}: {err}", request))?;
    Ok((code, buffer.get(..len).unwrap_or_default().to_vec()))
}

/// Inverted call: a thread keeps one `PEND_NOTIFICATION` pending on an overlapped handle;
/// another sends `NOTIFY { count: 1 }` through the same handle, and the driver completes the
/// pending IRP with a notification stamped just before. Latency: the waiter's timestamp once
/// the IRP's result is in hand − that stamp. Every notification must arrive, in sequence.
///
/// Raw overlapped IOCTLs rather than the client's `Notifications`: its `next` re-issues the
/// completed request before it returns, one more `NtDeviceIoControlFile` between the wake and
/// the app's timestamp, and it hides whether a request completed at once (what
/// `completed_at_once` counts). `NOTIFY` must go through the same handle (file object) as the
/// pending request, so it is raw too.
pub fn inverted_call(clock: &Clock, pacing: &Pacing, progress: &mut Progress) -> Result<Inverted> {
    let device = OverlappedDevice::open()?;
    let (pend_code, pend) = encoded(&Request::PendNotification)?;
    let (notify_code, notify) = encoded(&Request::Notify { count: 1 })?;
    debug_assert_eq!(pend_code, Ioctl::PendNotification.code());
    let ready = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let total = pacing.total();
    let send_notify = || -> Result<NotifyReply> {
        let reply = device
            .start(notify_code, &notify, NotifyReply::LEN)?
            .finish(pacing.timeout)
            .context("NOTIFY")?;
        NotifyReply::parse(&reply).map_err(|err| anyhow!("NOTIFY's reply: {err}"))
    };
    thread::scope(|scope| {
        let waiter = scope.spawn(|| -> Result<(Vec<u64>, Vec<Notification>, u64)> {
            let capacity = usize::try_from(total).unwrap_or(0);
            let (mut woke, mut notifications) =
                (Vec::with_capacity(capacity), Vec::with_capacity(capacity));
            let mut at_once = 0;
            for i in 0..total {
                let pending = device.start(pend_code, &pend, Notification::LEN)?;
                if pending.is_complete() {
                    at_once += 1;
                }
                ready.store(i + 1, Ordering::Release);
                let reply = pending
                    .finish(pacing.timeout)
                    .context("inverted call: PEND_NOTIFICATION")?;
                let t1 = now();
                if stop.load(Ordering::Acquire) {
                    break;
                }
                let notification = Notification::parse(&reply)
                    .map_err(|err| anyhow!("the notification: {err}"))?;
                woke.push(t1);
                notifications.push(notification);
            }
            Ok((woke, notifications, at_once))
        });
        let sent = (|| -> Result<()> {
            for i in 0..total {
                wait_until(&ready, i + 1, pacing.timeout, "inverted call")?;
                thread::sleep(pacing.gap);
                let reply = send_notify()?;
                if reply.completed + reply.owed == 0 {
                    bail!("NOTIFY neither completed nor owed its notification");
                }
                progress.samples(i + 1, total);
            }
            Ok(())
        })();
        if sent.is_err() {
            // Release the waiter's pending IRP so it can see `stop`.
            stop.store(true, Ordering::Release);
            let _ = send_notify();
        }
        let (woke, notifications, completed_at_once) = waiter
            .join()
            .map_err(|_| anyhow!("the waiting thread panicked"))??;
        sent?;
        check_sequence(&notifications)?;
        let stamps: Vec<u64> = notifications.iter().map(|n| n.timestamp).collect();
        let latencies = pair(clock, pacing, &stamps, &woke, "inverted call")?;
        Ok(Inverted {
            latencies,
            completed_at_once,
        })
    })
}

/// Every notification arrived once, in order: sequence numbers consecutive.
fn check_sequence(notifications: &[Notification]) -> Result<()> {
    let Some(first) = notifications.first() else {
        return Ok(());
    };
    for (offset, notification) in (0_u64..).zip(notifications) {
        let expected = first.seq.wrapping_add(offset);
        if notification.seq != expected {
            bail!(
                "inverted call lost data: notification {expected} expected, {} arrived",
                notification.seq
            );
        }
    }
    Ok(())
}

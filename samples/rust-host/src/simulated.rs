//! The simulated device: a periodic km [`Timer`] whose DPC stands in for the DPC a real
//! device's interrupt would queue. Each DPC counts one tick and publishes it on the evshare
//! instance's channels ([`crate::channels`]); the driver's own IOCTL reads the count.
//!
//! The timer is armed once in `DriverEntry` and never from its own DPC (under Wine,
//! `KeSetTimerEx`/`KeCancelTimer` from a timer's own DPC deadlock `winedevice.exe`), and shut
//! down in `DriverUnload` before the evshare instance unloads, so no DPC runs into a torn-down
//! instance.

use crate::channels::Publisher;
use core::sync::atomic::{AtomicU64, Ordering};
use evshare_km::irql::{DispatchLevel, Passive};
use evshare_km::pool::PoolArc;
use evshare_km::sync::SpinLock;
use evshare_km::timer::{Timer, TimerOwner};
use evshare_km::NtStatus;

/// The DPC period: 2 Hz.
pub const PERIOD_MS: u32 = 500;

/// The device's state, owned by its timer's allocation (km's [`Timer`] lives inside its owner,
/// the owner inside a [`PoolArc`]).
pub struct SimulatedDevice {
    timer: Timer<SimulatedDevice>,
    /// DPCs run so far.
    ticks: AtomicU64,
    /// Where each tick is published.
    publisher: Publisher,
}

impl TimerOwner for SimulatedDevice {
    fn timer(&self) -> &Timer<Self> {
        &self.timer
    }

    /// The "interrupt's DPC": `DISPATCH_LEVEL` on Windows, a thread-pool thread under Wine,
    /// concurrent with dispatch routines either way. It counts and publishes, and never waits.
    fn on_timer(&self, at: &mut DispatchLevel) {
        let tick = self.ticks.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        self.publisher.publish_tick(at, tick);
    }
}

/// The running device, between [`start`] and [`stop`].
static DEVICE: SpinLock<Option<PoolArc<SimulatedDevice>>> = SpinLock::new(None);

/// Makes the device, publishing through `publisher`, and arms its timer (first DPC after one
/// period, then every period).
///
/// IRQL: `PASSIVE_LEVEL` (`DriverEntry`).
pub fn start(at: &mut Passive, publisher: Publisher) -> Result<(), NtStatus> {
    let device = Timer::new_owner(|timer| SimulatedDevice {
        timer,
        ticks: AtomicU64::new(0),
        publisher,
    })?;
    if !device.timer().arm(&device, PERIOD_MS, PERIOD_MS) {
        return Err(NtStatus::INVALID_DEVICE_STATE);
    }
    // Kept armed: should the slot already hold a device, that one is shut down first.
    let previous = DEVICE.lock(at).replace(device);
    if let Some(previous) = previous {
        previous.timer().shutdown(at);
    }
    Ok(())
}

/// The ticks counted so far, or `None` when the device is not running.
///
/// IRQL: `PASSIVE_LEVEL` (a dispatch routine).
pub fn ticks(at: &mut Passive) -> Option<u64> {
    DEVICE
        .lock(at)
        .as_ref()
        .map(|device| device.ticks.load(Ordering::Relaxed))
}

/// What the device did, for the log at unload.
#[derive(Clone, Copy, Debug, Default)]
pub struct Summary {
    /// Ticks counted.
    pub ticks: u64,
    /// Payloads the evshare instance took.
    pub published: u64,
    /// Payloads it refused.
    pub refused: u64,
}

/// Shuts the timer down (its DPC waited out) and frees the device; says what it did.
///
/// IRQL: `PASSIVE_LEVEL` (`DriverUnload`).
pub fn stop(at: &mut Passive) -> Summary {
    // Shutting down needs PASSIVE_LEVEL, not the spin lock: take the device out first.
    let device = DEVICE.lock(at).take();
    match device {
        Some(device) => {
            // Through our reference: the timer gives back its own, then `device` is the last.
            device.timer().shutdown(at);
            let (published, refused) = device.publisher.figures();
            Summary {
                ticks: device.ticks.load(Ordering::Relaxed),
                published,
                refused,
            }
        }
        None => Summary::default(),
    }
}

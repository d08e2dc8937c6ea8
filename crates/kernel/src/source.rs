//! Sources: what publishes on a channel without an app asking. A source is a host's caller of
//! [`Evshare::publish`]; the library never calls one.
//!
//! evshare.sys's per-registration signal modes (`SET_MODE`, which apps keep using) map to
//! channels like this, a host wiring each source to a channel it declared:
//!
//! - **periodic** → a [`TimerSource`] armed with [`TimerSource::every`] (or kept in a
//!   [`SourceSlot`] by [`SourceSlot::periodic`]): each period its DPC publishes the next beat;
//! - **one-shot** → the same source armed with [`TimerSource::once`]: one beat after the delay;
//! - **on demand** → [`Evshare::publish`] itself, called by the host wherever the data arises (a
//!   dispatch routine of its own IOCTL, its interrupt's DPC, a completion routine).
//!
//! A beat's payload is its number, counting from 1, as 8 little-endian bytes, so a channel of a
//! timer source has a `max_payload` of at least 8. Beats are published in order, each under the
//! source's own spin lock (Windows may run a periodic timer's DPC on two CPUs at once), so a
//! ring subscriber sees consecutive numbers unless its ring reports the drop.
//!
//! The timer is km's [`Timer`]: armed only from dispatch code, never from its own DPC (under
//! Wine `KeSetTimerEx`/`KeCancelTimer` from a timer's own DPC deadlock `winedevice.exe`). The
//! host starts a source after [`Evshare::start`] and stops it, its DPC waited out, **before**
//! [`Evshare::unload`]: a beat published into an unloading instance would deliver to
//! subscribers being torn down, and a timer left armed keeps its allocation (and the image's
//! code its DPC runs) in use after the driver is gone.

use crate::channel::ChannelId;
use crate::dispatch::Evshare;
use evshare_km::irql::{DispatchLevel, Passive};
use evshare_km::pool::PoolArc;
use evshare_km::sync::SpinLock;
use evshare_km::timer::{Timer, TimerOwner};
use evshare_km::NtStatus;

/// The length of a beat's payload: a `u64`, little-endian.
pub const BEAT_LEN: u32 = 8;

/// A source's count, behind its lock: beats are numbered and published under it, in order.
struct Beats {
    /// Beats so far: the last one's number.
    fired: u64,
    /// Beats the instance refused (none, once [`TimerSource::new`] accepted the channel).
    refused: u64,
}

/// What a source did, when it stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stopped {
    /// Beats fired (the last one's number).
    pub beats: u64,
    /// Beats the instance refused.
    pub refused: u64,
}

/// A kernel timer whose DPC publishes a beat on one channel of an instance: periodically
/// ([`every`](Self::every)) or once ([`once`](Self::once)). It lives in a [`PoolArc`] (km's
/// [`Timer`] lives inside its owner); while armed the timer keeps it alive, and
/// [`stop`](Self::stop) ends that.
pub struct TimerSource {
    timer: Timer<TimerSource>,
    evshare: &'static Evshare,
    channel: ChannelId,
    beats: SpinLock<Beats>,
}

impl TimerSource {
    /// A source publishing on `channel` of `evshare`, not armed yet. Refused with
    /// `STATUS_INVALID_PARAMETER` if `evshare` declares no such channel or its payloads are
    /// shorter than a beat ([`BEAT_LEN`]); `STATUS_INSUFFICIENT_RESOURCES` without pool.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn new(
        evshare: &'static Evshare,
        channel: ChannelId,
    ) -> Result<PoolArc<TimerSource>, NtStatus> {
        let max_payload = evshare
            .config()
            .channels
            .get(channel.index())
            .map(|declared| declared.max_payload);
        if max_payload.is_none_or(|max| max < BEAT_LEN) {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        Timer::new_owner(|timer| TimerSource {
            timer,
            evshare,
            channel,
            beats: SpinLock::new(Beats {
                fired: 0,
                refused: 0,
            }),
        })
    }

    /// Arms the source: a beat every `period_ms` milliseconds, the first after one period.
    /// Re-arming replaces the previous setting. `false`, doing nothing, for a period of 0 or
    /// once stopped.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`; never from a source's own DPC.
    pub fn every(&self, period_ms: u32) -> bool {
        period_ms > 0 && self.timer.arm(self, period_ms, period_ms)
    }

    /// Arms the source for one beat, after `delay_ms` milliseconds; re-arming replaces the
    /// previous setting (a periodic one too). `false`, doing nothing, once stopped.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`; never from a source's own DPC.
    pub fn once(&self, delay_ms: u32) -> bool {
        self.timer.arm(self, delay_ms, 0)
    }

    /// Stops the source for good: its timer is cancelled, its DPC waited out, and the
    /// reference the armed timer held given back; nothing arms it again. Call it through a
    /// `PoolArc` of your own (the timer's goes here), before the instance unloads. Idempotent.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn stop(&self, at: &mut Passive) -> Stopped {
        self.timer.shutdown(at);
        let beats = self.beats.lock(at);
        Stopped {
            beats: beats.fired,
            refused: beats.refused,
        }
    }
}

impl TimerOwner for TimerSource {
    fn timer(&self) -> &Timer<Self> {
        &self.timer
    }

    /// One beat: numbered and published under the source's lock (lock order: source →
    /// channel → ring), so payloads leave in order. Never waits.
    fn on_timer(&self, at: &mut DispatchLevel) {
        let mut guard = self.beats.lock(at);
        let (beats, at) = guard.split();
        beats.fired = beats.fired.wrapping_add(1);
        let payload = beats.fired.to_le_bytes();
        if self.evshare.publish(at, self.channel, &payload).is_err() {
            beats.refused = beats.refused.wrapping_add(1);
        }
    }
}

/// A `static` home for a host's running periodic source, from `DriverEntry` to
/// `DriverUnload`: [`periodic`](Self::periodic) makes and arms one, [`stop`](Self::stop)
/// stops and frees it.
pub struct SourceSlot {
    running: SpinLock<Option<PoolArc<TimerSource>>>,
}

impl SourceSlot {
    /// An empty slot.
    pub const fn new() -> SourceSlot {
        SourceSlot {
            running: SpinLock::new(None),
        }
    }

    /// Makes a [`TimerSource`] on `channel` of `evshare` (started), beating every `period_ms`
    /// milliseconds, and keeps it here. A source the slot held already is stopped first.
    /// Fails as [`TimerSource::new`] does, or with `STATUS_INVALID_PARAMETER` for a period of 0.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn periodic(
        &self,
        at: &mut Passive,
        evshare: &'static Evshare,
        channel: ChannelId,
        period_ms: u32,
    ) -> Result<(), NtStatus> {
        let source = TimerSource::new(evshare, channel)?;
        if !source.every(period_ms) {
            // Never armed, so it holds no reference of its own: dropping it frees it.
            return Err(NtStatus::INVALID_PARAMETER);
        }
        let previous = self.running.lock(at).replace(source);
        if let Some(previous) = previous {
            previous.stop(at);
        }
        Ok(())
    }

    /// Stops the source the slot holds (its DPC waited out) and frees it; what it did, or
    /// `None` if the slot was empty. Call it in `DriverUnload` before [`Evshare::unload`].
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn stop(&self, at: &mut Passive) -> Option<Stopped> {
        // Stopping needs PASSIVE_LEVEL, not the slot's spin lock: take the source out first.
        let source = self.running.lock(at).take()?;
        // Through this reference: the timer gives back its own, then `source` is the last.
        Some(source.stop(at))
    }
}

impl Default for SourceSlot {
    fn default() -> Self {
        SourceSlot::new()
    }
}

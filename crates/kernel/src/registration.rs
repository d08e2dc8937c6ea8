//! One registered event: the referenced event object, the timer that signals it, and the
//! counters and identity the stats report.

use crate::ring_channel::RingChannel;
use crate::stats::Stats;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use evshare_km::event::SharedEvent;
use evshare_km::irp::FileId;
use evshare_km::irql::{DispatchLevel, Irql, Passive};
use evshare_km::pool::PoolArc;
use evshare_km::process::ProcessId;
use evshare_km::timer::{Timer, TimerOwner};
use evshare_km::NtStatus;
use evshare_protocol::method::Method;
use evshare_protocol::mode::SignalMode;
use evshare_protocol::names::ResolvedName;

/// Who made a registration and what it opened.
pub struct Origin {
    /// The handle (file object) that owns it.
    pub file: FileId,
    /// The process that made it.
    pub owner: ProcessId,
    /// How the event was shared.
    pub method: Method,
    /// The NT path the driver opened or created, for methods that use a name.
    pub resolved: Option<ResolvedName>,
}

/// What a registration signals. Registrations live in pool allocations of their own, so the
/// ring variant's size costs an event registration a few hundred bytes, not a copy.
#[allow(clippy::large_enum_variant)]
pub enum Target {
    /// An event (the four sharing methods).
    Event(SharedEvent),
    /// A ring channel: the timer produces one record per tick.
    Ring(RingChannel),
}

/// A live registration. Shared between the registry and in-flight requests through
/// [`PoolArc`]; its timer lives inside it and, while armed, holds a reference of its own, so
/// the DPC never outlives it. [`Registration::retire`] shuts the timer down and gives that
/// reference back.
pub struct Registration {
    id: u64,
    origin: Origin,
    target: Target,
    timer: Timer<Registration>,
    /// The instance's counters (it outlives every registration: the host keeps it in a
    /// `static`).
    stats: &'static Stats,
    /// The current [`SignalMode`], packed as `kind << 32 | millis` so a DPC-free reader sees one
    /// consistent value.
    mode: AtomicU64,
    signals_sent: AtomicU64,
    /// The channel this registration is subscribed to, or [`NO_CHANNEL`].
    channel: AtomicU32,
}

/// [`Registration::channel`]'s value while subscribed to none.
const NO_CHANNEL: u32 = u32::MAX;

fn pack(mode: SignalMode) -> u64 {
    let (kind, millis) = mode.to_wire();
    (u64::from(kind) << 32) | u64::from(millis)
}

impl Registration {
    /// Allocates a registration in on-demand mode (no timer armed yet), counting its signals
    /// in `stats`.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn new(
        id: u64,
        origin: Origin,
        target: Target,
        stats: &'static Stats,
    ) -> Result<PoolArc<Self>, NtStatus> {
        Timer::new_owner(|timer| Registration {
            id,
            origin,
            target,
            timer,
            stats,
            mode: AtomicU64::new(pack(SignalMode::OnDemand)),
            signals_sent: AtomicU64::new(0),
            channel: AtomicU32::new(NO_CHANNEL),
        })
    }

    /// The id the app uses to name this registration.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Who made it and what it opened.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The event the driver signals, unless this is a ring.
    pub fn event(&self) -> Option<&SharedEvent> {
        match &self.target {
            Target::Event(event) => Some(event),
            Target::Ring(_) => None,
        }
    }

    /// The ring, if this is one.
    pub fn ring(&self) -> Option<&RingChannel> {
        match &self.target {
            Target::Ring(ring) => Some(ring),
            Target::Event(_) => None,
        }
    }

    /// How many times the driver signalled the event.
    pub fn signals_sent(&self) -> u64 {
        self.signals_sent.load(Ordering::Acquire)
    }

    /// The current signal mode.
    pub fn mode(&self) -> SignalMode {
        let packed = self.mode.load(Ordering::Relaxed);
        // The value was packed from a valid mode, so decoding cannot fail; fall back to
        // on-demand rather than panic if it ever did.
        SignalMode::from_wire((packed >> 32) as u32, packed as u32).unwrap_or(SignalMode::OnDemand)
    }

    /// Signals the event once (`KeSetEvent`, `Wait = FALSE`) and counts it. Does nothing for a
    /// ring (rings are fed with `PRODUCE`).
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn signal(&self) {
        let Some(event) = self.event() else {
            return;
        };
        // Count first: an app woken by this signal that then asks for the count must see it.
        // (Release pairs with the reader's load through the wake-up's own synchronisation.)
        self.signals_sent.fetch_add(1, Ordering::Release);
        self.stats.signals_sent.fetch_add(1, Ordering::Release);
        if !event.set() {
            // Refused (possible only under Wine): it was not sent after all.
            self.signals_sent.fetch_sub(1, Ordering::Relaxed);
            self.stats.signals_sent.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Records the subscription to `channel`; `false` if subscribed to one already.
    pub fn subscribe(&self, channel: u32) -> bool {
        self.channel
            .compare_exchange(NO_CHANNEL, channel, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }

    /// The channel it is subscribed to, if any.
    pub fn channel(&self) -> Option<u32> {
        let channel = self.channel.load(Ordering::Relaxed);
        (channel != NO_CHANNEL).then_some(channel)
    }

    /// Delivers a published payload: an event is signalled, a ring gets one record carrying
    /// it. `false` if it was dropped (the ring was full or poisoned, or the payload too long
    /// for a record: the subscription checked it could not be).
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn deliver(&self, at: &mut impl Irql, payload: &[u8]) -> bool {
        match &self.target {
            Target::Event(_) => {
                self.signal();
                true
            }
            Target::Ring(ring) => ring.publish(at, payload),
        }
    }

    /// Switches how the driver signals: periodic and one-shot modes (re)arm the timer,
    /// on-demand disarms it. The registry calls it under its spin lock, so that the timer
    /// budget is checked and charged in one hold and a registration that left the table is
    /// never re-armed.
    ///
    /// IRQL: `<= DISPATCH_LEVEL` (dispatch code only: never from this timer's own DPC).
    pub fn set_mode(&self, mode: SignalMode) {
        self.mode.store(pack(mode), Ordering::Relaxed);
        match mode {
            SignalMode::OnDemand => {
                self.timer.cancel();
            }
            SignalMode::Periodic { period_ms } => {
                self.timer.arm(self, period_ms, period_ms);
            }
            SignalMode::OneShot { delay_ms } => {
                self.timer.arm(self, delay_ms, 0);
            }
        }
    }

    /// Stops signalling for good: the timer is disarmed, any running DPC waited out, and the
    /// timer's reference given back; a `SET_MODE` racing with this cannot re-arm it. Called
    /// when the registration leaves the registry; the memory goes when the last reference does.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn retire(&self, at: &Passive) {
        self.mode
            .store(pack(SignalMode::OnDemand), Ordering::Relaxed);
        self.timer.shutdown(at);
    }
}

impl TimerOwner for Registration {
    fn timer(&self) -> &Timer<Self> {
        &self.timer
    }

    fn on_timer(&self, at: &mut DispatchLevel) {
        match &self.target {
            Target::Event(_) => self.signal(),
            Target::Ring(ring) => {
                let _ = ring.produce(at, 1, false);
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // No DPC can be running: an armed timer holds a reference, so the last one goes only
        // after `retire` shut it down (or it was never armed).
        if let Some(ring) = self.ring() {
            // SAFETY: km never runs above DISPATCH_LEVEL, and no `Passive` token is in this
            // scope: poisoning only takes the ring's spin lock and signals its events.
            ring.poison(&mut unsafe { DispatchLevel::assume() });
        }
    }
}

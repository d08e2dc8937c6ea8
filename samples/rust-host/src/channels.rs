//! The sample's evshare channels, declared in its instances' `Config`s: [`CHANNELS`] for the
//! main device's instance, [`SECOND_CHANNELS`] for the second device's. The simulated device
//! publishes on three of the first from its DPC: the tick count (a little-endian `u64`) on
//! `sample.ticks`, a status line of varying length on `sample.status`, and a longer line on
//! `sample.detail` (too long for ring records). The fourth, `sample.burst`, gets payloads only
//! on request ([`crate::burst`]). The same DPC publishes the tick count on the second
//! instance's one channel, `sample2.ticks`. Every registration an app subscribes to a channel
//! gets each payload (an event is signalled, a ring gets a record carrying the payload).

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, Ordering};
use evshare_kernel::{Channel, ChannelId, Evshare};
use evshare_km::irql::DispatchLevel;
use evshare_km::NtStatus;
use evshare_protocol::channel::MAX_RING_PAYLOAD;

/// The tick counter's channel.
pub const TICKS: &str = "sample.ticks";
/// The status line's channel.
pub const STATUS: &str = "sample.status";
/// The detailed line's channel: longer than a ring record holds, so only event registrations
/// (signalled once per line) may subscribe to it.
pub const DETAIL: &str = "sample.detail";
/// The burst channel: a `u64` sequence number per payload, published only by
/// `IOCTL_SAMPLE_BURST` ([`crate::burst`]).
pub const BURST: &str = "sample.burst";

/// The second instance's channel: the same tick count as `sample.ticks`, through the second
/// device.
pub const SECOND_TICKS: &str = "sample2.ticks";

/// The longest detailed line.
const DETAIL_MAX: usize = 64;

/// The longest status line: what one ring record carries, so ring subscribers may take it.
const STATUS_MAX: usize = MAX_RING_PAYLOAD;

/// The channels the sample declares in its `Config`.
pub const CHANNELS: &[Channel] = &[
    Channel {
        name: TICKS,
        max_payload: 8,
    },
    Channel {
        name: STATUS,
        max_payload: STATUS_MAX as u32,
    },
    Channel {
        name: DETAIL,
        max_payload: DETAIL_MAX as u32,
    },
    Channel {
        name: BURST,
        max_payload: 8,
    },
];

/// The channels the second instance declares in its `Config`.
pub const SECOND_CHANNELS: &[Channel] = &[Channel {
    name: SECOND_TICKS,
    max_payload: 8,
}];

/// Publishes the device's ticks on the main instance's three DPC channels and on the second
/// instance's one.
pub struct Publisher {
    evshare: &'static Evshare,
    ticks: ChannelId,
    status: ChannelId,
    detail: ChannelId,
    second: &'static Evshare,
    second_ticks: ChannelId,
    /// Payloads the instance took.
    published: AtomicU64,
    /// Payloads it refused (a channel missing or a payload too long: a bug of this driver).
    refused: AtomicU64,
}

impl Publisher {
    /// Finds the channels [`CHANNELS`] declared in `evshare` and [`SECOND_CHANNELS`] in
    /// `second` (both started: they checked them).
    pub fn new(evshare: &'static Evshare, second: &'static Evshare) -> Result<Publisher, NtStatus> {
        let find =
            |evshare: &Evshare, name| evshare.channel(name).ok_or(NtStatus::INVALID_PARAMETER);
        Ok(Publisher {
            evshare,
            ticks: find(evshare, TICKS)?,
            status: find(evshare, STATUS)?,
            detail: find(evshare, DETAIL)?,
            second,
            second_ticks: find(second, SECOND_TICKS)?,
            published: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        })
    }

    /// Publishes tick number `tick` on the four channels. Never waits: the DPC calls it.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn publish_tick(&self, at: &mut DispatchLevel, tick: u64) {
        let mut line = StatusLine::<STATUS_MAX>::new();
        // A line too long for the buffer is cut short, never refused.
        let _ = write!(line, "tick {tick}: simulated device running, 2 Hz");
        let mut detail = StatusLine::<DETAIL_MAX>::new();
        let _ = write!(
            detail,
            "tick {tick}: simulated interrupt DPC, period 500 ms, 3 channels"
        );
        let ticks = tick.to_le_bytes();
        for (evshare, channel, payload) in [
            (self.evshare, self.ticks, &ticks[..]),
            (self.evshare, self.status, line.as_bytes()),
            (self.evshare, self.detail, detail.as_bytes()),
            (self.second, self.second_ticks, &ticks[..]),
        ] {
            let counter = match evshare.publish(at, channel, payload) {
                Ok(_) => &self.published,
                Err(_) => &self.refused,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Payloads published and refused so far.
    pub fn figures(&self) -> (u64, u64) {
        (
            self.published.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
        )
    }
}

/// A line formatted without allocating (a DPC may not wait for pool), cut at `N` bytes.
struct StatusLine<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StatusLine<N> {
    fn new() -> StatusLine<N> {
        StatusLine {
            bytes: [0; N],
            len: 0,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl<const N: usize> Write for StatusLine<N> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = self.bytes.get_mut(self.len..).unwrap_or(&mut []);
        let taken = text.len().min(room.len());
        for (to, from) in room.iter_mut().zip(text.bytes()) {
            *to = from;
        }
        self.len += taken;
        if taken < text.len() {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

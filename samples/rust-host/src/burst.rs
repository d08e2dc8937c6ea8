//! The sample's second IOCTL, [`IOCTL_SAMPLE_BURST`]: publishes a burst of payloads at once on
//! `sample.burst`, from the dispatch routine, so an app can overflow its subscribers on
//! demand and check that every loss is counted (a ring's gaps are its `dropped`, an event's
//! signals are counted even when they coalesce). Each payload is the next number of a
//! sequence the sample keeps (a little-endian `u64`, from 0 at load), so an app can also tell
//! which payloads a ring kept.
//!
//! Request: the count, a little-endian `u32` (exactly 4 bytes), `1..=`[`MAX_BURST`]; anything
//! else is refused with `STATUS_INVALID_PARAMETER` before a payload is published. Reply
//! ([`REPLY_LEN`] bytes, refused with `STATUS_BUFFER_TOO_SMALL` if there is less room), four
//! little-endian `u64`s: the first sequence number of the burst, the payloads the instance
//! took, and the sums over the burst of what `Evshare::publish` reported for each
//! ([`Published`](evshare_kernel::Published)): subscribers reached, and rings that dropped the
//! payload because they were full.
//!
//! Two bursts at once (several CPUs on Windows) interleave their payloads; each burst's
//! numbers are still consecutive, reserved in one step.

use crate::channels::BURST;
use core::sync::atomic::{AtomicU64, Ordering};
use evshare_kernel::Evshare;
use evshare_km::irp::{Completed, Irp};
use evshare_km::irql::Passive;
use evshare_km::NtStatus;
use evshare_protocol::ioctl::{ctl_code, FILE_WRITE_DATA, METHOD_BUFFERED};

use crate::own_ioctl::FILE_DEVICE_SAMPLE;

/// `IOCTL_SAMPLE_BURST`: function `0x801`, `FILE_WRITE_DATA` (it changes what subscribers
/// hold), `METHOD_BUFFERED`.
pub const IOCTL_SAMPLE_BURST: u32 =
    ctl_code(FILE_DEVICE_SAMPLE, 0x801, METHOD_BUFFERED, FILE_WRITE_DATA);

/// The most payloads one request may publish: a burst runs in the dispatch routine, and each
/// payload to an event subscriber is a signal (a `wineserver` round trip under Wine).
pub const MAX_BURST: u32 = 1024;

/// The reply's length: four `u64`s.
pub const REPLY_LEN: usize = 32;

/// The next sequence number to publish.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// What one burst did, as the reply carries it.
#[derive(Clone, Copy, Default)]
struct Figures {
    first: u64,
    published: u64,
    subscribers: u64,
    dropped: u64,
}

impl Figures {
    /// The reply's bytes.
    fn encode(&self) -> [u8; REPLY_LEN] {
        let mut out = [0u8; REPLY_LEN];
        let fields = [self.first, self.published, self.subscribers, self.dropped];
        let bytes = fields.iter().flat_map(|field| field.to_le_bytes());
        // 32 bytes into 32 bytes: `zip` writes them all, and cannot panic.
        for (to, from) in out.iter_mut().zip(bytes) {
            *to = from;
        }
        out
    }
}

/// The count a request asks for, if it is a valid one.
fn requested(input: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = input.try_into().ok()?;
    let count = u32::from_le_bytes(bytes);
    (1..=MAX_BURST).contains(&count).then_some(count)
}

/// Publishes `count` consecutive sequence numbers on `sample.burst`.
///
/// IRQL: `PASSIVE_LEVEL` (the dispatch routine; publishing itself would do at `DISPATCH_LEVEL`).
fn publish(evshare: &'static Evshare, at: &mut Passive, count: u32) -> Result<Figures, NtStatus> {
    let channel = evshare
        .channel(BURST)
        .ok_or(NtStatus::INVALID_DEVICE_STATE)?;
    // One step for the whole burst: its numbers are consecutive even if another runs at once.
    let first = NEXT.fetch_add(u64::from(count), Ordering::Relaxed);
    let mut figures = Figures {
        first,
        ..Figures::default()
    };
    for seq in (0..u64::from(count)).map(|offset| first.wrapping_add(offset)) {
        // The channel takes 8 bytes: a refusal would be this driver's bug; it is left out of
        // `published`, which the app compares with the count.
        if let Ok(published) = evshare.publish(at, channel, &seq.to_le_bytes()) {
            figures.published += 1;
            figures.subscribers += u64::from(published.subscribers);
            figures.dropped += u64::from(published.dropped);
        }
    }
    Ok(figures)
}

/// Answers `IOCTL_SAMPLE_BURST`.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn burst(mut irp: Irp, evshare: &'static Evshare, at: &mut Passive) -> Completed {
    let answered = match irp.buffered_ioctl() {
        Some(mut ioctl) => match requested(ioctl.input()) {
            None => Err(NtStatus::INVALID_PARAMETER),
            Some(_) if ioctl.output_len() < REPLY_LEN => Err(NtStatus::BUFFER_TOO_SMALL),
            Some(count) => publish(evshare, at, count).map(|figures| {
                // At least REPLY_LEN bytes of room (checked above): `zip` writes them all.
                for (to, from) in ioctl.output().iter_mut().zip(figures.encode()) {
                    *to = from;
                }
                REPLY_LEN
            }),
        },
        None => Err(NtStatus::INVALID_PARAMETER),
    };
    match answered {
        Ok(written) => irp.complete(NtStatus::SUCCESS, written),
        Err(status) => irp.complete(status, 0),
    }
}

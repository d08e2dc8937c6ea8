//! A handle's inverted call as a channel subscriber: each payload a subscribed channel
//! publishes completes one of the handle's parked `PEND_NOTIFICATION` IRPs, carrying the payload,
//! its channel and a sequence number per handle and channel.
//!
//! A payload published while the handle has no IRP parked waits in a bounded backlog
//! ([`BACKLOG`] notifications) for the next `PEND_NOTIFICATION`; once the backlog is full, a
//! payload is lost, counted, and its sequence number skipped, so the app sees every loss as a
//! gap. Publishing never waits and never allocates.
//!
//! Locks: the backlog is taken after the channel's subscriber list (publishing) and after the
//! handle's inbox (`PEND_NOTIFICATION`), and before the pending-IRP queue. A parked IRP is
//! completed after the backlog lock is released; deliveries of one channel are serialised by
//! that channel's lock, so the app's IRPs complete in the channel's sequence order.
//!
//! The module is generic over the pending queue's request type (the driver's `ParkedIrp`, keyed
//! by file object) so that it also builds on the host, where `tests/loom_channel_inbox.rs`
//! runs it under loom against mock IRPs: a publication racing a `PEND_NOTIFICATION`, and one
//! racing a cancel, never strand a payload or an IRP, on any interleaving (Wine runs the DPC
//! on one pool thread beside one dispatch thread; Windows runs both on any CPU).

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use evshare_km::irql::Irql;
use evshare_km::pending::{PendingQueue, Request};
use evshare_km::sync::{SpinLock, SpinLockGuard};
use evshare_protocol::channel::MAX_CHANNELS;
use evshare_protocol::reply::Notification;

/// Notifications one handle's backlog holds while no IRP of it is parked.
pub const BACKLOG: usize = 32;

/// What a handle was owed while it had no IRP parked, oldest first, and each channel's next
/// sequence number.
pub struct Backlog {
    owed: [Notification; BACKLOG],
    /// Where the oldest owed notification is.
    head: usize,
    /// How many are owed.
    len: usize,
    next_seq: [u64; MAX_CHANNELS],
}

impl Backlog {
    /// How many notifications are owed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether none is owed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The oldest notification owed, taken out.
    pub fn pop(&mut self) -> Option<Notification> {
        if self.len == 0 {
            return None;
        }
        let oldest = self.owed.get(self.head).copied();
        self.head = (self.head + 1) % BACKLOG;
        self.len -= 1;
        oldest
    }

    /// Adds `notification` after the others; `false` if the backlog is full.
    fn push(&mut self, notification: Notification) -> bool {
        if self.len >= BACKLOG {
            return false;
        }
        let Some(slot) = self.owed.get_mut((self.head + self.len) % BACKLOG) else {
            return false;
        };
        *slot = notification;
        self.len += 1;
        true
    }

    /// `channel`'s next sequence number, taken (0 for a channel the protocol cannot have).
    fn take_seq(&mut self, channel: u32) -> u64 {
        match self.next_seq.get_mut(channel as usize) {
            Some(next) => {
                let seq = *next;
                *next += 1;
                seq
            }
            None => 0,
        }
    }
}

/// One handle's inverted call, as a subscriber of the host's channels. The handle's state
/// holds it once the handle subscribed its inverted call to a channel; each channel it is
/// subscribed to holds it too, until the handle is cleaned up or closed. `K` is what the
/// pending queue keys requests by: the handle (the driver's file object).
pub struct ChannelInbox<K> {
    file: K,
    /// The id of the process that opened the handle.
    owner: u32,
    /// Bit `n` set: subscribed to channel `n`.
    subscribed: AtomicU32,
    backlog: SpinLock<Backlog>,
    lost: AtomicU64,
}

impl<K: Copy + Eq> ChannelInbox<K> {
    /// The inverted call of handle `file`, opened by process `owner`: subscribed to nothing,
    /// nothing owed.
    pub fn new(file: K, owner: u32) -> ChannelInbox<K> {
        ChannelInbox {
            file,
            owner,
            subscribed: AtomicU32::new(0),
            backlog: SpinLock::new(Backlog {
                owed: [Notification::EMPTY; BACKLOG],
                head: 0,
                len: 0,
                next_seq: [0; MAX_CHANNELS],
            }),
            lost: AtomicU64::new(0),
        }
    }

    /// The handle whose inverted call it is.
    pub fn file(&self) -> K {
        self.file
    }

    /// The id of the process that opened the handle.
    pub fn owner(&self) -> u32 {
        self.owner
    }

    /// Whether it is subscribed to `channel`.
    pub fn is_subscribed(&self, channel: u32) -> bool {
        self.subscribed.load(Ordering::Relaxed) & bit(channel) != 0
    }

    /// Records the subscription to `channel`; `false` if it was subscribed already.
    pub fn subscribe(&self, channel: u32) -> bool {
        let bit = bit(channel);
        bit != 0 && self.subscribed.fetch_or(bit, Ordering::Relaxed) & bit == 0
    }

    /// Forgets the subscription to `channel`.
    pub fn unsubscribe(&self, channel: u32) {
        self.subscribed.fetch_and(!bit(channel), Ordering::Relaxed);
    }

    /// Payloads lost because the backlog was full.
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    /// The backlog, locked (for tests and the statistics; requests go through
    /// [`take_or_park`](Self::take_or_park)).
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn backlog<'g, I: Irql>(&'g self, at: &'g mut I) -> SpinLockGuard<'g, Backlog> {
        self.backlog.lock(at)
    }

    /// `PEND_NOTIFICATION`'s part: the oldest notification owed, handed back with `request`
    /// for the caller to complete it with; or, if none is owed, `park(request)`, run while the
    /// backlog is still locked, so a payload published meanwhile either finds the request
    /// parked or is owed to the next one: never neither.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn take_or_park<Q, T>(
        &self,
        at: &mut impl Irql,
        request: Q,
        park: impl FnOnce(Q) -> T,
    ) -> Result<(Q, Notification), T> {
        let mut backlog = self.backlog.lock(at);
        match backlog.pop() {
            Some(owed) => {
                drop(backlog);
                Ok((request, owed))
            }
            None => {
                let parked = park(request);
                drop(backlog);
                Err(parked)
            }
        }
    }

    /// Delivers `payload`, published on `channel` at `timestamp`: completes a parked request
    /// of the handle with it (`complete`, outside the backlog's lock), or owes it; `false` if
    /// it was lost (the backlog was full, or the payload longer than a notification carries:
    /// the subscription checked that it cannot be).
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn deliver<R: Request<Key = K>, const N: usize>(
        &self,
        at: &mut impl Irql,
        channel: u32,
        payload: &[u8],
        timestamp: u64,
        pending: &PendingQueue<R, N>,
        complete: impl FnOnce(R::Owned, &Notification),
    ) -> bool {
        let mut backlog = self.backlog.lock(at);
        let seq = backlog.take_seq(channel);
        let made = u16::try_from(channel)
            .ok()
            .and_then(|channel| Notification::of_channel(channel, seq, timestamp, payload).ok());
        let Some(made) = made else {
            drop(backlog);
            self.lost.fetch_add(1, Ordering::Relaxed);
            return false;
        };
        // A parked request means nothing is owed (`take_or_park` takes what is owed before it
        // parks), so completing it now keeps the order.
        if let Some(request) = pending.take_for(self.file) {
            drop(backlog);
            complete(request, &made);
            return true;
        }
        if backlog.push(made) {
            return true;
        }
        drop(backlog);
        self.lost.fetch_add(1, Ordering::Relaxed);
        false
    }
}

/// The subscription bit of `channel` (0 for a channel the protocol cannot have).
fn bit(channel: u32) -> u32 {
    if (channel as usize) < MAX_CHANNELS {
        1 << channel
    } else {
        0
    }
}

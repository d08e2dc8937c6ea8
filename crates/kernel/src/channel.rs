//! The instance's channels: for each channel the host declared, its subscribers (registrations,
//! and handles' inverted calls), behind a spin lock of its own, and what was published.
//!
//! A payload is delivered to every subscriber **under** the channel's lock: the list holds a
//! reference to each subscriber, and a subscriber leaves the list (at `PASSIVE_LEVEL`, when it
//! is retired or its handle cleaned up) under the same lock, so publishing never drops the last
//! reference of a registration (whose drop needs `PASSIVE_LEVEL`, and publishing may run in a
//! DPC). Delivering only signals an event (`KeSetEvent`, `Wait = FALSE`), writes one ring record
//! (taking the ring's own lock after this one: lock order channel → ring), or completes one
//! parked IRP (`IoCompleteRequest`), all legal at `DISPATCH_LEVEL`.
//!
//! One process may hold a share of a channel's [`MAX_SUBSCRIBERS`] slots (the host's
//! [`Quotas`](crate::config::Quotas)), so one app cannot fill a channel and shut the others out.

use crate::channel_inbox::ChannelInbox;
use crate::notification;
use crate::registration::Registration;
use core::sync::atomic::{AtomicU64, Ordering};
use evshare_km::irp::{FileId, ParkedIrp};
use evshare_km::irql::{Irql, Passive};
use evshare_km::pending::PendingQueue;
use evshare_km::pool::PoolArc;
use evshare_km::process::ProcessId;
use evshare_km::sync::SpinLock;
use evshare_km::time::performance_counter;
use evshare_protocol::channel::{MAX_CHANNELS, MAX_SUBSCRIBERS};

/// A channel of the instance, by its place in [`crate::Config::channels`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChannelId(pub(crate) u32);

impl ChannelId {
    /// The channel's place in the host's [`crate::Config::channels`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What one [`crate::Evshare::publish`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Published {
    /// Subscribers the payload went to.
    pub subscribers: u32,
    /// Subscribers that lost it: a ring that was full (or poisoned), counted in that ring's
    /// `dropped`; an inverted call whose backlog was full, seen by the app as a gap in the
    /// channel's sequence numbers.
    pub dropped: u32,
}

/// Why a subscriber may not subscribe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscribeRefusal {
    /// No channel of that number.
    NoSuchChannel,
    /// The registration is subscribed to a channel already, or the inverted call to this one.
    AlreadySubscribed,
    /// The channel has [`MAX_SUBSCRIBERS`].
    Full,
    /// The subscriber's process holds its share of the channel's slots.
    Share,
}

/// What a channel delivers to.
pub enum Subscriber {
    /// A registration: an event is signalled, a ring gets a record. One channel each.
    Registration(PoolArc<Registration>),
    /// A handle's inverted call: a parked IRP is completed with the payload. Any channels.
    Inbox(PoolArc<ChannelInbox<FileId>>),
}

impl Subscriber {
    fn owner(&self) -> ProcessId {
        match self {
            Subscriber::Registration(registration) => registration.origin().owner,
            Subscriber::Inbox(inbox) => ProcessId(inbox.owner()),
        }
    }

    /// Whether it is subscribed to `channel` (or, for a registration, to any channel).
    fn is_subscribed(&self, channel: u32) -> bool {
        match self {
            Subscriber::Registration(registration) => registration.channel().is_some(),
            Subscriber::Inbox(inbox) => inbox.is_subscribed(channel),
        }
    }

    /// Records the subscription; `false` if it was made meanwhile.
    fn mark(&self, channel: u32) -> bool {
        match self {
            Subscriber::Registration(registration) => registration.subscribe(channel),
            Subscriber::Inbox(inbox) => inbox.subscribe(channel),
        }
    }

    fn is_inbox_of(&self, file: Option<FileId>) -> bool {
        match self {
            Subscriber::Registration(_) => false,
            Subscriber::Inbox(inbox) => file.is_none_or(|file| inbox.file() == file),
        }
    }
}

type Subscribers = [Option<Subscriber>; MAX_SUBSCRIBERS];

/// Every channel's subscribers and counters.
pub struct Channels {
    lists: [SpinLock<Subscribers>; MAX_CHANNELS],
    published: [AtomicU64; MAX_CHANNELS],
}

impl Channels {
    /// No subscribers, nothing published.
    pub const fn new() -> Channels {
        Channels {
            lists: [const { SpinLock::new([const { None }; MAX_SUBSCRIBERS]) }; MAX_CHANNELS],
            published: [const { AtomicU64::new(0) }; MAX_CHANNELS],
        }
    }

    /// Subscribes `subscriber` to `channel` (which the caller checked the host declared, and
    /// that the subscriber can carry), if the channel has a free slot and the subscriber's
    /// process holds fewer than `share` of them. A registration takes one channel, an inverted
    /// call each channel once.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn subscribe(
        &self,
        at: &mut impl Irql,
        channel: ChannelId,
        subscriber: Subscriber,
        share: u32,
    ) -> Result<(), SubscribeRefusal> {
        let list = self
            .lists
            .get(channel.index())
            .ok_or(SubscribeRefusal::NoSuchChannel)?;
        let mut slots = list.lock(at);
        if subscriber.is_subscribed(channel.0) {
            return Err(SubscribeRefusal::AlreadySubscribed);
        }
        let owner = subscriber.owner();
        let held = slots
            .iter()
            .flatten()
            .filter(|held| held.owner() == owner)
            .count();
        let free = slots
            .iter_mut()
            .find(|slot| slot.is_none())
            .ok_or(SubscribeRefusal::Full)?;
        if held >= share as usize {
            return Err(SubscribeRefusal::Share);
        }
        if !subscriber.mark(channel.0) {
            return Err(SubscribeRefusal::AlreadySubscribed);
        }
        *free = Some(subscriber);
        Ok(())
    }

    /// Takes `registration` off its channel's list, if it is on one; its reference is dropped
    /// here, outside the lock.
    ///
    /// IRQL: `PASSIVE_LEVEL` (the reference may be the last one).
    pub fn unsubscribe(&self, at: &mut Passive, registration: &Registration) {
        let Some(channel) = registration.channel() else {
            return;
        };
        let Some(list) = self.lists.get(channel as usize) else {
            return;
        };
        let taken = {
            let mut slots = list.lock(at);
            slots
                .iter_mut()
                .find(|slot| match slot {
                    Some(Subscriber::Registration(held)) => core::ptr::eq(&**held, registration),
                    _ => false,
                })
                .and_then(Option::take)
        };
        drop(taken);
    }

    /// Takes the inverted call of handle `file` (of every handle, for `None`) off every
    /// channel: the handle is being cleaned up or closed, or the instance unloaded. Returns
    /// how many subscriptions ended.
    ///
    /// IRQL: `PASSIVE_LEVEL`.
    pub fn unsubscribe_inboxes(&self, at: &mut Passive, file: Option<FileId>) -> u32 {
        let mut ended = 0;
        for (channel, list) in self.lists.iter().enumerate() {
            loop {
                let taken = {
                    let mut slots = list.lock(at);
                    slots
                        .iter_mut()
                        .find(|slot| slot.as_ref().is_some_and(|held| held.is_inbox_of(file)))
                        .and_then(Option::take)
                };
                let Some(Subscriber::Inbox(inbox)) = taken else {
                    break;
                };
                inbox.unsubscribe(channel as u32);
                ended += 1;
            }
        }
        ended
    }

    /// Delivers `payload` to every subscriber of `channel`: an event is signalled, a ring gets
    /// one record, an inverted call a notification (through `pending`, where its IRPs are
    /// parked). The caller checked the channel and the payload's length.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn publish<const N: usize>(
        &self,
        at: &mut impl Irql,
        channel: ChannelId,
        payload: &[u8],
        pending: &PendingQueue<ParkedIrp, N>,
    ) -> Published {
        let mut published = Published::default();
        let Some(list) = self.lists.get(channel.index()) else {
            return published;
        };
        if let Some(count) = self.published.get(channel.index()) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        // The publication's time, read once for every inverted call it completes.
        let timestamp = performance_counter();
        let mut guard = list.lock(at);
        let (slots, at) = guard.split();
        for subscriber in slots.iter().flatten() {
            published.subscribers += 1;
            let delivered = match subscriber {
                Subscriber::Registration(registration) => registration.deliver(at, payload),
                Subscriber::Inbox(inbox) => inbox.deliver(
                    at,
                    channel.0,
                    payload,
                    timestamp,
                    pending,
                    |irp, made| {
                        let _ = notification::complete(irp, made);
                    },
                ),
            };
            if !delivered {
                published.dropped += 1;
            }
        }
        published
    }

    /// Payloads published on `channel`, and its subscribers now.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn figures(&self, at: &mut impl Irql, channel: ChannelId) -> (u64, u32) {
        let published = self
            .published
            .get(channel.index())
            .map_or(0, |count| count.load(Ordering::Relaxed));
        let subscribers = self
            .lists
            .get(channel.index())
            .map_or(0, |list| list.lock(at).iter().flatten().count() as u32);
        (published, subscribers)
    }
}

impl Default for Channels {
    fn default() -> Self {
        Channels::new()
    }
}

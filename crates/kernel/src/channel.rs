//! The instance's channels: for each channel the host declared, the registrations subscribed
//! to it, behind a spin lock of its own, and what was published.
//!
//! A payload is delivered to every subscriber **under** the channel's lock: the list holds a
//! reference to each subscriber, and a subscriber leaves the list (at `PASSIVE_LEVEL`, when it
//! is retired) under the same lock, so publishing never drops the last reference of a
//! registration (whose drop needs `PASSIVE_LEVEL`, and publishing may run in a DPC).
//! Delivering only signals an event (`KeSetEvent`, `Wait = FALSE`) or writes one ring record
//! (taking the ring's own lock after this one: lock order channel → ring), both legal at
//! `DISPATCH_LEVEL`.

use crate::registration::Registration;
use core::sync::atomic::{AtomicU64, Ordering};
use evshare_km::irql::{Irql, Passive};
use evshare_km::pool::PoolArc;
use evshare_km::sync::SpinLock;
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
    /// Ring subscribers whose ring was full (or poisoned): the record was dropped there and
    /// counted in that ring's `dropped`.
    pub dropped: u32,
}

/// Why a registration may not subscribe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscribeRefusal {
    /// No channel of that number.
    NoSuchChannel,
    /// The registration is subscribed to a channel already.
    AlreadySubscribed,
    /// The channel has [`MAX_SUBSCRIBERS`].
    Full,
}

type Subscribers = [Option<PoolArc<Registration>>; MAX_SUBSCRIBERS];

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

    /// Subscribes `registration` to `channel` (which the caller checked the host declared,
    /// and that a ring can carry). One channel per registration.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn subscribe(
        &self,
        at: &mut impl Irql,
        channel: ChannelId,
        registration: &PoolArc<Registration>,
    ) -> Result<(), SubscribeRefusal> {
        let list = self
            .lists
            .get(channel.index())
            .ok_or(SubscribeRefusal::NoSuchChannel)?;
        let mut slots = list.lock(at);
        let free = slots
            .iter_mut()
            .find(|slot| slot.is_none())
            .ok_or(SubscribeRefusal::Full)?;
        if !registration.subscribe(channel.0) {
            return Err(SubscribeRefusal::AlreadySubscribed);
        }
        *free = Some(registration.clone());
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
                .find(|slot| {
                    slot.as_ref()
                        .is_some_and(|held| core::ptr::eq(&**held, registration))
                })
                .and_then(Option::take)
        };
        drop(taken);
    }

    /// Delivers `payload` to every subscriber of `channel`: an event is signalled, a ring gets
    /// one record. The caller checked the channel and the payload's length.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn publish(&self, at: &mut impl Irql, channel: ChannelId, payload: &[u8]) -> Published {
        let mut published = Published::default();
        let Some(list) = self.lists.get(channel.index()) else {
            return published;
        };
        if let Some(count) = self.published.get(channel.index()) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let mut guard = list.lock(at);
        let (slots, at) = guard.split();
        for registration in slots.iter().flatten() {
            published.subscribers += 1;
            if !registration.deliver(at, payload) {
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

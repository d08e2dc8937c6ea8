//! Channels: data a host driver publishes. [`Driver::channels`] lists what the host declares;
//! [`Registration::subscribe`] and [`Ring::subscribe`] make a registration receive one
//! channel: an event is signalled once per payload, a ring gets one record per payload (read
//! its payload with [`channel_payload`]). [`Notifications::subscribe`] makes a handle's
//! inverted call receive channels: each payload completes one of its pending requests, and
//! [`Notification::data`](evshare_protocol::Notification::data) is the payload.

use crate::device::{parse_reply, Driver};
use crate::error::{Error, NtStatus, Result};
use crate::notifications::Notifications;
use crate::registration::Registration;
use crate::ring::Ring;
use evshare_protocol::channel::{payload_of, SubscribeTarget, RECORD_PAYLOAD_LEN};
use evshare_protocol::reply::ChannelsReply;
use evshare_protocol::status::{
    STATUS_EVSHARE_ALREADY_SUBSCRIBED, STATUS_EVSHARE_CHANNEL_FULL, STATUS_EVSHARE_CHANNEL_SHARE,
    STATUS_EVSHARE_CHANNEL_TOO_WIDE, STATUS_EVSHARE_NO_SUCH_CHANNEL,
};
use evshare_protocol::{Ioctl, Request};

/// One channel a host driver publishes on, as `QUERY_CHANNELS` reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelInfo {
    /// Its number: its place in the host's list, which `SUBSCRIBE` names.
    pub index: u32,
    /// Its name.
    pub name: String,
    /// The longest payload the host publishes on it, in bytes.
    pub max_payload: u32,
    /// Subscribers (registrations and inverted calls) when it was listed.
    pub subscribers: u32,
    /// Payloads published on it since the host started, when it was listed.
    pub published: u64,
}

impl Driver {
    /// The channels the host driver publishes on (`QUERY_CHANNELS`), in the order it declared
    /// them; empty for a host with none. evshare.sys has one, `evshare.heartbeat`: a beat a
    /// second, its number from 1 as 8 little-endian bytes, for apps to check it is alive.
    pub fn channels(&self) -> Result<Vec<ChannelInfo>> {
        let mut reply = [0u8; ChannelsReply::LEN];
        let written = self
            .send(&Request::QueryChannels, &mut reply)
            .map_err(|failure| failure.into_error(Ioctl::QueryChannels, None))?;
        let reply = parse_reply(
            Ioctl::QueryChannels,
            &reply[..written],
            ChannelsReply::parse,
        )?;
        Ok((0u32..)
            .zip(reply.channels())
            .map(|(index, entry)| ChannelInfo {
                index,
                name: entry.name().to_owned(),
                max_payload: entry.max_payload(),
                subscribers: entry.subscribers(),
                published: entry.published(),
            })
            .collect())
    }

    /// The channel named `name`, or [`Error::NoSuchChannel`] listing the ones there are.
    pub fn channel(&self, name: &str) -> Result<ChannelInfo> {
        let channels = self.channels()?;
        let available = channels.iter().map(|c| c.name.clone()).collect();
        channels
            .into_iter()
            .find(|channel| channel.name == name)
            .ok_or_else(|| Error::NoSuchChannel {
                name: name.to_owned(),
                available,
            })
    }

    /// `SUBSCRIBE`: registration `id` of this handle receives `channel`.
    pub(crate) fn subscribe(&self, id: u64, channel: &ChannelInfo) -> Result<()> {
        let message = Request::Subscribe {
            target: SubscribeTarget::Registration(id),
            channel: channel.index,
        };
        self.send(&message, &mut []).map(|_| ()).map_err(|failure| {
            let status = failure.status();
            match status.and_then(|status| refused(status, &message, channel)) {
                Some(refused) => refused,
                None => failure.into_error(Ioctl::Subscribe, Some(id)),
            }
        })
    }
}

impl Notifications {
    /// Subscribes this handle's inverted call to `channel`: from now on each payload the host
    /// publishes on it completes one of this handle's pending requests, as a notification
    /// whose [`source`](evshare_protocol::Notification::source) names the channel and whose
    /// [`data`](evshare_protocol::Notification::data) is the payload. Payloads published while
    /// none is pending wait in a backlog of 32 notifications for the handle; beyond it they are
    /// lost, and the channel's sequence numbers skip one per loss. Lasts until the handle is
    /// closed. Channels whose payloads can pass 40 bytes are refused
    /// ([`Error::SubscribeRefused`]): subscribe an event registration to them.
    pub fn subscribe(&self, channel: &ChannelInfo) -> Result<()> {
        let message = Request::Subscribe {
            target: SubscribeTarget::InvertedCall,
            channel: channel.index,
        };
        self.request(&message, &mut [])?
            .map(|_| ())
            .map_err(|status| {
                refused(status, &message, channel).unwrap_or_else(|| {
                    crate::status_map::request_error(status, Ioctl::Subscribe, None)
                })
            })
    }
}

/// The error for a `SUBSCRIBE` refused with one of the statuses only it returns.
fn refused(status: u32, message: &Request<'_>, channel: &ChannelInfo) -> Option<Error> {
    let subscriber = match message {
        Request::Subscribe {
            target: SubscribeTarget::Registration(id),
            ..
        } => format!("registration {id}"),
        _ => "the inverted call".to_owned(),
    };
    Some(Error::SubscribeRefused {
        subscriber,
        channel: channel.name.clone(),
        why: subscribe_refusal(status)?,
        status: NtStatus(status),
    })
}

/// What a refusal of `SUBSCRIBE` means, for the statuses only it returns.
fn subscribe_refusal(status: u32) -> Option<&'static str> {
    match status {
        STATUS_EVSHARE_NO_SUCH_CHANNEL => Some(
            "the driver has no channel of that number (list them again: was the driver \
             restarted with other channels?)",
        ),
        STATUS_EVSHARE_ALREADY_SUBSCRIBED => Some(
            "it is subscribed already; one registration receives one channel (register another \
             event or ring for this one), and an inverted call each channel once",
        ),
        STATUS_EVSHARE_CHANNEL_FULL => Some(
            "the channel has as many subscribers as it may (64); share one registration's \
             event among your threads, or unsubscribe others",
        ),
        STATUS_EVSHARE_CHANNEL_TOO_WIDE => Some(
            "its payloads are longer than a ring record (46 bytes) or a notification (40 bytes) \
             holds; subscribe an event registration instead",
        ),
        STATUS_EVSHARE_CHANNEL_SHARE => Some(
            "this process holds 16 of the channel's subscriber slots, the most one process may; \
             subscribe one registration and share what it receives among your threads, or \
             unregister subscribers you no longer need",
        ),
        _ => None,
    }
}

impl Registration<'_> {
    /// Makes the driver signal this registration's event once per payload published on
    /// `channel` (one channel per registration; unregistering unsubscribes).
    pub fn subscribe(&self, channel: &ChannelInfo) -> Result<()> {
        self.driver().subscribe(self.id(), channel)
    }
}

impl Ring<'_> {
    /// Makes the driver write one record per payload published on `channel` into this ring
    /// (read it with [`channel_payload`]). Channels whose payloads can pass 46 bytes are
    /// refused ([`Error::SubscribeRefused`]): subscribe an event registration to them.
    pub fn subscribe(&self, channel: &ChannelInfo) -> Result<()> {
        self.driver()?.subscribe(self.id(), channel)
    }
}

/// The published payload a ring record carries, or `None` if the record was not written by
/// a channel (its length prefix is longer than the record allows).
pub fn channel_payload(record_payload: &[u8; RECORD_PAYLOAD_LEN]) -> Option<&[u8]> {
    payload_of(record_payload).ok()
}

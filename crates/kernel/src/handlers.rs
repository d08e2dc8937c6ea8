//! One function per IOCTL. Each parses nothing itself: `evshare_protocol::request::parse` has
//! already turned the bytes into a typed [`Request`] or a named error.
//!
//! The output size is checked before any state changes, so a request that could not report
//! its result (say, the id of a new registration) changes nothing.

use crate::caller::{check_output, Caller, Rejection};
use crate::channel::{ChannelId, SubscribeRefusal, Subscriber};
use crate::channel_inbox::ChannelInbox;
use crate::config::Channel;
use crate::inverted;
use crate::methods;
use crate::registration::Registration;
use crate::registry::{Counts, MAX_REGISTRATIONS};
use crate::state::State;
use core::sync::atomic::Ordering;
use evshare_km::irp::BufferedIoctl;
use evshare_km::irql::Passive;
use evshare_km::pool::PoolArc;
use evshare_km::process::ProcessId;
use evshare_km::time::performance_counter;
use evshare_km::NtStatus;
use evshare_protocol::channel::{SubscribeTarget, MAX_INVERTED_PAYLOAD, MAX_RING_PAYLOAD};
use evshare_protocol::error::ProtocolError;
use evshare_protocol::ioctl::Ioctl;
use evshare_protocol::method::Method;
use evshare_protocol::reply::{
    ChannelEntry, ChannelsReply, HoldersReply, NotifyReply, ProduceReply, RegisterReply,
    RegistrationInfo, RingInfo, RingReply, SignalReply, StatsReply, VerifierReply, VersionReply,
};
use evshare_protocol::request::{self, Request};
use evshare_protocol::stats::RejectReason;
use evshare_protocol::status::{
    STATUS_EVSHARE_ALREADY_SUBSCRIBED, STATUS_EVSHARE_CHANNEL_FULL, STATUS_EVSHARE_CHANNEL_SHARE,
    STATUS_EVSHARE_CHANNEL_TOO_WIDE, STATUS_EVSHARE_NO_SUCH_CHANNEL,
};

/// What a handled request answers. One lives briefly on the stack per request; boxing the
/// large holders list would cost a pool allocation per query for nothing.
#[allow(clippy::large_enum_variant)]
enum Reply {
    None,
    Version(VersionReply),
    Register(RegisterReply),
    Registration(RegistrationInfo),
    Stats(StatsReply),
    Holders(HoldersReply),
    Signal(SignalReply),
    Notify(NotifyReply),
    Ring(RingReply),
    Produce(ProduceReply),
    RingInfo(RingInfo),
    Verifier(VerifierReply),
    Channels(ChannelsReply),
}

/// Handles one `METHOD_BUFFERED` IOCTL, the request `kind` (its code in the host's space
/// already recognised); returns the number of output bytes written.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn handle(
    state: &'static State,
    caller: &Caller,
    kind: Ioctl,
    ioctl: &mut BufferedIoctl<'_>,
    at: &mut Passive,
) -> Result<usize, Rejection> {
    check_output(kind, ioctl.output_len())?;
    // The input is borrowed while the request is handled; the output is written afterwards,
    // because both live in the same system buffer. The protocol parses by evshare's own
    // code for the request.
    let reply = {
        let request = request::parse(kind.code(), ioctl.input())?;
        execute(state, caller, request, at)?
    };
    let out = ioctl.output();
    let written = match reply {
        Reply::None => 0,
        Reply::Version(r) => r.encode(out)?,
        Reply::Register(r) => r.encode(out)?,
        Reply::Registration(r) => r.encode(out)?,
        Reply::Stats(r) => r.encode(out)?,
        Reply::Holders(r) => r.encode(out)?,
        Reply::Signal(r) => r.encode(out)?,
        Reply::Notify(r) => r.encode(out)?,
        Reply::Ring(r) => r.encode(out)?,
        Reply::Produce(r) => r.encode(out)?,
        Reply::RingInfo(r) => r.encode(out)?,
        Reply::Verifier(r) => r.encode(out)?,
        Reply::Channels(r) => r.encode(out)?,
    };
    Ok(written)
}

fn execute(
    state: &'static State,
    caller: &Caller,
    request: Request<'_>,
    at: &mut Passive,
) -> Result<Reply, Rejection> {
    match request {
        Request::QueryVersion => Ok(Reply::Version(version(state))),
        Request::RegisterByName { mode, name_bytes } => {
            methods::by_name(state, caller, mode, name_bytes, at).map(Reply::Register)
        }
        Request::RegisterByHandle { handle, mode } => {
            methods::by_handle(state, caller, handle, mode, at).map(Reply::Register)
        }
        Request::CreateEvent { kind, mode } => {
            methods::driver_handle(state, caller, kind, mode, at).map(Reply::Register)
        }
        Request::CreateNamedEvent {
            kind,
            scope,
            mode,
            leaf_bytes,
        } => methods::driver_named(state, caller, kind, scope, mode, leaf_bytes, at)
            .map(Reply::Register),
        Request::QueryHolders => Ok(Reply::Holders(state.registry.holders(at))),
        Request::Notify { count } => inverted::notify(state, caller, count, at).map(Reply::Notify),
        // Parked by the dispatch routine before it gets here.
        Request::PendNotification => Err(ProtocolError::UnknownIoctl {
            code: Ioctl::PendNotification.code(),
        }
        .into()),
        Request::RegisterRing {
            capacity,
            mode,
            watermark,
            section,
            data_ready,
            space_free,
        } => {
            let request = methods::RingRequest {
                capacity,
                mode,
                watermark,
                section,
                data_ready,
                space_free,
            };
            methods::ring(state, caller, request, at).map(Reply::Ring)
        }
        Request::Produce { id, count } => {
            let registration = registration_of(state, caller, id, at)?;
            let ring = registration
                .ring()
                .ok_or_else(Rejection::no_such_registration)?;
            let produced = ring.produce(at, count, true);
            Ok(Reply::Produce(ProduceReply {
                written: produced.written,
                dropped: produced.dropped,
                wakeups: produced.wakeups,
            }))
        }
        Request::QueryRing { id } => {
            let registration = registration_of(state, caller, id, at)?;
            let ring = registration
                .ring()
                .ok_or_else(Rejection::no_such_registration)?;
            let (stats, poisoned) = ring.stats(at);
            Ok(Reply::RingInfo(RingInfo {
                poisoned,
                id,
                produced: stats.produced,
                dropped: stats.dropped,
                corrupt: stats.corrupt,
                wakeups: stats.wakeups,
                space_free_seen: stats.space_free_requests,
            }))
        }
        Request::SetSignalMode { id, mode } => {
            // Checked against the process's timer budget and applied in one registry lock hold.
            state.registry.set_mode(at, caller.file, id, mode)?;
            Ok(Reply::None)
        }
        Request::Signal { id } => {
            let registration = registration_of(state, caller, id, at)?;
            // A ring is fed with PRODUCE, not signalled.
            if registration.event().is_none() {
                return Err(Rejection::no_such_registration());
            }
            // Read just before the event is set, for latency measurements; the timer's DPC,
            // which signals without answering anyone, does not pay for it.
            let timestamp = performance_counter();
            registration.signal();
            Ok(Reply::Signal(SignalReply { timestamp }))
        }
        Request::Unregister { id } => {
            let registration = state
                .registry
                .remove(at, caller.file, id)
                .ok_or_else(Rejection::no_such_registration)?;
            state.retire(&registration, at);
            Ok(Reply::None)
        }
        Request::Verifier { op } => {
            crate::verifier_ops::handle(op, caller, at).map(Reply::Verifier)
        }
        Request::QueryChannels => Ok(Reply::Channels(channels(state, at))),
        Request::Subscribe { target, channel } => {
            match target {
                SubscribeTarget::Registration(id) => subscribe(state, caller, id, channel, at)?,
                SubscribeTarget::InvertedCall => subscribe_inverted(state, caller, channel, at)?,
            }
            Ok(Reply::None)
        }
        Request::QueryStats { pid } => Ok(Reply::Stats(stats(state, pid, at))),
        Request::QueryRegistration { id } => {
            let registration = registration_of(state, caller, id, at)?;
            let origin = registration.origin();
            Ok(Reply::Registration(RegistrationInfo {
                owner_pid: origin.owner.0,
                id: registration.id(),
                mode: registration.mode(),
                signals_sent: registration.signals_sent(),
                method: origin.method,
                resolved: origin.resolved,
            }))
        }
    }
}

const fn parse_version(s: &str) -> u32 {
    let bytes = s.as_bytes();
    let mut value = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        value = value * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    value
}

/// The driver's version, from its crate version.
const DRIVER_VERSION: [u32; 3] = [
    parse_version(env!("CARGO_PKG_VERSION_MAJOR")),
    parse_version(env!("CARGO_PKG_VERSION_MINOR")),
    parse_version(env!("CARGO_PKG_VERSION_PATCH")),
];

fn version(state: &State) -> VersionReply {
    VersionReply {
        host: state.host(),
        driver_version: DRIVER_VERSION,
        max_registrations: MAX_REGISTRATIONS as u32,
    }
}

fn stats(state: &State, pid: u32, at: &mut Passive) -> StatsReply {
    let filter = (pid != 0).then_some(ProcessId(pid));
    let Counts {
        live,
        for_pid,
        by_method,
    } = state.registry.counts(at, filter);
    let counters = &state.stats;
    StatsReply {
        host: state.host(),
        live_registrations: live,
        live_for_pid: for_pid,
        open_handles: counters.open_handles.load(Ordering::Relaxed),
        registrations_total: counters.registrations_total.load(Ordering::Relaxed),
        signals_sent: counters.signals_sent.load(Ordering::Relaxed),
        rejected: counters.rejected(),
        live_by_method: by_method,
        live_rings: by_method.get(Method::Ring.index()).copied().unwrap_or(0),
        pending_irps: state.pending.len() as u32,
        ring_produced: counters.ring_produced.load(Ordering::Relaxed),
        ring_dropped: counters.ring_dropped.load(Ordering::Relaxed),
        ring_corrupt: counters.ring_corrupt.load(Ordering::Relaxed),
        notifications: counters.notifications.load(Ordering::Relaxed),
        verifier: crate::verifier_ops::figures(),
    }
}

/// `QUERY_CHANNELS`: the host's channels in the order it declared them, with their figures.
fn channels(state: &State, at: &mut Passive) -> ChannelsReply {
    let mut reply = ChannelsReply::EMPTY;
    for (index, declared) in state.config.channels.iter().enumerate() {
        let (published, subscribers) = state.channels.figures(at, ChannelId(index as u32));
        // The host's channels were validated at start: every name makes an entry, and there
        // are no more than the reply holds.
        if let Some(entry) =
            ChannelEntry::new(declared.name, declared.max_payload, subscribers, published)
        {
            let _ = reply.push(entry);
        }
    }
    reply
}

/// A `SUBSCRIBE` refusal: its status and the one counter it moves.
fn refused(status: u32, reason: RejectReason) -> Rejection {
    Rejection {
        status: NtStatus::from_u32(status),
        reason,
    }
}

fn no_such_channel() -> Rejection {
    refused(STATUS_EVSHARE_NO_SUCH_CHANNEL, RejectReason::NoSuchChannel)
}

fn too_wide() -> Rejection {
    refused(
        STATUS_EVSHARE_CHANNEL_TOO_WIDE,
        RejectReason::ChannelTooWide,
    )
}

impl From<SubscribeRefusal> for Rejection {
    fn from(refusal: SubscribeRefusal) -> Rejection {
        match refusal {
            SubscribeRefusal::NoSuchChannel => no_such_channel(),
            SubscribeRefusal::AlreadySubscribed => refused(
                STATUS_EVSHARE_ALREADY_SUBSCRIBED,
                RejectReason::AlreadySubscribed,
            ),
            SubscribeRefusal::Full => {
                refused(STATUS_EVSHARE_CHANNEL_FULL, RejectReason::ChannelFull)
            }
            SubscribeRefusal::Share => {
                refused(STATUS_EVSHARE_CHANNEL_SHARE, RejectReason::ChannelShare)
            }
        }
    }
}

/// The channel the host declared as number `channel`, or the refusal that there is none.
fn declared(state: &State, channel: u32) -> Result<&Channel, Rejection> {
    state
        .config
        .channels
        .get(channel as usize)
        .ok_or_else(no_such_channel)
}

/// `SUBSCRIBE`: registration `id` of the caller's handle receives channel `channel`.
fn subscribe(
    state: &'static State,
    caller: &Caller,
    id: u64,
    channel: u32,
    at: &mut Passive,
) -> Result<(), Rejection> {
    let declared = declared(state, channel)?;
    let registration = registration_of(state, caller, id, at)?;
    if registration.ring().is_some() && declared.max_payload as usize > MAX_RING_PAYLOAD {
        return Err(too_wide());
    }
    let share = state.config.quotas.channel_share_per_process;
    state.channels.subscribe(
        at,
        ChannelId(channel),
        Subscriber::Registration(registration.clone()),
        share,
    )?;
    // An UNREGISTER (or close) on another CPU may have retired it between the lookup and the
    // subscription, and found it on no channel yet: then nobody else would take it off.
    // Either that retire comes after this check (and takes it off itself), or this check sees
    // it gone and takes it off here.
    if state.registry.find(at, caller.file, id).is_none() {
        state.channels.unsubscribe(at, &registration);
        return Err(Rejection::no_such_registration());
    }
    Ok(())
}

/// `SUBSCRIBE` of the caller's handle's inverted call to channel `channel`: from then on each
/// payload completes one of the handle's `PEND_NOTIFICATION` IRPs, until the handle is closed.
/// The handle's inbox is made at its first such subscription.
///
/// `#[inline(never)]`: the inbox (its backlog is 2 KiB) is built on this function's stack on
/// its way to the pool; inlined, it would join every request's frame, past the 4 KiB a kernel
/// frame may take without a stack probe.
#[inline(never)]
fn subscribe_inverted(
    state: &'static State,
    caller: &Caller,
    channel: u32,
    at: &mut Passive,
) -> Result<(), Rejection> {
    if declared(state, channel)?.max_payload as usize > MAX_INVERTED_PAYLOAD {
        return Err(too_wide());
    }
    let handle = caller.state.ok_or_else(Rejection::out_of_memory)?;
    let existing = handle.inbox.lock(at).channels.clone();
    let inbox = match existing {
        Some(inbox) => inbox,
        None => {
            let made = PoolArc::new(ChannelInbox::new(caller.file, caller.process.0))
                .map_err(|_| Rejection::out_of_memory())?;
            // Another SUBSCRIBE of the same handle may have made one meanwhile: keep the first
            // (ours is freed outside the lock).
            let mut inbox = handle.inbox.lock(at);
            match &inbox.channels {
                Some(first) => first.clone(),
                None => {
                    inbox.channels = Some(made.clone());
                    made
                }
            }
        }
    };
    let share = state.config.quotas.channel_share_per_process;
    state
        .channels
        .subscribe(at, ChannelId(channel), Subscriber::Inbox(inbox), share)?;
    Ok(())
}

/// Registration `id` of the caller's handle, or the refusal that it has none of that id.
fn registration_of(
    state: &State,
    caller: &Caller,
    id: u64,
    at: &mut Passive,
) -> Result<PoolArc<Registration>, Rejection> {
    state
        .registry
        .find(at, caller.file, id)
        .ok_or_else(Rejection::no_such_registration)
}

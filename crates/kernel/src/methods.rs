//! The four ways to share an event, each made safe (`docs/protocol.md`, SPEC "What evshare is").
//!
//! All of them end in [`register`], so a registration made any way is owned, capped (per handle,
//! per process, in all; ring bytes and timer budget per process), signalled, counted and torn
//! down the same way.
//!
//! Each method is `#[inline(never)]`: their name buffers and descriptors would otherwise be
//! merged into one dispatch frame of several kilobytes, on a kernel stack of a few pages.

use crate::caller::{Caller, Rejection};
use crate::registration::{Origin, Registration, Target};
use crate::ring_channel::{RingChannel, MAX_WAKE_DELAY_TICKS};
use crate::state::State;
use core::sync::atomic::Ordering;
use evshare_km::event::{create_event, EventKind as KmEventKind, OpenOptions, SharedEvent};
use evshare_km::irql::Passive;
use evshare_km::pool::PoolArc;
use evshare_km::process::{duplicate_from, duplicate_into, ForeignHandle};
use evshare_km::section::MappedView;
use evshare_km::security::{Sid, UserOnlyDescriptor};
use evshare_km::sys::{
    EVENT_MODIFY_STATE, PROCESS_DUP_HANDLE, PROCESS_QUERY_LIMITED_INFORMATION, READ_CONTROL,
    SYNCHRONIZE,
};
use evshare_km::unicode::UnicodeStr;
use evshare_km::NtStatus;
use evshare_protocol::created::{EventKind, Scope};
use evshare_protocol::method::Method;
use evshare_protocol::mode::SignalMode;
use evshare_protocol::names::{self, ResolvedName, MAX_CREATED_LEAF_UNITS, MAX_INPUT_UNITS};
use evshare_protocol::reply::{RegisterReply, RingReply};
use evshare_protocol::stats::RejectReason;
use evshare_protocol::status::STATUS_INVALID_VIEW_SIZE;
use evshare_ring::layout::{required_len, RECORD_SIZE};
use evshare_ring::{Producer, Region, WakePolicy};

/// Handle values at the very top of the range are pseudo-handles (`NtCurrentProcess()`,
/// `NtCurrentThread()`, …): they name the caller's own process or thread, never an event.
const FIRST_PSEUDO_HANDLE: u64 = u64::MAX - 15;

fn km_kind(kind: EventKind) -> KmEventKind {
    match kind {
        EventKind::AutoReset => KmEventKind::AutoReset,
        EventKind::ManualReset => KmEventKind::ManualReset,
    }
}

/// What a new registration is made of.
struct NewRegistration {
    method: Method,
    resolved: Option<ResolvedName>,
    target: Target,
    session_id: u32,
    /// Bytes charged against the process's ring-bytes quota (the ring's section view; 0 for
    /// an event).
    ring_bytes: u64,
}

/// What the caller's user may do with an event the driver creates for them: wait on it, and
/// read its descriptor (so they can check it). Not set it, not reset it, not change the DACL.
const CREATED_EVENT_ACCESS: u32 = SYNCHRONIZE | READ_CONTROL;

/// Registers `new` for the caller's handle and arms it as asked.
fn register(
    state: &'static State,
    caller: &Caller,
    new: NewRegistration,
    mode: SignalMode,
    at: &mut Passive,
) -> Result<(RegisterReply, PoolArc<Registration>), Rejection> {
    let id = state.next_id();
    let origin = Origin {
        file: caller.file,
        owner: caller.process,
        method: new.method,
        resolved: new.resolved,
    };
    let registration = Registration::new(id, origin, new.target, &state.stats)?;
    // The registry's copy keeps it alive; ours goes when we return (outside the lock). The
    // registry checks every quota, inserts and arms in one lock hold.
    state
        .registry
        .insert(at, registration.clone(), new.ring_bytes, mode)
        .map_err(|(refusal, _rejected)| Rejection::from(refusal))?;
    state
        .stats
        .registrations_total
        .fetch_add(1, Ordering::Relaxed);
    let reply = RegisterReply {
        session_id: new.session_id,
        id,
        method: new.method,
        resolved: new.resolved,
        handle: 0,
    };
    Ok((reply, registration))
}

/// Method 3 of the article, recommended: the app made a named event; the driver opens it
/// (never creates it), resolved in the caller's own session, with the caller's access checked.
///
/// IRQL: `PASSIVE_LEVEL`.
#[inline(never)]
pub fn by_name(
    state: &'static State,
    caller: &Caller,
    mode: SignalMode,
    name_bytes: &[u8],
    at: &mut Passive,
) -> Result<RegisterReply, Rejection> {
    let mut units = [0u16; MAX_INPUT_UNITS];
    let name = names::decode_wire_name(name_bytes, &mut units)?;
    // The session comes from the requesting process itself, never from the request.
    let session_id = caller.process.session_id(at)?;
    let resolved = names::resolve(name, session_id)?;
    let path = UnicodeStr::new(resolved.as_units())?;
    // OBJ_FORCE_ACCESS_CHECK: the caller must be able to open the event themselves.
    let event = SharedEvent::open(
        at,
        &path,
        OpenOptions {
            force_access_check: true,
        },
    )?;
    let new = NewRegistration {
        method: Method::ByName,
        resolved: Some(resolved),
        target: Target::Event(event),
        session_id,
        ring_bytes: 0,
    };
    register(state, caller, new, mode, at).map(|(reply, _)| reply)
}

/// Method 1: the app passes a handle. The driver copies it out of the *requesting process*
/// (not whatever process it runs in), checks the type and that the app's handle may set the
/// event, and keeps a reference, so the app may close its handle.
///
/// IRQL: `PASSIVE_LEVEL`.
#[inline(never)]
pub fn by_handle(
    state: &'static State,
    caller: &Caller,
    handle: u64,
    mode: SignalMode,
    at: &mut Passive,
) -> Result<RegisterReply, Rejection> {
    let invalid = Rejection {
        status: NtStatus::INVALID_HANDLE,
        reason: RejectReason::InvalidHandle,
    };
    if handle == 0 || handle >= FIRST_PSEUDO_HANDLE {
        return Err(invalid);
    }
    let process = caller.process.open(at, PROCESS_DUP_HANDLE)?;
    let local = duplicate_from(at, &process, ForeignHandle(handle)).map_err(|status| {
        if status == NtStatus::INVALID_HANDLE {
            invalid
        } else {
            Rejection::from(status)
        }
    })?;
    // Wine's ObReferenceObjectByHandle ignores DesiredAccess: check what the app was granted.
    let granted = local.granted_access(at)?;
    // Type first: a mutex handle is "not an event", whatever its access.
    let event = SharedEvent::from_app_handle(at, local).map_err(|status| Rejection {
        status,
        reason: if status.as_u32() == evshare_protocol::status::STATUS_OBJECT_TYPE_MISMATCH {
            RejectReason::NotAnEventHandle
        } else {
            RejectReason::from_status(status.as_u32())
        },
    })?;
    if granted & EVENT_MODIFY_STATE == 0 {
        return Err(Rejection {
            status: NtStatus::ACCESS_DENIED,
            reason: RejectReason::HandleAccessDenied,
        });
    }
    let session_id = caller.process.session_id(at)?;
    let new = NewRegistration {
        method: Method::ByHandle,
        resolved: None,
        target: Target::Event(event),
        session_id,
        ring_bytes: 0,
    };
    register(state, caller, new, mode, at).map(|(reply, _)| reply)
}

/// Runs `f` with a descriptor that grants the caller's user [`CREATED_EVENT_ACCESS`] and
/// nobody anything else.
fn with_caller_only<R>(
    caller: &Caller,
    at: &Passive,
    f: impl FnOnce(&UserOnlyDescriptor) -> R,
) -> Result<R, NtStatus> {
    let process = caller.process.open(at, PROCESS_QUERY_LIMITED_INFORMATION)?;
    let sid = Sid::of_process(at, &process)?;
    UserOnlyDescriptor::with(at, &sid, CREATED_EVENT_ACCESS, f)
}

/// Method 2, fixed: the driver creates an unnamed event and puts a handle to it into the
/// requesting process with `SYNCHRONIZE` only, so the app can wait but can neither set nor
/// reset it (it cannot spoof or swallow the driver's signals). The descriptor stops the app
/// from duplicating itself a stronger handle.
///
/// IRQL: `PASSIVE_LEVEL`.
#[inline(never)]
pub fn driver_handle(
    state: &'static State,
    caller: &Caller,
    kind: EventKind,
    mode: SignalMode,
    at: &mut Passive,
) -> Result<RegisterReply, Rejection> {
    let process = caller.process.open(at, PROCESS_DUP_HANDLE)?;
    let handle = with_caller_only(caller, at, |sd| {
        create_event(at, None, km_kind(kind), Some(sd))
    })??;
    let event = SharedEvent::from_created(at, handle)?;
    let session_id = caller.process.session_id(at)?;
    let new = NewRegistration {
        method: Method::DriverHandle,
        resolved: None,
        target: Target::Event(event),
        session_id,
        ring_bytes: 0,
    };
    let (mut reply, registration) = register(state, caller, new, mode, at)?;
    // Only now give the app its handle: every failure before this point leaves nothing behind
    // in the app's handle table. If this step fails, undo the registration.
    let duplicated = match registration.event() {
        Some(event) => duplicate_into(at, &process, event.kernel_handle(), SYNCHRONIZE),
        None => Err(NtStatus::UNSUCCESSFUL),
    };
    match duplicated {
        Ok(app_handle) => {
            reply.handle = app_handle.0;
            Ok(reply)
        }
        Err(status) => {
            // A refusal leaves the state as it was: the registration goes, and so does its
            // count in `registrations_total` (the caller counts the refusal itself, once).
            if let Some(registration) = state.registry.remove(at, caller.file, reply.id) {
                state.retire(&registration, at);
                state
                    .stats
                    .registrations_total
                    .fetch_sub(1, Ordering::Relaxed);
            }
            Err(status.into())
        }
    }
}

/// Method 4, fixed: the driver creates a named event on request (never at load), under the
/// `evshare-` prefix in the caller's session (or the global directory), refusing a name that
/// exists (never adopting a squatter's object), with a descriptor that lets only the caller's
/// user wait on it.
///
/// IRQL: `PASSIVE_LEVEL`.
#[inline(never)]
pub fn driver_named(
    state: &'static State,
    caller: &Caller,
    kind: EventKind,
    scope: Scope,
    mode: SignalMode,
    leaf_bytes: &[u8],
    at: &mut Passive,
) -> Result<RegisterReply, Rejection> {
    let mut units = [0u16; MAX_CREATED_LEAF_UNITS];
    let leaf = names::decode_wire_leaf(leaf_bytes, &mut units)?;
    let session_id = caller.process.session_id(at)?;
    let resolved = names::driver_created(leaf, scope, session_id)?;
    let path = UnicodeStr::new(resolved.as_units())?;
    let handle = with_caller_only(caller, at, |sd| {
        create_event(at, Some(&path), km_kind(kind), Some(sd))
    })??;
    // The registration keeps this handle, and with it the name, until it is unregistered.
    let event = SharedEvent::from_created(at, handle)?;
    let new = NewRegistration {
        method: Method::DriverNamed,
        resolved: Some(resolved),
        target: Target::Event(event),
        session_id,
        ring_bytes: 0,
    };
    register(state, caller, new, mode, at).map(|(reply, _)| reply)
}

fn bad_ring(status: NtStatus) -> Rejection {
    Rejection {
        status,
        reason: RejectReason::BadRing,
    }
}

/// Opens one of a ring's events by name, like [`by_name`] does.
fn open_named_event(
    at: &Passive,
    name_bytes: &[u8],
    session_id: u32,
) -> Result<SharedEvent, Rejection> {
    let mut units = [0u16; MAX_INPUT_UNITS];
    let name = names::decode_wire_name(name_bytes, &mut units)?;
    let resolved = names::resolve(name, session_id)?;
    let path = UnicodeStr::new(resolved.as_units())?;
    Ok(SharedEvent::open(
        at,
        &path,
        OpenOptions {
            force_access_check: true,
        },
    )?)
}

/// What `REGISTER_RING` asks for.
pub struct RingRequest<'a> {
    /// Records the ring holds.
    pub capacity: u32,
    /// How the timer produces.
    pub mode: SignalMode,
    /// Unread records before a waiting consumer is woken.
    pub watermark: u32,
    /// The section's name.
    pub section: &'a [u8],
    /// The data-ready event's name.
    pub data_ready: &'a [u8],
    /// The space-free event's name.
    pub space_free: &'a [u8],
}

/// The ring channel: the app created a section (initialised as a ring header) and two events;
/// the driver maps the section, checks the header once against what the request declared, and
/// from then on keeps its own indices (the `evshare-ring` producer).
///
/// IRQL: `PASSIVE_LEVEL`.
#[inline(never)]
pub fn ring(
    state: &'static State,
    caller: &Caller,
    request: RingRequest<'_>,
    at: &mut Passive,
) -> Result<RingReply, Rejection> {
    let session_id = caller.process.session_id(at)?;
    let needed =
        required_len(request.capacity).map_err(|_| bad_ring(NtStatus::INVALID_PARAMETER))?;
    // A ring the quota could never admit is refused before its section is mapped and locked;
    // the admission itself is the registry's, against the view's real size.
    state
        .registry
        .ring_bytes_fit(at, caller.process, needed as u64)?;
    let data_ready = open_named_event(at, request.data_ready, session_id)?;
    let space_free = open_named_event(at, request.space_free, session_id)?;
    let mut units = [0u16; MAX_INPUT_UNITS];
    let name = names::decode_wire_name(request.section, &mut units)?;
    let resolved = names::resolve(name, session_id)?;
    let path = UnicodeStr::new(resolved.as_units())?;
    let view = MappedView::map_named(at, &path)?;
    let view_size = NtStatus::from_u32(STATUS_INVALID_VIEW_SIZE);
    if view.len() < needed {
        return Err(bad_ring(view_size));
    }
    // SAFETY: the view is mapped read-write for as long as `view` lives, which the ring channel
    // keeps until after the producer is gone; it is resident (see km::section); the app is the
    // only other party and touches it only through the ring's atomics (and if it does not,
    // the producer's own checks contain the damage to the app's own ring).
    let region = unsafe { Region::from_raw(view.base().as_ptr(), needed) }
        .map_err(|_| bad_ring(NtStatus::INVALID_PARAMETER))?;
    let policy = WakePolicy::deferred(request.watermark, MAX_WAKE_DELAY_TICKS);
    let producer = Producer::attach(region, request.capacity, policy)
        .map_err(|_| bad_ring(NtStatus::INVALID_PARAMETER))?;
    let ring_bytes = view.len() as u64;
    let channel = RingChannel::new(producer, view, data_ready, space_free, &state.stats);
    let new = NewRegistration {
        method: Method::Ring,
        resolved: None,
        target: Target::Ring(channel),
        session_id,
        ring_bytes,
    };
    let (reply, _) = register(state, caller, new, request.mode, at)?;
    Ok(RingReply {
        session_id,
        id: reply.id,
        capacity: request.capacity,
        record_size: RECORD_SIZE as u32,
    })
}

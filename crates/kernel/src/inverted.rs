//! The inverted call: the app keeps `PEND_NOTIFICATION` IOCTLs pending; the driver completes one
//! per notification. Notifications made while none is pending are owed to the handle and
//! complete the next ones to arrive, so none is lost or duplicated (sequence numbers tell).
//! A handle whose inverted call is subscribed to channels also gets their payloads this way
//! (`channel_inbox`): what they published while no IRP was pending waits in its backlog.
//!
//! IRPs are parked in a cancel-safe queue ([`PendingQueue`]) and completed from dispatch code
//! only (Wine's cancel requests carry raw IRP pointers, see `km::pending`). Close and unload
//! complete every IRP still parked for the handle with `STATUS_CANCELLED`.

use crate::caller::{Caller, Rejection};
use crate::handle_state::HandleState;
use crate::notification;
use crate::state::State;
use core::sync::atomic::Ordering;
use evshare_km::irp::{Completed, FileId, Irp};
use evshare_km::irql::Passive;
use evshare_km::pending::{park_irp, Refusal};
use evshare_km::time::performance_counter;
use evshare_km::NtStatus;
use evshare_protocol::reply::{Notification, NotifyReply, NOTIFICATION_PAYLOAD_LEN};
use evshare_protocol::stats::RejectReason;
use evshare_protocol::status::{
    STATUS_CANCELLED, STATUS_EVSHARE_PENDING_FULL, STATUS_EVSHARE_PROCESS_PENDING,
};

/// The notification with sequence number `seq`: the payload repeats `seq`'s bytes, so the app
/// can check it arrived whole.
fn notification(seq: u64) -> Notification {
    let mut payload = [0u8; NOTIFICATION_PAYLOAD_LEN];
    for (byte, source) in payload.iter_mut().zip(seq.to_le_bytes().iter().cycle()) {
        *byte = *source;
    }
    Notification {
        seq,
        timestamp: performance_counter(),
        payload,
        ..Notification::EMPTY
    }
}

/// Completes a `PEND_NOTIFICATION` IRP with `NOTIFY` notification `seq`.
fn deliver(irp: Irp, seq: u64) -> Completed {
    notification::complete(irp, &notification(seq))
}

/// The refusal of a park, as the status and the one counter it moves.
fn refused(refusal: Refusal) -> Rejection {
    match refusal {
        Refusal::PoolFull => Rejection {
            status: NtStatus::from_u32(STATUS_EVSHARE_PENDING_FULL),
            reason: RejectReason::PendingFull,
        },
        Refusal::ProcessQuota => Rejection {
            status: NtStatus::from_u32(STATUS_EVSHARE_PROCESS_PENDING),
            reason: RejectReason::ProcessPending,
        },
    }
}

/// `PEND_NOTIFICATION` through the handle whose state is `handle`: completes at once if a
/// notification is owed, else parks the IRP, within the instance's and the requesting
/// process's limits (a process may hold a share of the pool, so one app cannot take every slot
/// and starve the others). A refusal comes back as `Err`, the IRP untouched, for the caller to
/// count and complete. The caller checked the output buffer.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn pend(
    state: &'static State,
    irp: Irp,
    handle: Option<&HandleState>,
    at: &mut Passive,
) -> Result<Completed, (Irp, Rejection)> {
    let Some(handle) = handle else {
        return Err((irp, Rejection::out_of_memory()));
    };
    let mut guard = handle.inbox.lock(at);
    let (inbox, at) = guard.split();
    if inbox.owed > 0 {
        inbox.owed -= 1;
        let seq = inbox.next_seq;
        inbox.next_seq += 1;
        drop(guard);
        return Ok(deliver(irp, seq));
    }
    // Parked under the inbox lock (and the channel backlog's), so a concurrent NOTIFY or
    // publication either sees this IRP or leaves its notification owed for the next one: never
    // both missed.
    let process = irp.requestor();
    let per_process = state.config.quotas.pending_per_process as usize;
    let park = |irp| park_irp(&state.pending, irp, process, per_process);
    let parked = match &inbox.channels {
        Some(channels) => match channels.take_or_park(at, irp, park) {
            Ok((irp, owed)) => {
                drop(guard);
                return Ok(notification::complete(irp, &owed));
            }
            Err(parked) => parked,
        },
        None => park(irp),
    };
    drop(guard);
    parked.map_err(|(irp, refusal)| (irp, refused(refusal)))
}

/// `NOTIFY { count }` from the caller's handle: completes up to `count` parked IRPs of that handle
/// and owes the rest.
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn notify(
    state: &State,
    caller: &Caller,
    count: u32,
    at: &mut Passive,
) -> Result<NotifyReply, Rejection> {
    let handle = caller.state.ok_or_else(Rejection::out_of_memory)?;
    let file = caller.file;
    state
        .stats
        .notifications
        .fetch_add(u64::from(count), Ordering::Relaxed);
    let mut completed = 0u64;
    for _ in 0..count {
        let mut inbox = handle.inbox.lock(at);
        let Some(parked) = state.pending.take_for(file) else {
            inbox.owed += u64::from(count) - completed;
            break;
        };
        let seq = inbox.next_seq;
        inbox.next_seq += 1;
        drop(inbox);
        let _ = deliver(parked, seq);
        completed += 1;
    }
    let owed = handle.inbox.lock(at).owed;
    Ok(NotifyReply { completed, owed })
}

/// Completes every IRP parked for `file` (or every one) with `STATUS_CANCELLED`.
///
/// IRQL: `<= DISPATCH_LEVEL`.
pub fn cancel_all(state: &State, file: Option<FileId>) -> u32 {
    let mut cancelled = 0;
    loop {
        let parked = match file {
            Some(file) => state.pending.take_for(file),
            None => state.pending.take_next(),
        };
        let Some(parked) = parked else { break };
        let _ = parked.complete(NtStatus::from_u32(STATUS_CANCELLED), 0);
        cancelled += 1;
    }
    cancelled
}

//! Completing a parked `PEND_NOTIFICATION` IRP with a notification: what the inverted call does
//! for a `NOTIFY` and for a channel's payload alike.

use evshare_km::irp::{Completed, Irp};
use evshare_km::NtStatus;
use evshare_protocol::reply::Notification;
use evshare_protocol::status::STATUS_BUFFER_TOO_SMALL;

/// Completes `irp` (a `PEND_NOTIFICATION` whose output size was checked when it was accepted)
/// with `notification`.
///
/// IRQL: `<= DISPATCH_LEVEL`.
pub fn complete(mut irp: Irp, notification: &Notification) -> Completed {
    let written = match irp.buffered_ioctl() {
        Some(mut ioctl) => notification.encode(ioctl.output()).unwrap_or(0),
        None => 0,
    };
    if written == 0 {
        // The output was checked before the IRP was accepted; this cannot happen.
        return irp.complete(NtStatus::from_u32(STATUS_BUFFER_TOO_SMALL), 0);
    }
    irp.complete(NtStatus::SUCCESS, written)
}

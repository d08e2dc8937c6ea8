//! What every step of a request shares: who sent it ([`Caller`]) and how it is refused
//! ([`Rejection`]). A leaf: it imports nothing else of this crate but the per-handle state and
//! the counters, so the steps above it never import each other back.

use crate::handle_state::HandleState;
use crate::stats::Stats;
use evshare_km::irp::{Completed, FileId, Irp};
use evshare_km::process::ProcessId;
use evshare_km::NtStatus;
use evshare_protocol::error::ProtocolError;
use evshare_protocol::ioctl::Ioctl;
use evshare_protocol::names::NameError;
use evshare_protocol::stats::RejectReason;
use evshare_protocol::status::{STATUS_BUFFER_TOO_SMALL, STATUS_NOT_FOUND};

/// Who sent a request.
pub struct Caller<'file> {
    /// The handle it came through.
    pub file: FileId,
    /// The process that sent it.
    pub process: ProcessId,
    /// The handle's state (`None` only if it could not be allocated at open).
    pub state: Option<&'file HandleState>,
}

/// Why a request was refused: the status the app gets and the counter it bumps.
pub struct Rejection {
    /// Completion status.
    pub status: NtStatus,
    /// Stats counter.
    pub reason: RejectReason,
}

impl From<ProtocolError> for Rejection {
    fn from(error: ProtocolError) -> Self {
        Rejection {
            status: NtStatus::from_u32(error.status()),
            reason: error.reject_reason(),
        }
    }
}

impl From<NameError> for Rejection {
    fn from(error: NameError) -> Self {
        ProtocolError::Name(error).into()
    }
}

impl From<NtStatus> for Rejection {
    /// A failure from the kernel (opening the event, allocating): counted by its status.
    fn from(status: NtStatus) -> Self {
        Rejection {
            status,
            reason: RejectReason::from_status(status.as_u32()),
        }
    }
}

impl Rejection {
    /// Completes `irp` with this refusal's status and counts it under its reason in `stats`:
    /// the one way a request is refused, so every refusal moves exactly one counter.
    ///
    /// IRQL: `<= DISPATCH_LEVEL`.
    pub fn refuse(self, irp: Irp, stats: &Stats) -> Completed {
        stats.reject(self.reason);
        irp.complete(self.status, 0)
    }

    /// No registration of that id on the caller's handle.
    pub fn no_such_registration() -> Rejection {
        Rejection {
            status: NtStatus::from_u32(STATUS_NOT_FOUND),
            reason: RejectReason::NoSuchRegistration,
        }
    }

    /// The pool had no memory (for the handle's state, or now).
    pub fn out_of_memory() -> Rejection {
        Rejection {
            status: NtStatus::INSUFFICIENT_RESOURCES,
            reason: RejectReason::OutOfMemory,
        }
    }
}

/// Refuses a request whose output buffer cannot hold its reply, before anything changes.
pub fn check_output(kind: Ioctl, room: usize) -> Result<(), Rejection> {
    if room < kind.reply_len() {
        return Err(Rejection {
            status: NtStatus::from_u32(STATUS_BUFFER_TOO_SMALL),
            reason: RejectReason::OutputTooSmall,
        });
    }
    Ok(())
}

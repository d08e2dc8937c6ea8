//! Per-handle state (the driver's `Dispatch::FileState`): `km` makes it at `IRP_MJ_CREATE`,
//! attaches it to the file object and frees it after `IRP_MJ_CLOSE`. The inverted call's inbox.

use crate::dispatch::Evshare;
use evshare_km::irp::Irp;
use evshare_km::sync::SpinLock;

/// Notifications made for one handle that no pending IRP has taken yet, and the sequence
/// number of the next one.
#[derive(Default)]
pub struct Inbox {
    /// Notifications owed to this handle.
    pub owed: u64,
    /// The sequence number the next notification carries (per handle, from 0).
    pub next_seq: u64,
}

/// Everything the driver keeps per open handle.
pub struct FileState {
    /// The inverted call's inbox. Lock order: this lock, then the pending-IRP queue's.
    pub inbox: SpinLock<Inbox>,
}

impl FileState {
    /// A fresh handle's state: nothing owed, sequence numbers from 0.
    pub fn new() -> FileState {
        FileState {
            inbox: SpinLock::new(Inbox::default()),
        }
    }
}

/// The state of the handle `irp` came through, valid while that request is handled. `None`
/// when the pool had no memory for it at create (under Wine an open cannot be refused, so the
/// handle then works for everything but the inverted call).
pub fn of<'file>(irp: &Irp) -> Option<&'file FileState> {
    // SAFETY: callers use the reference only while handling a request on that handle, which
    // never overlaps its close (when km frees the state). The type is fixed by `Dispatch`.
    unsafe { evshare_km::driver::file_state::<Evshare>(irp) }
}

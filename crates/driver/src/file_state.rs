//! Per-handle state, attached to the file object at `IRP_MJ_CREATE` and freed at
//! `IRP_MJ_CLOSE` (`FileObject->FsContext`): the inverted call's inbox.

use evshare_km::irp::Irp;
use evshare_km::pool::PoolBox;
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

/// Attaches a fresh state to the handle being opened. Returns `false` when out of memory; the
/// handle then works for everything but the inverted call (under Wine an open cannot be
/// refused, so there is no better answer).
///
/// IRQL: `PASSIVE_LEVEL`.
pub fn attach(irp: &Irp) -> bool {
    let Ok(state) = PoolBox::new(FileState {
        inbox: SpinLock::new(Inbox::default()),
    }) else {
        return false;
    };
    // SAFETY: FileState is the only type this driver stores in FsContext.
    unsafe { irp.attach_file_context(state) }
}

/// The state of the handle `irp` came through, valid while that request is handled.
pub fn of<'file>(irp: &Irp) -> Option<&'file FileState> {
    // SAFETY: FileState is the only type this driver stores in FsContext, and callers use the
    // reference only while handling a request on that handle, which never overlaps its close.
    unsafe { irp.file_context::<FileState>() }
}

/// Frees the handle's state (`IRP_MJ_CLOSE`, after its pending IRPs were completed).
///
/// IRQL: `<= DISPATCH_LEVEL`.
pub fn detach(irp: &Irp) {
    // SAFETY: FileState is the only type stored; no reference from `of` outlives this call
    // (dispatch routines of one file object do not overlap with its close).
    drop(unsafe { irp.take_file_context::<FileState>() });
}

//! Per-handle state: what an instance keeps for each open handle (file object). The host makes
//! one at `IRP_MJ_CREATE` ([`HandleState::new`]), keeps it with the file object (km's
//! `Dispatch::FileState` does that, and may embed it in the host's own state) and lends it to
//! each request of that handle. The inverted call's inbox.

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

/// Everything an instance keeps per open handle.
pub struct HandleState {
    /// The inverted call's inbox. Lock order: this lock, then the pending-IRP queue's.
    pub(crate) inbox: SpinLock<Inbox>,
}

impl HandleState {
    /// A fresh handle's state: nothing owed, sequence numbers from 0.
    pub const fn new() -> HandleState {
        HandleState {
            inbox: SpinLock::new(Inbox {
                owed: 0,
                next_seq: 0,
            }),
        }
    }
}

impl Default for HandleState {
    fn default() -> Self {
        HandleState::new()
    }
}

//! Per-handle state: what an instance keeps for each open handle (file object). The host makes
//! one at `IRP_MJ_CREATE` ([`HandleState::new`]), keeps it with the file object (km's
//! `Dispatch::FileState` does that, and may embed it in the host's own state) and lends it to
//! each request of that handle. The inverted call's inbox.

use crate::channel_inbox::ChannelInbox;
use evshare_km::irp::FileId;
use evshare_km::pool::PoolArc;
use evshare_km::sync::SpinLock;

/// Notifications made for one handle that no pending IRP has taken yet, and the sequence
/// number of the next one.
#[derive(Default)]
pub struct Inbox {
    /// `NOTIFY` notifications owed to this handle.
    pub(crate) owed: u64,
    /// The sequence number the next `NOTIFY` notification carries (per handle, from 0).
    pub(crate) next_seq: u64,
    /// The handle's inverted call as a channel subscriber, once it subscribed to one: what
    /// channels published for it that no pending IRP has taken yet.
    pub(crate) channels: Option<PoolArc<ChannelInbox<FileId>>>,
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
                channels: None,
            }),
        }
    }
}

impl Default for HandleState {
    fn default() -> Self {
        HandleState::new()
    }
}

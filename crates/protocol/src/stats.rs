//! Why the driver refused a request: the index of its rejection counters in
//! [`StatsReply::rejected`](crate::reply::StatsReply::rejected).

use crate::status;

/// How many rejection counters there are (the length of `StatsReply::rejected`).
pub const REJECT_REASONS: usize = 48;

/// How many of them have a reason ([`RejectReason::ALL`]); the counters from this index to
/// [`REJECT_REASONS`] are reserved and always zero.
pub const KNOWN_REJECT_REASONS: usize = 33;

/// Why the driver refused a request; indexes `StatsReply::rejected`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RejectReason {
    /// The input buffer is shorter than the fixed part, or its length fields disagree.
    BadBufferSize = 0,
    /// The IOCTL code is not one the driver understands.
    UnknownIoctl = 1,
    /// The request's protocol version is not 1.
    BadVersion = 2,
    /// Reserved field or flags not zero, or a bad signal mode.
    BadParameter = 3,
    /// The name is empty, not UTF-16, has a NUL inside, or a bad leaf.
    BadName = 4,
    /// The name is too long.
    NameTooLong = 5,
    /// The name is outside the namespaces the caller may use.
    OutsideNamespace = 6,
    /// The name is in another session's directory.
    OtherSession = 7,
    /// No object of that name exists.
    NameNotFound = 8,
    /// The object is not an event.
    NotAnEvent = 9,
    /// The kernel refused the caller access to the object.
    AccessDenied = 10,
    /// The registration id is unknown, or belongs to another handle.
    NoSuchRegistration = 11,
    /// Too many registrations, per handle or in all.
    QuotaExceeded = 12,
    /// The driver ran out of pool memory.
    OutOfMemory = 13,
    /// The output buffer is too small for the reply.
    OutputTooSmall = 14,
    /// Any other failure.
    Other = 15,
    /// A driver-created named event's name already exists (the driver never opens it).
    NameCollision = 16,
    /// The handle value is not valid in the caller's process.
    InvalidHandle = 17,
    /// The handle refers to an object that is not an event (`REGISTER_BY_HANDLE`).
    NotAnEventHandle = 18,
    /// The handle lacks `EVENT_MODIFY_STATE` (`REGISTER_BY_HANDLE`).
    HandleAccessDenied = 19,
    /// A ring's section is not what `REGISTER_RING` declared: its header (magic, version,
    /// record size, capacity) or its size, or its memory is not committed.
    BadRing = 20,
    /// The calling process holds as many registrations as one process may.
    ProcessRegistrations = 21,
    /// The calling process has as many IRPs pending as one process may.
    ProcessPending = 22,
    /// The driver holds as many pending IRPs as it may, from all processes.
    PendingFull = 23,
    /// The ring would take the calling process past its ring-bytes quota.
    ProcessRingBytes = 24,
    /// The period is below the driver's minimum, or the process's signal-rate budget is spent.
    TimerBudget = 25,
    /// The driver is being unloaded: new requests are refused.
    DriverStopping = 26,
    /// `VERIFIER` was sent to a driver that is not the verifier build.
    NotVerifierBuild = 27,
    /// `SUBSCRIBE` named a channel the host did not declare.
    NoSuchChannel = 28,
    /// `SUBSCRIBE`: the registration is subscribed to a channel already.
    AlreadySubscribed = 29,
    /// `SUBSCRIBE`: the channel has as many subscribers as it may.
    ChannelFull = 30,
    /// `SUBSCRIBE`: a ring cannot carry the channel's payloads.
    ChannelTooWide = 31,
    /// `SUBSCRIBE`: the calling process holds as many of the channel's subscriber slots as one
    /// process may.
    ChannelShare = 32,
}

impl RejectReason {
    /// Every reason, in counter-index order (`ALL[i].index() == i`).
    pub const ALL: [RejectReason; KNOWN_REJECT_REASONS] = [
        RejectReason::BadBufferSize,
        RejectReason::UnknownIoctl,
        RejectReason::BadVersion,
        RejectReason::BadParameter,
        RejectReason::BadName,
        RejectReason::NameTooLong,
        RejectReason::OutsideNamespace,
        RejectReason::OtherSession,
        RejectReason::NameNotFound,
        RejectReason::NotAnEvent,
        RejectReason::AccessDenied,
        RejectReason::NoSuchRegistration,
        RejectReason::QuotaExceeded,
        RejectReason::OutOfMemory,
        RejectReason::OutputTooSmall,
        RejectReason::Other,
        RejectReason::NameCollision,
        RejectReason::InvalidHandle,
        RejectReason::NotAnEventHandle,
        RejectReason::HandleAccessDenied,
        RejectReason::BadRing,
        RejectReason::ProcessRegistrations,
        RejectReason::ProcessPending,
        RejectReason::PendingFull,
        RejectReason::ProcessRingBytes,
        RejectReason::TimerBudget,
        RejectReason::DriverStopping,
        RejectReason::NotVerifierBuild,
        RejectReason::NoSuchChannel,
        RejectReason::AlreadySubscribed,
        RejectReason::ChannelFull,
        RejectReason::ChannelTooWide,
        RejectReason::ChannelShare,
    ];

    /// The index of this reason's counter in `StatsReply::rejected`.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The reason with counter index `index`, if there is one.
    pub fn from_index(index: usize) -> Option<RejectReason> {
        Self::ALL.get(index).copied()
    }

    /// A short, stable label for tables and logs, e.g. `"name not found"`.
    pub const fn label(self) -> &'static str {
        match self {
            RejectReason::BadBufferSize => "bad buffer size",
            RejectReason::UnknownIoctl => "unknown ioctl",
            RejectReason::BadVersion => "bad version",
            RejectReason::BadParameter => "bad parameter",
            RejectReason::BadName => "bad name",
            RejectReason::NameTooLong => "name too long",
            RejectReason::OutsideNamespace => "outside namespace",
            RejectReason::OtherSession => "other session",
            RejectReason::NameNotFound => "name not found",
            RejectReason::NotAnEvent => "not an event",
            RejectReason::AccessDenied => "access denied",
            RejectReason::NoSuchRegistration => "no such registration",
            RejectReason::QuotaExceeded => "quota exceeded",
            RejectReason::OutOfMemory => "out of memory",
            RejectReason::OutputTooSmall => "output too small",
            RejectReason::Other => "other",
            RejectReason::NameCollision => "name collision",
            RejectReason::InvalidHandle => "invalid handle",
            RejectReason::NotAnEventHandle => "handle not an event",
            RejectReason::HandleAccessDenied => "handle access denied",
            RejectReason::BadRing => "bad ring",
            RejectReason::ProcessRegistrations => "process registration quota",
            RejectReason::ProcessPending => "process pending quota",
            RejectReason::PendingFull => "pending irps full",
            RejectReason::ProcessRingBytes => "process ring-bytes quota",
            RejectReason::TimerBudget => "timer budget",
            RejectReason::DriverStopping => "driver stopping",
            RejectReason::NotVerifierBuild => "not the verifier build",
            RejectReason::NoSuchChannel => "no such channel",
            RejectReason::AlreadySubscribed => "already subscribed",
            RejectReason::ChannelFull => "channel full",
            RejectReason::ChannelTooWide => "channel too wide",
            RejectReason::ChannelShare => "process channel share",
        }
    }

    /// The reason to count for a failure status, for failures that come from the kernel rather
    /// than from a [`ProtocolError`](crate::ProtocolError) (which knows its own reason through
    /// [`ProtocolError::reject_reason`](crate::ProtocolError::reject_reason)).
    ///
    /// `STATUS_ACCESS_DENIED` maps to [`AccessDenied`](Self::AccessDenied) and
    /// `STATUS_OBJECT_TYPE_MISMATCH` to [`NotAnEvent`](Self::NotAnEvent): only the name rules
    /// know that a denial was about another session's directory, and only the driver knows
    /// that a denial or a type mismatch was about a handle the app passed to
    /// `REGISTER_BY_HANDLE`, so it counts [`HandleAccessDenied`](Self::HandleAccessDenied)
    /// and [`NotAnEventHandle`](Self::NotAnEventHandle) itself; likewise a ring header that is
    /// not what was declared is `STATUS_INVALID_PARAMETER` and the driver counts
    /// [`BadRing`](Self::BadRing) for it, while `STATUS_INVALID_VIEW_SIZE` (only ever a section
    /// too small for its ring) maps to [`BadRing`](Self::BadRing). Both "not found" statuses map
    /// to [`NameNotFound`](Self::NameNotFound); any status without a reason of its own
    /// (success included) maps to [`Other`](Self::Other).
    pub fn from_status(status: u32) -> RejectReason {
        match status {
            status::STATUS_INVALID_BUFFER_SIZE => RejectReason::BadBufferSize,
            status::STATUS_INVALID_DEVICE_REQUEST => RejectReason::UnknownIoctl,
            status::STATUS_REVISION_MISMATCH => RejectReason::BadVersion,
            status::STATUS_INVALID_PARAMETER => RejectReason::BadParameter,
            status::STATUS_OBJECT_NAME_INVALID => RejectReason::BadName,
            status::STATUS_NAME_TOO_LONG => RejectReason::NameTooLong,
            status::STATUS_OBJECT_PATH_INVALID => RejectReason::OutsideNamespace,
            status::STATUS_OBJECT_NAME_NOT_FOUND | status::STATUS_OBJECT_PATH_NOT_FOUND => {
                RejectReason::NameNotFound
            }
            status::STATUS_OBJECT_TYPE_MISMATCH => RejectReason::NotAnEvent,
            status::STATUS_ACCESS_DENIED => RejectReason::AccessDenied,
            status::STATUS_NOT_FOUND => RejectReason::NoSuchRegistration,
            status::STATUS_QUOTA_EXCEEDED => RejectReason::QuotaExceeded,
            status::STATUS_INSUFFICIENT_RESOURCES | status::STATUS_NO_MEMORY => {
                RejectReason::OutOfMemory
            }
            status::STATUS_BUFFER_TOO_SMALL => RejectReason::OutputTooSmall,
            status::STATUS_OBJECT_NAME_COLLISION => RejectReason::NameCollision,
            status::STATUS_INVALID_HANDLE => RejectReason::InvalidHandle,
            status::STATUS_INVALID_VIEW_SIZE | status::STATUS_EVSHARE_SECTION_NOT_COMMITTED => {
                RejectReason::BadRing
            }
            status::STATUS_EVSHARE_PROCESS_REGISTRATIONS => RejectReason::ProcessRegistrations,
            status::STATUS_EVSHARE_PROCESS_PENDING => RejectReason::ProcessPending,
            status::STATUS_EVSHARE_PENDING_FULL => RejectReason::PendingFull,
            status::STATUS_EVSHARE_PROCESS_RING_BYTES => RejectReason::ProcessRingBytes,
            status::STATUS_EVSHARE_TIMER_BUDGET => RejectReason::TimerBudget,
            status::STATUS_DELETE_PENDING => RejectReason::DriverStopping,
            status::STATUS_NOT_SUPPORTED => RejectReason::NotVerifierBuild,
            status::STATUS_EVSHARE_NO_SUCH_CHANNEL => RejectReason::NoSuchChannel,
            status::STATUS_EVSHARE_ALREADY_SUBSCRIBED => RejectReason::AlreadySubscribed,
            status::STATUS_EVSHARE_CHANNEL_FULL => RejectReason::ChannelFull,
            status::STATUS_EVSHARE_CHANNEL_TOO_WIDE => RejectReason::ChannelTooWide,
            status::STATUS_EVSHARE_CHANNEL_SHARE => RejectReason::ChannelShare,
            _ => RejectReason::Other,
        }
    }
}

impl core::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::*;

    #[test]
    fn all_is_in_index_order_and_labels_are_distinct() {
        for (i, reason) in RejectReason::ALL.into_iter().enumerate() {
            assert_eq!(reason.index(), i);
            assert_eq!(RejectReason::from_index(i), Some(reason));
            for other in RejectReason::ALL.get(i + 1..).unwrap_or(&[]) {
                assert_ne!(reason.label(), other.label());
            }
        }
        assert_eq!(RejectReason::ALL.len(), KNOWN_REJECT_REASONS);
        #[allow(clippy::reversed_empty_ranges)] // empty while every counter has a reason
        for reserved in KNOWN_REJECT_REASONS..REJECT_REASONS {
            assert_eq!(RejectReason::from_index(reserved), None);
        }
        assert_eq!(RejectReason::from_index(REJECT_REASONS), None);
        assert_eq!(RejectReason::from_index(usize::MAX), None);
    }

    #[test]
    fn statuses_map_to_their_reasons() {
        use RejectReason::*;
        let cases = [
            (STATUS_INVALID_BUFFER_SIZE, BadBufferSize),
            (STATUS_INVALID_DEVICE_REQUEST, UnknownIoctl),
            (STATUS_REVISION_MISMATCH, BadVersion),
            (STATUS_INVALID_PARAMETER, BadParameter),
            (STATUS_OBJECT_NAME_INVALID, BadName),
            (STATUS_NAME_TOO_LONG, NameTooLong),
            (STATUS_OBJECT_PATH_INVALID, OutsideNamespace),
            (STATUS_OBJECT_NAME_NOT_FOUND, NameNotFound),
            (STATUS_OBJECT_PATH_NOT_FOUND, NameNotFound),
            (STATUS_OBJECT_TYPE_MISMATCH, NotAnEvent),
            (STATUS_ACCESS_DENIED, AccessDenied),
            (STATUS_NOT_FOUND, NoSuchRegistration),
            (STATUS_QUOTA_EXCEEDED, QuotaExceeded),
            (STATUS_INSUFFICIENT_RESOURCES, OutOfMemory),
            (STATUS_NO_MEMORY, OutOfMemory),
            (STATUS_BUFFER_TOO_SMALL, OutputTooSmall),
            (STATUS_OBJECT_NAME_COLLISION, NameCollision),
            (STATUS_INVALID_HANDLE, InvalidHandle),
            (STATUS_INVALID_VIEW_SIZE, BadRing),
            (STATUS_EVSHARE_SECTION_NOT_COMMITTED, BadRing),
            (STATUS_EVSHARE_PROCESS_REGISTRATIONS, ProcessRegistrations),
            (STATUS_EVSHARE_PROCESS_PENDING, ProcessPending),
            (STATUS_EVSHARE_PENDING_FULL, PendingFull),
            (STATUS_EVSHARE_PROCESS_RING_BYTES, ProcessRingBytes),
            (STATUS_EVSHARE_TIMER_BUDGET, TimerBudget),
            (STATUS_DELETE_PENDING, DriverStopping),
            (STATUS_EVSHARE_NO_SUCH_CHANNEL, NoSuchChannel),
            (STATUS_EVSHARE_ALREADY_SUBSCRIBED, AlreadySubscribed),
            (STATUS_EVSHARE_CHANNEL_FULL, ChannelFull),
            (STATUS_EVSHARE_CHANNEL_TOO_WIDE, ChannelTooWide),
            (STATUS_EVSHARE_CHANNEL_SHARE, ChannelShare),
            (STATUS_CANCELLED, Other),
            (STATUS_PENDING, Other),
            (STATUS_NOT_IMPLEMENTED, Other),
            (STATUS_UNSUCCESSFUL, Other),
            (STATUS_SUCCESS, Other),
        ];
        for (status, reason) in cases {
            assert_eq!(RejectReason::from_status(status), reason, "{status:#x}");
        }
    }
}

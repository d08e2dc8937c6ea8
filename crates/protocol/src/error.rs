//! What is wrong with a request or a reply, and the NTSTATUS the driver completes it with.

use crate::method::Method;
use crate::mode::MAX_MILLIS;
use crate::names::NameError;
use crate::reply::NOTIFICATION_PAYLOAD_LEN;
use crate::ring::{MAX_CAPACITY, MAX_COUNT, MIN_CAPACITY};
use crate::stats::RejectReason;
use crate::status;
use crate::PROTOCOL_VERSION;

/// A request or reply that does not follow the protocol. Each maps to one NTSTATUS
/// ([`status`](Self::status)) and one rejection counter ([`reject_reason`](Self::reject_reason)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtocolError {
    /// The IOCTL code is not one of [`Ioctl::ALL`](crate::Ioctl::ALL).
    UnknownIoctl {
        /// The code the caller sent.
        code: u32,
    },
    /// The buffer is shorter than the fixed part of the message.
    InputTooShort {
        /// The size of the fixed part.
        needed: usize,
        /// The size of the buffer.
        got: usize,
    },
    /// The buffer's size is not the one the message's layout and length fields declare.
    LengthMismatch {
        /// The size the message declares (its fixed size, or fixed part plus name).
        declared: usize,
        /// The size of the buffer, or of the field that holds the declared bytes.
        got: usize,
    },
    /// The output buffer is too small for the reply.
    OutputTooSmall {
        /// The size of the reply.
        needed: usize,
        /// The size of the output buffer.
        got: usize,
    },
    /// The message's `version` is not [`PROTOCOL_VERSION`].
    UnsupportedVersion {
        /// The version the message carries.
        got: u32,
    },
    /// A reserved field or the header's `flags` is not zero.
    ReservedNotZero,
    /// A signal mode with an unknown kind or an out-of-range period or delay.
    BadSignalMode {
        /// The wire `kind`.
        kind: u32,
        /// The wire `millis`.
        millis: u32,
    },
    /// An event kind other than auto-reset (0) or manual-reset (1).
    BadEventKind {
        /// The wire `kind`.
        kind: u32,
    },
    /// A scope other than the caller's session (0) or global (1).
    BadScope {
        /// The wire `scope`.
        scope: u32,
    },
    /// A ring capacity (`REGISTER_RING`, `RingReply`) that is not a power of two in
    /// [`MIN_CAPACITY`]..=[`MAX_CAPACITY`].
    BadCapacity {
        /// The wire `capacity`.
        capacity: u32,
    },
    /// A ring watermark outside `1..=capacity`.
    BadWatermark {
        /// The wire `watermark`.
        watermark: u32,
        /// The ring's capacity.
        capacity: u32,
    },
    /// A `PRODUCE` or `NOTIFY` count outside `1..=`[`MAX_COUNT`].
    BadCount {
        /// The wire `count`.
        count: u32,
    },
    /// A `VERIFIER` operation other than query (0), faults (1) or provoke (2) of a known check.
    BadVerifierOp {
        /// The wire `op`.
        op: u32,
        /// The wire `arg`.
        arg: u32,
    },
    /// The name is malformed or not one the caller may use.
    Name(NameError),
    /// A reply names a host kind other than Windows (1) or Wine (2).
    UnknownHost {
        /// The wire `host` value.
        host: u32,
    },
    /// A reply names a registration method other than 0..=4.
    UnknownMethod {
        /// The wire `method` value.
        method: u32,
    },
    /// A reply's fields disagree with its registration method: a name for a method without
    /// one (or none for a method with one), a name that is not a driver-created one for
    /// [`Method::DriverNamed`], or a handle for a method other than
    /// [`Method::DriverHandle`].
    MethodMismatch {
        /// The method the reply names.
        method: Method,
    },
    /// A `SUBSCRIBE` target other than a registration (0) or the handle's inverted call (1,
    /// with id 0).
    BadSubscribeTarget {
        /// The wire `target`.
        target: u32,
        /// The wire `id`.
        id: u64,
    },
    /// A notification whose source is no channel (`1..=MAX_CHANNELS`, or 0 for `NOTIFY`) or
    /// whose length is longer than its payload area (or not the whole area, for `NOTIFY`).
    BadNotification {
        /// The wire `source`.
        source: u16,
        /// The wire `len`.
        len: u16,
    },
}

impl ProtocolError {
    /// The NTSTATUS the driver completes the request with (`docs/protocol.md`, "Statuses").
    /// A name error has its own; every other error's status follows from the rejection
    /// counter it bumps, so the two cannot disagree.
    pub const fn status(self) -> u32 {
        match self {
            ProtocolError::Name(name) => name.status(),
            other => match other.reject_reason() {
                RejectReason::UnknownIoctl => status::STATUS_INVALID_DEVICE_REQUEST,
                RejectReason::BadBufferSize => status::STATUS_INVALID_BUFFER_SIZE,
                RejectReason::OutputTooSmall => status::STATUS_BUFFER_TOO_SMALL,
                RejectReason::BadVersion => status::STATUS_REVISION_MISMATCH,
                // BadParameter; no other reason comes from a non-name protocol error.
                _ => status::STATUS_INVALID_PARAMETER,
            },
        }
    }

    /// The rejection counter the driver bumps for this error.
    pub const fn reject_reason(self) -> RejectReason {
        match self {
            ProtocolError::UnknownIoctl { .. } => RejectReason::UnknownIoctl,
            ProtocolError::InputTooShort { .. } | ProtocolError::LengthMismatch { .. } => {
                RejectReason::BadBufferSize
            }
            ProtocolError::OutputTooSmall { .. } => RejectReason::OutputTooSmall,
            ProtocolError::UnsupportedVersion { .. } => RejectReason::BadVersion,
            ProtocolError::ReservedNotZero
            | ProtocolError::BadSignalMode { .. }
            | ProtocolError::BadEventKind { .. }
            | ProtocolError::BadScope { .. }
            | ProtocolError::BadCapacity { .. }
            | ProtocolError::BadWatermark { .. }
            | ProtocolError::BadCount { .. }
            | ProtocolError::BadVerifierOp { .. }
            | ProtocolError::UnknownHost { .. }
            | ProtocolError::UnknownMethod { .. }
            | ProtocolError::MethodMismatch { .. }
            | ProtocolError::BadSubscribeTarget { .. }
            | ProtocolError::BadNotification { .. } => RejectReason::BadParameter,
            ProtocolError::Name(name) => name.reject_reason(),
        }
    }
}

impl From<NameError> for ProtocolError {
    fn from(error: NameError) -> Self {
        ProtocolError::Name(error)
    }
}

impl core::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            ProtocolError::UnknownIoctl { code } => write!(
                f,
                "unknown IOCTL code {code:#010X} (not one of evshare protocol version \
                 {PROTOCOL_VERSION}; is the client newer than the driver?)"
            ),
            ProtocolError::InputTooShort { needed, got } => write!(
                f,
                "the buffer is {got} bytes, shorter than the {needed} bytes of the message's \
                 fixed part"
            ),
            ProtocolError::LengthMismatch { declared, got } => write!(
                f,
                "the message's layout and length fields declare {declared} bytes but the \
                 buffer holds {got}"
            ),
            ProtocolError::OutputTooSmall { needed, got } => write!(
                f,
                "the output buffer is {got} bytes; the reply needs {needed}"
            ),
            ProtocolError::UnsupportedVersion { got } => write!(
                f,
                "protocol version {got} is not supported: this side speaks version \
                 {PROTOCOL_VERSION} (update the driver or the client so they match)"
            ),
            ProtocolError::ReservedNotZero => {
                f.write_str("a reserved field or the header's flags are not zero")
            }
            ProtocolError::BadSignalMode { kind, millis } => match kind {
                0 => write!(f, "on-demand signal mode needs millis 0, got {millis}"),
                1 => write!(
                    f,
                    "periodic signal mode needs a period of 1..={MAX_MILLIS} ms, got {millis}"
                ),
                2 => write!(
                    f,
                    "one-shot signal mode needs a delay of 0..={MAX_MILLIS} ms, got {millis}"
                ),
                _ => write!(
                    f,
                    "unknown signal mode kind {kind} (0 = on demand, 1 = periodic, \
                     2 = one-shot)"
                ),
            },
            ProtocolError::BadEventKind { kind } => write!(
                f,
                "unknown event kind {kind} (0 = auto-reset, 1 = manual-reset)"
            ),
            ProtocolError::BadScope { scope } => write!(
                f,
                "unknown scope {scope} (0 = the caller's session, 1 = global)"
            ),
            ProtocolError::BadCapacity { capacity } => write!(
                f,
                "a ring's capacity must be a power of two in {MIN_CAPACITY}..={MAX_CAPACITY} \
                 records, got {capacity}"
            ),
            ProtocolError::BadWatermark {
                watermark,
                capacity,
            } => write!(
                f,
                "a ring's watermark must be in 1..={capacity} (its capacity), got {watermark}"
            ),
            ProtocolError::BadCount { count } => {
                write!(f, "a count must be in 1..={MAX_COUNT}, got {count}")
            }
            ProtocolError::BadVerifierOp { op, arg } => write!(
                f,
                "VERIFIER takes op 0 (query), 1 (faults) or 2 (provoke a check below {}), got op \
                 {op} with arg {arg}",
                crate::reply::VERIFIER_CHECK_NAMES.len()
            ),
            ProtocolError::Name(error) => write!(f, "bad name: {error}"),
            ProtocolError::UnknownHost { host } => write!(
                f,
                "the reply names host kind {host}; only 1 (Windows) and 2 (Wine) exist"
            ),
            ProtocolError::UnknownMethod { method } => write!(
                f,
                "the reply names registration method {method}; only 0 (by name), 1 (by \
                 handle), 2 (driver-created), 3 (driver-created named) and 4 (ring) exist"
            ),
            ProtocolError::MethodMismatch { method } => write!(
                f,
                "the reply's name or handle does not fit its registration method ({method}): \
                 only by-name and driver-created named registrations have a name, and only \
                 unnamed driver-created ones a handle"
            ),
            ProtocolError::BadSubscribeTarget { target, id } => write!(
                f,
                "SUBSCRIBE target {target} with id {id}: only 0 (registration `id`) and 1 (the \
                 handle's inverted call, id 0) exist"
            ),
            ProtocolError::BadNotification { source, len } => write!(
                f,
                "a notification from source {source} carrying {len} bytes: the source is 0 \
                 (NOTIFY, {NOTIFICATION_PAYLOAD_LEN} bytes) or 1 + a channel's number (at most \
                 {NOTIFICATION_PAYLOAD_LEN} bytes)"
            ),
        }
    }
}

/// The name error's text is part of this error's `Display`, so `source` stays `None` and an
/// error chain does not print it twice.
impl core::error::Error for ProtocolError {}

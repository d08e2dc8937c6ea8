//! The user-mode side of evshare: open the `evshare.sys` driver, share events with it by any of
//! the four methods of OSR's "Sharing Is Caring" (each made safe), wait for its signals, and
//! install, start and stop the driver.
//!
#![cfg_attr(windows, doc = "```no_run")]
#![cfg_attr(not(windows), doc = "```ignore")]
//! use evshare::{Driver, Event, EventKind, Share, SignalMode, WaitOutcome};
//! use std::time::Duration;
//!
//! # fn main() -> evshare::Result<()> {
//! let driver = Driver::open()?;
//! let mode = SignalMode::Periodic { period_ms: 100 };
//!
//! // The article's recommendation: the app creates a named event, the driver opens it.
//! let _event = Event::create_auto_reset("my-event")?; // in this session's namespace
//! let registration = driver.register(Share::ByName("my-event"), mode)?;
//! println!("the driver opened {}", registration.target());
//! assert_eq!(registration.wait(Duration::from_secs(5))?, WaitOutcome::Signaled);
//! registration.unregister()?;
//!
//! // Or the driver creates the event and hands over a handle that can only wait.
//! let registration = driver.register(Share::DriverCreated { kind: EventKind::AutoReset }, mode)?;
//! assert_eq!(registration.wait(Duration::from_secs(5))?, WaitOutcome::Signaled);
//! # Ok(())
//! # }
//! ```
//!
//! [`Share`] lists the four methods; `examples/` has one short program for each.
//! `Driver::open` opens evshare's own device ([`DEFAULT_DEVICE_PATH`]). A driver that embeds
//! evshare has a device of its own and puts evshare's IOCTLs in a space of its own
//! ([`IoctlSpace`]: its device type and a function base); open it with
//! `Driver::open_in(path, space)`, and every request, the notifications' included, goes out
//! with that space's codes.
//!
//! Everything that can fail returns [`Error`], whose message names the cause and the fix
//! (for example "no event named `X` in session 1 ...; did you mean `Global\X`?").
//!
//! The crate does something only on Windows (and Wine); on other hosts only the pure parts
//! (errors, status mapping, access masks) build, so the workspace still checks there.

#![cfg_attr(not(windows), allow(dead_code))]

mod error;
mod hints;
pub mod security;
mod service_state;
mod status_map;
mod wire;

#[cfg(windows)]
mod channels;
#[cfg(windows)]
mod device;
#[cfg(windows)]
pub mod diagnose;
#[cfg(windows)]
mod event;
#[cfg(windows)]
mod interrupt;
#[cfg(windows)]
mod notifications;
#[cfg(windows)]
mod probe;
#[cfg(windows)]
mod registration;
#[cfg(windows)]
mod ring;
#[cfg(windows)]
pub mod service;
#[cfg(windows)]
mod share;
#[cfg(windows)]
mod sys;

pub use error::{Error, NtStatus, ObjectKind, Result};
pub use security::{access, Ace, AceKind, SecurityInfo};
pub use service_state::ServiceState;

#[cfg(windows)]
pub use channels::{channel_payload, ChannelInfo};
#[cfg(windows)]
pub use device::Driver;
#[cfg(windows)]
pub use event::{
    current_session_id, current_user_sid, session_of, wait_any, Event, NamedMutex, ResetKind,
    WaitOutcome,
};
#[cfg(windows)]
pub use interrupt::interrupt_event;
#[cfg(windows)]
pub use notifications::{CancelOutcome, Notifications, Notifier, Settled};
#[cfg(windows)]
pub use registration::{Registration, STOP_CHECK_SLICE};
#[cfg(windows)]
pub use ring::{Received, Ring, RingControl, RingOptions};
#[cfg(windows)]
pub use share::Share;

/// The Win32 path of evshare's own device, `\\.\evshare`: what `Driver::open` opens. A
/// driver that embeds evshare has a device of its own: open it with `Driver::open_at`.
pub use evshare_protocol::ioctl::USER_PATH as DEFAULT_DEVICE_PATH;
/// The per-process quotas and the timer budget the driver enforces.
pub use evshare_protocol::quota;
/// Why the driver rejected requests, as counted in [`StatsReply::rejected`].
pub use evshare_protocol::RejectReason;
/// The protocol types the API uses, re-exported so callers need not depend on
/// `evshare-protocol` themselves.
pub use evshare_protocol::{
    names::{Namespace, ResolvedName},
    EventKind, Holder, HoldersReply, HostKind, Method, RegistrationInfo, Scope, SignalMode,
    StatsReply, VersionReply, PROTOCOL_VERSION,
};
/// Where a driver puts evshare's IOCTL codes (`Driver::open_in`), and why a space is refused.
pub use evshare_protocol::{IoctlSpace, SpaceError};
/// The ring's and the inverted call's replies (issue 5), re-exported likewise.
pub use evshare_protocol::{Notification, NotifyReply, ProduceReply, RingInfo};
/// The verifier build's figures and operations (`Driver::verifier`), re-exported likewise.
pub use evshare_protocol::{VerifierFigures, VerifierOp, VERIFIER_CHECK_NAMES};
/// The ring's own types (records, the consumer's totals, its spin policy), re-exported so
/// callers need not depend on `evshare-ring` themselves.
pub use evshare_ring::{
    layout as ring_layout, Batch, ConsumerStats, HeaderSnapshot, Item, PublishedTotals, Record,
    SpinPolicy,
};

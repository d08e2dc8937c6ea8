//! The user-mode side of evshare: open the `evshare.sys` driver, register named events so the
//! driver signals them, and install, start and stop the driver.
//!
#![cfg_attr(windows, doc = "```no_run")]
#![cfg_attr(not(windows), doc = "```ignore")]
//! use evshare::{Driver, Event, SignalMode, WaitOutcome};
//! use std::time::Duration;
//!
//! # fn main() -> evshare::Result<()> {
//! let event = Event::create_auto_reset("my-event")?; // in this session's namespace
//! let driver = Driver::open()?;
//! let registration = driver.register_by_name("my-event", SignalMode::Periodic { period_ms: 100 })?;
//! println!("the driver opened {}", registration.resolved_name());
//! assert_eq!(event.wait(Duration::from_secs(5))?, WaitOutcome::Signaled);
//! registration.unregister()?;
//! # Ok(())
//! # }
//! ```
//!
//! Everything that can fail returns [`Error`], whose message names the cause and the fix
//! (for example "no event named `X` in session 1 ...; did you mean `Global\X`?").
//!
//! The crate does something only on Windows (and Wine); on other hosts only the pure parts
//! (errors, status mapping) build, so the workspace still checks there.

#![cfg_attr(not(windows), allow(dead_code))]

mod error;
mod hints;
mod service_state;
mod status_map;

#[cfg(windows)]
mod device;
#[cfg(windows)]
mod event;
#[cfg(windows)]
mod probe;
#[cfg(windows)]
mod registration;
#[cfg(windows)]
pub mod service;
#[cfg(windows)]
mod sys;

pub use error::{Error, NtStatus, ObjectKind, Result};
pub use service_state::ServiceState;

#[cfg(windows)]
pub use device::Driver;
#[cfg(windows)]
pub use event::{current_session_id, session_of, Event, NamedMutex, ResetKind, WaitOutcome};
#[cfg(windows)]
pub use registration::Registration;

/// Why the driver rejected requests, as counted in [`StatsReply::rejected`].
pub use evshare_protocol::RejectReason;
/// The protocol types the API uses, re-exported so callers need not depend on
/// `evshare-protocol` themselves.
pub use evshare_protocol::{
    names::{Namespace, ResolvedName},
    HostKind, Method, RegistrationInfo, SignalMode, StatsReply, VersionReply, PROTOCOL_VERSION,
};

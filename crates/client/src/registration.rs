//! [`Registration`]: one event the driver signals for this process, alive until unregistered
//! or dropped, made by any of the four [`Share`](crate::Share) methods and used the same way.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use evshare_protocol::names::ResolvedName;
use evshare_protocol::{Ioctl, Method, RegisterReply, RegistrationInfo, Request, SignalMode};

use crate::device::Driver;
use crate::error::{Error, Result};
use crate::event::{Event, WaitOutcome};

/// How long [`Registration::wait`] sleeps before it checks that the driver is still there:
/// the bound on how late a waiter learns that the driver stopped.
pub const STOP_CHECK_SLICE: Duration = Duration::from_millis(250);

/// Milliseconds since the first call in this process: a clock for [`Registration::wait`]'s
/// checks that fits an atomic.
fn millis_since_epoch() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// An event registered with the driver through a [`Driver`] handle. Dropping it unregisters
/// it (best effort); [`unregister`](Self::unregister) does the same and reports errors.
#[derive(Debug)]
pub struct Registration<'d> {
    driver: &'d Driver,
    id: u64,
    session_id: u32,
    method: Method,
    name: Option<String>,
    resolved: Option<ResolvedName>,
    /// The handle value the request carried (by handle) or the reply returned (driver-created).
    handle_value: Option<u64>,
    event: Event,
    mode: SignalMode,
    live: bool,
    /// When the driver was last asked whether this registration still exists, in
    /// milliseconds since [`epoch`]: waits that time out ask at most once per
    /// [`STOP_CHECK_SLICE`], however short and frequent they are.
    last_check_ms: AtomicU64,
}

/// What [`Registration::new`] needs besides the driver and the reply.
pub(crate) struct Parts {
    /// The Win32 name of the event, for methods with one.
    pub name: Option<String>,
    /// The handle value, for the methods that have one.
    pub handle_value: Option<u64>,
    /// The handle to wait on.
    pub event: Event,
    /// The validated mode the request asked for.
    pub mode: SignalMode,
}

impl<'d> Registration<'d> {
    pub(crate) fn new(driver: &'d Driver, reply: &RegisterReply, parts: Parts) -> Self {
        Registration {
            driver,
            id: reply.id,
            session_id: reply.session_id,
            method: reply.method,
            name: parts.name,
            resolved: reply.resolved,
            handle_value: parts.handle_value,
            event: parts.event,
            mode: parts.mode,
            live: true,
            last_check_ms: AtomicU64::new(millis_since_epoch()),
        }
    }

    /// The driver's id for this registration.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The caller's session as the driver saw it (the session names were resolved in).
    pub fn session_id(&self) -> u32 {
        self.session_id
    }

    /// How the event came to be shared.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The name an app opens the event by, for the named methods: as registered
    /// ([`Share::ByName`](crate::Share::ByName): `Global\X`, `X`, ...), or the name of the
    /// event the driver created ([`Share::DriverNamed`](crate::Share::DriverNamed):
    /// `evshare-X` in this session, `Global\evshare-X`). `None` for the handle methods.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The NT path the driver opened or created, e.g. `\Sessions\1\BaseNamedObjects\X`
    /// (`None` for the handle methods).
    pub fn resolved_name(&self) -> Option<String> {
        self.resolved.as_ref().map(ToString::to_string)
    }

    /// The NT path the driver opened or created, as the protocol type.
    pub fn resolved(&self) -> Option<&ResolvedName> {
        self.resolved.as_ref()
    }

    /// What the driver signals, for people: the NT path (`\Sessions\1\BaseNamedObjects\X`),
    /// "the event behind handle 0x30" (by handle) or "an unnamed event (handle 0x38 in this
    /// process)" (driver-created).
    pub fn target(&self) -> String {
        match (&self.resolved, self.method, self.handle_value) {
            (Some(path), _, _) => path.to_string(),
            (None, Method::DriverHandle, Some(value)) => {
                format!("an unnamed event (handle {value:#x} in this process)")
            }
            (None, _, Some(value)) => format!("the event behind handle {value:#x}"),
            (None, _, None) => "an event".to_owned(),
        }
    }

    /// The handle to wait on for the driver's signals (see [`Share`](crate::Share) for what
    /// it is for each method). For a driver-created event it grants `SYNCHRONIZE` only, so
    /// [`Event::set`] and [`Event::reset`] on it fail.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// Waits for the driver's next signal, or until `timeout` passes. The same for every
    /// method.
    ///
    /// If the driver stops meanwhile, nothing will ever signal the event: the wait notices
    /// within [`STOP_CHECK_SLICE`] and fails with [`Error::DriverStopped`]. It sleeps in slices
    /// and, only when a slice passes without a signal, asks the driver whether this
    /// registration still exists (`QUERY_REGISTRATION`), at most once per slice whatever the
    /// timeouts; a wait that is signalled costs no request.
    pub fn wait(&self, timeout: Duration) -> Result<WaitOutcome> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let left = deadline.map_or(Duration::MAX, |deadline| {
                deadline.saturating_duration_since(Instant::now())
            });
            let slice = left.min(STOP_CHECK_SLICE);
            if self.event.wait(slice)? == WaitOutcome::Signaled {
                return Ok(WaitOutcome::Signaled);
            }
            let now = millis_since_epoch();
            let last = self.last_check_ms.load(Ordering::Relaxed);
            // A whole slice without a signal is always worth a check; shorter waits (polls,
            // short timeouts in a loop) check once a slice's time has passed since the last.
            if slice == STOP_CHECK_SLICE
                || now.saturating_sub(last) >= STOP_CHECK_SLICE.as_millis() as u64
            {
                self.last_check_ms.store(now, Ordering::Relaxed);
                self.check_still_registered()?;
            }
            if slice >= left {
                return Ok(WaitOutcome::TimedOut);
            }
        }
    }

    /// Fails with [`Error::DriverStopped`] if the driver refuses because it is stopping, its
    /// device is gone, or it no longer knows this registration (only a driver that unloaded
    /// and came back forgets one this handle still owns).
    fn check_still_registered(&self) -> Result<()> {
        match self.driver.query_registration(self.id) {
            Ok(_) => Ok(()),
            Err(Error::UnknownRegistration { status, .. }) => Err(Error::DriverStopped {
                what: format!(
                    "registration {} is gone while this process waited on its event",
                    self.id
                ),
                status: Some(status),
            }),
            Err(error) => Err(error),
        }
    }

    /// How the driver signals the event now.
    pub fn mode(&self) -> SignalMode {
        self.mode
    }

    /// Changes how the driver signals the event (`SET_SIGNAL_MODE`).
    pub fn set_mode(&mut self, mode: SignalMode) -> Result<()> {
        let mode = mode
            .validate()
            .map_err(|source| Error::InvalidMode { mode, source })?;
        self.send(
            Request::SetSignalMode { id: self.id, mode },
            Ioctl::SetSignalMode,
        )?;
        self.mode = mode;
        Ok(())
    }

    /// Makes the driver signal the event once, now (`SIGNAL`). Meant for
    /// [`SignalMode::OnDemand`], but allowed in every mode.
    pub fn signal(&self) -> Result<()> {
        // The reply (when the protocol has one) is room the driver requires, not yet used here.
        let mut reply = [0u8; 64];
        let room = Ioctl::Signal.reply_len().min(reply.len());
        self.driver
            .send(&Request::Signal { id: self.id }, &mut reply[..room])
            .map(|_| ())
            .map_err(|failure| failure.into_error(Ioctl::Signal, Some(self.id)))
    }

    /// What the driver knows about this registration (`QUERY_REGISTRATION`): owner, mode,
    /// method, how many signals it has sent, the path it opened.
    pub fn info(&self) -> Result<RegistrationInfo> {
        self.driver.query_registration(self.id)
    }

    /// Unregisters (`UNREGISTER`): the driver stops signalling and drops its reference to
    /// the event (a driver-created event then goes away with this registration's handle).
    pub fn unregister(mut self) -> Result<()> {
        self.live = false;
        self.send(Request::Unregister { id: self.id }, Ioctl::Unregister)
    }

    /// The handle it was registered through.
    pub(crate) fn driver(&self) -> &Driver {
        self.driver
    }

    fn send(&self, message: Request<'_>, operation: Ioctl) -> Result<()> {
        self.driver
            .send(&message, &mut [])
            .map(|_| ())
            .map_err(|failure| failure.into_error(operation, Some(self.id)))
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        if self.live {
            // Best effort: if it fails the driver still drops the registration when the
            // `Driver` handle closes.
            let _ = self.send(Request::Unregister { id: self.id }, Ioctl::Unregister);
        }
    }
}

//! [`Registration`]: one event the driver signals for this process, alive until unregistered
//! or dropped.

use evshare_protocol::names::ResolvedName;
use evshare_protocol::{Ioctl, RegistrationInfo, Request, SignalMode};

use crate::device::Driver;
use crate::error::{Error, Result};

/// An event registered with the driver through a [`Driver`] handle. Dropping it unregisters
/// it (best effort); [`unregister`](Self::unregister) does the same and reports errors.
#[derive(Debug)]
pub struct Registration<'d> {
    driver: &'d Driver,
    id: u64,
    session_id: u32,
    name: String,
    resolved: ResolvedName,
    mode: SignalMode,
    live: bool,
}

impl<'d> Registration<'d> {
    pub(crate) fn new(
        driver: &'d Driver,
        name: &str,
        mode: SignalMode,
        id: u64,
        session_id: u32,
        resolved: ResolvedName,
    ) -> Self {
        Registration {
            driver,
            id,
            session_id,
            name: name.to_owned(),
            resolved,
            mode,
            live: true,
        }
    }

    /// The driver's id for this registration.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The caller's session as the driver saw it (the session the name was resolved in).
    pub fn session_id(&self) -> u32 {
        self.session_id
    }

    /// The name as it was registered (`Global\X`, `X`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The NT path the driver opened, e.g. `\Sessions\1\BaseNamedObjects\X`.
    pub fn resolved_name(&self) -> String {
        self.resolved.to_string()
    }

    /// The NT path the driver opened, as the protocol type.
    pub fn resolved(&self) -> &ResolvedName {
        &self.resolved
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
        self.send(Request::Signal { id: self.id }, Ioctl::Signal)
    }

    /// What the driver knows about this registration (`QUERY_REGISTRATION`): owner, mode,
    /// how many signals it has sent, the path it opened.
    pub fn info(&self) -> Result<RegistrationInfo> {
        self.driver.query_registration(self.id)
    }

    /// Unregisters (`UNREGISTER`): the driver stops signalling and drops its reference to
    /// the event.
    pub fn unregister(mut self) -> Result<()> {
        self.live = false;
        self.send(Request::Unregister { id: self.id }, Ioctl::Unregister)
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

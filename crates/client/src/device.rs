//! [`Driver`]: an open handle to the evshare control device (`\\.\evshare`) and the requests
//! of `docs/protocol.md`, sent with `NtDeviceIoControlFile` so failures keep the driver's exact
//! NTSTATUS.

use std::os::windows::io::{AsHandle, OwnedHandle};

use evshare_protocol::ioctl::USER_PATH;
use evshare_protocol::names::ResolvedName;
use evshare_protocol::request::{encode, name_to_wire, MAX_NAME_BYTES, MAX_REQUEST_LEN};
use evshare_protocol::{
    Ioctl, Method, ProtocolError, RegisterReply, RegistrationInfo, Request, SignalMode, StatsReply,
    VersionReply, PROTOCOL_VERSION,
};
use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND};

use crate::error::{Error, NtStatus, Result};
use crate::event::current_session_id;
use crate::hints;
use crate::registration::Registration;
use crate::service::{self, ServiceState};
use crate::status_map::{self, NameRequest};
use crate::sys;
use crate::sys::wide::WideCString;

/// An open handle to the evshare driver. Registrations made through it belong to it: the
/// driver drops them all when the handle closes (or the process dies).
#[derive(Debug)]
pub struct Driver {
    handle: OwnedHandle,
    session: u32,
    version: VersionReply,
}

impl Driver {
    /// Opens `\\.\evshare` for reading and writing and checks that the driver speaks this
    /// client's protocol version.
    ///
    /// When the device is missing, the error says why: [`Error::DriverNotInstalled`]
    /// (run `evshare install`), [`Error::DriverNotRunning`] (run `evshare start`) or
    /// [`Error::DeviceUnavailable`].
    pub fn open() -> Result<Driver> {
        let path = WideCString::new(USER_PATH).map_err(|_| {
            Error::os(
                "name the evshare device",
                std::io::ErrorKind::InvalidInput.into(),
            )
        })?;
        let handle = sys::device::open(&path).map_err(diagnose_open_failure)?;
        let session = current_session_id()?;
        let version = query_version(&handle)?;
        Ok(Driver {
            handle,
            session,
            version,
        })
    }

    /// Asks the driver for its version, host and limits (`QUERY_VERSION`).
    pub fn version(&self) -> Result<VersionReply> {
        query_version(&self.handle)
    }

    /// The session this process runs in: where bare names resolve.
    pub fn session_id(&self) -> u32 {
        self.session
    }

    /// Registers the event called `name` so the driver signals it in `mode`.
    ///
    /// `name` is what you passed to `CreateEventW`: `Global\X`, `Local\X` or a bare `X` (this
    /// session's namespace), or an NT path `\BaseNamedObjects\X` /
    /// `\Sessions\<your session>\BaseNamedObjects\X`. The name is checked here first, by the
    /// rules the driver applies, so a bad one fails with a precise error without a round trip.
    /// The driver *opens* the event and never creates it: a misspelled name fails with
    /// [`Error::NameNotFound`] instead of silently registering an event nobody waits on.
    pub fn register_by_name(&self, name: &str, mode: SignalMode) -> Result<Registration<'_>> {
        let resolved = hints::resolve_str(name, self.session);
        if let Err(refusal) = resolved {
            let request = NameRequest {
                name,
                session: self.session,
                resolved: Err(refusal),
            };
            return Err(status_map::register_error(
                refusal.status(),
                &request,
                Some(self.version.max_registrations),
                &crate::probe::probe,
            ));
        }
        self.register(name, mode, resolved.as_ref().map_err(|e| *e))
    }

    /// [`register_by_name`](Self::register_by_name) without the local name check: the name
    /// goes to the driver as is (it must still be non-empty, at most 240 UTF-16 units and
    /// NUL-free to be encodable). For testing and demonstrating the driver's own checks.
    pub fn register_by_name_unchecked(
        &self,
        name: &str,
        mode: SignalMode,
    ) -> Result<Registration<'_>> {
        let resolved = hints::resolve_str(name, self.session);
        self.register(name, mode, resolved.as_ref().map_err(|e| *e))
    }

    fn register(
        &self,
        name: &str,
        mode: SignalMode,
        resolved: std::result::Result<&ResolvedName, evshare_protocol::NameError>,
    ) -> Result<Registration<'_>> {
        let request = NameRequest {
            name,
            session: self.session,
            resolved,
        };
        let limit = Some(self.version.max_registrations);
        let refuse =
            |status: u32| status_map::register_error(status, &request, limit, &crate::probe::probe);
        let mode = mode
            .validate()
            .map_err(|source| Error::InvalidMode { mode, source })?;
        let mut name_bytes = [0u8; MAX_NAME_BYTES];
        let name_len = name_to_wire(name, &mut name_bytes).map_err(|e| refuse(e.status()))?;
        let message = Request::RegisterByName {
            mode,
            name_bytes: &name_bytes[..name_len],
        };
        let mut reply = [0u8; RegisterReply::LEN];
        let written = self
            .send(&message, &mut reply)
            .map_err(|failure| match failure {
                SendFailure::Status(status) => refuse(status),
                SendFailure::Encode(source) => refuse(source.status()),
            })?;
        let reply = parse_reply(
            Ioctl::RegisterByName,
            &reply[..written],
            RegisterReply::parse,
        )?;
        let resolved = match (reply.method, reply.resolved) {
            (Method::ByName, Some(resolved)) => resolved,
            _ => {
                return Err(Error::UnexpectedReply {
                    operation: Ioctl::RegisterByName,
                    what: "not a by-name registration with the path it opened",
                })
            }
        };
        Ok(Registration::new(
            self,
            name,
            mode,
            reply.id,
            reply.session_id,
            resolved,
        ))
    }

    /// The driver's counters (`QUERY_STATS`); with `Some(pid)`, `live_for_pid` counts that
    /// process's live registrations.
    pub fn stats(&self, pid_filter: Option<u32>) -> Result<StatsReply> {
        let message = Request::QueryStats {
            pid: pid_filter.unwrap_or(0),
        };
        let mut reply = [0u8; StatsReply::LEN];
        let written = self
            .send(&message, &mut reply)
            .map_err(|failure| failure.into_error(Ioctl::QueryStats, None))?;
        parse_reply(Ioctl::QueryStats, &reply[..written], StatsReply::parse)
    }

    /// What the driver knows about registration `id` of this handle (`QUERY_REGISTRATION`).
    /// Fails with [`Error::UnknownRegistration`] once it is unregistered.
    pub fn query_registration(&self, id: u64) -> Result<RegistrationInfo> {
        let message = Request::QueryRegistration { id };
        let mut reply = [0u8; RegistrationInfo::LEN];
        let written = self
            .send(&message, &mut reply)
            .map_err(|failure| failure.into_error(Ioctl::QueryRegistration, Some(id)))?;
        parse_reply(
            Ioctl::QueryRegistration,
            &reply[..written],
            RegistrationInfo::parse,
        )
    }

    /// Sends raw bytes with any IOCTL code and returns the driver's verdict unmapped. For
    /// diagnostics and for testing how the driver handles malformed requests; everything
    /// else should use the typed methods.
    pub fn raw_ioctl(
        &self,
        code: u32,
        input: &[u8],
        output: &mut [u8],
    ) -> std::result::Result<usize, NtStatus> {
        sys::device::ioctl(self.handle.as_handle(), code, input, output).map_err(NtStatus)
    }

    /// Encodes `message`, sends it, and returns how many reply bytes the driver wrote.
    pub(crate) fn send(
        &self,
        message: &Request<'_>,
        reply: &mut [u8],
    ) -> std::result::Result<usize, SendFailure> {
        send_on(&self.handle, message, reply)
    }
}

/// Why [`Driver::send`] failed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SendFailure {
    /// The request could not be encoded (the client refused it).
    Encode(ProtocolError),
    /// The driver completed it with this NTSTATUS.
    Status(u32),
}

impl SendFailure {
    /// The error for a request that is not a registration by name.
    pub(crate) fn into_error(self, operation: Ioctl, id: Option<u64>) -> Error {
        match self {
            SendFailure::Status(status) => status_map::request_error(status, operation, id),
            SendFailure::Encode(source) => Error::InvalidRequest { operation, source },
        }
    }
}

fn send_on(
    handle: &OwnedHandle,
    message: &Request<'_>,
    reply: &mut [u8],
) -> std::result::Result<usize, SendFailure> {
    let mut input = [0u8; MAX_REQUEST_LEN];
    let (code, len) = encode(message, &mut input).map_err(SendFailure::Encode)?;
    sys::device::ioctl(handle.as_handle(), code, &input[..len], reply).map_err(SendFailure::Status)
}

fn query_version(handle: &OwnedHandle) -> Result<VersionReply> {
    let mut reply = [0u8; VersionReply::LEN];
    let written = send_on(handle, &Request::QueryVersion, &mut reply)
        .map_err(|failure| failure.into_error(Ioctl::QueryVersion, None))?;
    parse_reply(Ioctl::QueryVersion, &reply[..written], VersionReply::parse)
}

/// Parses a reply; a reply of another protocol version is a version mismatch, anything else
/// malformed is [`Error::BadReply`].
fn parse_reply<T>(
    operation: Ioctl,
    bytes: &[u8],
    parse: fn(&[u8]) -> std::result::Result<T, ProtocolError>,
) -> Result<T> {
    parse(bytes).map_err(|source| match source {
        ProtocolError::UnsupportedVersion { got } => Error::VersionMismatch {
            driver: Some(got),
            client: PROTOCOL_VERSION,
        },
        _ => Error::BadReply { operation, source },
    })
}

/// Explains why `CreateFileW(\\.\evshare)` failed, from the service's state.
fn diagnose_open_failure(source: std::io::Error) -> Error {
    let missing = matches!(
        source.raw_os_error().map(|code| code as u32),
        Some(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND)
    );
    let state = service::state_for_diagnosis();
    match state {
        ServiceState::NotInstalled if missing => Error::DriverNotInstalled { source },
        ServiceState::Stopped | ServiceState::StopPending | ServiceState::StartPending
            if missing =>
        {
            Error::DriverNotRunning { state, source }
        }
        _ => Error::DeviceUnavailable { state, source },
    }
}
